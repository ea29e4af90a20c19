/** Integer-indexed gathers: pick one entry per row, gather table rows (with their adjoints). */
import { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { grid } from '../runtime/grid.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { record } from '../autograd/graph.js';
import { tensor } from '../tensor/create.js';

const NAN_BITS = 0x7fc00000;

/** Accepts index tensors (i32) or host arrays; host arrays are range-checked before upload. */
export function asIndex(idx: Tensor | Int32Array | readonly number[], limit: number, what: string): Tensor {
  if (idx instanceof Tensor) {
    if (idx.dtype !== 'i32') throw new ShapeError(`${what}: indices must be i32, got ${idx.describe()}`);
    return idx;
  }
  const arr = idx instanceof Int32Array ? idx : Int32Array.from(idx);
  arr.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0 || v >= limit) throw new ShapeError(`${what}: index ${v} at position ${i} is outside [0, ${limit})`);
  });
  return tensor(arr, [arr.length]);
}

/** out[r] = x[r, idx[r]] for x of shape [R, C]. Out-of-range indices in a tensor give NaN. */
export function pick(x: Tensor, index: Tensor | Int32Array | readonly number[]): Tensor {
  if (x.rank !== 2) throw new ShapeError(`pick: expected x of shape [rows, cols], got ${fmtShape(x.shape)}`);
  const [R, C] = x.shape as [number, number];
  const idx = asIndex(index, C, 'pick');
  if (idx.rank !== 1 || idx.shape[0] !== R) throw new ShapeError(`pick: expected ${R} indices (one per row of ${fmtShape(x.shape)}), got shape ${fmtShape(idx.shape)}`);
  const out = new Tensor([R], 'f32');
  runtime().dispatch({
    op: 'pick', shader: 'index', entry: 'pick', params: new Params().u32(R, C, 0, NAN_BITS),
    buffers: [x.buffer, idx.buffer, out.buffer], workgroups: grid(R, 256),
  });
  return record(out, 'pick', [x], (g) => {
    const gx = new Tensor([R, C], 'f32');
    runtime().dispatch({
      op: 'pick.backward', shader: 'index', entry: 'pick_backward', params: new Params().u32(R, C, 0, NAN_BITS),
      buffers: [g.buffer, idx.buffer, gx.buffer], workgroups: grid(R * C, 256),
    });
    return [gx];
  });
}

/** out[i, :] = table[idx[i], :] for a table [V, D]; idx may have any shape (out: [...idx, D]). */
export function gatherRows(table: Tensor, index: Tensor | Int32Array | readonly number[]): Tensor {
  if (table.rank !== 2) throw new ShapeError(`gatherRows: expected a table of shape [rows, width], got ${fmtShape(table.shape)}`);
  const [V, D] = table.shape as [number, number];
  const idx = asIndex(index, V, 'gatherRows');
  const n = idx.size;
  const out = new Tensor([...idx.shape, D], 'f32');
  runtime().dispatch({
    op: 'gatherRows', shader: 'index', entry: 'gather_rows', params: new Params().u32(n, D, V, NAN_BITS),
    buffers: [table.buffer, idx.buffer, out.buffer], workgroups: grid(n * D, 256),
  });
  return record(out, 'gatherRows', [table], (g) => {
    const gt = new Tensor([V, D], 'f32');
    runtime().dispatch({
      op: 'gatherRows.backward', shader: 'index', entry: 'gather_rows_backward', params: new Params().u32(n, D, V, NAN_BITS),
      buffers: [g.buffer, idx.buffer, gt.buffer], workgroups: grid(V * D, 256),
    });
    return [gt];
  });
}
