/**
 * Dispatches per ARBEx training step and the buffer pool after each step: shows that a step
 * stays far below the pool's idle ages (64 submits of 256 dispatches, 5 s), so steady-state
 * training releases and creates no buffers even with far more than the 64 MiB bound idle.
 *
 *   npx tsx kernels-bench/pool-steps.ts [config tiny|full] [batch 8] [steps 4]
 */
import { initNodeEngine } from '../src/runtime/device-node.js';
import { runtime } from '../src/runtime/runtime.js';
import { manualSeed, tensor } from '../src/tensor/create.js';
import { tidy } from '../src/tensor/scope.js';
import { backward } from '../src/autograd/graph.js';
import { ArbexModel } from '../src/models/arbex/model.js';
import { configByName, DEFAULT_LOSS } from '../src/models/arbex/config.js';
import { buildOptimizer } from '../src/train/trainer.js';

await initNodeEngine();
const rt = runtime();
manualSeed(1);
const cfg = configByName(process.argv[2] ?? 'tiny');
const B = Number(process.argv[3] ?? 8);
const steps = Number(process.argv[4] ?? 4);
const model = new ArbexModel(cfg);
const lr = { backbone: 1e-3, head: 1e-3, anchors: 1e-3, attention: 1e-3 };
const st = buildOptimizer(model, { name: 'adam', lr, weightDecay: 0, rho: 0.05 });
const images = new Float32Array(B * 3 * cfg.inputSize * cfg.inputSize).map((_, i) => Math.sin(i));
const labels = Int32Array.from({ length: B }, (_, i) => i % 7);
for (let s = 0; s < steps; s++) {
  const d0 = rt.dispatchCount;
  const t0 = performance.now();
  const x = tensor(images, [B, 3, cfg.inputSize, cfg.inputSize]);
  const loss = tidy(() => {
    const t = model.loss(model.forward(x, s), labels, 0.5, DEFAULT_LOSS).total;
    backward(t);
    return t;
  });
  st.base.step();
  st.base.zeroGrad();
  const value = await loss.item();
  loss.dispose();
  x.dispose();
  const m = rt.memory();
  const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
  console.log(`step ${s}: loss ${value.toFixed(3)}, ${rt.dispatchCount - d0} dispatches, ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
    `buffers created ${m.buffersCreated}, released ${m.buffersReleased}; in use ${mib(m.bytesInUse)} MiB, idle ${mib(m.bytesPooled)} MiB`);
}
process.exit(0);
