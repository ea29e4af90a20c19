/**
 * 2-D convolution (NCHW) with stride, padding, dilation and groups, and its backward.
 *
 * Routes (all give the same result; tests compare them):
 *  - 'depthwise': groups == C == O → shaders/depthwise.wgsl (direct loops, per-channel filters);
 *  - 'matmul':    1×1, stride 1, no padding, groups 1 → W[O,C] · X[n][C, H·W] with the matmul
 *                 kernel (batch-broadcast W, no permutes), bias added by broadcasting;
 *  - 'general':   implicit GEMM in shaders/conv.wgsl (forward, dX, dW with split-K).
 * Backward: dX = dgrad(dY, W), dW = wgrad(dY, X), dbias = Σ_{n,y,x} dY.
 */
import { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { grid } from '../runtime/grid.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { record } from '../autograd/graph.js';
import { matmul } from './matmul.js';
import { add } from './elementwise.js';
import { reshape } from './movement.js';
import { sum } from './reduce.js';

export interface Conv2dOptions {
  /** [O], added to every output pixel of channel o. */
  bias?: Tensor;
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
  groups?: number;
}

export type ConvRoute = 'auto' | 'general' | 'depthwise' | 'matmul';

/** Everything a conv kernel needs to know about one call. */
export interface ConvGeometry {
  n: number; c: number; h: number; w: number;
  o: number; kh: number; kw: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
  groups: number; ho: number; wo: number;
}

export function pair(v: number | readonly [number, number] | undefined, dflt: number, what: string, op: string, min: number): [number, number] {
  const r: [number, number] = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  for (const x of r) {
    if (!Number.isInteger(x) || x < min) throw new ShapeError(`${op}: ${what} must be an integer >= ${min} (or a pair of them), got ${JSON.stringify(v)}`);
  }
  return r;
}

/** Validates shapes and options on the host; every message names the shapes involved. */
export function convGeometry(x: Tensor, w: Tensor, opts: Conv2dOptions, op = 'conv2d'): ConvGeometry {
  if (x.dtype !== 'f32' || w.dtype !== 'f32') throw new ShapeError(`${op}: expected f32 tensors, got input ${x.describe()} and weight ${w.describe()}`);
  if (x.rank !== 4) throw new ShapeError(`${op}: input must be [N, C, H, W], got ${fmtShape(x.shape)} (weight ${fmtShape(w.shape)})`);
  if (w.rank !== 4) throw new ShapeError(`${op}: weight must be [O, C/groups, kh, kw], got ${fmtShape(w.shape)} (input ${fmtShape(x.shape)})`);
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [o, cg, kh, kw] = w.shape as [number, number, number, number];
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new ShapeError(`${op}: groups must be a positive integer, got ${groups}`);
  if (c % groups !== 0) throw new ShapeError(`${op}: input channels ${c} of ${fmtShape(x.shape)} are not divisible by groups=${groups}`);
  if (o % groups !== 0) throw new ShapeError(`${op}: output channels ${o} of weight ${fmtShape(w.shape)} are not divisible by groups=${groups}`);
  if (cg !== c / groups) {
    throw new ShapeError(`${op}: weight ${fmtShape(w.shape)} expects ${cg} input channels per group, but input ${fmtShape(x.shape)} with groups=${groups} has ${c / groups}`);
  }
  if (o === 0 || kh === 0 || kw === 0) throw new ShapeError(`${op}: weight ${fmtShape(w.shape)} has an empty dimension`);
  const [sh, sw] = pair(opts.stride, 1, 'stride', op, 1);
  const [ph, pw] = pair(opts.padding, 0, 'padding', op, 0);
  const [dh, dw] = pair(opts.dilation, 1, 'dilation', op, 1);
  const ekh = (kh - 1) * dh + 1, ekw = (kw - 1) * dw + 1;
  if (ekh > h + 2 * ph || ekw > wd + 2 * pw) {
    throw new ShapeError(`${op}: kernel ${kh}x${kw} (dilated ${ekh}x${ekw}) of weight ${fmtShape(w.shape)} is larger than the padded input ${h + 2 * ph}x${wd + 2 * pw} of ${fmtShape(x.shape)}`);
  }
  if (opts.bias) {
    const b = opts.bias;
    if (b.dtype !== 'f32' || b.rank !== 1 || b.shape[0] !== o) throw new ShapeError(`${op}: bias must be [${o}] for weight ${fmtShape(w.shape)}, got ${b.describe()}`);
  }
  const ho = Math.floor((h + 2 * ph - ekh) / sh) + 1;
  const wo = Math.floor((wd + 2 * pw - ekw) / sw) + 1;
  return { n, c, h, w: wd, o, kh, kw, sh, sw, ph, pw, dh, dw, groups, ho, wo };
}

export function pickRoute(g: ConvGeometry): Exclude<ConvRoute, 'auto'> {
  if (g.groups === g.c && g.o === g.c && g.groups > 1) return 'depthwise';
  if (g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.ph === 0 && g.pw === 0 && g.groups === 1) return 'matmul';
  return 'general';
}

// ---- general implicit-GEMM kernels ------------------------------------------------------------

function convParams(g: ConvGeometry, tilesN: number, tiles: number, kchunk: number, splits: number): Params {
  return new Params().u32(g.n, g.c, g.h, g.w, g.o, g.ho, g.wo, g.groups, g.kh, g.kw, g.sh, g.sw)
    .i32(g.ph, g.pw).u32(g.dh, g.dw, tilesN, tiles, kchunk, splits);
}

/** Launches one GEMM-shaped conv kernel over an M×N output per group (z = groups·splits). */
function launchGemm(entry: 'fwd' | 'dgrad' | 'wgrad', g: ConvGeometry, M: number, N: number, z: number, kchunk: number, splits: number,
  buffers: GPUBuffer[], hasBias = false): void {
  const tilesN = Math.ceil(N / 64);
  const tiles = Math.ceil(M / 64) * tilesN;
  if (z > runtime().limits.maxComputeWorkgroupsPerDimension) throw new ShapeError(`conv2d: ${z} groups × splits exceed the dispatch limit`);
  const [gx, gy] = grid(tiles, 1);
  runtime().dispatch({
    op: `conv2d.${entry}`, shader: 'conv', entry,
    constants: entry === 'fwd' ? { HAS_BIAS: hasBias ? 1 : 0 } : undefined,
    params: convParams(g, tilesN, tiles, kchunk, splits),
    buffers, workgroups: [gx, gy, z],
  });
}

export function convForwardGeneral(x: Tensor, w: Tensor, g: ConvGeometry, bias?: Tensor): Tensor {
  const y = new Tensor([g.n, g.o, g.ho, g.wo], 'f32');
  launchGemm('fwd', g, g.o / g.groups, g.n * g.ho * g.wo, g.groups, 0, 1,
    [w.buffer, x.buffer, y.buffer, bias ? bias.buffer : runtime().placeholder()], !!bias);
  return y;
}

export function convBackwardData(dy: Tensor, w: Tensor, g: ConvGeometry): Tensor {
  const dx = new Tensor([g.n, g.c, g.h, g.w], 'f32');
  launchGemm('dgrad', g, g.c / g.groups, g.n * g.h * g.w, g.groups, 0, 1, [w.buffer, dy.buffer, dx.buffer]);
  return dx;
}

/** dW via split-K: enough (group, tile, split) workgroups to fill a GPU, ≥ 256 k per split. */
export function convBackwardWeight(dy: Tensor, x: Tensor, g: ConvGeometry): Tensor {
  const og = g.o / g.groups, nj = (g.c / g.groups) * g.kh * g.kw;
  const K = g.n * g.ho * g.wo;
  const tiles = Math.ceil(og / 64) * Math.ceil(nj / 64) * g.groups;
  const maxZ = Math.floor(runtime().limits.maxComputeWorkgroupsPerDimension / g.groups);
  let splits = Math.max(1, Math.min(Math.ceil(256 / tiles), Math.ceil(K / 256), maxZ));
  const kchunk = Math.ceil(K / splits / 16) * 16;
  splits = Math.ceil(K / kchunk);
  const part = new Tensor([splits, g.o, g.c / g.groups, g.kh, g.kw], 'f32');
  launchGemm('wgrad', g, og, nj, g.groups * splits, kchunk, splits, [dy.buffer, x.buffer, part.buffer]);
  if (splits === 1) {
    const dw = part.view([g.o, g.c / g.groups, g.kh, g.kw]);
    part.dispose();
    return dw;
  }
  const dw = sum(part, 0);
  part.dispose();
  return dw;
}

// ---- depthwise kernels -----------------------------------------------------------------------

function dwParams(g: ConvGeometry): Params {
  return new Params().u32(g.n, g.c, g.h, g.w, g.ho, g.wo, g.kh, g.kw, g.sh, g.sw).i32(g.ph, g.pw).u32(g.dh, g.dw, 0, 0);
}

export function depthwiseForward(x: Tensor, w: Tensor, g: ConvGeometry, bias?: Tensor): Tensor {
  const y = new Tensor([g.n, g.c, g.ho, g.wo], 'f32');
  runtime().dispatch({
    op: 'conv2d.depthwise', shader: 'depthwise', entry: 'fwd', constants: { HAS_BIAS: bias ? 1 : 0 },
    params: dwParams(g), buffers: [x.buffer, w.buffer, y.buffer, bias ? bias.buffer : runtime().placeholder()],
    workgroups: grid(g.n * g.c * g.ho * Math.ceil(g.wo / 4), 256),
  });
  return y;
}

export function depthwiseBackwardData(dy: Tensor, w: Tensor, g: ConvGeometry): Tensor {
  const dx = new Tensor([g.n, g.c, g.h, g.w], 'f32');
  runtime().dispatch({
    op: 'conv2d.depthwise.dgrad', shader: 'depthwise', entry: 'dgrad',
    params: dwParams(g), buffers: [dy.buffer, w.buffer, dx.buffer], workgroups: grid(dx.size, 256),
  });
  return dx;
}

export function depthwiseBackwardWeight(dy: Tensor, x: Tensor, g: ConvGeometry): Tensor {
  const dw = new Tensor([g.c, 1, g.kh, g.kw], 'f32');
  runtime().dispatch({
    op: 'conv2d.depthwise.wgrad', shader: 'depthwise', entry: 'wgrad',
    params: dwParams(g), buffers: [dy.buffer, x.buffer, dw.buffer], workgroups: grid(dw.size, 1),
  });
  return dw;
}

// ---- public op ---------------------------------------------------------------------------------

/** Σ over n, y, x of dY [N, O, Ho, Wo] → [O] (two contiguous reductions, no permute copy). */
function biasGrad(dy: Tensor, g: ConvGeometry): Tensor {
  const perImage = sum(dy.view([g.n, g.o, g.ho * g.wo]), 2);
  const db = sum(perImage, 0);
  perImage.dispose();
  return db;
}

/**
 * Like `conv2d`, but lets tests and benchmarks force a route ('general' works for every shape;
 * 'depthwise' and 'matmul' only where `pickRoute` would choose them).
 */
export function conv2dRoute(x: Tensor, w: Tensor, opts: Conv2dOptions, route: ConvRoute): Tensor {
  const g = convGeometry(x, w, opts);
  const auto = pickRoute(g);
  const r = route === 'auto' ? auto : route;
  if (r !== 'general' && r !== auto) throw new ShapeError(`conv2d: route '${r}' does not apply to input ${fmtShape(x.shape)} and weight ${fmtShape(w.shape)}`);
  const bias = opts.bias;

  if (r === 'matmul') {
    // Y[n] = W[O,C] · X[n][C, H·W]; matmul and reshape record their own gradients.
    const y = matmul(reshape(w, [g.o, g.c]), reshape(x, [g.n, g.c, g.h * g.w]));
    const yb = bias ? add(y, reshape(bias, [g.o, 1])) : y;
    return reshape(yb, [g.n, g.o, g.ho, g.wo]);
  }

  const dw = r === 'depthwise';
  const y = dw ? depthwiseForward(x, w, g, bias) : convForwardGeneral(x, w, g, bias);
  const inputs = bias ? [x, w, bias] : [x, w];
  return record(y, dw ? 'conv2d.depthwise' : 'conv2d', inputs, (dy) => {
    const gx = x.requiresGrad ? (dw ? depthwiseBackwardData(dy, w, g) : convBackwardData(dy, w, g)) : null;
    const gw = w.requiresGrad ? (dw ? depthwiseBackwardWeight(dy, x, g) : convBackwardWeight(dy, x, g)) : null;
    if (!bias) return [gx, gw];
    return [gx, gw, bias.requiresGrad ? biasGrad(dy, g) : null];
  });
}

/**
 * 2-D convolution of x [N, C, H, W] with w [O, C/groups, kh, kw] → [N, O, Ho, Wo],
 * Ho = ⌊(H + 2·ph − dh·(kh−1) − 1) / sh⌋ + 1 (PyTorch's Conv2d, zero padding).
 */
export function conv2d(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
  return conv2dRoute(x, w, opts, 'auto');
}
