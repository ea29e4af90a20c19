/**
 * Learning-speed probes for ARBEx-tiny: trains the model truncated at a stage, with a linear
 * classifier on that stage's (flattened) output, and prints the training accuracy per epoch.
 * Used to find where learning slows down (README, "ARBEx-tiny on the synthetic faces").
 *
 *   npx tsx experiments/learning-probes.ts --stage image|windows|fusion|vit|head|full
 *        [--epochs 2] [--train 1400] [--lr 1e-3] [--difficulty 0] [--min-intensity 1] [--augment eval]
 *
 * image: IR stream (I2, I3) flattened; windows: the three attended maps flattened; fusion: the
 * 3·m3² tokens flattened; vit: the SE-gated CLS embedding; head: the model's own classifier;
 * full: the whole training step with reliability balancing (τ ramp over the run).
 */
import * as E from '../src/node.js';
import { ArbexModel } from '../src/models/arbex/model.js';
import { TINY, DEFAULT_LOSS, resolveConfig } from '../src/models/arbex/config.js';
import { Linear } from '../src/nn/linear.js';
import { Adam } from '../src/optim/adam.js';
import { synthConfig } from '../src/data/synth/generator.js';
import { synthSplits } from '../src/data/synth/splits.js';
import { createLoader } from '../src/data/loader.js';
import type { PresetName } from '../src/data/augment/config.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
const stage = arg('stage', 'vit');
const epochs = Number(arg('epochs', '2'));
const lr = Number(arg('lr', '1e-3'));

await E.initNodeEngine();
E.manualSeed(1);
const cfg = resolveConfig(structuredClone(TINY), JSON.parse(arg('config-json', '{}')) as Record<string, unknown>);
const model = new ArbexModel(cfg);
const f = model.features;
const B = 32;
const probeDims: Record<string, number> = {
  image: cfg.image.widths[1] * 16 + cfg.image.widths[2] * 4,
  windows: cfg.image.widths[0] * 64 + cfg.image.widths[1] * 16 + cfg.image.widths[2] * 4,
  fusion: 12 * cfg.tokenDim,
  vit: cfg.tokenDim,
};
const probe = probeDims[stage] ? new Linear(probeDims[stage]!, cfg.numClasses) : null;
const params = [...model.parameters().filter((p) => p.requiresGrad), ...(probe?.parameters() ?? [])];
const opt = new Adam(params, { lr });
const flat = (t: E.Tensor): E.Tensor => E.reshape(t, [t.shape[0]!, -1]);

function logits(x: E.Tensor, seed: number): E.Tensor {
  const xb = E.resize2d(x, [cfg.backboneSize, cfg.backboneSize], 'bilinear');
  const im = f.image.forward(xb);
  if (stage === 'image') return probe!.forward(E.concat([flat(im[1]), flat(im[2])], 1));
  const lm = f.landmark.forward(xb);
  const o = f.windows.map((w, i) => w.forward(im[i]!, lm[i]!, seed + i));
  if (stage === 'windows') return probe!.forward(E.concat(o.map(flat), 1));
  const tokens = f.fusion.forward(o[0]!, o[1]!, o[2]!);
  if (stage === 'fusion') return probe!.forward(flat(tokens));
  const e = f.vit.forward(tokens, seed + 7);
  if (stage === 'vit') return probe!.forward(e);
  return model.head.classify(model.head.embed(e), seed + 11).logits;
}

const synth = synthConfig({ size: 64, seed: 1, difficulty: Number(arg('difficulty', '0')), minIntensity: Number(arg('min-intensity', '1')), ...(Number(arg('difficulty', '0')) === 0 ? { occluderRate: 0 } : {}) });
const src = synthSplits(synth, { train: Number(arg('train', '1400')), val: 0, test: 0 });
const loader = createLoader({ source: src.train, batchSize: B, sampler: 'shuffle', augment: arg('augment', 'eval') as PresetName, size: cfg.inputSize, seed: 1, dropLast: true });
const total = epochs * loader.batchesPerEpoch;
let step = 0;
for (let ep = 0; ep < epochs; ep++) {
  let ok = 0, n = 0;
  for (const b of loader.epoch(ep)) {
    opt.zeroGrad();
    const pred = E.tidy(() => {
      const x = E.tensor(b.images, [b.size, 3, cfg.inputSize, cfg.inputSize]);
      if (stage === 'full') {
        const out = model.forward(x, step);
        E.backward(model.loss(out, b.labels, step / total, DEFAULT_LOSS).total);
        return E.argmax(out.p, 1);
      }
      const lg = logits(x, step * 31);
      E.backward(E.crossEntropy(lg, b.labels));
      return E.argmax(lg, 1);
    });
    opt.step();
    step++;
    const p = await pred.toArray();
    pred.dispose();
    for (let i = 0; i < b.size; i++) if (p[i] === b.labels[i]) ok++;
    n += b.size;
  }
  console.log(`${stage} epoch ${ep + 1}: training accuracy ${((ok / n) * 100).toFixed(1)} % (chance ${(100 / cfg.numClasses).toFixed(1)} %)`);
}
process.exit(0);
