/** Tensor creation: constants, ranges, host data and seeded random draws (all made on the GPU). */
import { Tensor } from './tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { grid } from '../runtime/grid.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { type DType, dtypeOf } from './dtype.js';
import { hostData, type TensorData } from './host-data.js';
import { numel, validateShape, type Shape } from './shape.js';

function bitsOf(value: number, dtype: DType): number {
  const b = new ArrayBuffer(4);
  if (dtype === 'f32') new Float32Array(b)[0] = value;
  else if (dtype === 'i32') new Int32Array(b)[0] = value;
  else new Uint32Array(b)[0] = value;
  return new Uint32Array(b)[0]!;
}

/** Elements per fill thread (shaders/fill.wgsl FILL_RUN). */
const FILL_RUN = 16;

/** A new tensor of `shape` filled with `value`. */
export function full(shape: Shape, value: number, dtype: DType = 'f32'): Tensor {
  validateShape(shape, 'full');
  const t = new Tensor(shape, dtype);
  runtime().dispatch({
    op: 'full', shader: 'fill', entry: 'fill',
    params: new Params().u32(t.size, bitsOf(value, dtype), 0, 0),
    buffers: [t.buffer], workgroups: grid(Math.ceil(t.size / FILL_RUN), 256),
  });
  return t;
}

/** A new tensor of zeros. */
export const zeros = (shape: Shape, dtype: DType = 'f32'): Tensor => full(shape, 0, dtype);
/** A new tensor of ones. */
export const ones = (shape: Shape, dtype: DType = 'f32'): Tensor => full(shape, 1, dtype);
/** Zeros with the shape and dtype of `t`. */
export const zerosLike = (t: Tensor): Tensor => full(t.shape, 0, t.dtype);
/** Ones with the shape and dtype of `t`. */
export const onesLike = (t: Tensor): Tensor => full(t.shape, 1, t.dtype);

/** [start, start + step, ...) with `n = ceil((end - start) / step)` elements. */
export function arange(start: number, end?: number, step = 1, dtype: 'f32' | 'i32' = 'f32'): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (step === 0) throw new ShapeError('arange: step must not be 0');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const t = new Tensor([n], dtype);
  runtime().dispatch({
    op: 'arange', shader: 'fill', entry: dtype === 'f32' ? 'arange_f32' : 'arange_i32',
    params: new Params().u32(n, bitsOf(start, dtype), bitsOf(step, dtype), 0),
    buffers: [t.buffer], workgroups: grid(n, 256),
  });
  return t;
}

/**
 * A tensor holding a copy of `data`. Typed arrays keep their dtype when it is f32/i32/u32; other
 * typed arrays and number arrays are converted by value (see tensor/host-data.ts for the rules:
 * e.g. Float64Array → f32, Uint8Array → i32, or any of them to an explicit `dtype`, checked).
 * Nested arrays give their own shape: `tensor([[1, 2], [3, 4]])` is [2, 2].
 */
export function tensor(data: TensorData, shape?: Shape, dtype?: DType): Tensor {
  const { array: arr, shape: inferred } = hostData(data, dtype, 'tensor()');
  const dt = dtypeOf(arr);
  const s = shape ?? inferred;
  validateShape(s, 'tensor');
  if (numel(s) !== arr.length) throw new ShapeError(`tensor(): ${arr.length} values do not fill shape ${fmtShape(s)} (${numel(s)} elements)`);
  const t = new Tensor(s, dt, 'upload');
  if (arr.length) runtime().write(t.buffer, arr);
  return t;
}

/** Converts between f32 and integer dtypes (f32 → i32 truncates toward zero). Not differentiable. */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x.view(x.shape);
  const entry = x.dtype === 'f32' && dtype === 'i32' ? 'f32_to_i32' : x.dtype === 'i32' && dtype === 'f32' ? 'i32_to_f32' : x.dtype === 'u32' && dtype === 'f32' ? 'u32_to_f32' : null;
  if (!entry) throw new ShapeError(`cast: ${x.dtype} → ${dtype} is not supported`);
  const out = new Tensor(x.shape, dtype);
  runtime().dispatch({
    op: 'cast', shader: 'fill', entry,
    params: new Params().u32(x.size, 0, 0, 0),
    buffers: [out.buffer, x.buffer], workgroups: grid(x.size, 256),
  });
  return out;
}

// ---- seeded random draws ------------------------------------------------------------------

let globalSeed = 0x2545f491;
let drawCounter = 0;

/** Seeds the global generator: the sequence of random draws after this is reproducible. */
export function manualSeed(seed: number): void {
  globalSeed = seed >>> 0;
  drawCounter = 0;
}

/** The global generator's position, to put back with `setRandomState` (see Runtime.trace). */
export function randomState(): [number, number] {
  return [globalSeed, drawCounter];
}

export function setRandomState([seed, counter]: readonly [number, number]): void {
  globalSeed = seed >>> 0;
  drawCounter = counter;
}

/** A fresh (k0, k1) key: explicit seeds give fixed keys; otherwise the global stream advances. */
export function randomKey(seed?: number): [number, number] {
  if (seed !== undefined) return [seed >>> 0, 0x85ebca6b];
  return [globalSeed, (++drawCounter * 0x9e3779b1) >>> 0];
}

export interface RandomOptions {
  seed?: number;
}

/** Fills a new f32 tensor from the counter-based generator (mode: see shaders/random.wgsl). */
export function randomFill(shape: Shape, mode: 0 | 1 | 2, a: number, b: number, key: [number, number]): Tensor {
  validateShape(shape, 'random');
  const t = new Tensor(shape, 'f32');
  runtime().dispatch({
    op: 'random', shader: 'random', entry: 'main',
    params: new Params().u32(t.size, key[0], key[1], mode).f32(a, b).u32(0, 0),
    buffers: [t.buffer], workgroups: grid(t.size, 256),
  });
  return t;
}

/** Uniform on [lo, hi). */
export function rand(shape: Shape, opts: RandomOptions & { lo?: number; hi?: number } = {}): Tensor {
  return randomFill(shape, 0, opts.lo ?? 0, opts.hi ?? 1, randomKey(opts.seed));
}

/** Normal with the given mean and standard deviation. */
export function randn(shape: Shape, opts: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  return randomFill(shape, 1, opts.mean ?? 0, opts.std ?? 1, randomKey(opts.seed));
}

/** Copies src's data into dst in place (same shape and dtype). Not recorded by autograd. */
export function assign(dst: Tensor, src: Tensor): Tensor {
  if (dst.dtype !== src.dtype || dst.size !== src.size) {
    throw new ShapeError(`assign: cannot copy ${src.describe()} into ${dst.describe()}`);
  }
  if (dst.size) runtime().copy(src.buffer, 0, dst.buffer, 0, dst.size * 4);
  return dst;
}
