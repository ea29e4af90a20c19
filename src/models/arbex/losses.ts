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
  cls: Tensor;
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

export function arbexLoss(
  rb: BalanceOutputs,
  anchors: Tensor,
  labels: Tensor | Int32Array,
  cfg: LossConfig,
  tau: number,
  embeddingDim: number,
  weights?: Tensor | Float32Array,
): LossParts {
  const cls = probabilityNll(rb.corrected, labels, weights);
  let total = mul(cls, cfg.lambdaCls);
  if (tau === 0) return { total, cls, anchor: null, center: null };
  const anchor = anchorSeparationLoss(anchors, cfg.anchorLoss, cfg.anchorMargin);
  const center = centerLoss(rb.cp, rb.dmin, embeddingDim);
  total = add(total, add(mul(anchor, tau * cfg.lambdaAnchor), mul(center, tau * cfg.lambdaCenter)));
  return { total, cls, anchor, center };
}
