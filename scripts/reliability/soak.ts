/**
 * Soak: many training steps in one process, sampling every 100 steps the live tensor count, the
 * GPU buffers in use and ever created, the pooled (idle) bytes and the process RSS, to show that
 * nothing grows after warm-up (a leak of one tensor per step is 10,000 tensors here).
 *
 *   nice -n 15 npx tsx scripts/reliability/soak.ts [--mlp-steps 10000] [--arbex-steps 1000] [--batch 8] [--json out.json]
 *
 * Either phase can be skipped with 0 steps (e.g. to run the two phases as two processes).
 *
 * Phase 1: an MLP 64→128→128→10 (BatchNorm between, dropout) with Adam on a fixed random batch of
 * 32 — the engine's tensors, autograd, fused optimizer and pool at a high step rate.
 * Phase 2: ARBEx-tiny, the real training step (trainer.trainStep: reliability balancing,
 * anchor + center loss, Adam per group) on synthetic faces through the real loader (heavy
 * augmentation), batch --batch (default 8), with the losses read back each step as the trainer does.
 * Flatness: the change of each quantity from the first sample after warm-up (step 500 for the
 * MLP, 100 for ARBEx) to the last, and the largest value after warm-up.
 */
import { writeFileSync } from 'node:fs';
import { initNodeEngine } from '../../src/runtime/device-node.js';
import { runtime } from '../../src/runtime/runtime.js';
import { liveTensorCount } from '../../src/tensor/tensor.js';
import { manualSeed, randn, tensor } from '../../src/tensor/create.js';
import { tidy } from '../../src/tensor/scope.js';
import { backward } from '../../src/autograd/graph.js';
import { crossEntropy } from '../../src/ops/loss.js';
import { MLP } from '../../src/nn/container.js';
import { Adam } from '../../src/optim/adam.js';
import { ArbexModel } from '../../src/models/arbex/model.js';
import { TINY, DEFAULT_LOSS } from '../../src/models/arbex/config.js';
import { buildOptimizer, trainStep, trustRamp } from '../../src/train/trainer.js';
import { createLoader } from '../../src/data/loader.js';
import { synthConfig } from '../../src/data/synth/generator.js';
import { synthSplits } from '../../src/data/synth/splits.js';
import { DEFAULT_JOB } from '../../src/train/run-node.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const MLP_STEPS = Number(flag('mlp-steps', '10000'));
const ARBEX_STEPS = Number(flag('arbex-steps', '1000'));
const BATCH = Number(flag('batch', '8'));
const JSON_OUT = flag('json', '');
const EVERY = 100;

interface Sample {
  step: number;
  liveTensors: number;
  buffersInUse: number;
  buffersCreated: number;
  bytesInUse: number;
  bytesPooled: number;
  rssMiB: number;
  loss: number;
  msPerStep: number;
}

async function sample(step: number, loss: number, msPerStep: number): Promise<Sample> {
  await runtime().sync();
  const s = runtime().stats();
  return {
    step, liveTensors: liveTensorCount(), buffersInUse: s.buffersInUse, buffersCreated: s.buffersCreated, bytesInUse: s.bytesInUse, bytesPooled: s.bytesPooled,
    rssMiB: Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10, loss: Math.round(loss * 1e4) / 1e4, msPerStep: Math.round(msPerStep * 10) / 10,
  };
}

type Key = 'liveTensors' | 'buffersInUse' | 'buffersCreated' | 'bytesInUse' | 'bytesPooled' | 'rssMiB';
const KEYS: Key[] = ['liveTensors', 'buffersInUse', 'buffersCreated', 'bytesInUse', 'bytesPooled', 'rssMiB'];

function flatness(samples: Sample[], warmup: number): Record<Key, { atWarmup: number; last: number; max: number }> {
  const after = samples.filter((s) => s.step >= warmup);
  const first = after[0]!, last = after[after.length - 1]!;
  return Object.fromEntries(KEYS.map((k) => [k, { atWarmup: first[k], last: last[k], max: Math.max(...after.map((s) => s[k])) }])) as Record<Key, { atWarmup: number; last: number; max: number }>;
}

