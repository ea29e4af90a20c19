/**
 * 2-D convolution (NCHW) with stride, padding, dilation and groups, and its backward.
 *
 * Routes (all give the same result; tests compare them):
 *  - 'depthwise': groups == C == O → shaders/depthwise.wgsl (register-blocked fwd_t / wgrad_t,
 *                 per-channel filters as broadcast loads; direct-loop fallbacks);
 *  - 'matmul':    1×1, stride 1, no padding, groups 1 → W[O,C] · X[n][C, H·W] with the matmul
 *                 kernel (batch-broadcast W, no permutes), bias added by broadcasting;
 *  - 'general':   shaders/conv.wgsl: broadcast kernels (fwd_b: 4 output channels per invocation ×
 *                 a run of 8 pixels shared by the workgroup — fwd_f when the map is narrower than 8:
 *                 the run then spans rows and images; dX as fwd_b with the rotated,
 *                 transposed filter (strided: through an input-dilated view of dY); wgrad_b for dW), falling back to the workgroup-memory implicit
 *                 GEMM where those do not apply (see the shader header).
 * Backward: dX = dgrad(dY, W), dW = wgrad(dY, X), dbias = Σ_{n,y,x} dY.
 */
import { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { grid } from '../runtime/grid.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { composite, record } from '../autograd/graph.js';
import { tiledLoopsRolled } from '../runtime/loop-form.js';
import { matmul } from './matmul.js';
import { add } from './elementwise.js';
import { reshape } from './movement.js';
import { sum } from './reduce.js';
import { convBackwardDataTiled, convBackwardWeightTiled, convForwardTiled, convVariant, type ConvVariant } from './conv-tiled.js';

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
    .i32(g.ph, g.pw).u32(g.dh, g.dw, tilesN, tiles, kchunk, splits, 16, 0, 0, 0);
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
    // ROLLED: the K-step loops stay rolled on CPU adapters (shaders/conv.wgsl, loop-form.ts).
    constants: { ...(entry === 'fwd' ? { HAS_BIAS: hasBias ? 1 : 0 } : {}), ROLLED: tiledLoopsRolled() ? 1 : 0 },
    params: convParams(g, tilesN, tiles, kchunk, splits),
    buffers, workgroups: [gx, gy, z],
  });
}

// ---- broadcast kernels (fwd_b, wpack) ----------------------------------------------------------

/** Output pixels per workgroup run and the longest input span a run may read (shader consts Q, SMAX). */
const RUN_Q = 8;
const SPAN_MAX = 32;
/** Widest filter row fwd_f takes (shader const KMAX): maps narrower than a run, filters up to 3 wide. */
const FLAT_KW_MAX = 3;

/** A conv as the broadcast kernel sees it: input channels `c`, output channels `o` (both all groups). */
interface VirtualConv {
  n: number; c: number; h: number; w: number; o: number; ho: number; wo: number; groups: number;
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number; ph: number; pw: number;
  /** Input dilation [rows, cols]: X is read as if zero-interleaved (the strided dgrad). */
  dilation?: [number, number];
}

/** The shaders' `idil` uniform: row dilation in the low 16 bits, column dilation in the high. */
const packedDilation = (v: VirtualConv): number => {
  const [dy, dx] = v.dilation ?? [1, 1];
  return dy | (dx << 16);
};

const spanOf = (v: VirtualConv) => (RUN_Q - 1) * v.sw + (v.kw - 1) * v.dw + 1;

function bParams(v: VirtualConv, og4: number, cblocks: number, runs: number, flip: number, total: number, hasBias = false, rpw = 1): Params {
  return new Params().u32(v.n, v.c, v.h, v.w, v.o, v.ho, v.wo, v.groups, v.kh, v.sh, v.dh, og4)
    .i32(v.ph, v.pw).u32(cblocks, runs, flip, total, hasBias ? 1 : 0, packedDilation(v), v.kw, v.sw, v.dw, rpw);
}

