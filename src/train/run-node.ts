/**
 * The main job (Node): data → model → optimizer → epochs with validation, JSON-lines step log,
 * atomic checkpoints (last + best by validation accuracy), exact resume, and the final report
 * on the test split with the best weights.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { initNodeEngine } from '../runtime/device-node.js';
import { manualSeed } from '../tensor/create.js';
import { ArbexModel } from '../models/arbex/model.js';
import { type ArbexConfig, type LossConfig, DEFAULT_LOSS } from '../models/arbex/config.js';
import { CosineWarmupLR, ExponentialLR, ReduceLROnPlateau } from '../optim/schedules.js';
import { sampledClassWeights } from '../data/sampler.js';
import { createLoader, type Loader } from '../data/loader.js';
import type { DataSource } from '../data/source.js';
import type { PresetName } from '../data/augment/config.js';
import { synthConfig, type SynthConfig } from '../data/synth/generator.js';
import { synthSplits } from '../data/synth/splits.js';
import { loadDirectory } from '../data/dataset-node.js';
import { CANONICAL_CLASSES } from '../data/labels.js';
import { buildOptimizer, disposeStep, evaluate, trainStep, trustRamp, type OptimizerSpec } from './trainer.js';
import { saveCheckpoint, loadCheckpoint, hasCheckpoint, recoverCheckpoint, readCheckpointMeta, resolveCheckpoint } from './checkpoint-node.js';
import { loadSafetensorsFile } from '../io/safetensors-node.js';
import { tuneKernels, tuner } from '../runtime/tuner.js';
import { loadLandmarkWeights } from './landmark-weights-node.js';
import { JsonlLogger, cutLog } from './log-node.js';
import { Progress } from './progress.js';
import { traceTrainingKernels } from './prepare.js';
import { runtime } from '../runtime/runtime.js';
import { summarize } from './metrics.js';
import { writeReport } from './report-node.js';
import type { EpochDynamics, EpochRecord } from './report.js';
import type { HostBatch } from '../data/batch.js';
import { writeJsonAtomic } from './atomic-node.js';
import { GpuError } from '../runtime/errors.js';

/** Training stopped by a fault it cannot continue through (the GPU device was lost). */
export class TrainingStoppedError extends Error {
  override name = 'TrainingStoppedError';
}

/**
 * Fault injection for tests (test/reliability/device-loss.test.ts): with
 * ARBEX_FAULT_DESTROY_DEVICE_AT_STEP=N the device is destroyed right after step N's work is
 * queued, before its results are read — a device loss in the middle of a step.
 */
const DESTROY_AT = process.env.ARBEX_FAULT_DESTROY_DEVICE_AT_STEP === undefined ? -1 : Number(process.env.ARBEX_FAULT_DESTROY_DEVICE_AT_STEP);

export interface DataSpec {
  /** A dataset directory (any supported format), or the built-in synthetic faces. */
  dir?: string;
  synth: Partial<SynthConfig>;
  sizes: { train: number; val: number; test: number };
  skipBad?: boolean;
}

export interface TrainJobOptions {
  config: ArbexConfig;
  loss: LossConfig;
  data: DataSpec;
  epochs: number;
  batchSize: number;
  optimizer: OptimizerSpec;
  /**
   * plateau (released: ReduceLROnPlateau, factor 0.5, on validation accuracy), exponential
   * (POSTER++: 0.98 per epoch), cosine (per step: linear warm-up over `warmupSteps`, then cosine
   * annealing to 0 at the last step), or none.
   */
  schedule: 'plateau' | 'exponential' | 'cosine' | 'none';
  /** Linear warm-up steps of the cosine schedule (default 0). */
  warmupSteps?: number;
  sampler: 'balanced' | 'shuffle';
  augment: PresetName;
  seed: number;
  out: string;
  resume: boolean;
  /** Print progress (false in tests and sweeps). */
  quiet?: boolean;
  /** Write report.md and plots at the end. */
  report?: boolean;
  /** Pretrained landmark stream (safetensors from `arbex pretrain-landmarks`), loaded frozen. */
  landmarks?: string;
  /** Initial weights (strict): a checkpoint (run dir / .json, e.g. from `arbex import`) or a .safetensors. */
  init?: string;
  /** Stop (as if interrupted) after this many epochs in this invocation; `resume` continues. */
  stopAfter?: number;
}

