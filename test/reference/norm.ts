/** Float64 references for batch normalisation and PReLU (plain loops over channels). */
import { nd, type Nd } from './nd.js';

function layout(x: Nd): { n: number; c: number; inner: number } {
  return { n: x.shape[0]!, c: x.shape[1]!, inner: x.shape.slice(2).reduce((a, b) => a * b, 1) };
}

export interface BnStats { mean: Float64Array; biasedVar: Float64Array }

export function batchStats(x: Nd): BnStats {
  const { n, c, inner } = layout(x);
  const mean = new Float64Array(c), v = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let i = 0; i < n; i++) for (let k = 0; k < inner; k++) s += x.data[(i * c + ch) * inner + k]!;
    mean[ch] = s / (n * inner);
    let q = 0;
    for (let i = 0; i < n; i++) for (let k = 0; k < inner; k++) q += (x.data[(i * c + ch) * inner + k]! - mean[ch]!) ** 2;
    v[ch] = q / (n * inner);
  }
  return { mean, biasedVar: v };
}

/** y = (x − mean)/√(var + eps)·w + b with the given per-channel statistics. */
export function normalize(x: Nd, mean: ArrayLike<number>, variance: ArrayLike<number>, w: Nd | null, b: Nd | null, eps: number): Nd {
  const { n, c, inner } = layout(x);
  const out = nd(x.shape);
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < c; ch++)
      for (let k = 0; k < inner; k++) {
        const j = (i * c + ch) * inner + k;
        out.data[j] = ((x.data[j]! - mean[ch]!) / Math.sqrt(variance[ch]! + eps)) * (w ? w.data[ch]! : 1) + (b ? b.data[ch]! : 0);
      }
  return out;
}

export function batchNormTrain(x: Nd, w: Nd | null, b: Nd | null, eps = 1e-5): Nd {
  const s = batchStats(x);
  return normalize(x, s.mean, s.biasedVar, w, b, eps);
}

export function prelu(x: Nd, alpha: Nd): Nd {
  const c = alpha.data.length;
  const inner = c === 1 ? 1 : x.shape.slice(2).reduce((a, b) => a * b, 1);
  const out = nd(x.shape);
  for (let i = 0; i < x.data.length; i++) {
    const v = x.data[i]!;
    const a = alpha.data[c === 1 ? 0 : Math.floor(i / inner) % c]!;
    out.data[i] = v > 0 ? v : a * v;
  }
  return out;
}