/**
 * Packs W into [groups][Cg·kh·kw][⌈Og/4⌉] vec4 of output channels (zero-padded) so one invocation
 * reads its 4 output channels of one tap as one vec4. `flip` packs the transposed, 180°-rotated
 * filter of the data gradient (W viewed as [C, O/groups, kh, kw] → W'[c, o, kh−1−ky, kw−1−kx]).
 */
function packWeights(w: Tensor, v: VirtualConv, flip: boolean): { packed: Tensor; og4: number } {
  const og4 = Math.ceil(v.o / v.groups / 4);
  const total = v.groups * (v.c / v.groups) * v.kh * v.kw * og4 * 4;
  const packed = new Tensor([total], 'f32');
  runtime().dispatch({
    op: 'conv2d.wpack', shader: 'conv', entry: 'wpack',
    params: bParams(v, og4, 0, 0, flip ? 1 : 0, total),
    buffers: [w.buffer, packed.buffer], workgroups: grid(total / (og4 * 4), 64), // one thread per packed row
  });
  return { packed, og4 };
}

/** fwd_f's runs: per class (py, px) of output pixels (one class without input dilation), its pixels in whole runs. */
function flatRuns(v: VirtualConv): number {
  const [dy, dx] = v.dilation ?? [1, 1];
  let runs = 0;
  for (let py = 0; py < dy; py++) {
    for (let px = 0; px < dx; px++) runs += Math.ceil((v.n * Math.ceil(Math.max(0, v.ho - py) / dy) * Math.ceil(Math.max(0, v.wo - px) / dx)) / RUN_Q);
  }
  return runs;
}

/** Whether the broadcast kernel takes this conv: the input span of a run fits its registers. */
function broadcastFits(v: VirtualConv): boolean {
  return spanOf(v) <= SPAN_MAX && v.groups * Math.ceil(v.o / v.groups / 4 / 64) <= runtime().limits.maxComputeWorkgroupsPerDimension;
}

/** Y = conv(X, W') with the broadcast kernel; W' packed by `packWeights`. */
function launchBroadcast(x: Tensor, w: Tensor, v: VirtualConv, flip: boolean, bias?: Tensor): Tensor {
  const y = new Tensor([v.n, v.o, v.ho, v.wo], 'f32');
  const { packed, og4 } = packWeights(w, v, flip);
  const { wg, cblocks, rpw } = lanes(og4);
  // fwd_f (runs over the flattened (n, oy, ox) order, not rows): maps narrower than a run; 1×1
  // filters at any width (fwd_f reads 8 inputs per channel where fwd_b's strided span reads 15,
  // level at 8×8, and fwd_b then needs no pipeline per stride for them); input-dilated dX, whose
  // pixels it takes class by class of (oy mod dy, ox mod dx) so only real taps run.
  const flat = v.kw <= FLAT_KW_MAX && (v.wo < RUN_Q || v.kw === 1 || !!v.dilation);
  const runs = flat ? flatRuns(v) : v.n * v.ho * Math.ceil(v.wo / RUN_Q);
  const [gx, gy] = grid(Math.ceil(runs / rpw), 1);
  runtime().dispatch({
    op: flip ? 'conv2d.dgrad_b' : 'conv2d.fwd_b', shader: 'conv', entry: flat ? 'fwd_f' : 'fwd_b',
    constants: flat ? { WG: wg } : { KW: v.kw, SW: v.sw, DW: v.dw, WG: wg },
    params: bParams(v, og4, cblocks, runs, 0, 0, !!bias, rpw),
    buffers: [packed.buffer, x.buffer, y.buffer, bias ? bias.buffer : runtime().placeholder()],
    workgroups: [gx, gy, v.groups * cblocks],
  });
  packed.dispose();
  return y;
}

