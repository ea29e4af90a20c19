/**
 * Float64 multi-head attention and its gradients, written as plain loops.
 * q: [B, H, Lq, Dh], k, v: [B, H, Lk, Dh], bias: [H, Lq, Lk] | null.
 * The row-wise helpers let tests at full ARBEx sizes check sampled rows only: one output or dQ row
 * costs O(Lk·Dh); a dK/dV row costs O(Lq·Dh) once the per-row statistics (lse, D) are known.
 */
import { nd, type Nd } from './nd.js';

export interface AttnInputs {
  q: Nd;
  k: Nd;
  v: Nd;
  bias: Nd | null;
  scale: number;
}

function dims(a: AttnInputs): { B: number; H: number; Lq: number; Lk: number; Dh: number } {
  const [B, H, Lq, Dh] = a.q.shape as [number, number, number, number];
  return { B, H, Lq, Lk: a.k.shape[2]!, Dh };
}

/** Logits of row i of (b, h), written into `s` (length Lk). */
function logits(a: AttnInputs, b: number, h: number, i: number, s: Float64Array): void {
  const { H, Lq, Lk, Dh } = dims(a);
  const bh = b * H + h;
  const qo = (bh * Lq + i) * Dh;
  for (let j = 0; j < Lk; j++) {
    const ko = (bh * Lk + j) * Dh;
    let acc = 0;
    for (let d = 0; d < Dh; d++) acc += a.q.data[qo + d]! * a.k.data[ko + d]!;
    s[j] = a.scale * acc + (a.bias ? a.bias.data[(h * Lq + i) * Lk + j]! : 0);
  }
}

/** Softmax row i of (b, h) into `p`; returns the logsumexp. */
function probs(a: AttnInputs, b: number, h: number, i: number, p: Float64Array): number {
  logits(a, b, h, i, p);
  let m = -Infinity;
  for (const x of p) m = Math.max(m, x);
  let s = 0;
  for (let j = 0; j < p.length; j++) s += Math.exp(p[j]! - m);
  const lse = m + Math.log(s);
  for (let j = 0; j < p.length; j++) p[j] = Math.exp(p[j]! - lse);
  return lse;
}

/** Output row i of (b, h) (length Dh). */
export function outputRow(a: AttnInputs, b: number, h: number, i: number): Float64Array {
  const { H, Lk, Dh } = dims(a);
  const p = new Float64Array(Lk);
  probs(a, b, h, i, p);
  const out = new Float64Array(Dh);
  for (let j = 0; j < Lk; j++) {
    const vo = ((b * H + h) * Lk + j) * Dh;
    for (let d = 0; d < Dh; d++) out[d] += p[j]! * a.v.data[vo + d]!;
  }
  return out;
}

export function attention(a: AttnInputs): Nd {
  const { B, H, Lq, Dh } = dims(a);
  const o = nd([B, H, Lq, Dh]);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let i = 0; i < Lq; i++) {
    o.data.set(outputRow(a, b, h, i), ((b * H + h) * Lq + i) * Dh);
  }
  return o;
}

/** dS row i of (b, h) for upstream gradient dO: dS = P ∘ (dO·Vᵀ − rowsum(dO ∘ O)). */
export function dsRow(a: AttnInputs, dO: Nd, b: number, h: number, i: number): Float64Array {
  const { H, Lq, Lk, Dh } = dims(a);
  const bh = b * H + h;
  const p = new Float64Array(Lk);
  probs(a, b, h, i, p);
  const go = (bh * Lq + i) * Dh;
  const dp = new Float64Array(Lk);
  let D = 0;
  for (let j = 0; j < Lk; j++) {
    const vo = (bh * Lk + j) * Dh;
    let acc = 0;
    for (let d = 0; d < Dh; d++) acc += dO.data[go + d]! * a.v.data[vo + d]!;
    dp[j] = acc;
    D += p[j]! * acc; // rowsum(dO ∘ O) = Σ_j P_ij (dO_i · v_j)
  }
  const ds = new Float64Array(Lk);
  for (let j = 0; j < Lk; j++) ds[j] = p[j]! * (dp[j]! - D);
  return ds;
}

/** dQ row i of (b, h). */
export function dqRow(a: AttnInputs, dO: Nd, b: number, h: number, i: number): Float64Array {
  const { H, Lk, Dh } = dims(a);
  const ds = dsRow(a, dO, b, h, i);
  const out = new Float64Array(Dh);
  for (let j = 0; j < Lk; j++) {
    const ko = ((b * H + h) * Lk + j) * Dh;
    for (let d = 0; d < Dh; d++) out[d] += a.scale * ds[j]! * a.k.data[ko + d]!;
  }
  return out;
}

