/**
 * ARBEx's confidence of a distribution (reliability balancing): c(q) = 1 − H(q)/ln C with the
 * entropy H(q) = −Σ q ln q (q floored at 1e-8 inside the log), clamped to [floor, 1]; one value per
 * row of the last axis. A fused op with an explicit backward (shaders/confidence.wgsl): the same
 * values and gradient as the composition of clamp, log, mul, sum, affine and clamp, in 2 dispatches
 * instead of ~18.
 */
import { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { grid } from '../runtime/grid.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { record } from '../autograd/graph.js';

/** The floor of q inside the log (shader const Q_FLOOR). */
export const LOG_FLOOR = 1e-8;

/** q: [..., C] (C ≥ 2) → [..., 1]. */
export function entropyConfidence(q: Tensor, floor = 1e-6): Tensor {
  if (q.dtype !== 'f32') throw new ShapeError(`confidence: expected an f32 tensor, got ${q.describe()}`);
  const C = q.shape[q.rank - 1] ?? 0;
  if (q.rank < 1 || C < 2) throw new ShapeError(`confidence: needs at least 2 classes on the last axis, got ${fmtShape(q.shape)}`);
  if (!(floor >= 0 && floor <= 1)) throw new ShapeError(`confidence: floor must lie in [0, 1], got ${floor}`);
  const rows = q.size / C;
  const params = (): Params => new Params().u32(rows, C).f32(floor, 1 / Math.log(C));
  const c = new Tensor([...q.shape.slice(0, -1), 1], 'f32');
  runtime().dispatch({
    op: 'confidence', shader: 'confidence', entry: 'fwd',
    params: params(), buffers: [q.buffer, null, c.buffer], workgroups: grid(rows, 64),
  });
  return record(c, 'confidence', [q], (dc) => {
    const dq = new Tensor(q.shape, 'f32');
    runtime().dispatch({
      op: 'confidence.backward', shader: 'confidence', entry: 'bwd',
      params: params(), buffers: [q.buffer, dc.buffer, dq.buffer], workgroups: grid(rows, 64),
    });
    return [dq];
  });
}