export function convForwardGeneral(x: Tensor, w: Tensor, g: ConvGeometry, bias?: Tensor, forced?: ConvVariant): Tensor {
  // Tuner hook (src/ops/conv-tiled.ts): the GPU-class implicit GEMM, or today's kernels below.
  const variant = forced ?? convVariant('fwd', g, [x.shape, w.shape], (v, sx, sw) => {
    const sb = bias ? new Tensor([g.o], 'f32') : undefined; // scratch: the caller's bias may be gone by tuning time
    const y = convForwardGeneral(sx, sw, g, sb, v);
    sb?.dispose();
    return y;
  });
  if (variant === 'tiled') return convForwardTiled(x, w, g, bias);
  if (broadcastFits(g)) return launchBroadcast(x, w, g, false, bias);
  const y = new Tensor([g.n, g.o, g.ho, g.wo], 'f32');
  launchGemm('fwd', g, g.o / g.groups, g.n * g.ho * g.wo, g.groups, 0, 1,
    [w.buffer, x.buffer, y.buffer, bias ? bias.buffer : runtime().placeholder()], !!bias);
  return y;
}

export function convBackwardData(dy: Tensor, w: Tensor, g: ConvGeometry, forced?: ConvVariant): Tensor {
  const variant = forced ?? convVariant('dgrad', g, [dy.shape, w.shape], (v, sdy, sw) => convBackwardData(sdy, sw, g, v));
  if (variant === 'tiled') return convBackwardDataTiled(dy, w, g);
  if (g.sh === 1 && g.sw === 1) {
    // Stride 1: dX is the convolution of dY with the transposed, rotated filter and padding
    // d·(k−1) − p (possibly negative: the kernel bounds-checks every tap).
    const v: VirtualConv = {
      n: g.n, c: g.o, h: g.ho, w: g.wo, o: g.c, ho: g.h, wo: g.w, groups: g.groups,
      kh: g.kh, kw: g.kw, sh: 1, sw: 1, dh: g.dh, dw: g.dw, ph: g.dh * (g.kh - 1) - g.ph, pw: g.dw * (g.kw - 1) - g.pw,
    };
    if (broadcastFits(v)) return launchBroadcast(dy, w, v, true);
  } else {
    const fast = stridedDataGradBroadcast(dy, w, g);
    if (fast) return fast;
  }
  const dx = new Tensor([g.n, g.c, g.h, g.w], 'f32');
  launchGemm('dgrad', g, g.c / g.groups, g.n * g.h * g.w, g.groups, 0, 1, [w.buffer, dy.buffer, dx.buffer]);
  return dx;
}

/**
 * Strided dX without the implicit-GEMM dgrad kernel (workgroup memory and barriers, slow on
 * software adapters): dX is the stride-1 convolution, with the transposed, rotated filter, of dY
 * zero-interleaved to [N, O, Ho·sh, Wo·sw] (dY[oy, ox] at (oy·sh, ox·sw)). The broadcast kernel
 * reads dY through that view (input dilation) instead of materialising it, skipping the rows of
 * zeros: half the work of the zero-interleaved tensor at stride 2, and no extra pass or memory.
 * Trailing zero rows/columns and taps that fall outside are harmless (every tap is bounds-checked).
 */
function stridedDataGradBroadcast(dy: Tensor, w: Tensor, g: ConvGeometry): Tensor | null {
  if (g.sh >= 1 << 16 || g.sw >= 1 << 16) return null;
  const v: VirtualConv = {
    n: g.n, c: g.o, h: g.ho, w: g.wo, o: g.c, ho: g.h, wo: g.w, groups: g.groups,
    kh: g.kh, kw: g.kw, sh: 1, sw: 1, dh: g.dh, dw: g.dw, ph: g.dh * (g.kh - 1) - g.ph, pw: g.dw * (g.kw - 1) - g.pw,
    dilation: [g.sh, g.sw],
  };
  if (!broadcastFits(v)) return null;
  return launchBroadcast(dy, w, v, true);
}

/**
 * Invocations per workgroup of the broadcast kernels and the depthwise wgrad: one llvmpipe SIMD coroutine
 * (8 lanes). These kernels share nothing between invocations (no workgroup memory, no barrier), so
 * more, smaller workgroups do the same work; sizing the workgroup to the channel count (8…64)
 * only multiplied the pipelines to JIT-compile — an ARBEx-tiny step had 13 fwd_b and 7 wgrad_b
 * variants, ~1 s of CPU each on an empty shader cache. Bias is a uniform flag for the same reason.
 */
