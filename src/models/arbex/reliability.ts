/**
 * Reliability balancing (ARBEx §3): two label-correction proposals — anchor distances and an
 * attention branch — weighted by their normalised-entropy confidences, blended into the primary
 * prediction with the trust ramp τ. Functional: parameters come in as tensors, so the same code
 * serves the module, the tests and the gradient checks.
 */
import type { Tensor } from '../../tensor/tensor.js';
import { add, clamp, div, log, mul, neg, sqrt, sub } from '../../ops/elementwise.js';
import { sum } from '../../ops/reduce.js';
import { matmul } from '../../ops/matmul.js';
import { softmax } from '../../ops/softmax.js';
import { permute, reshape } from '../../ops/movement.js';
import { anchorMatch } from '../../ops/anchor.js';
import { entropyConfidence, LOG_FLOOR } from '../../ops/confidence.js';
import { ShapeError, fmtShape } from '../../runtime/errors.js';

/**
 * c(q) = 1 − H(q)/ln C with H(q) = −Σ q ln q, clamped to [floor, 1]; q: [B, C] → [B, 1]. One fused
 * op (src/ops/confidence.ts); `confidenceComposed` is the same formula from primitives.
 */
export function confidence(q: Tensor, floor = 1e-6): Tensor {
  return entropyConfidence(q, floor);
}

/** `confidence` as a composition of primitive ops (each with its own backward): the fused op's check. */
export function confidenceComposed(q: Tensor, floor = 1e-6): Tensor {
  const C = q.shape[q.rank - 1]!;
  if (C < 2) throw new ShapeError(`confidence: needs at least 2 classes, got ${fmtShape(q.shape)}`);
  const h = neg(sum(mul(q, log(clamp(q, LOG_FLOOR, 1))), -1, { keepDims: true }));
  return clamp(sub(1, div(h, Math.log(C))), floor, 1);
}

export interface AttentionWeights {
  /** [C·K, D] each, Linear layout (applied as e·Wᵀ). */
  wq: Tensor;
  wk: Tensor;
  wv: Tensor;
}

/**
 * The attention label correction v ∈ Δ^C. scope 'batch' (released): the B samples form the
 * sequence (tokens of size C·K split into `heads`), so a sample's correction depends on its batch.
 * scope 'sample': each sample's C·K slots form the sequence (scalar features, batch-independent).
 */
export function attentionCorrection(e: Tensor, w: AttentionWeights, C: number, K: number, scope: 'batch' | 'sample', heads = 1): Tensor {
  const B = e.shape[0]!;
  const J = C * K;
  const q = matmul(e, w.wq, { transB: true }), k = matmul(e, w.wk, { transB: true }), v = matmul(e, w.wv, { transB: true }); // [B, J]
  let out: Tensor;
  if (scope === 'batch') {
    if (J % heads !== 0) throw new ShapeError(`attention correction: ${J} slots not divisible by ${heads} heads`);
    const dh = J / heads;
    const split = (t: Tensor) => permute(reshape(t, [B, heads, dh]), [1, 0, 2]); // [H, B, dh]
    const a = softmax(mul(matmul(split(q), split(k), { transB: true }), 1 / Math.sqrt(dh)), -1); // [H, B, B]
    out = reshape(permute(matmul(a, split(v)), [1, 0, 2]), [B, J]);
  } else {
    const col = (t: Tensor) => reshape(t, [B, J, 1]);
    const a = softmax(matmul(col(q), col(k), { transB: true }), -1); // [B, J, J]
    out = reshape(matmul(a, col(v)), [B, J]);
  }
  return sum(reshape(softmax(out, -1), [B, C, K]), 2);
}

export interface AnchorSpace {
  e: Tensor;
  anchors: Tensor;
  delta: number;
}

/**
 * The embedding e [B, D], anchors [C, K, D] and δ as the anchor branch uses them: unchanged
 * ('euclidean', released), or each row L2-normalised and scaled to radius √D with δ scaled alike
 * ('sphere'): distances are then bounded by 2√D and δ reads as a unit-sphere distance.
 */
export function toAnchorSpace(e: Tensor, anchors: Tensor, delta: number, space: 'euclidean' | 'sphere'): AnchorSpace {
  if (space === 'euclidean') return { e, anchors, delta };
  const r = Math.sqrt(e.shape[e.rank - 1]!);
  const onSphere = (x: Tensor): Tensor => mul(div(x, sqrt(add(sum(mul(x, x), -1, { keepDims: true }), 1e-12))), r);
  return { e: onSphere(e), anchors: onSphere(anchors), delta: delta * r };
}

export interface BalanceInputs {
  /** Primary distribution p [B, C]. */
  p: Tensor;
  /** Embedding e [B, D]. */
  e: Tensor;
  anchors: Tensor;
  attention: AttentionWeights;
  labels: Tensor | Int32Array | null;
  delta: number;
  scope: 'batch' | 'sample';
  heads: number;
  tau: number;
  confidenceFloor: number;
  /** A precomputed attention correction (the released head's own branch); else computed from `attention`. */
  v?: Tensor;
}

export interface BalanceOutputs {
  /** The corrected distribution p̂ = (1 − τ)p + τ q. */
  corrected: Tensor;
  /** Anchor correction t [B, C], attention correction v [B, C]. */
  t: Tensor;
  v: Tensor;
  /** Confidences [B, 1] of p, t and v. */
  cp: Tensor;
  ct: Tensor;
  cv: Tensor;
  /** Nearest true-class anchor distance [B] (for the center loss). */
  dmin: Tensor;
}

export function reliabilityBalance(x: BalanceInputs): BalanceOutputs {
  const [C, K] = x.anchors.shape as [number, number, number];
  const { t, dmin } = anchorMatch(x.e, x.anchors, x.labels, x.delta);
  const v = x.v ?? attentionCorrection(x.e, x.attention, C, K, x.scope, x.heads);
  const cp = confidence(x.p, x.confidenceFloor);
  const ct = confidence(t, x.confidenceFloor);
  const cv = confidence(v, x.confidenceFloor);
  const r = div(add(mul(ct, t), mul(cv, v)), add(ct, cv));
  const q = add(mul(cp, x.p), mul(sub(1, cp), r));
  const corrected = x.tau === 0 ? x.p : x.tau === 1 ? q : add(mul(x.p, 1 - x.tau), mul(q, x.tau));
  return { corrected, t, v, cp, ct, cv, dmin };
}
