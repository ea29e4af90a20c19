/**
 * How hard is the synthetic data? Trains a small plain CNN (four conv–BN–ReLU–maxpool blocks,
 * flattened, linear classifier; no ARBEx parts) on the generator's faces and prints the
 * clean-label test accuracy after every epoch — the yardstick for issue 5's "a good small model
 * reaches roughly 85–95 %".
 *
 *   npx tsx experiments/data-difficulty.ts [--difficulty 0.3] [--min-intensity 0.6] [--size 48]
 *        [--train 5600] [--test 700] [--epochs 6] [--lr 2e-3] [--augment standard] [--cosine]
 *
 * --cosine decays the learning rate to 0 over the run (per step) instead of keeping it constant.
 */
import * as E from '../src/node.js';
import { Sequential, Conv2d, BatchNorm2d, ReLU, MaxPool2d, Flatten, Linear } from '../src/nn/index.js';
import { Adam } from '../src/optim/adam.js';
import { CosineWarmupLR } from '../src/optim/schedules.js';
import { synthConfig } from '../src/data/synth/generator.js';
import { synthSplits } from '../src/data/synth/splits.js';
import { createLoader } from '../src/data/loader.js';
import type { PresetName } from '../src/data/augment/config.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
const size = Number(arg('size', '48'));
const epochs = Number(arg('epochs', '6'));
const synth = synthConfig({ size: 64, seed: 7, difficulty: Number(arg('difficulty', '0.3')), minIntensity: Number(arg('min-intensity', '0.6')) });
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
const test = createLoader({ ...common, source: splits.test, sampler: 'sequential', augment: 'eval' });

const t0 = performance.now();
for (let ep = 0; ep < epochs; ep++) {
  model.train();
  for (const b of train.epoch(ep)) {
    opt.zeroGrad();
    E.tidy(() => E.backward(E.crossEntropy(model.forward(E.tensor(b.images, [b.size, 3, size, size])), b.labels)));
    opt.step();
    cosine?.step();
  }
  model.eval();
  let ok = 0, n = 0;
  for (const b of test) {
    const pred = E.tidy(() => E.argmax(model.forward(E.tensor(b.images, [b.size, 3, size, size])), 1));
    const p = await pred.toArray();
    pred.dispose();
    for (let i = 0; i < b.size; i++) if (p[i] === b.cleanLabels[i]) ok++;
    n += b.size;
  }
  console.log(`epoch ${ep + 1}: clean test accuracy ${((ok / n) * 100).toFixed(1)} % (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}
process.exit(0);
