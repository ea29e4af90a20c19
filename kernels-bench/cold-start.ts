/**
 * Cold start of ARBEx training: how long a newcomer waits before the first step, and which
 * pipelines cost the most to make ready. Run it on an empty shader cache to see a first run:
 *
 *   MESA_SHADER_CACHE_DIR=$(mktemp -d) npx tsx kernels-bench/cold-start.ts [--config tiny] [--batch 32] [--top 10] [--json]
 *
 * Phases: trace (one training step + one eval batch recorded, nothing run), warm-up (each
 * pipeline created and run once on one workgroup: a software adapter JIT-compiles it then), then
 * the first and second real training steps.
 */
import { initNodeEngine } from '../src/runtime/device-node.js';
import { runtime } from '../src/runtime/runtime.js';
import { manualSeed } from '../src/tensor/create.js';
import { ArbexModel } from '../src/models/arbex/model.js';
import { configByName, DEFAULT_LOSS } from '../src/models/arbex/config.js';
import { buildOptimizer, disposeStep, trainStep } from '../src/train/trainer.js';
import { traceTrainingKernels } from '../src/train/prepare.js';
import { ADAM_SPEC, arg, syntheticBatch } from './arbex-step.js';

const json = process.argv.includes('--json');
const cfg = configByName(arg('config', 'tiny'));
const B = Number(arg('batch', '32'));
const top = Number(arg('top', '10'));

const t0 = performance.now();
await initNodeEngine();
const rt = runtime();
manualSeed(1);
const model = new ArbexModel(cfg);
const spec = ADAM_SPEC;
const stepper = buildOptimizer(model, spec);
await rt.sync();
const tInit = performance.now();
const specs = await traceTrainingKernels({ model, optimizer: spec, loss: DEFAULT_LOSS, batchSize: B });
const tTrace = performance.now();
// CPU time per pipeline (the JIT runs in this process's threads), which stays meaningful when
// other work shares the machine; wall time is reported next to it.
const cpuMs = new Map<string, number>();
let cpuMark = process.cpuUsage();
const timings = await rt.warmup(specs, (done, total, s) => {
  const d = process.cpuUsage(cpuMark);
  cpuMark = process.cpuUsage();
  cpuMs.set(s.key, (d.user + d.system) / 1000);
  if (!json && process.stderr.isTTY) process.stderr.write(`\rcompiling kernels ${done}/${total}`);
});
if (!json && process.stderr.isTTY) process.stderr.write('\n');
const tWarm = performance.now();
const batch = syntheticBatch(cfg, B);
const stepMs: number[] = [];
const compiledBefore = rt.stats().pipelines;
for (let s = 0; s < 2; s++) {
  const ts = performance.now();
  const r = trainStep({ model, stepper, batch, tau: 0.5, loss: DEFAULT_LOSS, seed: s });
  await r.total.item();
  disposeStep(r);
  stepMs.push(performance.now() - ts);
}
const missed = rt.stats().pipelines - compiledBefore;
const cpuOf = (key: string): number => cpuMs.get(key) ?? 0;
const sorted = [...timings].sort((a, b) => cpuOf(b.key) - cpuOf(a.key));
const sum = (k: 'createMs' | 'firstRunMs'): number => timings.reduce((s, t) => s + t[k], 0);
const out = {
  config: cfg.name, batch: B, adapter: rt.adapterInfo, cache: process.env['MESA_SHADER_CACHE_DIR'] ?? '(default)',
  pipelines: specs.length, warmed: timings.length, missed_by_trace: missed,
  ms: {
    init: tInit - t0, trace: tTrace - tInit, warmup: tWarm - tTrace, create_total: sum('createMs'), first_run_total: sum('firstRunMs'),
    warmup_cpu: [...cpuMs.values()].reduce((a, b) => a + b, 0),
    first_step: stepMs[0]!, second_step: stepMs[1]!, to_first_step_done: tWarm - t0 + stepMs[0]!,
  },
  top: sorted.slice(0, top).map((t) => ({ key: t.key, op: t.op, cpu_ms: cpuOf(t.key), wall_ms: t.createMs + t.firstRunMs })),
};
if (json) console.log(JSON.stringify(out));
else {
  const m = out.ms;
  console.log(`ARBEx-${cfg.name}, batch ${B}, ${rt.adapterInfo}, shader cache ${out.cache}`);
  console.log(`${out.pipelines} pipelines (${out.warmed} warmed, ${missed} not found by the trace)`);
  console.log(`init ${(m.init / 1e3).toFixed(1)} s  trace ${(m.trace / 1e3).toFixed(1)} s  warm-up ${(m.warmup / 1e3).toFixed(1)} s (create ${(m.create_total / 1e3).toFixed(1)} s, first runs ${(m.first_run_total / 1e3).toFixed(1)} s; CPU ${(m.warmup_cpu / 1e3).toFixed(1)} s)`);
  console.log(`first step ${(m.first_step / 1e3).toFixed(2)} s, second ${(m.second_step / 1e3).toFixed(2)} s; start to first step done ${(m.to_first_step_done / 1e3).toFixed(1)} s`);
  console.log(`most expensive ${top} (CPU ms, wall ms, op, pipeline):`);
  for (const t of out.top) console.log(`  ${t.cpu_ms.toFixed(0).padStart(6)} ${t.wall_ms.toFixed(0).padStart(6)}  ${t.op.padEnd(28)} ${t.key}`);
}
process.exit(0);
