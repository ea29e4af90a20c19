/**
 * Training throughput of ARBEx (default: tiny), two ways:
 *  - the training loop as `arbex train` runs it (src/train/trainer.ts trainStep: host batch
 *    generation and augmentation, upload, forward, loss, backward, optimizer, then reading back the
 *    losses and predictions, one step after the other): images/s over `--steps` steps. This is what
 *    a user gets, and the headline figure.
 *  - time per phase (data = host batch generation + upload, forward, backward, optimizer), each
 *    phase closed by a device sync so the split is real. The syncs leave the device idle between
 *    phases and backward is timed as (forward + backward) − forward, so the phases' sum is an
 *    upper bound of a step's time, not its time.
 * Also peak GPU memory per step next to its lower bound: parameters + gradients + optimizer state +
 * activations saved for backward (measured as the pool's live bytes after forward minus what was
 * live before it), and dispatches per step.
 *
 *   npx tsx kernels-bench/train-bench.ts [--config tiny|full] [--batch 32] [--steps 8] [--json]
 */
import { initNodeEngine } from '../src/runtime/device-node.js';
import { runtime } from '../src/runtime/runtime.js';
import { manualSeed, tensor } from '../src/tensor/create.js';
import { tidy } from '../src/tensor/scope.js';
import { backward } from '../src/autograd/graph.js';
import { ArbexModel } from '../src/models/arbex/model.js';
import { configByName, DEFAULT_LOSS } from '../src/models/arbex/config.js';
import { buildOptimizer, disposeStep, trainStep } from '../src/train/trainer.js';
import { synthConfig } from '../src/data/synth/generator.js';
import { synthSplits } from '../src/data/synth/splits.js';
import { createLoader } from '../src/data/loader.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
const json = process.argv.includes('--json');
const cfg = configByName(arg('config', 'tiny'));
const B = Number(arg('batch', '32'));
const steps = Number(arg('steps', '8'));

await initNodeEngine();
const rt = runtime();
manualSeed(1);
const model = new ArbexModel(cfg);
const stepper = buildOptimizer(model, { name: 'adam', lr: { backbone: 1e-3, head: 1e-3, anchors: 1e-3, attention: 1e-3 }, weightDecay: 0, rho: 0.05 });
const src = synthSplits(synthConfig({ size: Math.max(64, cfg.inputSize), seed: 1 }), { train: B * (steps + 2), val: 0, test: 0 });
const WARM = 2; // steps before timing starts (pipelines, pool and bind groups warm up)
const loader = createLoader({ source: src.train, batchSize: B, sampler: 'shuffle', augment: 'heavy', size: cfg.inputSize, seed: 1, dropLast: true });
const trainable = model.parameters().filter((p) => p.requiresGrad);
const paramBytes = model.parameters().reduce((s, p) => s + p.size * 4, 0);
const trainBytes = trainable.reduce((s, p) => s + p.size * 4, 0);

