/**
 * Kernel preparation before the first training step. A software adapter (lavapipe) compiles each
 * pipeline when it first runs — on an empty shader cache that is most of a newcomer's first
 * minutes. `prepareTrainingKernels` traces one training step and one evaluation batch (no GPU
 * work), then compiles and runs each pipeline they use once, reporting progress, so that the first
 * real step runs at full speed and a progress bar's rate and ETA exclude compilation.
 */
import { runtime, type PipelineSpec, type PipelineTiming } from '../runtime/runtime.js';
import { randomState, setRandomState, tensor } from '../tensor/create.js';
import { tidy } from '../tensor/scope.js';
import { noGrad } from '../autograd/graph.js';
import type { ArbexModel } from '../models/arbex/model.js';
import type { LossConfig } from '../models/arbex/config.js';
import type { HostBatch } from '../data/batch.js';
import { buildOptimizer, disposeStep, trainStep, type OptimizerSpec } from './trainer.js';

export interface PrepareOptions {
  model: ArbexModel;
  optimizer: OptimizerSpec;
  loss: LossConfig;
  batchSize: number;
  /** Also prepare the evaluation path (model.predict), default true. */
  evaluation?: boolean;
  /** Parallel warm-up devices (Runtime.warmup); default 1. */
  lanes?: number;
  onProgress?: (done: number, total: number, spec: PipelineSpec) => void;
}

/** A batch of the right shape whose values do not matter (traced, never computed). */
function shapeOnlyBatch(model: ArbexModel, size: number): HostBatch {
  const s = model.cfg.inputSize;
  const C = model.cfg.numClasses;
  return {
    size, channels: 3, height: s, width: s, numClasses: C,
    images: new Float32Array(size * 3 * s * s),
    labels: Int32Array.from({ length: size }, (_, i) => i % C),
    cleanLabels: Int32Array.from({ length: size }, (_, i) => i % C),
    indices: Int32Array.from({ length: size }, (_, i) => i),
  };
}

/** The pipelines one training step (and optionally one evaluation batch) of `model` uses. */
export async function traceTrainingKernels(o: Omit<PrepareOptions, 'onProgress'>): Promise<PipelineSpec[]> {
  const { model } = o;
  const rng = randomState();
  const wasTraining = model.training;
  // A scratch optimizer: tracing its step advances only its own step counts, not the real one's.
  const scratch = buildOptimizer(model, o.optimizer);
  const batch = shapeOnlyBatch(model, o.batchSize);
  try {
    return await runtime().trace(() => {
      model.train(true);
      const r = trainStep({ model, stepper: scratch, batch, tau: 0.5, loss: o.loss, seed: 1 });
      disposeStep(r);
      if (o.evaluation ?? true) {
        model.eval();
        noGrad(() => tidy(() => { model.predict(tensor(batch.images, [batch.size, 3, batch.height, batch.width])); }));
      }
    });
  } finally {
    scratch.base.zeroGrad();
    scratch.sam?.dispose();
    scratch.base.dispose();
    model.train(wasTraining);
    setRandomState(rng);
  }
}

/** Traces a training step (see above), then compiles and runs once every pipeline it uses. */
export async function prepareTrainingKernels(o: PrepareOptions): Promise<PipelineTiming[]> {
  const specs = await traceTrainingKernels(o);
  return runtime().warmup(specs, o.onProgress, { lanes: o.lanes });
}
