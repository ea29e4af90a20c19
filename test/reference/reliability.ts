/** Float64 reference of ARBEx reliability balancing and its losses (written from the formulas). */
import { nd, type Nd } from './nd.js';
import { anchorMatch } from './anchor.js';

const rows = (x: Nd): number[][] => {
  const [B, C] = x.shape as [number, number];
  return Array.from({ length: B }, (_, i) => Array.from(x.data.subarray(i * C, i * C + C)));
};
const softmax = (v: number[]): number[] => {
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};
export const confidence = (q: number[], floor = 1e-6): number => {
  const h = -q.reduce((acc, v) => acc + v * Math.log(Math.min(1, Math.max(1e-8, v))), 0);
  return Math.min(1, Math.max(floor, 1 - h / Math.log(q.length)));
};
/** e·Wᵀ for W in Linear layout [J, D]. */
const matvec = (e: number[], w: Nd): number[] => {
  const [J, D] = w.shape as [number, number];
  return Array.from({ length: J }, (_, j) => e.reduce((acc, v, d) => acc + v * w.data[j * D + d]!, 0));
};

export function attentionCorrection(e: Nd, wq: Nd, wk: Nd, wv: Nd, C: number, K: number, scope: 'batch' | 'sample', heads: number): number[][] {
  const E = rows(e);
  const B = E.length, J = C * K;
  const Q = E.map((x) => matvec(x, wq)), Kk = E.map((x) => matvec(x, wk)), V = E.map((x) => matvec(x, wv));
  const out: number[][] = Array.from({ length: B }, () => new Array<number>(J).fill(0));
  if (scope === 'batch') {
    const dh = J / heads;
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < B; i++) {
        const logits = Array.from({ length: B }, (_, j) => {
          let s = 0;
          for (let x = 0; x < dh; x++) s += Q[i]![h * dh + x]! * Kk[j]![h * dh + x]!;
          return s / Math.sqrt(dh);
        });
        const a = softmax(logits);
        for (let x = 0; x < dh; x++) out[i]![h * dh + x] = a.reduce((acc, w, j) => acc + w * V[j]![h * dh + x]!, 0);
      }
  } else {
    for (let i = 0; i < B; i++)
      for (let s = 0; s < J; s++) {
        const a = softmax(Array.from({ length: J }, (_, r) => Q[i]![s]! * Kk[i]![r]!));
        out[i]![s] = a.reduce((acc, w, r) => acc + w * V[i]![r]!, 0);
      }
  }
  return out.map((o) => {
    const sm = softmax(o);
    return Array.from({ length: C }, (_, c) => sm.slice(c * K, c * K + K).reduce((a, b) => a + b, 0));
  });
}

export interface RbRef {
  corrected: number[][];
  cp: number[];
  dmin: number[];
}

export function reliabilityBalance(
  logits: Nd, e: Nd, anchors: Nd, wq: Nd, wk: Nd, wv: Nd, labels: number[], delta: number, scope: 'batch' | 'sample', heads: number, tau: number,
  /** The embedding the attention branch reads (default e; the model's 'sphere' space passes the raw one). */
  eAttention: Nd = e,
): RbRef {
  const [C, K] = anchors.shape as [number, number];
  const P = rows(logits).map(softmax);
  const tm = rows(anchorMatch(e, anchors, labels, delta));
  const T = tm.map((r) => r.slice(0, C));
  const dmin = tm.map((r) => r[C]!);
  const Vc = attentionCorrection(eAttention, wq, wk, wv, C, K, scope, heads);
  const corrected = P.map((p, i) => {
    const t = T[i]!, v = Vc[i]!;
    const cp = confidence(p), ct = confidence(t), cv = confidence(v);
    return p.map((pc, c) => {
      const r = (ct * t[c]! + cv * v[c]!) / (ct + cv);
      const q = cp * pc + (1 - cp) * r;
      return (1 - tau) * pc + tau * q;
    });
  });
  return { corrected, cp: P.map((p) => confidence(p)), dmin };
}

/** Rows of x (last axis) scaled to length √D, D = the row length (the 'sphere' anchor space). */
export function onSphere(x: Nd): Nd {
  const D = x.shape[x.shape.length - 1]!;
  const out = nd(x.shape, x.data);
  for (let r = 0; r < x.data.length / D; r++) {
    let ss = 0;
    for (let d = 0; d < D; d++) ss += x.data[r * D + d]! ** 2;
    const f = Math.sqrt(D) / Math.sqrt(ss + 1e-12);
    for (let d = 0; d < D; d++) out.data[r * D + d] = x.data[r * D + d]! * f;
  }
  return out;
}

const weightedNll = (dists: number[][], labels: number[], weights: number[]): number => {
  let num = 0, den = 0;
  dists.forEach((q, i) => {
    const w = weights[labels[i]!]!;
    num += -w * Math.log(Math.min(1, Math.max(1e-8, q[labels[i]!]!)));
    den += w;
  });
  return num / den;
};

/**
 * Total ARBEx loss (released anchor form unless `margin` given). `sphere` maps e and the anchors
 * onto the radius-√D sphere first (δ scaled by √D); `primary` adds that weight × NLL of p.
 */
export function arbexLoss(
  logits: Nd, e0: Nd, anchors0: Nd, wq: Nd, wk: Nd, wv: Nd, labels: number[], weights: number[], tau: number,
  opts: { delta: number; scope: 'batch' | 'sample'; heads: number; lambdas: [number, number, number]; form: 'released' | 'margin'; margin: number; sphere?: boolean; primary?: number },
  anchorLoss: (a: Nd, form: 'released' | 'margin', m: number) => Nd,
): Nd {
  const D = e0.shape[1]!;
  const e = opts.sphere ? onSphere(e0) : e0;
  const anchors = opts.sphere ? onSphere(anchors0) : anchors0;
  const delta = opts.sphere ? opts.delta * Math.sqrt(D) : opts.delta;
  const rb = reliabilityBalance(logits, e, anchors, wq, wk, wv, labels, delta, opts.scope, opts.heads, tau, e0);
  const primary = opts.primary ? opts.primary * weightedNll(rows(logits).map(softmax), labels, weights) : 0;
  const center = rb.cp.reduce((acc, c, i) => acc + c * rb.dmin[i]!, 0) / rb.cp.length / Math.sqrt(D);
  let la = anchorLoss(anchors, opts.form, opts.margin).data[0]!;
  if (opts.sphere && opts.form === 'released') {
    // On the sphere: −mean over the C(C−1)K pairs of the squared unit-sphere distance.
    const [C, K] = anchors.shape as [number, number];
    let s = 0;
    for (let c = 0; c < C; c++)
      for (let c2 = 0; c2 < C; c2++)
        for (let k = 0; k < K; k++) {
          if (c === c2) continue;
          let d2 = 0;
          for (let d = 0; d < D; d++) d2 += (anchors.data[(c * K + k) * D + d]! - anchors.data[(c2 * K + k) * D + d]!) ** 2;
          s += d2 / D;
        }
    la = -s / (C * (C - 1) * K);
  }
  const [lc, lA, lC] = opts.lambdas;
  return nd([], [lc * weightedNll(rb.corrected, labels, weights) + primary + tau * lA * la + tau * lC * center]);
}
