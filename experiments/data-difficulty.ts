/**
 * How hard is the synthetic data? Trains a small plain CNN (four conv–BN–ReLU–maxpool blocks,
 * flattened, linear classifier; no ARBEx parts) on the generator's faces and prints the
 * clean-label test accuracy after every epoch — the yardstick for issue 5's "a good small model
 * reaches roughly 85–95 %".
 *
 *   npx tsx experiments/data-difficulty.ts [--difficulty 0.3] [--min-intensity 0.6] [--size 48]
 *        [--render 64] [--train 5600] [--test 700] [--epochs 6] [--lr 2e-3] [--augment standard]
 *        [--cosine]
 *
 * --cosine decays the learning rate to 0 over the run (per step) instead of keeping it constant.
 * --render is the generator's image size (the loader resizes to --size).
 * Test accuracy is printed twice: with the project's 'eval' transform (whole image resized) and
 * with a centre crop at the training crop's scale (resize to size·246/224, crop size), because
 * 'standard' training crops show faces ~10 % larger than the whole-image eval does. The last
 * epoch also prints the clean-label confusion matrix (scale-matched eval).
 */
import * as E from '../src/node.js';
import { Sequential, Conv2d, BatchNorm2d, ReLU, MaxPool2d, Flatten, Linear } from '../src/nn/index.js';
import { Adam } from '../src/optim/adam.js';
import { CosineWarmupLR } from '../src/optim/schedules.js';
import { synthConfig } from '../src/data/synth/generator.js';
import { synthSplits } from '../src/data/synth/splits.js';
import { createLoader } from '../src/data/loader.js';
import { CANONICAL_CLASSES } from '../src/data/labels.js';
import { augmentPreset } from '../src/data/augment/config.js';
import type { AugmentConfig, PresetName } from '../src/data/augment/config.js';
import type { Loader } from '../src/data/loader.js';
import { accuracy, confusionMatrix } from '../src/train/metrics.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
const size = Number(arg('size', '48'));
const epochs = Number(arg('epochs', '6'));
const synth = synthConfig({ size: Number(arg('render', '64')), seed: 7, difficulty: Number(arg('difficulty', '0.3')), minIntensity: Number(arg('min-intensity', '0.6')) });
const splits = synthSplits(synth, { train: Number(arg('train', '5600')), val: 0, test: Number(arg('test', '700')) });

await E.initNodeEngine();
E.manualSeed(3);
const block = (i: number, o: number) => [new Conv2d(i, o, 3, { padding: 1 }), new BatchNorm2d(o), new ReLU(), new MaxPool2d({ kernel: 2 })];
const side = size / 16;
const model = new Sequential(...block(3, 16), ...block(16, 32), ...block(32, 64), ...block(64, 64), new Flatten(), new Linear(64 * side * side, synth.numClasses));
const opt = new Adam(model.parameters(), { lr: Number(arg('lr', '2e-3')) });
const common = { batchSize: 64, size, seed: 1 } as const;
const train = createLoader({ ...common, source: splits.train, sampler: 'shuffle', augment: arg('augment', 'standard') as PresetName, dropLast: true });
const cosine = process.argv.includes('--cosine') ? new CosineWarmupLR(opt, { warmupSteps: 0, totalSteps: epochs * train.batchesPerEpoch }) : null;
const testWhole = createLoader({ ...common, source: splits.test, sampler: 'sequential', augment: 'eval' });
// Centre crop at the scale the training preset's random crop uses (none for crop-free presets).
const trainAug = augmentPreset(arg('augment', 'standard') as PresetName);
const matchedRatio = trainAug.crop.kind === 'random' ? trainAug.crop.resizeRatio : 1;
const matchedEval: AugmentConfig = { ...augmentPreset('eval'), crop: { kind: 'center', resizeRatio: matchedRatio } };
const testMatched = createLoader({ ...common, source: splits.test, sampler: 'sequential', augment: matchedEval });
const C = synth.numClasses;

/** Predicted and clean labels of the model over one test loader. */
async function predict(loader: Loader): Promise<{ pred: number[]; truth: number[] }> {
  const pred: number[] = [], truth: number[] = [];
  for (const b of loader) {
    const out = E.tidy(() => E.argmax(model.forward(E.tensor(b.images, [b.size, 3, size, size])), 1));
    pred.push(...(await out.toArray()));
    out.dispose();
    truth.push(...b.cleanLabels);
  }
  return { pred, truth };
}
const pct = (x: number) => (100 * x).toFixed(1);

const t0 = performance.now();
for (let ep = 0; ep < epochs; ep++) {
  model.train();
  const trainPred: number[] = [], trainTruth: number[] = [];
  for (const b of train.epoch(ep)) {
    opt.zeroGrad();
    const pred = E.tidy(() => {
      const logits = model.forward(E.tensor(b.images, [b.size, 3, size, size]));
      E.backward(E.crossEntropy(logits, b.labels));
      return E.argmax(logits, 1);
    });
    opt.step();
    cosine?.step();
    trainPred.push(...(await pred.toArray()));
    pred.dispose();
    trainTruth.push(...b.cleanLabels);
  }
  model.eval();
  const whole = await predict(testWhole);
  const matched = await predict(testMatched);
  const secs = ((performance.now() - t0) / 1000).toFixed(0);
  console.log(`epoch ${ep + 1}: clean test accuracy ${pct(accuracy(whole.pred, whole.truth))} % (scale-matched ${pct(accuracy(matched.pred, matched.truth))} %), train ${pct(accuracy(trainPred, trainTruth))} % (${secs} s)`);
  if (ep === epochs - 1) {
    const m = confusionMatrix(matched.pred, matched.truth, C);
    console.log(`confusion (rows: clean label, columns: predicted; ${CANONICAL_CLASSES.slice(0, C).join(', ')}):`);
    for (let t = 0; t < C; t++) console.log('  ' + Array.from(m.subarray(t * C, (t + 1) * C), (x) => String(x).padStart(4)).join(''));
  }
}
process.exit(0);
