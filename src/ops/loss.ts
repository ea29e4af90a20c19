/**
 * Losses composed from primitives (so they need no backward of their own):
 * cross-entropy with integer labels and optional class weights (PyTorch's weighted mean), soft
 * cross-entropy, mean squared error.
 */
import { Tensor } from '../tensor/tensor.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { tensor } from '../tensor/create.js';
import { logSoftmax } from './softmax.js';
import { asIndex, gatherRows, pick } from './index-ops.js';
import { div, mul, neg, sub, square } from './elementwise.js';
import { mean, sum } from './reduce.js';
import { reshape } from './movement.js';
import { composite } from '../autograd/graph.js';

export interface CrossEntropyOptions {
  /** Per-class weights [C]: loss = Σ w[y_i]·nll_i / Σ w[y_i]. */
  weights?: Tensor | Float32Array | readonly number[];
  reduction?: 'mean' | 'sum' | 'none';
}

/** Cross-entropy of logits [B, C] against integer labels [B]. */
export function crossEntropy(logits: Tensor, labels: Tensor | Int32Array | readonly number[], opts: CrossEntropyOptions = {}): Tensor {
  if (logits.rank !== 2) throw new ShapeError(`crossEntropy: expected logits [batch, classes], got ${fmtShape(logits.shape)}`);
  const [B, C] = logits.shape as [number, number];
  return composite([logits], () => {
    const y = asIndex(labels, C, 'crossEntropy labels');
    if (y.rank !== 1 || y.shape[0] !== B) throw new ShapeError(`crossEntropy: expected labels of shape [${B}], got ${fmtShape(y.shape)}`);
    return nllLoss(logSoftmax(logits, -1), y, opts);
  });
}

/** Negative log-likelihood of log-probabilities [B, C] (optionally class-weighted). */
export function nllLoss(logProbs: Tensor, labels: Tensor | Int32Array | readonly number[], opts: CrossEntropyOptions = {}): Tensor {
  const [B, C] = logProbs.shape as [number, number];
  const w = opts.weights instanceof Tensor ? opts.weights : undefined;
  return composite([logProbs, w], () => {
    const y = asIndex(labels, C, 'nllLoss labels');
    const nll = neg(pick(logProbs, y));
    const reduction = opts.reduction ?? 'mean';
    if (!opts.weights) {
      if (reduction === 'none') return nll;
      return reduction === 'sum' ? sum(nll) : mean(nll);
    }
    const wt = w ?? tensor(Float32Array.from(opts.weights as Float32Array | readonly number[]));
    if (wt.rank !== 1 || wt.shape[0] !== C) throw new ShapeError(`class weights: expected shape [${C}], got ${fmtShape(wt.shape)}`);
    const wi = reshape(gatherRows(reshape(wt, [C, 1]), y), [B]);
    const weighted = mul(wi, nll);
    if (reduction === 'none') return weighted;
    return reduction === 'sum' ? sum(weighted) : div(sum(weighted), sum(wi));
  });
}

/** Cross-entropy against target distributions [B, C] (soft labels): mean_i −Σ_c t_ic log p_ic. */
export function softCrossEntropy(logits: Tensor, targets: Tensor): Tensor {
  if (logits.rank !== 2 || targets.rank !== 2 || logits.shape[0] !== targets.shape[0] || logits.shape[1] !== targets.shape[1]) {
    throw new ShapeError(`softCrossEntropy: logits ${fmtShape(logits.shape)} and targets ${fmtShape(targets.shape)} must both be [batch, classes]`);
  }
  return composite([logits, targets], () => div(neg(sum(mul(targets, logSoftmax(logits, -1)))), logits.shape[0]!));
}

export function mseLoss(pred: Tensor, target: Tensor): Tensor {
  if (pred.size !== target.size) throw new ShapeError(`mseLoss: prediction ${fmtShape(pred.shape)} and target ${fmtShape(target.shape)} differ in size`);
  return composite([pred, target], () => mean(square(sub(pred, reshape(target, pred.shape)))));
}