export const DEFAULT_JOB: Omit<TrainJobOptions, 'config' | 'out'> = {
  loss: DEFAULT_LOSS,
  // The generator's tuned difficulty (DEFAULT_SYNTH); --difficulty 1 --min-intensity 0.15 is hard.
  data: { synth: {}, sizes: { train: 2800, val: 350, test: 700 } },
  epochs: 5,
  batchSize: 32,
  optimizer: { name: 'adam', lr: { backbone: 1e-3, head: 1e-3, anchors: 1e-3, attention: 1e-3 }, weightDecay: 0, rho: 0.05 },
  schedule: 'plateau',
  sampler: 'balanced',
  augment: 'heavy',
  seed: 1,
  resume: false,
  quiet: false,
  report: true,
};

interface JobState {
  options: Omit<TrainJobOptions, 'resume' | 'quiet'>;
  epoch: number;
  step: number;
  history: EpochRecord[];
  stepLosses: number[];
  /** Each loss term per step (null where a term was not computed, e.g. anchor at τ = 0). */
  stepTerms?: Record<'classification' | 'primary' | 'anchor' | 'center', (number | null)[]>;
  best: { valAcc: number; epoch: number };
  scheduler: unknown;
  seconds: number;
}

export interface TrainResult {
  history: EpochRecord[];
  best: { valAcc: number; epoch: number };
  test: { accuracy: number; macroF1: number; cleanAccuracy: number };
  stepLosses: number[];
  seconds: number;
  imagesPerSecond: number;
}

function sources(spec: DataSpec, inputSize: number, seed: number): { train: DataSource; val: DataSource; test: DataSource; numClasses: number } {
  if (spec.dir) {
    const ds = loadDirectory(spec.dir, { skipBad: spec.skipBad ?? false });
    const { train, val, test } = ds.splits;
    if (!train) throw new Error(`dataset ${spec.dir}: no training split found`);
    const v = val ?? test;
    const t = test ?? val;
    if (!v || !t) throw new Error(`dataset ${spec.dir}: needs a validation or test split besides training`);
    return { train, val: v, test: t, numClasses: train.numClasses };
  }
  const cfg = synthConfig({ size: Math.max(inputSize, 64), seed, ...spec.synth });
  const s = synthSplits(cfg, spec.sizes);
  return { ...s, numClasses: cfg.numClasses };
}

const round = (x: number, d = 5): number => Number(x.toFixed(d));

/** Loads `--init` weights strictly (all-or-nothing; the error lists what does not fit). */
async function loadInitWeights(model: ArbexModel, path: string): Promise<void> {
  if (path.endsWith('.safetensors')) {
    await loadSafetensorsFile(model, path);
    return;
  }
  const { dir, tag } = resolveCheckpoint(path);
  await loadCheckpoint(dir, tag, model, null);
}