const LANES = 8;

/**
 * Workgroup size, channel blocks and groups per workgroup for `og4` vec4 slots of output channels:
 * with og4 < 8 the lanes split into ⌊8 / og4⌋ groups of og4, each on its own pixel run (fwd_b) or
 * rows (wgrad_b), instead of computing clamped duplicates (shaders/conv.wgsl, `bp.rpw`).
 */
function lanes(og4: number): { wg: number; cblocks: number; rpw: number } {
  return { wg: LANES, cblocks: Math.ceil(og4 / LANES), rpw: og4 < LANES ? Math.floor(LANES / og4) : 1 };
}

/**
 * dW with the broadcast kernel, reading dY in place: a workgroup owns one tap × CB input channels
 * × its lanes' output channels and a chunk of output rows (split-K over rows, partial sums summed
 * here).
 */
function wgradBroadcast(dy: Tensor, x: Tensor, g: ConvGeometry): Tensor | null {
  const ci = g.c / g.groups, KK = g.kh * g.kw;
  const og4 = Math.ceil(g.o / g.groups / 4);
  const { wg, cblocks, rpw } = lanes(og4);
  // Input channels per workgroup: 16, or 4 for convs with ≤ 4 (an RGB input conv computed 16 of
  // which 13 were clamped duplicates: its wgrad took 4× its forward).
  const cb = ci <= 4 ? 4 : WGRAD_CB;
  const gx = Math.ceil(ci / cb) * KK;
  const max = runtime().limits.maxComputeWorkgroupsPerDimension;
  const rows = g.n * g.ho;
  const base = gx * g.groups * cblocks;
  const splits = Math.max(1, Math.min(Math.ceil(WGRAD_MIN_GROUPS / base), rows, max));
  const chunk = Math.ceil(rows / splits);
  const nsplit = Math.ceil(rows / chunk);
  if (gx > max || g.groups * cblocks > max) return null;
  const v: VirtualConv = g;
  // Each row group (rpw > 1 when og4 < 8, see lanes()) writes partial sums of its own.
  const parts = nsplit * rpw;
  const part = new Tensor([parts, g.o, ci, g.kh, g.kw], 'f32');
  runtime().dispatch({
    op: 'conv2d.wgrad_b', shader: 'conv', entry: 'wgrad_b',
    constants: { WG: wg, CB: cb },
    params: bParams(v, og4, cblocks, chunk, 0, 0, false, rpw),
    buffers: [dy.buffer, x.buffer, part.buffer], workgroups: [gx, nsplit, g.groups * cblocks],
  });
  if (parts === 1) {
    const dw = part.view([g.o, ci, g.kh, g.kw]);
    part.dispose();
    return dw;
  }
  const dw = sum(part, 0);
  part.dispose();
  return dw;
}

/** Input channels per wgrad_b workgroup (shader const CB, written per pipeline) and the workgroups split-K aims for. */
const WGRAD_CB = 16;
const WGRAD_MIN_GROUPS = 64;

