/** Movement: reshape (a view), permute, expand, slice, concat, pad — each with its backward. */
import { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { grid } from '../runtime/grid.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { collapseDims, contiguousStrides, numel, sameShape, validateShape, type Shape } from '../tensor/shape.js';
import { record } from '../autograd/graph.js';
import { zeros } from '../tensor/create.js';
import { sumTo } from './reduce.js';

function gather(x: Tensor, outShape: Shape, strides: readonly number[], offset: number, op: string): Tensor {
  const out = new Tensor(outShape, x.dtype);
  // Collapse against the output's own contiguous strides so runs that stay contiguous merge.
  const c = collapseDims(outShape, [strides, contiguousStrides(outShape)]);
  const r = c.shape.length;
  const fixed = r <= 4 ? (r <= 3 ? 3 : 4) : 0;
  const padTo = (v: number[], fill: number): number[] => [...Array(Math.max(0, fixed - v.length)).fill(fill), ...v];
  // 4 adjacent outputs per thread when no run crosses a row.
  const run = c.shape[r - 1]! % 4 === 0 ? 4 : 1;
  runtime().dispatch({
    op, shader: 'movement', entry: fixed === 3 ? 'gather3' : fixed === 4 ? 'gather4' : 'gather',
    params: new Params().u32(out.size, fixed || r, offset, 0, run, 0, 0, 0).u32Array(fixed ? padTo(c.shape, 1) : c.shape, 8, 1).u32Array(fixed ? padTo(c.strides[0]!, 0) : c.strides[0]!, 8),
    buffers: [x.buffer, out.buffer], workgroups: grid(out.size / run, 256),
  });
  return out;
}

/** Writes `src` into the strided region of `dst` (in place, no autograd). */
function scatterInto(dst: Tensor, src: Tensor, strides: readonly number[], offset: number, op: string): void {
  const c = collapseDims(src.shape, [strides, contiguousStrides(src.shape)]);
  const run = c.shape[c.shape.length - 1]! % 4 === 0 ? 4 : 1;
  runtime().dispatch({
    op, shader: 'movement', entry: 'scatter',
    params: new Params().u32(src.size, c.shape.length, offset, 0, run, 0, 0, 0).u32Array(c.shape, 8, 1).u32Array(c.strides[0]!, 8),
    buffers: [src.buffer, dst.buffer], workgroups: grid(src.size / run, 256),
  });
}

/** Same data, new shape; one dimension may be -1 (inferred). Shares storage. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const s = [...shape];
  const unknown = s.indexOf(-1);
  if (unknown >= 0) {
    const known = numel(s.filter((_, i) => i !== unknown));
    if (known === 0 || x.size % known !== 0) throw new ShapeError(`reshape: cannot infer -1 reshaping ${fmtShape(x.shape)} to ${fmtShape(shape)}`);
    s[unknown] = x.size / known;
  }
  validateShape(s, 'reshape');
  if (numel(s) !== x.size) throw new ShapeError(`reshape: ${fmtShape(x.shape)} (${x.size} elements) cannot become ${fmtShape(shape)} (${numel(s)} elements)`);
  if (sameShape(s, x.shape) && !x.requiresGrad) return x.view(s);
  return record(x.view(s), 'reshape', [x], (g) => [reshape(g, x.shape)]);
}

export const flatten = (x: Tensor, startDim = 0): Tensor => reshape(x, [...x.shape.slice(0, startDim), -1]);

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = axis < 0 ? axis + x.rank + 1 : axis;
  if (a < 0 || a > x.rank) throw new ShapeError(`unsqueeze: axis ${axis} out of range for ${fmtShape(x.shape)}`);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined) return reshape(x, x.shape.filter((d) => d !== 1));
  const a = axis < 0 ? axis + x.rank : axis;
  if (x.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${axis} of ${fmtShape(x.shape)} has size ${x.shape[a]}, expected 1`);
  return reshape(x, x.shape.filter((_, i) => i !== a));
}

/** Reorders axes: out.shape[i] = x.shape[perm[i]]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const p = perm.map((a) => (a < 0 ? a + x.rank : a));
  if (p.length !== x.rank || new Set(p).size !== p.length || p.some((a) => a < 0 || a >= x.rank)) {
    throw new ShapeError(`permute: [${perm.join(', ')}] is not a permutation of the ${x.rank} axes of ${fmtShape(x.shape)}`);
  }
  if (p.every((a, i) => a === i)) return reshape(x, x.shape);
  const st = contiguousStrides(x.shape);
  const out = gather(x, p.map((a) => x.shape[a]!), p.map((a) => st[a]!), 0, 'permute');
  const inv = new Array<number>(p.length);
  p.forEach((a, i) => (inv[a] = i));
  return record(out, 'permute', [x], (g) => [permute(g, inv)]);
}

/** Swaps two axes (default: the last two). */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const perm = [...x.shape.keys()];
  const i = a < 0 ? a + x.rank : a, j = b < 0 ? b + x.rank : b;
  [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  return permute(x, perm);
}

/** Broadcasts size-1 (or missing leading) dimensions up to `shape`, materialised. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const lead = shape.length - x.rank;
  if (lead < 0) throw new ShapeError(`expand: cannot expand ${fmtShape(x.shape)} to lower rank ${fmtShape(shape)}`);
  const st = contiguousStrides(x.shape);
  const strides = shape.map((d, i) => {
    const j = i - lead;
    if (j < 0) return 0;
    const xd = x.shape[j]!;
    if (xd === d) return xd === 1 ? 0 : st[j]!;
    if (xd === 1) return 0;
    throw new ShapeError(`expand: cannot expand ${fmtShape(x.shape)} to ${fmtShape(shape)} (dimension ${i}: ${xd} vs ${d})`);
  });
  if (sameShape(x.shape, shape)) return reshape(x, shape);
  const out = gather(x, shape, strides, 0, 'expand');
  return record(out, 'expand', [x], (g) => [sumTo(g, x.shape)]);
}

/**
 * x[starts[0]:ends[0]:steps[0], ...] per axis (missing axes: the whole axis, step 1); negative
 * starts and ends count from the end; steps are positive integers.
 */
export function slice(x: Tensor, starts: readonly number[], ends?: readonly number[], steps?: readonly number[]): Tensor {
  if (starts.length > x.rank || (ends && ends.length > x.rank) || (steps && steps.length > x.rank)) {
    throw new ShapeError(`slice: more bounds than the ${x.rank} axes of ${fmtShape(x.shape)}`);
  }
  const st = contiguousStrides(x.shape);
  const lo: number[] = [], shape: number[] = [], strides: number[] = [];
  x.shape.forEach((d, i) => {
    let s = starts[i] ?? 0;
    let e = ends?.[i] ?? d;
    const step = steps?.[i] ?? 1;
    if (s < 0) s += d;
    if (e < 0) e += d;
    if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e > d || s > e) {
      throw new ShapeError(`slice: axis ${i} range [${starts[i] ?? 0}, ${ends?.[i] ?? d}) is outside size ${d} of ${fmtShape(x.shape)}`);
    }
    if (!Number.isInteger(step) || step < 1) throw new ShapeError(`slice: axis ${i} step must be a positive integer, got ${step}`);
    lo.push(s);
    shape.push(Math.ceil((e - s) / step));
    strides.push(st[i]! * step);
  });
  const offset = lo.reduce((acc, s, i) => acc + s * st[i]!, 0);
  const out = gather(x, shape, strides, offset, 'slice');
  return record(out, 'slice', [x], (g) => {
    const gx = zeros(x.shape, g.dtype);
    scatterInto(gx, g, strides, offset, 'slice.backward');
    return [gx];
  });
}