/** Per-row statistics of (b, h) for all query rows: P and dS rows are needed for dK/dV. */
export interface RowStats {
  lse: Float64Array;
  /** D_i = rowsum(dO ∘ O). */
  D: Float64Array;
}

export function rowStats(a: AttnInputs, dO: Nd, b: number, h: number): RowStats {
  const { H, Lq, Lk, Dh } = dims(a);
  const lse = new Float64Array(Lq), D = new Float64Array(Lq);
  const p = new Float64Array(Lk);
  for (let i = 0; i < Lq; i++) {
    lse[i] = probs(a, b, h, i, p);
    const go = ((b * H + h) * Lq + i) * Dh;
    let acc = 0;
    for (let j = 0; j < Lk; j++) {
      const vo = ((b * H + h) * Lk + j) * Dh;
      let dp = 0;
      for (let d = 0; d < Dh; d++) dp += dO.data[go + d]! * a.v.data[vo + d]!;
      acc += p[j]! * dp;
    }
    D[i] = acc;
  }
  return { lse, D };
}

/** dK and dV rows of key j of (b, h), given that head's row statistics: O(Lq·Dh). */
export function dkvRow(a: AttnInputs, dO: Nd, st: RowStats, b: number, h: number, j: number): { dk: Float64Array; dv: Float64Array } {
  const { H, Lq, Lk, Dh } = dims(a);
  const bh = b * H + h;
  const ko = (bh * Lk + j) * Dh;
  const dk = new Float64Array(Dh), dv = new Float64Array(Dh);
  for (let i = 0; i < Lq; i++) {
    const qo = (bh * Lq + i) * Dh;
    let s = 0, dp = 0;
    for (let d = 0; d < Dh; d++) {
      s += a.q.data[qo + d]! * a.k.data[ko + d]!;
      dp += dO.data[qo + d]! * a.v.data[ko + d]!;
    }
    s = a.scale * s + (a.bias ? a.bias.data[(h * Lq + i) * Lk + j]! : 0);
    const pij = Math.exp(s - st.lse[i]!);
    const ds = pij * (dp - st.D[i]!);
    for (let d = 0; d < Dh; d++) {
      dv[d] += pij * dO.data[qo + d]!;
      dk[d] += a.scale * ds * a.q.data[qo + d]!;
    }
  }
  return { dk, dv };
}

/** All gradients of Σ dO ∘ attention(a) (small shapes). */
export function attentionBackward(a: AttnInputs, dO: Nd): { dq: Nd; dk: Nd; dv: Nd; dbias: Nd } {
  const { B, H, Lq, Lk, Dh } = dims(a);
  const dq = nd(a.q.shape), dk = nd(a.k.shape), dv = nd(a.v.shape), dbias = nd([H, Lq, Lk]);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) {
    for (let i = 0; i < Lq; i++) {
      dq.data.set(dqRow(a, dO, b, h, i), ((b * H + h) * Lq + i) * Dh);
      const ds = dsRow(a, dO, b, h, i);
      for (let j = 0; j < Lk; j++) dbias.data[(h * Lq + i) * Lk + j] += ds[j]!;
    }
    const st = rowStats(a, dO, b, h);
    for (let j = 0; j < Lk; j++) {
      const r = dkvRow(a, dO, st, b, h, j);
      dk.data.set(r.dk, ((b * H + h) * Lk + j) * Dh);
      dv.data.set(r.dv, ((b * H + h) * Lk + j) * Dh);
    }
  }
  return { dq, dk, dv, dbias };
}

/** Window partition [B, Hs, Ws, C] → [B·nW, w², C] by explicit index arithmetic. */
export function windowPartition(x: Nd, w: number): Nd {
  const [B, Hs, Ws, C] = x.shape as [number, number, number, number];
  const nh = Hs / w, nw = Ws / w;
  const out = nd([B * nh * nw, w * w, C]);
  for (let b = 0; b < B; b++) for (let y = 0; y < Hs; y++) for (let xx = 0; xx < Ws; xx++) for (let c = 0; c < C; c++) {
    const win = (b * nh + Math.floor(y / w)) * nw + Math.floor(xx / w);
    const tok = (y % w) * w + (xx % w);
    out.data[(win * w * w + tok) * C + c] = x.data[((b * Hs + y) * Ws + xx) * C + c]!;
  }
  return out;
}

/** Relative-position bias [H, w², w²] from table [(2w−1)², H], from token coordinates. */
export function relativePositionBias(table: Nd, w: number): Nd {
  const H = table.shape[1]!;
  const n = w * w;
  const out = nd([H, n, n]);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    const dy = Math.floor(i / w) - Math.floor(j / w), dx = (i % w) - (j % w);
    const row = (dy + w - 1) * (2 * w - 1) + (dx + w - 1);
    for (let h = 0; h < H; h++) out.data[(h * n + i) * n + j] = table.data[row * H + h]!;
  }
  return out;
}
