/**
 * Landmark pretraining: trains the landmark stream (MobileFaceNet taps + a linear head on the
 * pooled last tap) to regress the synthetic faces' 68 landmarks, the role the pretrained
 * landmark network plays in the paper. Reports the normalised mean error (NME: mean point
 * error divided by the inter-ocular distance, outer eye corners 36 and 45) and saves the stream
 * as safetensors, ready to be loaded frozen into ARBEx (`arbex train --landmarks FILE`).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { initNodeEngine } from '../runtime/device-node.js';
import { manualSeed, tensor } from '../tensor/create.js';
import { tidy } from '../tensor/scope.js';
import { backward, noGrad } from '../autograd/graph.js';
import { mseLoss } from '../ops/loss.js';
import { Adam } from '../optim/adam.js';
import { LandmarkRegressor, LandmarkStream } from '../models/arbex/landmark-stream.js';
import type { ArbexConfig } from '../models/arbex/config.js';
import { synthConfig } from '../data/synth/generator.js';
import { synthSplits } from '../data/synth/splits.js';
import { createLoader } from '../data/loader.js';
import type { HostBatch } from '../data/batch.js';
import { saveSafetensorsFile } from '../io/safetensors-node.js';
import { Progress } from './progress.js';

export interface PretrainOptions {
  config: ArbexConfig;
  epochs: number;
  batchSize: number;
  lr: number;
  trainSize: number;
  testSize: number;
  seed: number;
  out: string;
  quiet?: boolean;
}

/** Mean over images of (mean point distance / inter-ocular distance), landmarks in [0,1] units. */
export function nme(pred: Float32Array, truth: Float32Array, n: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const o = i * 136;
    const iod = Math.hypot(truth[o + 72]! - truth[o + 90]!, truth[o + 73]! - truth[o + 91]!);
    let s = 0;
    for (let k = 0; k < 68; k++) s += Math.hypot(pred[o + 2 * k]! - truth[o + 2 * k]!, pred[o + 2 * k + 1]! - truth[o + 2 * k + 1]!);
    total += s / 68 / Math.max(iod, 1e-6);
  }
  return total / Math.max(1, n);
}

export async function pretrainLandmarks(o: PretrainOptions): Promise<{ nmeBefore: number; nmeAfter: number; path: string }> {
  await initNodeEngine();
  mkdirSync(o.out, { recursive: true });
  manualSeed(o.seed);
  const cfg = { ...o.config, landmark: { ...o.config.landmark, frozen: false } };
  const stream = new LandmarkStream(cfg);
  const regressor = new LandmarkRegressor(stream, cfg.landmark.lastConv);
  stream.lastConv.freeze(); // not part of the landmark regressor
  const params = regressor.parameters().filter((p) => p.requiresGrad);
  const opt = new Adam(params, { lr: o.lr });
  const synth = synthConfig({ size: Math.max(cfg.inputSize, 64), seed: o.seed });
  const splits = synthSplits(synth, { train: o.trainSize, val: 0, test: o.testSize });
  const train = createLoader({ source: splits.train, batchSize: o.batchSize, sampler: 'shuffle', augment: 'standard', size: cfg.backboneSize, seed: o.seed, landmarks: true, dropLast: true });
  const test = createLoader({ source: splits.test, batchSize: 64, sampler: 'sequential', augment: 'eval', size: cfg.backboneSize, seed: o.seed, landmarks: true });
  const images = (b: HostBatch) => tensor(b.images, [b.size, b.channels, b.height, b.width]);

  const measure = async (): Promise<number> => {
    regressor.eval();
    let sum = 0, n = 0;
    for (const b of test.epoch(0)) {
      const pred = noGrad(() => tidy(() => regressor.forward(images(b))));
      const p = (await pred.toArray()) as Float32Array;
      pred.dispose();
      sum += nme(p, b.landmarks!, b.size) * b.size;
      n += b.size;
    }
    regressor.train();
    return sum / Math.max(1, n);
  };

  const nmeBefore = await measure();
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const progress = o.quiet ? null : new Progress({ total: train.batchesPerEpoch * o.batchSize, label: `landmarks ${epoch + 1}/${o.epochs}` });
    for (const b of train.epoch(epoch)) {
      opt.zeroGrad();
      const loss = tidy(() => {
        const l = mseLoss(regressor.forward(images(b)), tensor(b.landmarks!, [b.size, 68, 2]));
        backward(l);
        return l;
      });
      opt.step();
      const v = await loss.item();
      loss.dispose();
      progress?.tick(b.size, { loss: v });
    }
    progress?.done();
  }
  const nmeAfter = await measure();
  const path = join(o.out, 'landmark-stream.safetensors');
  await saveSafetensorsFile(path, stream.stateDict(), { task: 'arbex-landmark-pretraining', nme: nmeAfter.toFixed(5), config: cfg.name });
  regressor.dispose();
  return { nmeBefore, nmeAfter, path };
}
