/** Reductions: sum, mean, max (differentiable), argmax; and sumTo, the adjoint of broadcasting. */
import { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { grid } from '../runtime/grid.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { normalizeAxes, numel, sameShape, type Shape } from '../tensor/shape.js';
import { record } from '../autograd/graph.js';
import { expand, permute, reshape } from './movement.js';
import { div, eq, mul } from './elementwise.js';

type Kind = 'sum' | 'max' | 'argmax';

function reducedShape(shape: Shape, axes: number[], keepDims: boolean): number[] {
  return keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

/** Launches the reduction of `axes` of x (no autograd). `scale` multiplies the result. */
function launchReduce(x: Tensor, axes: number[], kind: Kind, scale: number, op: string): Tensor {
  if (x.dtype !== 'f32') throw new ShapeError(`${op}: expected an f32 tensor, got ${x.describe()}`);
  for (const a of axes) if (x.shape[a] === 0) throw new ShapeError(`${op}: cannot reduce over empty axis ${a} of ${fmtShape(x.shape)}`);
  const contiguous = axes.every((a, i) => i === 0 || a === axes[i - 1]! + 1);
  let src = x;
  let outer: number, r: number, inner: number;
  if (contiguous) {
    const a0 = axes[0]!, a1 = axes[axes.length - 1]!;
    outer = numel(x.shape.slice(0, a0));
    r = numel(x.shape.slice(a0, a1 + 1));
    inner = numel(x.shape.slice(a1 + 1));
  } else {
    // Move the reduced axes last (one copy), then reduce rows.
    const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    src = permute(x, [...kept, ...axes]);
    outer = numel(kept.map((i) => x.shape[i]!));
    r = numel(axes.map((i) => x.shape[i]!));
    inner = 1;
  }
  const count = outer * inner;
  const out = new Tensor([count], kind === 'argmax' ? 'i32' : 'f32');
  // A workgroup per row (tree reduction with barriers) pays off only for long rows; many short
  // rows go one thread per row (the column kernel with inner = 1), which has no barriers.
  const rowWise = inner === 1 && (r >= 4096 || outer * 16 <= r);
  const entry = kind === 'argmax' ? (rowWise ? 'row_argmax' : 'col_argmax') : rowWise ? 'row_reduce' : 'col_reduce';
  runtime().dispatch({
    op, shader: 'reduce', entry, constants: kind === 'argmax' ? undefined : { OP: kind === 'max' ? 1 : 0 },
    params: new Params().u32(outer, r, inner).f32(scale),
    buffers: kind === 'argmax' ? [src.buffer, null, out.buffer] : [src.buffer, out.buffer],
    workgroups: rowWise ? grid(count, 1) : grid(count, 256),
  });
  if (src !== x) src.dispose();
  return out;
}

export interface ReduceOptions {
  keepDims?: boolean;
}

function reduceImpl(x: Tensor, axesArg: number | readonly number[] | undefined, kind: 'sum' | 'max', mean: boolean, opts: ReduceOptions, op: string): Tensor {
  const axes = normalizeAxes(axesArg, x.rank, op);
  const keepShape = reducedShape(x.shape, axes, true);
  const outShape = reducedShape(x.shape, axes, opts.keepDims ?? false);
  if (axes.length === 0) return x.view(x.shape);
  const r = numel(axes.map((a) => x.shape[a]!));
  const flat = launchReduce(x, axes, kind, mean ? 1 / r : 1, op);
  const out = flat.view(outShape);
  flat.dispose();
  if (kind === 'sum') {
    return record(out, op, [x], (g) => [expand(reshape(mean ? mul(g, 1 / r) : g, keepShape), x.shape)]);
  }
  return record(out, op, [x], (g) => {
    // Ties share the gradient equally (like torch.amax).
    const mask = eq(x, expand(out.view(keepShape), x.shape));
    const count = sumRaw(mask, axes);
    return [mul(expand(div(reshape(g, keepShape), count.view(keepShape)), x.shape), mask)];
  });
}

function sumRaw(x: Tensor, axes: number[]): Tensor {
  return launchReduce(x, axes, 'sum', 1, 'sum');
}

export function sum(x: Tensor, axes?: number | readonly number[], opts: ReduceOptions = {}): Tensor {
  return reduceImpl(x, axes, 'sum', false, opts, 'sum');
}

export function mean(x: Tensor, axes?: number | readonly number[], opts: ReduceOptions = {}): Tensor {
  return reduceImpl(x, axes, 'sum', true, opts, 'mean');
}

export function max(x: Tensor, axes?: number | readonly number[], opts: ReduceOptions = {}): Tensor {
  return reduceImpl(x, axes, 'max', false, opts, 'max');
}

/** Index (i32) of the first maximum along one axis, or over the flattened tensor. */
export function argmax(x: Tensor, axis?: number, opts: ReduceOptions = {}): Tensor {
  if (axis === undefined) {
    const flat = x.view([x.size]);
    const out = launchReduce(flat, [0], 'argmax', 1, 'argmax');
    flat.dispose();
    const shaped = out.view(opts.keepDims ? x.shape.map(() => 1) : []);
    out.dispose();
    return shaped;
  }
  const axes = normalizeAxes(axis, x.rank, 'argmax');
  const out = launchReduce(x, axes, 'argmax', 1, 'argmax');
  const shaped = out.view(reducedShape(x.shape, axes, opts.keepDims ?? false));
  out.dispose();
  return shaped;
}

/** Sums `g` down to `shape` (the adjoint of broadcasting `shape` up to g.shape). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  if (lead < 0) throw new ShapeError(`sumTo: cannot reduce ${fmtShape(g.shape)} to larger rank ${fmtShape(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead) axes.push(i);
    else if (shape[i - lead] === 1 && g.shape[i] !== 1) axes.push(i);
    else if (shape[i - lead] !== g.shape[i]) throw new ShapeError(`sumTo: ${fmtShape(g.shape)} is not a broadcast of ${fmtShape(shape)}`);
  }
  return reshape(axes.length ? sum(g, axes) : g, shape);
}
