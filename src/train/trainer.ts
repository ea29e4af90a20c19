/**
 * The training core, host-independent: parameter groups, one optimisation step (Adam/AdamW, or
 * SAM around either), the trust ramp, and evaluation. Node-side orchestration (data, checkpoints,
 * logs, reports) lives in run-node.ts.
 */
import type { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/create.js';
import { tidy } from '../tensor/scope.js';
import { backward, noGrad } from '../autograd/graph.js';
import { argmax, mean } from '../ops/reduce.js';
import { concat, reshape } from '../ops/movement.js';
import { Adam, AdamW } from '../optim/adam.js';
import { SAM } from '../optim/sam.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { AdamHyper } from '../optim/adam.js';
import type { ArbexModel } from '../models/arbex/model.js';
import type { LossConfig } from '../models/arbex/config.js';
import type { HostBatch } from '../data/batch.js';
import { batchToTensors } from '../data/to-tensors.js';

export type OptimizerName = 'adam' | 'adamw' | 'sam';

/** Learning rate per parameter group (the ARBEx script uses separate groups). */
export interface GroupRates {
  backbone: number;
  head: number;
  anchors: number;
  attention: number;
}

export interface OptimizerSpec {
  name: OptimizerName;
  lr: GroupRates;
  weightDecay: number;
  /** SAM neighbourhood (with name 'sam'). */
  rho: number;
}

export interface Stepper {
  base: Optimizer<AdamHyper>;
  sam: SAM<AdamHyper> | null;
}

/** Splits trainable parameters into the four ARBEx groups and builds the optimizer. */
export function buildOptimizer(model: ArbexModel, spec: OptimizerSpec): Stepper {
  const h = model.head;
  const attention = new Set(h.attentionParams());
  const trainable = (ts: Tensor[]): Tensor[] => ts.filter((t) => t.requiresGrad);
  const headParams = trainable(h.parameters()).filter((t) => t !== h.anchors && !attention.has(t));
  const groups = [
    { name: 'backbone', params: trainable(model.features.parameters()), lr: spec.lr.backbone },
    { name: 'head', params: headParams, lr: spec.lr.head },
    { name: 'anchors', params: trainable([h.anchors]), lr: spec.lr.anchors },
    { name: 'attention', params: trainable([...attention]), lr: spec.lr.attention },
  ].filter((g) => g.params.length > 0);
  const opts = { weightDecay: spec.weightDecay };
  const base = spec.name === 'adamw' ? new AdamW(groups, opts) : new Adam(groups, opts);
  return { base, sam: spec.name === 'sam' ? new SAM(base, { rho: spec.rho }) : null };
}

export interface StepInput {
  model: ArbexModel;
  stepper: Stepper;
  batch: HostBatch;
  tau: number;
  loss: LossConfig;
  classWeights?: Float32Array;
  /** Seed of this step's dropout / drop-path masks (derived from run seed and step). */
  seed: number;
}

export interface StepLosses {
  total: Tensor;
  cls: Tensor;
  primary: Tensor | null;
  anchor: Tensor | null;
  center: Tensor | null;
  /** Argmax of p (for the running training accuracy). */
  pred: Tensor;
  /**
   * Reliability balancing at work (null when it is off): batch means of the confidences c(p),
   * c(t), c(v) as a [3] tensor, and argmax of the corrected p̂ [B] (the label training moves to).
   */
  dynamics: { confidences: Tensor; corrected: Tensor } | null;
}

/** Releases every tensor a training step returned. */
export function disposeStep(r: StepLosses): void {
  for (const t of [r.total, r.cls, r.primary, r.anchor, r.center, r.pred, r.dynamics?.confidences, r.dynamics?.corrected]) t?.dispose();
}

/** The batch's images as an engine tensor [B, C, H, W] (through the data layer's adapter). */
function uploadImages(batch: HostBatch): Tensor {
  const t = batchToTensors({ ...batch, landmarks: undefined, softLabels: undefined }, (data, shape) => tensor(data, shape));
  t.labels.dispose();
  t.cleanLabels.dispose();
  return t.images;
}

/** One optimisation step. Returns the losses (scalars) and predictions, to be read back. */
export function trainStep(s: StepInput): StepLosses {
  const labels = s.batch.labels;
  const forwardBackward = (): StepLosses =>
    tidy(() => {
      const images = uploadImages(s.batch);
      const out = s.model.forward(images, s.seed);
      const parts = s.model.loss(out, labels, s.tau, s.loss, s.classWeights);
      backward(parts.total);
      const rb = parts.rb;
      const dynamics = rb
        ? { confidences: noGrad(() => concat([mean(rb.cp), mean(rb.ct), mean(rb.cv)].map((t) => reshape(t, [1])), 0)), corrected: argmax(rb.corrected, 1) }
        : null;
      return { total: parts.total, cls: parts.cls, primary: parts.primary, anchor: parts.anchor, center: parts.center, pred: argmax(out.p, 1), dynamics };
    });
  if (s.stepper.sam) return s.stepper.sam.step(forwardBackward);
  s.stepper.base.zeroGrad();
  const r = forwardBackward();
  s.stepper.base.step();
  return r;
}

export interface Evaluation {
  pred: Int32Array;
  truth: Int32Array;
  cleanTruth: Int32Array;
  /** Mean NLL of p on the labels given (the validation loss). */
  loss: number;
  /** Head embeddings [n, D] (when asked). */
  embeddings?: Float32Array;
  dim: number;
  /** Class probabilities [n, C] (when asked). */
  probs?: Float32Array;
}

/** Runs the model in eval mode over batches (primary prediction, or test-time corrected). */
export async function evaluate(model: ArbexModel, batches: Iterable<HostBatch>, opts: { embeddings?: boolean; probs?: boolean } = {}): Promise<Evaluation> {
  const wasTraining = model.training;
  model.eval();
  const preds: number[] = [], truth: number[] = [], clean: number[] = [];
  const embs: Float32Array[] = [], probs: Float32Array[] = [];
  let lossSum = 0, n = 0, dim = 0;
  try {
    for (const b of batches) {
      const r = noGrad(() =>
        tidy(() => {
          const out = model.predict(uploadImages(b));
          return { pred: argmax(out.probs, 1), probs: out.probs, e: out.e };
        }),
      );
      const [p, pr, e] = await Promise.all([r.pred.toArray(), r.probs.toArray(), opts.embeddings ? r.e.toArray() : Promise.resolve(null)]);
      dim = r.e.shape[1]!;
      for (const t of [r.pred, r.probs, r.e]) t.dispose();
      const C = pr.length / b.size;
      for (let i = 0; i < b.size; i++) {
        preds.push(p[i]!);
        truth.push(b.labels[i]!);
        clean.push(b.cleanLabels[i]!);
        lossSum -= Math.log(Math.max(1e-8, pr[i * C + b.labels[i]!]!));
        n++;
      }
      if (e) embs.push(e as Float32Array);
      if (opts.probs) probs.push(pr as Float32Array);
    }
  } finally {
    model.train(wasTraining);
  }
  const cat = (xs: Float32Array[]): Float32Array => {
    const out = new Float32Array(xs.reduce((s, x) => s + x.length, 0));
    let o = 0;
    for (const x of xs) out.set(x, (o += x.length) - x.length);
    return out;
  };
  return {
    pred: Int32Array.from(preds), truth: Int32Array.from(truth), cleanTruth: Int32Array.from(clean),
    loss: n ? lossSum / n : NaN, dim,
    ...(opts.embeddings ? { embeddings: cat(embs) } : {}),
    ...(opts.probs ? { probs: cat(probs) } : {}),
  };
}

/** τ = step / totalSteps, clamped to [0, 1] (the trust ramp). */
export function trustRamp(step: number, totalSteps: number): number {
  return totalSteps <= 0 ? 1 : Math.min(1, Math.max(0, step / totalSteps));
}
