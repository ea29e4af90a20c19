/** Softmax and log-softmax along one axis (fused forward and fused backward kernels). */
import { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { grid } from '../runtime/grid.js';
import { ShapeError } from '../runtime/errors.js';
import { record } from '../autograd/graph.js';
import { transpose } from './movement.js';

function launch(entry: 'forward' | 'backward', log: boolean, x: Tensor, g: Tensor | null, op: string): Tensor {
  const cols = x.shape[x.rank - 1] ?? 1;
  const rows = x.size / Math.max(cols, 1);
  const out = new Tensor(x.shape, 'f32');
  runtime().dispatch({
    op, shader: 'softmax', entry, constants: { LOG: log ? 1 : 0 },
    params: new Params().u32(rows, cols, 0, 0),
    buffers: [x.buffer, g ? g.buffer : null, out.buffer],
    workgroups: grid(rows, 1),
  });
  return out;
}

function softmaxImpl(x: Tensor, axis: number, log: boolean): Tensor {
  const op = log ? 'logSoftmax' : 'softmax';
  if (x.dtype !== 'f32') throw new ShapeError(`${op}: expected an f32 tensor, got ${x.describe()}`);
  if (x.rank === 0) throw new ShapeError(`${op}: needs at least one axis`);
  const a = axis < 0 ? axis + x.rank : axis;
  if (a < 0 || a >= x.rank) throw new ShapeError(`${op}: axis ${axis} out of range for rank ${x.rank}`);
  if (a !== x.rank - 1) {
    // Move the axis last and back; both transposes carry their own backward.
    return transpose(softmaxImpl(transpose(x, a, -1), -1, log), a, -1);
  }
  const y = launch('forward', log, x, null, op);
  return record(y, op, [x], (g) => [launch('backward', log, y, g, `${op}.backward`)]);
}

export const softmax = (x: Tensor, axis = -1): Tensor => softmaxImpl(x, axis, false);
export const logSoftmax = (x: Tensor, axis = -1): Tensor => softmaxImpl(x, axis, true);