export async function runTraining(opts: TrainJobOptions): Promise<TrainResult> {
  await initNodeEngine();
  mkdirSync(opts.out, { recursive: true });
  manualSeed(opts.seed);
  const cfg = opts.config;
  const src = sources(opts.data, cfg.inputSize, opts.seed);
  if (src.numClasses !== cfg.numClasses) cfg.numClasses = src.numClasses;
  const model = new ArbexModel(cfg);
  if (opts.init) await loadInitWeights(model, opts.init);
  if (opts.landmarks) await loadLandmarkWeights(model.features.landmark, opts.landmarks);
  const stepper = buildOptimizer(model, opts.optimizer);
  const plateau = opts.schedule === 'plateau' ? new ReduceLROnPlateau(stepper.base, { mode: 'max', factor: 0.5, patience: 1 }) : null;
  const expo = opts.schedule === 'exponential' ? new ExponentialLR(stepper.base, 0.98) : null;
  const trainLoader: Loader = createLoader({ source: src.train, batchSize: opts.batchSize, sampler: opts.sampler, augment: opts.augment, size: cfg.inputSize, seed: opts.seed, dropLast: true });
  // Loss weights: inverse frequencies of the labels the loader's sampler delivers (all 1 with
  // balanced batches, so the imbalance is not corrected twice).
  const weights = sampledClassWeights(trainLoader.sampler, src.train.labels(), cfg.numClasses);
  const evalLoader = (s: DataSource): Loader => createLoader({ source: s, batchSize: 64, sampler: 'sequential', augment: 'eval', size: cfg.inputSize, seed: opts.seed });
  const totalSteps = opts.epochs * trainLoader.batchesPerEpoch;
  const warmupSteps = opts.warmupSteps ?? 0;
  if (opts.schedule === 'cosine' && !(Number.isInteger(warmupSteps) && warmupSteps >= 0 && warmupSteps < totalSteps)) {
    throw new Error(`warm-up of ${warmupSteps} steps: expected an integer in [0, ${totalSteps}) (the run has ${totalSteps} steps)`);
  }
  const cosine = opts.schedule === 'cosine' ? new CosineWarmupLR(stepper.base, { warmupSteps, totalSteps }) : null;
  const { resume: _r, quiet: _q, stopAfter: _s, ...persisted } = opts;
  let state: JobState = { options: persisted, epoch: 0, step: 0, history: [], stepLosses: [], best: { valAcc: -1, epoch: -1 }, scheduler: null, seconds: 0 };

  // A killed run may have left a checkpoint save half done: finish or roll it back first.
  if (opts.resume) for (const tag of ['best', 'last']) await recoverCheckpoint(opts.out, tag);
  if (opts.resume && hasCheckpoint(opts.out, 'last')) {
    const meta = await loadCheckpoint<JobState>(opts.out, 'last', model, stepper.base);
    state = meta.state;
    if (plateau && state.scheduler) plateau.loadStateDict(state.scheduler as ReturnType<ReduceLROnPlateau['stateDict']>);
    if (expo && state.scheduler) expo.loadStateDict(state.scheduler as ReturnType<ExponentialLR['stateDict']>);
    if (cosine && state.scheduler) cosine.loadStateDict(state.scheduler as ReturnType<CosineWarmupLR['stateDict']>);
    if (!opts.quiet) console.log(`resuming from epoch ${state.epoch} (step ${state.step}) in ${opts.out}`);
  }
  writeJsonAtomic(join(opts.out, 'config.json'), persisted);
  // Compile every kernel the run needs before the first step (a software adapter otherwise
  // compiles each on first use, minutes on an empty shader cache), shown as its own phase so the
  // progress bar's rate and ETA measure training only.
  const tc = performance.now();
  const kernels = await traceTrainingKernels({ model, optimizer: opts.optimizer, loss: opts.loss, batchSize: opts.batchSize });
  const compile = opts.quiet ? null : new Progress({ total: kernels.length, label: 'compiling kernels' });
  const warmed = await runtime().warmup(kernels, (done) => compile?.update(done), { lanes: Math.min(2, availableParallelism()) });
  compile?.done();
  if (!opts.quiet && warmed.length > 0) console.log(`compiled ${warmed.length} kernels in ${((performance.now() - tc) / 1000).toFixed(1)} s`);
  // The log holds exactly the steps and epochs the checkpoint holds: a resumed run drops what the
  // interrupted one logged after its last checkpoint (it is about to be redone), a fresh run starts
  // an empty log.
  const logPath = join(opts.out, 'train-log.jsonl');
  const cut = cutLog(logPath, (l) => (typeof l.step === 'number' ? l.step < state.step : typeof l.epoch === 'number' ? l.epoch <= state.epoch : true));
  if (cut > 0 && !opts.quiet) console.log(`train-log.jsonl: removed ${cut} line(s) logged after the checkpoint`);
  const log = new JsonlLogger(logPath);
  let imagesSeen = 0;
  const t0 = performance.now();
  try {
    const lastEpoch = opts.stopAfter === undefined ? opts.epochs : Math.min(opts.epochs, state.epoch + opts.stopAfter);
    for (let epoch = state.epoch; epoch < lastEpoch; epoch++) {
      model.train();
      const te = performance.now();
      const progress = opts.quiet ? null : new Progress({ total: trainLoader.batchesPerEpoch * opts.batchSize, label: `epoch ${epoch + 1}/${opts.epochs}` });
      let lossSum = 0, correct = 0, seen = 0;
      const dyn = new DynamicsMeter();
      let tData = 0, tStep = 0;
      let tb = performance.now();
      for (const batch of trainLoader.epoch(epoch)) {
        const tDataEnd = performance.now();
        tData += tDataEnd - tb;
        const tau = opts.loss.reliability ? trustRamp(state.step, totalSteps) : 0;
        const r = trainStep({ model, stepper, batch, tau, loss: opts.loss, classWeights: weights, seed: (opts.seed * 1_000_003 + state.step * 7919) >>> 0 });
        if (state.step === DESTROY_AT) runtime().device.destroy();
        const [total, cls, primary, anchor, center, pred, conf, corrected] = await Promise.all([
          r.total.item(), r.cls.item(), r.primary?.item() ?? null, r.anchor?.item() ?? null, r.center?.item() ?? null, r.pred.toArray(),
          r.dynamics?.confidences.toArray() ?? null, r.dynamics?.corrected.toArray() ?? null,
        ]);
        disposeStep(r);
        if (conf && corrected) dyn.add(batch, conf, corrected);
        // Kernel variants of shape classes first met in this step (GPUs only, by default): timed once, then remembered.
        if (tuner().pendingCount() > 0) await tuneKernels();
        if (!Number.isFinite(total)) throw new Error(`training diverged at epoch ${epoch + 1} step ${state.step}: loss ${total}`);
        const tStepEnd = performance.now();
        tStep += tStepEnd - tDataEnd;
        let ok = 0;
        for (let i = 0; i < batch.size; i++) if (pred[i] === batch.labels[i]) ok++;
        lossSum += total * batch.size;
        correct += ok;
        seen += batch.size;
        imagesSeen += batch.size;
        state.stepLosses.push(round(total));
        const terms = (state.stepTerms ??= { classification: [], primary: [], anchor: [], center: [] });
        terms.classification.push(round(cls));
        terms.primary.push(primary === null ? null : round(primary));
        terms.anchor.push(anchor === null ? null : round(anchor));
        terms.center.push(center === null ? null : round(center));
        const lr = stepper.base.paramGroups[0]!.lr;
        log.log({
          epoch: epoch + 1, step: state.step, loss: round(total), cls: round(cls), primary: primary === null ? null : round(primary),
          anchor: anchor === null ? null : round(anchor), center: center === null ? null : round(center),
          tau: round(tau, 4), lr, acc: round(ok / batch.size, 4), ms_data: round(tDataEnd - tb, 1), ms_step: round(tStepEnd - tDataEnd, 1),
        });
        progress?.tick(batch.size, { loss: total, imagesPerSec: (seen / (tData + tStep)) * 1000 });
        state.step++;
        cosine?.step();
        tb = performance.now();
      }
      progress?.done();
      const val = await evaluate(model, evalLoader(src.val).epoch(0));
      const vs = summarize(val.pred, val.truth, cfg.numClasses, CANONICAL_CLASSES.slice(0, cfg.numClasses));
      const rec: EpochRecord = {
        epoch: epoch + 1, trainLoss: lossSum / Math.max(1, seen), trainAcc: correct / Math.max(1, seen), valLoss: val.loss, valAcc: vs.accuracy, valF1: vs.macroF1,
        lr: stepper.base.paramGroups[0]!.lr, seconds: (performance.now() - te) / 1000,
        ...(dyn.samples > 0 ? { dynamics: dyn.result() } : {}),
      };
      state.history.push(rec);
      log.log({ epoch: epoch + 1, val_acc: round(vs.accuracy, 4), val_f1: round(vs.macroF1, 4), val_loss: round(val.loss), train_acc: round(rec.trainAcc, 4), seconds: round(rec.seconds, 2), ms_data_total: round(tData, 0), ms_step_total: round(tStep, 0) });
      if (!opts.quiet) console.log(`epoch ${epoch + 1}: train loss ${rec.trainLoss.toFixed(4)} acc ${(rec.trainAcc * 100).toFixed(1)}%  val acc ${(vs.accuracy * 100).toFixed(1)}% F1 ${(vs.macroF1 * 100).toFixed(1)}%  (${rec.seconds.toFixed(1)} s)`);
      plateau?.step(vs.accuracy);
      expo?.step();
      state.epoch = epoch + 1;
      state.seconds += rec.seconds;
      state.scheduler = plateau?.stateDict() ?? expo?.stateDict() ?? cosine?.stateDict() ?? null;
      const isBest = vs.accuracy > state.best.valAcc;
      if (isBest) state.best = { valAcc: vs.accuracy, epoch: epoch + 1 };
      // best before last: killed in between, the resume redoes this epoch (deterministically) and
      // writes best again; the other order could leave last.json claiming a best that was never saved.
      if (isBest) await saveCheckpoint(opts.out, 'best', model, null, state);
      await saveCheckpoint(opts.out, 'last', model, stepper.base, state);
    }
  } catch (e) {
    // A lost device cannot be recovered in this process; say what survives and how to go on.
    if (e instanceof GpuError && /device lost/i.test(e.message)) {
      // The checkpoint on disk, not `state` (a loss inside a save has already advanced state.epoch).
      const saved = hasCheckpoint(opts.out, 'last') ? readCheckpointMeta<JobState>(opts.out, 'last').state : null;
      const ck = saved ? `the last checkpoint (${join(opts.out, 'last.json')}, after epoch ${saved.epoch}, step ${saved.step}) is intact` : 'no checkpoint was written yet';
      throw new TrainingStoppedError(`${e.message}\ntraining stopped at step ${state.step}; ${ck}. Run the same command with --resume to continue.`);
    }
    throw e;
  } finally {
    log.close();
  }

  // Final numbers on the test split with the best-by-validation weights.
  if (hasCheckpoint(opts.out, 'best')) await loadCheckpoint(opts.out, 'best', model, null);
  const test = await evaluate(model, evalLoader(src.test).epoch(0), { embeddings: true });
  const names = CANONICAL_CLASSES.slice(0, cfg.numClasses) as unknown as string[];
  const ts = summarize(test.pred, test.truth, cfg.numClasses, names);
  const clean = summarize(test.pred, test.cleanTruth, cfg.numClasses, names);
  const seconds = (performance.now() - t0) / 1000;
  if (opts.report !== false) {
    // Embeddings and anchors are drawn in the space the anchor distances use.
    const sphere = cfg.head.anchorSpace === 'sphere';
    const anchors = new Float32Array(await model.head.anchors.toArray());
    if (sphere) {
      onSphereRows(anchors, test.dim);
      if (test.embeddings) onSphereRows(test.embeddings, test.dim);
    }
    writeReport(opts.out, {
      title: `ARBEx-${cfg.name} on ${opts.data.dir ?? 'synthetic faces'}`,
      classNames: names,
      config: { model: cfg.name, epochs: opts.epochs, batch: opts.batchSize, optimizer: opts.optimizer, loss: opts.loss, sampler: opts.sampler, augment: opts.augment, seed: opts.seed },
      history: state.history,
      stepLosses: state.stepLosses,
      stepTerms: Object.entries(state.stepTerms ?? {}).map(([name, values]) => ({ name, values })),
      datasetCounts: { train: countLabels(src.train.labels(), cfg.numClasses) },
      test: { pred: test.pred, truth: test.cleanTruth, split: 'test (clean labels)' },
      embeddings: test.embeddings ? { data: test.embeddings, dim: test.dim, labels: test.cleanTruth } : undefined,
      anchors,
      timing: { totalSeconds: state.seconds, imagesSeen: state.step * opts.batchSize },
      notes: { 'best epoch (validation)': state.best.epoch, 'test accuracy vs noisy labels': (ts.accuracy * 100).toFixed(2) + ' %' },
    });
  }
  const result: TrainResult = {
    history: state.history, best: state.best, stepLosses: state.stepLosses,
    test: { accuracy: ts.accuracy, macroF1: ts.macroF1, cleanAccuracy: clean.accuracy },
    seconds, imagesPerSecond: imagesSeen / Math.max(1e-9, seconds),
  };
  writeJsonAtomic(join(opts.out, 'result.json'), { ...result, cleanMacroF1: clean.macroF1 });
  // Release GPU memory so several runs can share one process (sweeps, tests).
  stepper.sam?.dispose();
  stepper.base.dispose();
  model.dispose();
  return result;
}

