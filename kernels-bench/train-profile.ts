/**
 * Where an ARBEx training step spends device time, per op: each dispatch of a few training steps
 * runs in a pass of its own with timestamp queries (Runtime.profile). The pass split adds a little
 * per dispatch, so use the shares and dispatch counts, and train-bench.ts for throughput.
 *
 *   npx tsx kernels-bench/train-profile.ts [--config tiny] [--batch 32] [--steps 3] [--top 40] [--by-pipeline | --by-grid] [--json]
 */
import { initNodeEngine } from '../src/runtime/device-node.js';
import { runtime } from '../src/runtime/runtime.js';
import { manualSeed } from '../src/tensor/create.js';
import { ArbexModel } from '../src/models/arbex/model.js';
import { configByName, DEFAULT_LOSS } from '../src/models/arbex/config.js';
import { buildOptimizer, disposeStep, trainStep } from '../src/train/trainer.js';
import { ADAM_SPEC, arg, syntheticBatch } from './arbex-step.js';

const json = process.argv.includes('--json');
const cfg = configByName(arg('config', 'tiny'));
const B = Number(arg('batch', '32'));
const steps = Number(arg('steps', '3'));
const top = Number(arg('top', '40'));
const by = process.argv.includes('--by-grid') ? 'grid' as const : process.argv.includes('--by-pipeline') ? 'pipeline' as const : 'op' as const;

await initNodeEngine();
const rt = runtime();
manualSeed(1);
const model = new ArbexModel(cfg);
const spec = ADAM_SPEC;
const stepper = buildOptimizer(model, spec);
const batch = syntheticBatch(cfg, B);
const step = async (seed: number): Promise<void> => {
  const r = trainStep({ model, stepper, batch, tau: 0.5, loss: DEFAULT_LOSS, seed });
  await r.total.item();
  disposeStep(r);
};
await step(0); // compiles every pipeline
const d0 = rt.stats().dispatches;
const rows = await rt.profile(async () => {
  for (let s = 1; s <= steps; s++) await step(s);
}, { by });
const perStep = (rt.stats().dispatches - d0) / steps;
const total = rows.reduce((a, r) => a + r.ms, 0) / steps;
if (json) console.log(JSON.stringify({ config: cfg.name, batch: B, dispatchesPerStep: perStep, msPerStep: total, rows }));
else {
  console.log(`ARBEx-${cfg.name}, batch ${B}, ${rt.adapterInfo}`);
  console.log(`${perStep} dispatches per step, ${total.toFixed(0)} ms device time per step (profiled: one pass per dispatch)`);
  console.log('   ms/step  share  calls/step  pipelines  op');
  for (const r of rows.slice(0, top)) {
    console.log(`${(r.ms / steps).toFixed(1).padStart(10)} ${((100 * r.ms) / steps / total).toFixed(1).padStart(5)}% ${(r.calls / steps).toFixed(0).padStart(10)} ${String(r.pipelines).padStart(10)}  ${r.op}`);
  }
}
process.exit(0);