/** Joins tensors along `axis`; all other dimensions must match. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ShapeError('concat: needs at least one tensor');
  const first = xs[0]!;
  const a = axis < 0 ? axis + first.rank : axis;
  if (a < 0 || a >= first.rank) throw new ShapeError(`concat: axis ${axis} out of range for ${fmtShape(first.shape)}`);
  xs.forEach((t, k) => {
    if (t.dtype !== first.dtype) throw new ShapeError(`concat: tensor ${k} is ${t.dtype}, tensor 0 is ${first.dtype}`);
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new ShapeError(`concat: tensor ${k} has shape ${fmtShape(t.shape)}, incompatible with ${fmtShape(first.shape)} along axis ${a}`);
    }
  });
  const shape = [...first.shape];
  shape[a] = xs.reduce((s, t) => s + t.shape[a]!, 0);
  const out = new Tensor(shape, first.dtype);
  const st = contiguousStrides(shape);
  let start = 0;
  const starts: number[] = [];
  for (const t of xs) {
    starts.push(start);
    if (t.size) scatterInto(out, t, st, start * st[a]!, 'concat');
    start += t.shape[a]!;
  }
  return record(out, 'concat', xs, (g) =>
    xs.map((t, k) => {
      if (!t.requiresGrad) return null;
      const s = new Array<number>(g.rank).fill(0);
      const e = [...g.shape];
      s[a] = starts[k]!;
      e[a] = starts[k]! + t.shape[a]!;
      return slice(g, s, e);
    }),
  );
}

export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  return concat(xs.map((t) => unsqueeze(t, axis)), axis);
}

/** Pads with a constant: `pads[i] = [before, after]` for axis i (missing axes: none). */
export function pad(x: Tensor, pads: readonly (readonly [number, number])[], value = 0): Tensor {
  if (pads.length > x.rank) throw new ShapeError(`pad: ${pads.length} pad pairs for the ${x.rank} axes of ${fmtShape(x.shape)}`);
  const before = x.shape.map((_, i) => pads[i]?.[0] ?? 0);
  const after = x.shape.map((_, i) => pads[i]?.[1] ?? 0);
  if ([...before, ...after].some((v) => !Number.isInteger(v) || v < 0)) throw new ShapeError(`pad: padding must be non-negative integers, got ${JSON.stringify(pads)}`);
  const shape = x.shape.map((d, i) => d + before[i]! + after[i]!);
  const out = new Tensor(shape, x.dtype);
  const bits = new Uint32Array(x.dtype === 'f32' ? new Float32Array([value]).buffer : new Int32Array([value]).buffer)[0]!;
  runtime().dispatch({
    op: 'pad', shader: 'movement', entry: 'pad',
    params: new Params().u32(out.size, shape.length, 0, bits, 1, 0, 0, 0).u32Array(shape, 8, 1).u32Array([], 8).u32Array(before, 8).u32Array(x.shape, 8, 1),
    buffers: [x.buffer, out.buffer], workgroups: grid(out.size, 256),
  });
  return record(out, 'pad', [x], (g) => [slice(g, before, before.map((b, i) => b + x.shape[i]!))]);
}
