/**
 * Padding modes for convolution modules: explicit sizes (PyTorch), or TensorFlow's 'valid' (none)
 * and 'same'. TF 'same' keeps ⌈in / stride⌉ outputs and pads
 * total = max((out − 1)·stride + (k − 1)·dilation + 1 − in, 0), with ⌊total / 2⌋ before and the
 * rest after — asymmetric (one more row/column at the bottom/right) whenever total is odd, e.g.
 * a 3×3 stride-2 conv on an even input. Symmetric padding there gives different numbers.
 */
import { ShapeError } from '../runtime/errors.js';

export type Pair = number | [number, number];

/** Explicit padding (rows, columns), or TF's 'same' / 'valid'. */
export type ConvPadding = Pair | 'same' | 'valid';

/** [before, after] along one axis under TF 'same'. */
export function samePadding(size: number, kernel: number, stride: number, dilation = 1): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

export function checkPadding(p: unknown, where: string): ConvPadding {
  if (p === 'same' || p === 'valid') return p;
  const ok = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0;
  if (ok(p) || (Array.isArray(p) && p.length === 2 && p.every(ok))) return p as Pair;
  throw new ShapeError(`${where}: padding must be a non-negative integer, a pair of them, 'same' or 'valid'; got ${JSON.stringify(p)}`);
}