/** Scales each row of x [n, dim] to length √dim in place (the 'sphere' anchor space). */
function onSphereRows(x: Float32Array, dim: number): void {
  for (let r = 0; r < x.length / dim; r++) {
    let ss = 0;
    for (let d = 0; d < dim; d++) ss += x[r * dim + d]! ** 2;
    const f = Math.sqrt(dim / (ss + 1e-12));
    for (let d = 0; d < dim; d++) x[r * dim + d]! *= f;
  }
}

/** Accumulates EpochDynamics over an epoch's steps. */
class DynamicsMeter {
  samples = 0;
  private conf = [0, 0, 0];
  private d = { noisy: 0, noisyChanged: 0, noisyFixed: 0, clean: 0, cleanChanged: 0 };

  add(batch: HostBatch, conf: ArrayLike<number>, corrected: ArrayLike<number>): void {
    for (let k = 0; k < 3; k++) this.conf[k]! += conf[k]! * batch.size;
    for (let i = 0; i < batch.size; i++) {
      const given = batch.labels[i]!, truth = batch.cleanLabels[i]!, c = corrected[i]!;
      if (given !== truth) {
        this.d.noisy++;
        if (c !== given) this.d.noisyChanged++;
        if (c === truth) this.d.noisyFixed++;
      } else {
        this.d.clean++;
        if (c !== given) this.d.cleanChanged++;
      }
    }
    this.samples += batch.size;
  }

  result(): EpochDynamics {
    const n = Math.max(1, this.samples);
    return { cp: this.conf[0]! / n, ct: this.conf[1]! / n, cv: this.conf[2]! / n, ...this.d };
  }
}

function countLabels(labels: Int32Array, C: number): number[] {
  const c = new Array<number>(C).fill(0);
  for (const l of labels) c[l]!++;
  return c;
}
