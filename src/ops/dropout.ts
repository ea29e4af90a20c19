/**
 * Dropout and drop-path (stochastic depth) with masks from the counter-based GPU generator
 * (shaders/dropout.wgsl). The mask is a pure function of (key, index), so backward regenerates it
 * from the saved key instead of storing it.
 */
import { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { grid } from '../runtime/grid.js';
import { ShapeError } from '../runtime/errors.js';
import { record } from '../autograd/graph.js';
import { randomKey } from '../tensor/create.js';
import { reshape } from './movement.js';

export interface DropoutOptions {
  /** Off (identity) unless true. */
  training: boolean;
  /** Fixed seed: the same seed gives the same mask. Default: the global random stream advances. */
  seed?: number;
}

function applyMask(x: Tensor, p: number, key: [number, number], inner: number, op: string): Tensor {
  const out = new Tensor(x.shape, 'f32');
  runtime().dispatch({
    op, shader: 'dropout', entry: 'apply',
    params: new Params().u32(x.size, key[0], key[1], inner).f32(p, p < 1 ? 1 / (1 - p) : 0).u32(0, 0),
    buffers: [x.buffer, out.buffer], workgroups: grid(x.size, 256),
  });
  return out;
}

function masked(x: Tensor, p: number, opts: DropoutOptions, inner: number, op: string): Tensor {
  if (x.dtype !== 'f32') throw new ShapeError(`${op}: expected an f32 tensor, got ${x.describe()}`);
  if (!(p >= 0 && p <= 1)) throw new ShapeError(`${op}: p must be in [0, 1], got ${p}`);
  if (!opts.training || p === 0 || x.size === 0) return reshape(x, x.shape);
  const key = randomKey(opts.seed);
  const y = applyMask(x, p, key, inner, op);
  return record(y, op, [x], (g) => [applyMask(g, p, key, inner, `${op}.backward`)]);
}

/** Zeroes each element with probability p and scales survivors by 1/(1−p) (training only). */
export function dropout(x: Tensor, p: number, opts: DropoutOptions): Tensor {
  return masked(x, p, opts, 1, 'dropout');
}

/**
 * Drop-path / stochastic depth: zeroes whole samples (axis 0) with probability p and scales
 * the kept ones by 1/(1−p) (training only). x: [B, ...].
 */
export function dropPath(x: Tensor, p: number, opts: DropoutOptions): Tensor {
  if (x.rank === 0) throw new ShapeError('dropPath: expected a batched tensor [B, ...], got a scalar');
  return masked(x, p, opts, Math.max(1, x.size / x.shape[0]!), 'dropPath');
}