const phases = { data: [] as number[], forward: [] as number[], backward: [] as number[], optimizer: [] as number[] };
let peak = 0, saved = 0, stateBytes = 0, dispatches = 0, optDispatches = 0;
let step = 0;
let tPrev = performance.now();
for (const batch of loader.epoch(0)) {
  const t0 = tPrev; // the data phase includes generating and augmenting this batch on the host
  const images = tensor(batch.images, [batch.size, 3, cfg.inputSize, cfg.inputSize]);
  await rt.sync();
  const t1 = performance.now();
  rt.pool.resetPeak();
  const before = rt.pool.stats().bytesInUse;
  let t2 = 0, t3 = 0;
  const loss = tidy(() => {
    const out = model.forward(images, step);
    const parts = model.loss(out, batch.labels, 0.5, DEFAULT_LOSS);
    return parts.total;
  });
  await rt.sync();
  t2 = performance.now();
  // backward needs the graph that the forward scope released, so forward+backward run again in
  // one scope for the backward timing (the forward time is subtracted). Pool accounting is on the
  // host, so the live bytes right after forward (the saved activations) need no sync.
  loss.dispose();
  let afterForward = 0;
  const d0 = rt.dispatchCount;
  const tb0 = performance.now();
  tidy(() => {
    const out = model.forward(images, step);
    const total = model.loss(out, batch.labels, 0.5, DEFAULT_LOSS).total;
    afterForward = rt.pool.stats().bytesInUse;
    backward(total);
  });
  await rt.sync();
  t3 = performance.now() - tb0 - (t2 - t1);
  const stepPeak = rt.pool.stats().peakBytesInUse;
  const t4 = performance.now();
  const d1 = rt.dispatchCount;
  stepper.base.step();
  await rt.sync();
  const t5 = performance.now();
  const stepDispatches = rt.dispatchCount - d0;
  const optimizerDispatches = rt.dispatchCount - d1;
  stepper.base.zeroGrad();
  images.dispose();
  if (step >= WARM) {
    phases.data.push(t1 - t0);
    phases.forward.push(t2 - t1);
    phases.backward.push(t3);
    phases.optimizer.push(t5 - t4);
    dispatches = stepDispatches;
    optDispatches = optimizerDispatches;
    peak = Math.max(peak, stepPeak);
    saved = Math.max(saved, afterForward - before);
  }
  if (++step >= steps + WARM) break;
  tPrev = performance.now();
}
// Optimizer state, read once after the loop: a state dict copies the fused optimizer's moments out
// of its arena, which is a checkpoint's cost, not a training step's (taken every step it added
// ~25 ms to the next step's data phase).
{
  const state = stepper.base.stateDict();
  stateBytes = [...state.tensors.values()].reduce((s, t) => s + t.size * 4, 0);
}
// The training loop, as `arbex train` runs it: next batch, trainStep, read the losses and
// predictions back (the trainer logs them every step), dispose. Nothing synced in between.
let loopMs = 0;
const loopSteps: number[] = [];
{
  let n = 0, t0 = 0, tPrevStep = performance.now();
  for (const batch of loader.epoch(1)) {
    if (n === WARM) t0 = performance.now();
    const r = trainStep({ model, stepper, batch, tau: 0.5, loss: DEFAULT_LOSS, seed: 1000 + n });
    await Promise.all([r.total.item(), r.cls.item(), r.primary?.item(), r.anchor?.item(), r.center?.item(), r.pred.toArray()]);
    disposeStep(r);
    const now = performance.now();
    if (n >= WARM) loopSteps.push(now - tPrevStep);
    tPrevStep = now;
    if (++n >= steps + WARM) break;
  }
  loopMs = (performance.now() - t0) / (n - WARM);
}
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const total = med(phases.data) + med(phases.forward) + med(phases.backward) + med(phases.optimizer);
const out = {
  config: cfg.name, batch: B, steps, adapter: rt.adapterInfo,
  images_per_s: (B / loopMs) * 1000,
  loop_ms_per_step: loopMs,
  loop_step_ms: { min: Math.min(...loopSteps), median: med(loopSteps), max: Math.max(...loopSteps) },
  phases_images_per_s: (B / total) * 1000,
  ms: { data: med(phases.data), forward: med(phases.forward), backward: med(phases.backward), optimizer: med(phases.optimizer), step: total },
  dispatches_per_step: dispatches, optimizer_dispatches: optDispatches,
  memory_mb: {
    peak_step: peak / 2 ** 20, parameters: paramBytes / 2 ** 20, gradients: trainBytes / 2 ** 20,
    optimizer_state: stateBytes / 2 ** 20, saved_activations: saved / 2 ** 20,
    lower_bound: (paramBytes + trainBytes + stateBytes + saved) / 2 ** 20,
  },
};
if (json) console.log(JSON.stringify(out));
else {
  console.log(`ARBEx-${out.config}, batch ${B}, ${rt.adapterInfo}`);
  console.log(`throughput ${out.images_per_s.toFixed(1)} images/s (training loop as arbex train runs it: ${loopMs.toFixed(0)} ms per step, mean of ${steps} steps; per step min ${out.loop_step_ms.min.toFixed(0)}, median ${out.loop_step_ms.median.toFixed(0)}, max ${out.loop_step_ms.max.toFixed(0)})`);
  console.log(`phases, each synced: ${out.phases_images_per_s.toFixed(1)} images/s (sum of medians ${total.toFixed(0)} ms over ${steps} steps)`);
  console.log(`  data ${out.ms.data.toFixed(0)} ms  forward ${out.ms.forward.toFixed(0)} ms  backward ${out.ms.backward.toFixed(0)} ms  optimizer ${out.ms.optimizer.toFixed(0)} ms`);
  console.log(`  ${dispatches} dispatches per step (forward + backward + optimizer), of which the optimizer ${optDispatches}`);
  const m = out.memory_mb;
  console.log(`peak GPU memory per step ${m.peak_step.toFixed(1)} MiB vs parameters ${m.parameters.toFixed(1)} + gradients ${m.gradients.toFixed(1)} + optimizer state ${m.optimizer_state.toFixed(1)} + saved activations ${m.saved_activations.toFixed(1)} = ${m.lower_bound.toFixed(1)} MiB`);
}
process.exit(0);
