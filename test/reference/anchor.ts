/** Float64 references for the ARBEx anchor computations. */
import { nd, type Nd } from './nd.js';

/** Returns [B, C+1]: per-class softmax mass t, then the nearest true-class anchor distance. */
export function anchorMatch(e: Nd, a: Nd, labels: readonly number[] | null, delta: number): Nd {
  const [B, D] = e.shape as [number, number];
  const [C, K] = a.shape as [number, number];
  const out = nd([B, C + 1]);
  for (let i = 0; i < B; i++) {
    const d: number[] = [];
    for (let j = 0; j < C * K; j++) {
      let s = 0;
      for (let x = 0; x < D; x++) s += (e.data[i * D + x]! - a.data[j * D + x]!) ** 2;
      d.push(Math.sqrt(s));
    }
    const logits = d.map((v) => -v / delta);
    const m = Math.max(...logits);
    const z = logits.reduce((acc, v) => acc + Math.exp(v - m), 0);
    for (let c = 0; c < C; c++) {
      let t = 0;
      for (let k = 0; k < K; k++) t += Math.exp(logits[c * K + k]! - m) / z;
      out.data[i * (C + 1) + c] = t;
    }
    const range = labels ? d.slice(labels[i]! * K, labels[i]! * K + K) : d;
    out.data[i * (C + 1) + C] = Math.min(...range);
  }
  return out;
}

export function anchorSeparationLoss(a: Nd, form: 'released' | 'margin', margin: number): Nd {
  const [C, K, D] = a.shape as [number, number, number];
  let s = 0;
  for (let c1 = 0; c1 < C; c1++)
    for (let c2 = 0; c2 < C; c2++) {
      if (c1 === c2) continue;
      for (let k = 0; k < K; k++) {
        let sq = 0;
        for (let x = 0; x < D; x++) sq += (a.data[(c1 * K + k) * D + x]! - a.data[(c2 * K + k) * D + x]!) ** 2;
        s += form === 'released' ? -sq : Math.max(0, margin - Math.sqrt(sq) / Math.sqrt(D)) ** 2;
      }
    }
  const scale = form === 'released' ? 1 / (K * K * Math.sqrt(D)) : 1 / (C * (C - 1) * K);
  return nd([], [s * scale]);
}
