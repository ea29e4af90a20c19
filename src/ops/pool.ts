/**
 * 2-D pooling over NCHW tensors: maxPool2d (saves argmax indices for backward), avgPool2d and
 * adaptiveAvgPool2d (PyTorch semantics, no ceil_mode). Kernels: shaders/pool.wgsl; every
 * backward is a gather over the windows covering an input element, so it needs no atomics.
 */
import { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { grid } from '../runtime/grid.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { record } from '../autograd/graph.js';
import { slice } from './movement.js';
import { pair } from './conv.js';

export interface PoolOptions {
  kernel: number | [number, number];
  /** Defaults to the kernel size. */
  stride?: number | [number, number];
  padding?: number | [number, number];
}

export interface AvgPoolOptions extends PoolOptions {
  /** Divide by kh·kw including padded positions (PyTorch default true), or by the in-bounds count. */
  countIncludePad?: boolean;
}

interface PoolGeo {
  n: number; c: number; h: number; w: number; ho: number; wo: number;
  kh: number; kw: number; sh: number; sw: number; ph: number; pw: number;
}

export function checkPlanes(x: Tensor, op: string): [number, number, number, number] {
  if (x.dtype !== 'f32') throw new ShapeError(`${op}: expected an f32 tensor, got ${x.describe()}`);
  if (x.rank !== 4) throw new ShapeError(`${op}: input must be [N, C, H, W], got ${fmtShape(x.shape)}`);
  return x.shape as unknown as [number, number, number, number];
}

function poolGeometry(x: Tensor, opts: PoolOptions, op: string): PoolGeo {
  const [n, c, h, w] = checkPlanes(x, op);
  const [kh, kw] = pair(opts.kernel, 1, 'kernel', op, 1);
  const [sh, sw] = pair(opts.stride ?? [kh, kw], 1, 'stride', op, 1);
  const [ph, pw] = pair(opts.padding, 0, 'padding', op, 0);
  if (2 * ph > kh || 2 * pw > kw) throw new ShapeError(`${op}: padding ${ph}x${pw} must be at most half the kernel ${kh}x${kw}`);
  if (kh > h + 2 * ph || kw > w + 2 * pw) throw new ShapeError(`${op}: kernel ${kh}x${kw} is larger than the padded input ${h + 2 * ph}x${w + 2 * pw} of ${fmtShape(x.shape)}`);
  const ho = Math.floor((h + 2 * ph - kh) / sh) + 1;
  const wo = Math.floor((w + 2 * pw - kw) / sw) + 1;
  return { n, c, h, w, ho, wo, kh, kw, sh, sw, ph, pw };
}

function poolParams(g: PoolGeo): Params {
  return new Params().u32(g.n * g.c, g.h, g.w, g.ho, g.wo, g.kh, g.kw, g.sh, g.sw).i32(g.ph, g.pw).u32(0);
}

function launch(entry: string, g: PoolGeo, count: number, buffers: (GPUBuffer | null)[], countPad?: boolean): void {
  runtime().dispatch({
    op: `pool.${entry}`, shader: 'pool', entry,
    constants: countPad === undefined ? undefined : { COUNT_PAD: countPad ? 1 : 0 },
    params: poolParams(g), buffers, workgroups: grid(count, 256),
  });
}

/** Max over kernel windows (padding counts as −inf). Gradient flows to each window's argmax. */
export function maxPool2d(x: Tensor, opts: PoolOptions): Tensor {
  const g = poolGeometry(x, opts, 'maxPool2d');
  // A 1×1 window is a strided subsample (IR-50's shortcut at a stride-2 unit): a stepped slice,
  // whose backward scatters dy instead of searching each input's windows.
  if (g.kh === 1 && g.kw === 1 && g.ph === 0 && g.pw === 0) return slice(x, [0, 0, 0, 0], [g.n, g.c, (g.ho - 1) * g.sh + 1, (g.wo - 1) * g.sw + 1], [1, 1, g.sh, g.sw]);
  const y = new Tensor([g.n, g.c, g.ho, g.wo], 'f32');
  const idx = new Tensor([g.n, g.c, g.ho, g.wo], 'i32');
  launch('max_fwd', g, y.size, [x.buffer, y.buffer, idx.buffer]);
  const out = record(y, 'maxPool2d', [x], (dy) => {
    const dx = new Tensor(x.shape, 'f32');
    launch('max_bwd', g, dx.size, [dy.buffer, dx.buffer, idx.buffer]);
    return [dx];
  });
  // Indices live as long as the graph needs them (released with the enclosing tidy scope).
  if (!out.node) idx.dispose();
  return out;
}

export function avgPool2d(x: Tensor, opts: AvgPoolOptions): Tensor {
  const g = poolGeometry(x, opts, 'avgPool2d');
  const countPad = opts.countIncludePad ?? true;
  const y = new Tensor([g.n, g.c, g.ho, g.wo], 'f32');
  launch('avg_fwd', g, y.size, [x.buffer, y.buffer, null], countPad);
  return record(y, 'avgPool2d', [x], (dy) => {
    const dx = new Tensor(x.shape, 'f32');
    launch('avg_bwd', g, dx.size, [dy.buffer, dx.buffer, null], countPad);
    return [dx];
  });
}

/** Output cell (i, j) averages rows [⌊i·H/oh⌋, ⌈(i+1)·H/oh⌉) × the same for columns. */
export function adaptiveAvgPool2d(x: Tensor, size: [number, number]): Tensor {
  const [n, c, h, w] = checkPlanes(x, 'adaptiveAvgPool2d');
  const [ho, wo] = pair(size, 1, 'output size', 'adaptiveAvgPool2d', 1);
  if (h === 0 || w === 0) throw new ShapeError(`adaptiveAvgPool2d: input ${fmtShape(x.shape)} has an empty plane`);
  const g: PoolGeo = { n, c, h, w, ho, wo, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0 };
  const y = new Tensor([n, c, ho, wo], 'f32');
  launch('adaptive_fwd', g, y.size, [x.buffer, y.buffer, null]);
  return record(y, 'adaptiveAvgPool2d', [x], (dy) => {
    const dx = new Tensor(x.shape, 'f32');
    launch('adaptive_bwd', g, dx.size, [dy.buffer, dx.buffer, null]);
    return [dx];
  });
}
