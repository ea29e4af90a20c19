/**
 * The main job (Node): data → model → optimizer → epochs with validation, JSON-lines step log,
 * atomic checkpoints (last + best by validation accuracy), exact resume, and the final report
 * on the test split with the best weights.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { initNodeEngine } from '../runtime/device-node.js';
import { manualSeed } from '../tensor/create.js';
import { ArbexModel } from '../models/arbex/model.js';
import { type ArbexConfig, type LossConfig, DEFAULT_LOSS } from '../models/arbex/config.js';
import { ExponentialLR, ReduceLROnPlateau } from '../optim/schedules.js';
import { sampledClassWeights } from '../data/sampler.js';
import { createLoader, type Loader } from '../data/loader.js';
import type { DataSource } from '../data/source.js';
import type { PresetName } from '../data/augment/config.js';
import { synthConfig, type SynthConfig } from '../data/synth/generator.js';
import { synthSplits } from '../data/synth/splits.js';
import { loadDirectory } from '../data/dataset-node.js';
import { CANONICAL_CLASSES } from '../data/labels.js';
import { buildOptimizer, evaluate, trainStep, trustRamp, type OptimizerSpec } from './trainer.js';
import { tuneKernels, tuner } from '../runtime/tuner.js';
import { saveCheckpoint, loadCheckpoint, hasCheckpoint } from './checkpoint-node.js';
import { loadLandmarkWeights } from './landmark-weights-node.js';
import { JsonlLogger } from './log-node.js';
import { Progress } from './progress.js';
import { summarize } from './metrics.js';
import { writeReport } from './report-node.js';
import type { EpochRecord } from './report.js';
import { writeJsonAtomic } from './atomic-node.js';

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
  schedule: 'plateau' | 'exponential' | 'none';
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

export async function runTraining(opts: TrainJobOptions): Promise<TrainResult> {
  await initNodeEngine();
  mkdirSync(opts.out, { recursive: true });
  manualSeed(opts.seed);
  const cfg = opts.config;
  const src = sources(opts.data, cfg.inputSize, opts.seed);
  if (src.numClasses !== cfg.numClasses) cfg.numClasses = src.numClasses;
  const model = new ArbexModel(cfg);
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
  const { resume: _r, quiet: _q, stopAfter: _s, ...persisted } = opts;
  let state: JobState = { options: persisted, epoch: 0, step: 0, history: [], stepLosses: [], best: { valAcc: -1, epoch: -1 }, scheduler: null, seconds: 0 };

  if (opts.resume && hasCheckpoint(opts.out, 'last')) {
    const meta = await loadCheckpoint<JobState>(opts.out, 'last', model, stepper.base);
    state = meta.state;
    if (plateau && state.scheduler) plateau.loadStateDict(state.scheduler as ReturnType<ReduceLROnPlateau['stateDict']>);
    if (expo && state.scheduler) expo.loadStateDict(state.scheduler as ReturnType<ExponentialLR['stateDict']>);
    if (!opts.quiet) console.log(`resuming from epoch ${state.epoch} (step ${state.step}) in ${opts.out}`);
  }
  writeJsonAtomic(join(opts.out, 'config.json'), persisted);
  const log = new JsonlLogger(join(opts.out, 'train-log.jsonl'));
  let imagesSeen = 0;
  const t0 = performance.now();
  try {
    const lastEpoch = opts.stopAfter === undefined ? opts.epochs : Math.min(opts.epochs, state.epoch + opts.stopAfter);
    for (let epoch = state.epoch; epoch < lastEpoch; epoch++) {
      model.train();
      const te = performance.now();
      const progress = opts.quiet ? null : new Progress({ total: trainLoader.batchesPerEpoch * opts.batchSize, label: `epoch ${epoch + 1}/${opts.epochs}` });
      let lossSum = 0, correct = 0, seen = 0;
      let tData = 0, tStep = 0;
      let tb = performance.now();
      for (const batch of trainLoader.epoch(epoch)) {
        const tDataEnd = performance.now();
        tData += tDataEnd - tb;
        const tau = opts.loss.reliability ? trustRamp(state.step, totalSteps) : 0;
        const r = trainStep({ model, stepper, batch, tau, loss: opts.loss, classWeights: weights, seed: (opts.seed * 1_000_003 + state.step * 7919) >>> 0 });
        const [total, cls, anchor, center, pred] = await Promise.all([r.total.item(), r.cls.item(), r.anchor?.item() ?? null, r.center?.item() ?? null, r.pred.toArray()]);
        // Kernel variants of shape classes first met in this step (GPUs only, by default): timed once, then remembered.
        if (tuner().pendingCount() > 0) await tuneKernels();
        for (const t of [r.total, r.cls, r.anchor, r.center, r.pred]) t?.dispose();
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
        const lr = stepper.base.paramGroups[0]!.lr;
        log.log({
          epoch: epoch + 1, step: state.step, loss: round(total), cls: round(cls), anchor: anchor === null ? null : round(anchor), center: center === null ? null : round(center),
          tau: round(tau, 4), lr, acc: round(ok / batch.size, 4), ms_data: round(tDataEnd - tb, 1), ms_step: round(tStepEnd - tDataEnd, 1),
        });
        progress?.tick(batch.size, { loss: total, imagesPerSec: (seen / (tData + tStep)) * 1000 });
        state.step++;
        tb = performance.now();
      }
      progress?.done();
      const val = await evaluate(model, evalLoader(src.val).epoch(0));
      const vs = summarize(val.pred, val.truth, cfg.numClasses, CANONICAL_CLASSES.slice(0, cfg.numClasses));
      const rec: EpochRecord = {
        epoch: epoch + 1, trainLoss: lossSum / Math.max(1, seen), trainAcc: correct / Math.max(1, seen), valLoss: val.loss, valAcc: vs.accuracy, valF1: vs.macroF1,
        lr: stepper.base.paramGroups[0]!.lr, seconds: (performance.now() - te) / 1000,
      };
      state.history.push(rec);
      log.log({ epoch: epoch + 1, val_acc: round(vs.accuracy, 4), val_f1: round(vs.macroF1, 4), val_loss: round(val.loss), train_acc: round(rec.trainAcc, 4), seconds: round(rec.seconds, 2), ms_data_total: round(tData, 0), ms_step_total: round(tStep, 0) });
      if (!opts.quiet) console.log(`epoch ${epoch + 1}: train loss ${rec.trainLoss.toFixed(4)} acc ${(rec.trainAcc * 100).toFixed(1)}%  val acc ${(vs.accuracy * 100).toFixed(1)}% F1 ${(vs.macroF1 * 100).toFixed(1)}%  (${rec.seconds.toFixed(1)} s)`);
      plateau?.step(vs.accuracy);
      expo?.step();
      state.epoch = epoch + 1;
      state.seconds += rec.seconds;
      state.scheduler = plateau?.stateDict() ?? expo?.stateDict() ?? null;
      const isBest = vs.accuracy > state.best.valAcc;
      if (isBest) state.best = { valAcc: vs.accuracy, epoch: epoch + 1 };
      await saveCheckpoint(opts.out, 'last', model, stepper.base, state);
      if (isBest) await saveCheckpoint(opts.out, 'best', model, null, state);
    }
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
    const anchors = new Float32Array(await model.head.anchors.toArray());
    writeReport(opts.out, {
      title: `ARBEx-${cfg.name} on ${opts.data.dir ?? 'synthetic faces'}`,
      classNames: names,
      config: { model: cfg.name, epochs: opts.epochs, batch: opts.batchSize, optimizer: opts.optimizer, loss: opts.loss, sampler: opts.sampler, augment: opts.augment, seed: opts.seed },
      history: state.history,
      stepLosses: state.stepLosses,
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

function countLabels(labels: Int32Array, C: number): number[] {
  const c = new Array<number>(C).fill(0);
  for (const l of labels) c[l]!++;
  return c;
}
