/**
 * ARBEx losses: class-weighted NLL of the corrected distribution, the anchor separation loss and
 * the confidence-weighted center loss, combined with the trust ramp τ and the λ weights.
 */
import type { Tensor } from '../../tensor/tensor.js';
import { add, clamp, log, mul } from '../../ops/elementwise.js';
import { mean } from '../../ops/reduce.js';
import { reshape } from '../../ops/movement.js';
import { nllLoss } from '../../ops/loss.js';
import { anchorSeparationLoss } from '../../ops/anchor.js';
import type { LossConfig } from './config.js';
import type { BalanceOutputs } from './reliability.js';

export interface LossParts {
  total: Tensor;
  /** NLL of the corrected p̂ (of p when reliability balancing is off). */
  cls: Tensor;
  /** NLL of the primary p, when `lambdaPrimary` > 0. */
  primary: Tensor | null;
  anchor: Tensor | null;
  center: Tensor | null;
}

/** Weighted NLL of a probability distribution (log floored so a zero probability stays finite). */
export function probabilityNll(probs: Tensor, labels: Tensor | Int32Array, weights?: Tensor | Float32Array): Tensor {
  return nllLoss(log(clamp(probs, 1e-8, 1)), labels, weights ? { weights } : {});
}

/** L_c = (1/B) Σ_i c(p_i) · dmin_i / √D. */
export function centerLoss(cp: Tensor, dmin: Tensor, dim: number): Tensor {
  return mul(mean(mul(reshape(cp, [-1]), dmin)), 1 / Math.sqrt(dim));
}

/**
 * The separation loss of anchors given in `space` (see toAnchorSpace). On the sphere (radius √D)
 * both forms read unit-sphere distances u and average over the C(C−1)K pairs, so they are
 * bounded: released −mean u² ∈ [−4, 0], margin mean max(0, m − u)² ∈ [0, m²].
 */
export function separationLoss(anchors: Tensor, cfg: LossConfig, space: 'euclidean' | 'sphere'): Tensor {
  const loss = anchorSeparationLoss(anchors, cfg.anchorLoss, cfg.anchorMargin);
  if (space === 'euclidean' || cfg.anchorLoss === 'margin') return loss;
  // The kernel's released scale is 1/(K²√D) on squared radius-√D distances (= D·u²).
  const [C, K, D] = anchors.shape as [number, number, number];
  return C > 1 ? mul(loss, K / (Math.sqrt(D) * C * (C - 1))) : loss;
}

/**
 * `anchors` are the anchors in the space the distances were measured in (`space`, see
 * toAnchorSpace), `p` the primary distribution (used when cfg.lambdaPrimary > 0).
 */
export function arbexLoss(
  rb: BalanceOutputs,
  anchors: Tensor,
  labels: Tensor | Int32Array,
  cfg: LossConfig,
  tau: number,
  embeddingDim: number,
  weights?: Tensor | Float32Array,
  p?: Tensor,
  space: 'euclidean' | 'sphere' = 'euclidean',
): LossParts {
  const cls = probabilityNll(rb.corrected, labels, weights);
  let total = mul(cls, cfg.lambdaCls);
  let primary: Tensor | null = null;
  if (cfg.lambdaPrimary > 0) {
    if (!p) throw new Error('arbexLoss: lambdaPrimary > 0 needs the primary distribution p');
    primary = probabilityNll(p, labels, weights);
    total = add(total, mul(primary, cfg.lambdaPrimary));
  }
  if (tau === 0) return { total, cls, primary, anchor: null, center: null };
  const anchor = separationLoss(anchors, cfg, space);
  const center = centerLoss(rb.cp, rb.dmin, embeddingDim);
  total = add(total, add(mul(anchor, tau * cfg.lambdaAnchor), mul(center, tau * cfg.lambdaCenter)));
  return { total, cls, primary, anchor, center };
}