/** dW: wgrad_b, or (fallback) the tiled GEMM with split-K: enough (group, tile, split) workgroups to fill a GPU, ≥ 256 k per split. */
export function convBackwardWeight(dy: Tensor, x: Tensor, g: ConvGeometry, forced?: ConvVariant): Tensor {
  const variant = forced ?? convVariant('wgrad', g, [dy.shape, x.shape], (v, sdy, sx) => convBackwardWeight(sdy, sx, g, v));
  if (variant === 'tiled') return convBackwardWeightTiled(dy, x, g, (t) => sum(t, 0));
  const fast = wgradBroadcast(dy, x, g);
  if (fast) return fast;
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

function dwParams(g: VirtualConv, hasBias = false, flip = false, lanes: PlaneLanes = { lpp: 1, ppw: 1 }): Params {
  return new Params().u32(g.n, g.c, g.h, g.w, g.ho, g.wo, g.kh, g.kw, g.sh, g.sw).i32(g.ph, g.pw)
    .u32(g.dh, g.dw, hasBias ? 1 : 0, packedDilation(g), flip ? 1 : 0, lanes.lpp, lanes.ppw, 0);
}

interface PlaneLanes { lpp: number; ppw: number }

/**
 * Lanes per plane and planes per workgroup of the blocked kernels: a plane with fewer 4×T blocks
 * than the workgroup has lanes (ARBEx-tiny's 8×8 and 4×4 maps: 4 and 1 of 16) takes the next
 * power of two of lanes and shares the workgroup with other planes instead of idling the rest.
 */
function planeLanes(blocks: number, wg: number): PlaneLanes {
  if (blocks >= wg) return { lpp: wg, ppw: 1 };
  const lpp = 2 ** Math.ceil(Math.log2(blocks));
  return { lpp, ppw: wg / lpp };
}

/** Output rows per fwd_t invocation and the longest input span it may read (shader consts T, SMAX). */
const DW_T = 4;
const DW_SPAN_MAX = 16;

/**
 * Depthwise conv of `src` planes with the register-blocked kernel: each invocation owns 4×T
 * outputs of one plane; a workgroup's invocations share the plane, so the filter taps are
 * broadcast loads. `flip` rotates the filter by 180° (the stride-1 data gradient).
 */
function depthwiseBlocked(src: Tensor, w: Tensor, v: VirtualConv, flip: boolean, bias?: Tensor): Tensor {
  const y = new Tensor([v.n, v.c, v.ho, v.wo], 'f32');
  const blocks = Math.ceil(v.wo / 4) * Math.ceil(v.ho / DW_T);
  // 64 lanes over the (plane, block) pairs in order (shaders/depthwise.wgsl), whatever the plane
  // size: wider than the broadcast conv kernels' 8 (64 measured 1.1–1.4× faster than 8 lanes at
  // 128×28×28, `kernels-bench/run.ts --filter depthwise`); one lane count means one pipeline per
  // filter shape and stride. (Earlier: one plane per workgroup, 16 or 64 lanes by plane size.)
  const wg = 64;
  runtime().dispatch({
    op: flip ? 'conv2d.depthwise.dgrad_t' : 'conv2d.depthwise.fwd_t', shader: 'depthwise', entry: 'fwd_t',
    constants: { KH: v.kh, KW: v.kw, SH: v.sh, SW: v.sw, DH: v.dh, DW: v.dw, WG: wg },
    params: dwParams(v, !!bias, flip), buffers: [src.buffer, w.buffer, y.buffer, bias ? bias.buffer : runtime().placeholder()],
    workgroups: grid(Math.ceil((v.n * v.c * blocks) / wg), 1),
  });
  return y;
}

/** Whether the register-blocked kernels take this conv: the input span and the taps fit their registers. */
const dwBlockedFits = (v: VirtualConv) => 3 * v.sw + (v.kw - 1) * v.dw + 1 <= DW_SPAN_MAX && v.kh * v.kw <= DW_KK_MAX;

export function depthwiseForward(x: Tensor, w: Tensor, g: ConvGeometry, bias?: Tensor): Tensor {
  if (dwBlockedFits(g)) return depthwiseBlocked(x, w, g, false, bias);
  const y = new Tensor([g.n, g.c, g.ho, g.wo], 'f32');
  runtime().dispatch({
    op: 'conv2d.depthwise', shader: 'depthwise', entry: 'fwd',
    params: dwParams(g, !!bias), buffers: [x.buffer, w.buffer, y.buffer, bias ? bias.buffer : runtime().placeholder()],
    workgroups: grid(g.n * g.c * g.ho * Math.ceil(g.wo / 4), 256),
  });
  return y;
}

export function depthwiseBackwardData(dy: Tensor, w: Tensor, g: ConvGeometry): Tensor {
  // dX is the stride-1 depthwise conv, with the rotated filter, of dY — zero-interleaved when
  // strided, which the blocked kernel reads through an input-dilated view (nothing materialised).
  if (g.sh < 1 << 16 && g.sw < 1 << 16) {
    const v: VirtualConv = {
      ...g, h: g.ho, w: g.wo, ho: g.h, wo: g.w, sh: 1, sw: 1, ph: g.dh * (g.kh - 1) - g.ph, pw: g.dw * (g.kw - 1) - g.pw,
      dilation: [g.sh, g.sw],
    };
    if (dwBlockedFits(v)) return depthwiseBlocked(dy, w, v, true);
  }
  const dx = new Tensor([g.n, g.c, g.h, g.w], 'f32');
  runtime().dispatch({
    op: 'conv2d.depthwise.dgrad', shader: 'depthwise', entry: 'dgrad',
    params: dwParams(g), buffers: [dy.buffer, w.buffer, dx.buffer], workgroups: grid(dx.size, 256),
  });
  return dx;
}

/** Most taps fwd_t holds and wgrad_t accumulates in registers (shader const KKMAX). */
const DW_KK_MAX = 25;

/**
 * dW of a depthwise conv without barriers: each invocation owns a 4×T block of output pixels of
 * one plane and accumulates Σ dY·X for every tap; per-block partials [N·blocks, C, kh·kw] are
 * then summed over blocks (and the batch) by `sum`.
 */
function depthwiseWgradBlocked(dy: Tensor, x: Tensor, g: ConvGeometry): Tensor {
  const blocks = Math.ceil(g.wo / 4) * Math.ceil(g.ho / DW_T);
  const wg = LANES;
  const pl = planeLanes(blocks, wg);
  const part = new Tensor([g.n * blocks, g.c, g.kh, g.kw], 'f32');
  runtime().dispatch({
    op: 'conv2d.depthwise.wgrad_t', shader: 'depthwise', entry: 'wgrad_t',
    constants: { KH: g.kh, KW: g.kw, SH: g.sh, SW: g.sw, DH: g.dh, DW: g.dw, WG: wg },
    params: dwParams(g, false, false, pl), buffers: [dy.buffer, x.buffer, part.buffer],
    workgroups: grid(Math.ceil((g.n * g.c) / pl.ppw) * Math.ceil(blocks / wg), 1),
  });
  const summed = sum(part, 0);
  part.dispose();
  const dw = summed.view([g.c, 1, g.kh, g.kw]);
  summed.dispose();
  return dw;
}

export function depthwiseBackwardWeight(dy: Tensor, x: Tensor, g: ConvGeometry): Tensor {
  if (dwBlockedFits(g)) return depthwiseWgradBlocked(dy, x, g);
  const dw = new Tensor([g.c, 1, g.kh, g.kw], 'f32');
  runtime().dispatch({
    op: 'conv2d.depthwise.wgrad', shader: 'depthwise', entry: 'wgrad',
    params: dwParams(g), buffers: [dy.buffer, x.buffer, dw.buffer], workgroups: grid(dw.size, 1),
  });
  return dw;
}

// ---- public op ---------------------------------------------------------------------------------

/**
 * Σ over n, y, x of dY [N, O, Ho, Wo] → [O] (two contiguous reductions, no permute copy). The
 * batch goes first (a column reduction, one invocation per (o, pixel)), leaving only O rows for
 * the row reduction, whose cost is per row (a 256-wide workgroup and a barrier tree): summing the
 * pixels first would launch N·O such workgroups for maps as small as 2×2.
 */
function biasGrad(dy: Tensor, g: ConvGeometry): Tensor {
  const overBatch = sum(dy.view([g.n, g.o * g.ho * g.wo]), 0);
  const db = sum(overBatch.view([g.o, g.ho * g.wo]), 1);
  overBatch.dispose();
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
    return composite([x, w, bias], () => {
      const y = matmul(reshape(w, [g.o, g.c]), reshape(x, [g.n, g.c, g.h * g.w]));
      const yb = bias ? add(y, reshape(bias, [g.o, 1])) : y;
      return reshape(yb, [g.n, g.o, g.ho, g.wo]);
    });
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
