/**
 * Window helpers for Swin-style window attention and token bookkeeping, all composed from
 * differentiable movement ops (reshape, permute, expand, concat, gatherRows):
 * window partition/reverse, the relative-position index and bias, and CLS-token prepending.
 */
import { Tensor } from '../tensor/tensor.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { concat, expand, permute, reshape } from './movement.js';
import { gatherRows } from './index-ops.js';
import { composite } from '../autograd/graph.js';

function checkWindow(w: number, Hs: number, Ws: number, op: string, shape: readonly number[]): void {
  if (!Number.isInteger(w) || w < 1) throw new ShapeError(`${op}: window size must be a positive integer, got ${w}`);
  if (Hs % w !== 0 || Ws % w !== 0) {
    throw new ShapeError(`${op}: window ${w}×${w} does not tile the ${Hs}×${Ws} map of ${fmtShape(shape)} (${w} must divide both sides)`);
  }
}

/** [B, Hs, Ws, C] → [B·nW, w·w, C], windows in row-major order of the map, tokens row-major inside. */
export function windowPartition(x: Tensor, w: number): Tensor {
  if (x.rank !== 4) throw new ShapeError(`windowPartition: expected [B, H, W, C], got ${fmtShape(x.shape)}`);
  const [B, Hs, Ws, C] = x.shape as [number, number, number, number];
  checkWindow(w, Hs, Ws, 'windowPartition', x.shape);
  const nh = Hs / w, nw = Ws / w;
  // With one window per row of windows the permute below only moves a size-1 axis: a reshape.
  if (nw === 1) return reshape(x, [B * nh, w * w, C]);
  return composite([x], () => reshape(permute(reshape(x, [B, nh, w, nw, w, C]), [0, 1, 3, 2, 4, 5]), [B * nh * nw, w * w, C]));
}

/** Inverse of windowPartition: [B·nW, w·w, C] → [B, Hs, Ws, C]. */
export function windowReverse(windows: Tensor, w: number, Hs: number, Ws: number): Tensor {
  if (windows.rank !== 3) throw new ShapeError(`windowReverse: expected [B·nW, w·w, C], got ${fmtShape(windows.shape)}`);
  checkWindow(w, Hs, Ws, 'windowReverse', windows.shape);
  const [BW, T, C] = windows.shape as [number, number, number];
  const nh = Hs / w, nw = Ws / w;
  if (T !== w * w || BW % (nh * nw) !== 0) {
    throw new ShapeError(`windowReverse: ${fmtShape(windows.shape)} is not a set of ${w}×${w} windows of a ${Hs}×${Ws} map`);
  }
  const B = BW / (nh * nw);
  if (nw === 1) return reshape(windows, [B, Hs, Ws, C]);
  return composite([windows], () => reshape(permute(reshape(windows, [B, nh, nw, w, w, C]), [0, 1, 3, 2, 4, 5]), [B, Hs, Ws, C]));
}

const indexCache = new Map<number, Int32Array>();

/**
 * Swin relative-position index for a w×w window: entry [i·w² + j] (tokens i, j row-major) is
 * (Δy + w − 1)·(2w − 1) + (Δx + w − 1) with Δ = pos(i) − pos(j), an index into a
 * [(2w−1)², H] bias table.
 */
export function relativePositionIndex(w: number): Int32Array {
  if (!Number.isInteger(w) || w < 1) throw new ShapeError(`relativePositionIndex: window size must be a positive integer, got ${w}`);
  const cached = indexCache.get(w);
  if (cached) return cached;
  const n = w * w, span = 2 * w - 1;
  const idx = new Int32Array(n * n);
  for (let i = 0; i < n; i++) {
    const yi = Math.floor(i / w), xi = i % w;
    for (let j = 0; j < n; j++) {
      const yj = Math.floor(j / w), xj = j % w;
      idx[i * n + j] = (yi - yj + w - 1) * span + (xi - xj + w - 1);
    }
  }
  indexCache.set(w, idx);
  return idx;
}

/** Bias [H, w², w²] gathered from table [(2w−1)², H]; differentiable with respect to the table. */
export function relativePositionBias(table: Tensor, w: number): Tensor {
  const idx = relativePositionIndex(w);
  const rows = (2 * w - 1) ** 2;
  if (table.rank !== 2 || table.shape[0] !== rows) {
    throw new ShapeError(`relativePositionBias: for window ${w} the table must be [${rows}, H], got ${fmtShape(table.shape)}`);
  }
  const H = table.shape[1]!;
  const n = w * w;
  return composite([table], () => permute(reshape(gatherRows(table, idx), [n, n, H]), [2, 0, 1]));
}

/** Joins token sets along axis 1; a batch-1 set is broadcast to the others' batch. */
export function concatTokens(sets: readonly Tensor[]): Tensor {
  if (sets.length === 0) throw new ShapeError('concatTokens: needs at least one token set');
  const B = Math.max(...sets.map((t) => t.shape[0] ?? 1));
  const D = sets[0]!.shape[2];
  for (const t of sets) {
    if (t.rank !== 3 || t.shape[2] !== D || (t.shape[0] !== B && t.shape[0] !== 1)) {
      throw new ShapeError(`concatTokens: expected [B or 1, N, D] token sets, got ${sets.map((s) => fmtShape(s.shape)).join(', ')}`);
    }
  }
  return composite(sets, () => concat(sets.map((t) => (t.shape[0] === B ? t : expand(t, [B, t.shape[1]!, D!]))), 1));
}

/** CLS prepend: cls [1, 1, D] and x [B, N, D] → [B, N + 1, D]. */
export function prependToken(cls: Tensor, x: Tensor): Tensor {
  if (cls.rank !== 3 || cls.shape[0] !== 1 || cls.shape[1] !== 1 || x.rank !== 3 || cls.shape[2] !== x.shape[2]) {
    throw new ShapeError(`prependToken: expected cls [1, 1, D] and tokens [B, N, D], got ${fmtShape(cls.shape)} and ${fmtShape(x.shape)}`);
  }
  return concatTokens([cls, x]);
}