function report(name: string, samples: Sample[], warmup: number): ReturnType<typeof flatness> {
  const f = flatness(samples, warmup);
  console.log(`\n${name}: ${samples[samples.length - 1]!.step} steps, warm-up ${warmup}`);
  for (const k of KEYS) console.log(`  ${k.padEnd(15)} at warm-up ${String(f[k].atWarmup).padStart(12)}  last ${String(f[k].last).padStart(12)}  max after warm-up ${String(f[k].max).padStart(12)}`);
  return f;
}

await initNodeEngine();
manualSeed(7);
const t0 = performance.now();

// ---- phase 1: MLP ----
const mlpSamples: Sample[] = [];
if (MLP_STEPS > 0) {
  const model = new MLP([64, 128, 128, 10], { norm: 'batch', dropout: 0.1 });
  model.train();
  const opt = new Adam(model.parameters().filter((p) => p.requiresGrad), { lr: 1e-3 });
  const x = randn([32, 64]);
  const y = tensor(Int32Array.from({ length: 32 }, (_, i) => i % 10));
  let tl = performance.now();
  for (let step = 1; step <= MLP_STEPS; step++) {
    opt.zeroGrad();
    const loss = tidy(() => {
      const l = crossEntropy(model.forward(x), y);
      backward(l);
      return l;
    });
    opt.step();
    if (step % EVERY === 0) {
      const v = await loss.item();
      loss.dispose();
      mlpSamples.push(await sample(step, v, (performance.now() - tl) / EVERY));
      tl = performance.now();
      console.log(`mlp step ${step}: ${JSON.stringify(mlpSamples[mlpSamples.length - 1])}`);
    } else loss.dispose();
  }
  x.dispose();
  y.dispose();
  opt.dispose();
  model.dispose();
}
const mlpFlat = MLP_STEPS > 0 ? report('MLP', mlpSamples, 500) : null;

// ---- phase 2: ARBEx-tiny ----
const arbexSamples: Sample[] = [];
if (ARBEX_STEPS > 0) {
  const cfg = structuredClone(TINY);
  const data = synthSplits(synthConfig({ size: 64, seed: 1 }), { train: 400, val: 8, test: 8 });
  const model = new ArbexModel(cfg);
  const stepper = buildOptimizer(model, DEFAULT_JOB.optimizer);
  const loader = createLoader({ source: data.train, batchSize: BATCH, sampler: 'balanced', augment: 'heavy', size: cfg.inputSize, seed: 1, dropLast: true });
  model.train();
  let step = 0;
  let tl = performance.now();
  for (let epoch = 0; step < ARBEX_STEPS; epoch++) {
    for (const batch of loader.epoch(epoch)) {
      if (step >= ARBEX_STEPS) break;
      const r = trainStep({ model, stepper, batch, tau: trustRamp(step, ARBEX_STEPS), loss: DEFAULT_LOSS, seed: step });
      const [total] = await Promise.all([r.total.item(), r.cls.item(), r.anchor?.item(), r.center?.item(), r.pred.toArray()]);
      for (const t of [r.total, r.cls, r.anchor, r.center, r.pred]) t?.dispose();
      step++;
      if (step % EVERY === 0) {
        arbexSamples.push(await sample(step, total, (performance.now() - tl) / EVERY));
        tl = performance.now();
        console.log(`arbex step ${step}: ${JSON.stringify(arbexSamples[arbexSamples.length - 1])}`);
      }
    }
  }
  stepper.base.dispose();
  model.dispose();
}
const arbexFlat = ARBEX_STEPS > 0 ? report(`ARBEx-tiny (batch ${BATCH})`, arbexSamples, 100) : null;
console.log(`\n${((performance.now() - t0) / 1000).toFixed(0)} s`);
if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ mlp: { steps: MLP_STEPS, flat: mlpFlat, samples: mlpSamples }, arbex: { steps: ARBEX_STEPS, batch: BATCH, flat: arbexFlat, samples: arbexSamples } }, null, 2) + '\n');
process.exit(0);
