/** Shape arithmetic, broadcasting and host-side validation with readable messages. */
import { ShapeError, fmtShape } from '../runtime/errors.js';

export type Shape = readonly number[];

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function validateShape(shape: Shape, what: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`${what}: invalid shape ${fmtShape(shape)} (dimensions must be non-negative integers)`);
  }
  if (shape.length > 8) throw new ShapeError(`${what}: rank ${shape.length} exceeds the engine's maximum rank 8`);
}

/** NumPy broadcasting of two shapes; throws naming both. */
export function broadcastShapes(a: Shape, b: Shape, op: string): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast (dimension ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides of `shape` viewed as `outShape` under broadcasting: 0 where a dimension is broadcast. */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const st = contiguousStrides(shape);
  const off = outShape.length - shape.length;
  return outShape.map((_, i) => {
    const j = i - off;
    return j < 0 || shape[j] === 1 ? 0 : st[j]!;
  });
}

/** Normalises (possibly negative) axes for a tensor of `rank`; sorted, unique. */
export function normalizeAxes(axes: number | readonly number[] | undefined, rank: number, op: string): number[] {
  if (axes === undefined) return [...Array(rank).keys()];
  const list = typeof axes === 'number' ? [axes] : axes;
  const out = new Set<number>();
  for (const a of list) {
    if (!Number.isInteger(a) || a < -rank || a >= Math.max(rank, 1)) throw new ShapeError(`${op}: axis ${a} is out of range for rank ${rank}`);
    out.add(a < 0 ? a + rank : a);
  }
  return [...out].sort((x, y) => x - y);
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function assertShape(actual: Shape, expected: Shape, what: string): void {
  if (!sameShape(actual, expected)) throw new ShapeError(`${what}: expected shape ${fmtShape(expected)}, got ${fmtShape(actual)}`);
}

/**
 * Merges adjacent dimensions that every operand walks the same way (contiguously, or all
 * broadcast), and drops size-1 dimensions. Index arithmetic in kernels costs an integer division
 * per dimension — slow on many adapters — so fewer dimensions means faster strided kernels.
 * Returns the collapsed shape and the matching strides of each operand (at least rank 1).
 */
export function collapseDims(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d]!;
    if (size === 1) continue;
    const last = outShape.length - 1;
    const mergeable = last >= 0 && strides.every((s, k) => outStrides[k]![last] === s[d]! * size);
    if (mergeable) {
      outShape[last] = outShape[last]! * size;
      strides.forEach((s, k) => (outStrides[k]![last] = s[d]!));
    } else {
      outShape.push(size);
      strides.forEach((s, k) => outStrides[k]!.push(s[d]!));
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: outShape, strides: outStrides };
}
