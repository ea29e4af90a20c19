/** Float64 reference implementations of the engine-core ops (the test oracle). */
import { nd, ravel, unravel, type Nd } from './nd.js';

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error('reference: not broadcastable');
    out.push(Math.max(da, db) === 1 ? 1 : da === 1 ? db : da);
  }
  return out;
}

/** Value of `x` at output multi-index `idx` under broadcasting. */
function bget(x: Nd, idx: readonly number[]): number {
  const off = idx.length - x.shape.length;
  const j = x.shape.map((d, k) => (d === 1 ? 0 : idx[k + off]!));
  return x.data[ravel(j, x.shape)]!;
}

export function map(x: Nd, f: (v: number) => number): Nd {
  const out = nd(x.shape);
  for (let i = 0; i < x.data.length; i++) out.data[i] = f(x.data[i]!);
  return out;
}

export function zip(a: Nd, b: Nd, f: (x: number, y: number) => number): Nd {
  const shape = broadcastShape(a.shape, b.shape);
  const out = nd(shape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape);
    out.data[i] = f(bget(a, idx), bget(b, idx));
  }
  return out;
}

export function where(c: Nd, a: Nd, b: Nd): Nd {
  const shape = broadcastShape(broadcastShape(c.shape, a.shape), b.shape);
  const out = nd(shape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape);
    out.data[i] = bget(c, idx) !== 0 ? bget(a, idx) : bget(b, idx);
  }
  return out;
}

/** erf to double precision: Taylor series near 0, continued fraction for erfc in the tails. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = ax, sum = ax;
    for (let n = 1; n < 80; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) (Lentz-free backward form)
  let f = 0;
  for (let k = 60; k >= 1; k--) f = (k / 2) / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}

export const gelu = (v: number): number => 0.5 * v * (1 + erf(v / Math.SQRT2));
export const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

export function reduce(x: Nd, axes: readonly number[], kind: 'sum' | 'mean' | 'max', keepDims = false): Nd {
  const keepShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = nd(keepShape);
  out.data.fill(kind === 'max' ? -Infinity : 0);
  let count = 1;
  for (const a of axes) count *= x.shape[a]!;
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape).map((v, d) => (axes.includes(d) ? 0 : v));
    const o = ravel(idx, keepShape);
    out.data[o] = kind === 'max' ? Math.max(out.data[o]!, x.data[i]!) : out.data[o]! + x.data[i]!;
  }
  if (kind === 'mean') for (let i = 0; i < out.data.length; i++) out.data[i]! /= count;
  return keepDims ? out : { shape: x.shape.filter((_, i) => !axes.includes(i)), data: out.data };
}

export function argmax(x: Nd, axis: number): Nd {
  const outShape = x.shape.filter((_, i) => i !== axis);
  const out = nd(outShape);
  const best = new Float64Array(out.data.length).fill(-Infinity);
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape);
    const o = ravel(idx.filter((_, d) => d !== axis), outShape);
    if (x.data[i]! > best[o]!) {
      best[o] = x.data[i]!;
      out.data[o] = idx[axis]!;
    }
  }
  return out;
}

export function permute(x: Nd, perm: readonly number[]): Nd {
  const shape = perm.map((p) => x.shape[p]!);
  const out = nd(shape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape);
    const src = new Array<number>(x.shape.length);
    perm.forEach((p, k) => (src[p] = idx[k]!));
    out.data[i] = x.data[ravel(src, x.shape)]!;
  }
  return out;
}

export function slice(x: Nd, starts: readonly number[], ends: readonly number[], steps: readonly number[] = []): Nd {
  const shape = x.shape.map((d, i) => Math.ceil(((ends[i] ?? d) - (starts[i] ?? 0)) / (steps[i] ?? 1)));
  const out = nd(shape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape).map((v, d) => (starts[d] ?? 0) + v * (steps[d] ?? 1));
    out.data[i] = x.data[ravel(idx, x.shape)]!;
  }
  return out;
}

export function concat(xs: readonly Nd[], axis: number): Nd {
  const shape = [...xs[0]!.shape];
  shape[axis] = xs.reduce((s, t) => s + t.shape[axis]!, 0);
  const out = nd(shape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape);
    let k = 0, a = idx[axis]!;
    while (a >= xs[k]!.shape[axis]!) a -= xs[k++]!.shape[axis]!;
    const src = [...idx];
    src[axis] = a;
    out.data[i] = xs[k]!.data[ravel(src, xs[k]!.shape)]!;
  }
  return out;
}

export function pad(x: Nd, pads: readonly (readonly [number, number])[], value: number): Nd {
  const shape = x.shape.map((d, i) => d + (pads[i]?.[0] ?? 0) + (pads[i]?.[1] ?? 0));
  const out = nd(shape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape).map((v, d) => v - (pads[d]?.[0] ?? 0));
    out.data[i] = idx.every((v, d) => v >= 0 && v < x.shape[d]!) ? x.data[ravel(idx, x.shape)]! : value;
  }
  return out;
}

export function expand(x: Nd, shape: readonly number[]): Nd {
  const out = nd(shape);
  for (let i = 0; i < out.data.length; i++) out.data[i] = bget(x, unravel(i, shape));
  return out;
}

/** Batched matmul with broadcasting batch dims; transposes swap the last two axes. */
export function matmul(a: Nd, b: Nd, transA = false, transB = false): Nd {
  const ar = a.shape.length, br = b.shape.length;
  const M = transA ? a.shape[ar - 1]! : a.shape[ar - 2]!;
  const K = transA ? a.shape[ar - 2]! : a.shape[ar - 1]!;
  const N = transB ? b.shape[br - 2]! : b.shape[br - 1]!;
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const out = nd([...batch, M, N]);
  const nb = batch.reduce((x, y) => x * y, 1);
  for (let bi = 0; bi < nb; bi++) {
    const bidx = unravel(bi, batch);
    const aoff = ravel(bidx.slice(bidx.length - (ar - 2)).map((v, k) => (a.shape[k] === 1 ? 0 : v)), a.shape.slice(0, -2)) * M * K;
    const boff = ravel(bidx.slice(bidx.length - (br - 2)).map((v, k) => (b.shape[k] === 1 ? 0 : v)), b.shape.slice(0, -2)) * K * N;
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const av = a.data[aoff + (transA ? k * M + m : m * K + k)]!;
          const bv = b.data[boff + (transB ? n * K + k : k * N + n)]!;
          s += av * bv;
        }
        out.data[(bi * M + m) * N + n] = s;
      }
  }
  return out;
}

/** Softmax (or log-softmax) over the last axis. */
export function softmax(x: Nd, log = false): Nd {
  const C = x.shape[x.shape.length - 1]!;
  const out = nd(x.shape);
  for (let r = 0; r < x.data.length / C; r++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, x.data[r * C + c]!);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(x.data[r * C + c]! - m);
    for (let c = 0; c < C; c++) {
      const v = x.data[r * C + c]! - m;
      out.data[r * C + c] = log ? v - Math.log(s) : Math.exp(v) / s;
    }
  }
  return out;
}

/** Mean (or class-weighted mean) cross-entropy of logits [B, C] with integer labels. */
export function crossEntropy(logits: Nd, labels: readonly number[], weights?: readonly number[]): Nd {
  const [B, C] = logits.shape as [number, number];
  const lsm = softmax(logits, true);
  let num = 0, den = 0;
  for (let i = 0; i < B; i++) {
    const w = weights ? weights[labels[i]!]! : 1;
    num += -w * lsm.data[i * C + labels[i]!]!;
    den += w;
  }
  return nd([], [num / den]);
}
