/**
 * What the tuner measures on this adapter: runs ARBEx-like shapes of every tuned family once with
 * measuring forced on (as it is by default on GPUs), then `tuneKernels()` times every variant and
 * prints the milliseconds and the winner per shape class. Uses an in-memory store (the user's
 * cache is not touched).   npx tsx kernels-bench/tune/tuner-report.ts [--json]
 */
import * as E from '../../src/index.js';
import { initNodeEngine } from '../../src/runtime/device-node.js';
import { tuner, tuneKernels, type TunerRecord } from '../../src/runtime/tuner.js';
import { conv2d } from '../../src/ops/conv.js';

await initNodeEngine({ tuneKernels: true });
const t = tuner();
const mem = new Map<string, TunerRecord>();
t.setStore({ load: (k) => mem.get(k) ?? null, save: (k, r) => void mem.set(k, r), describe: () => 'memory' });
t.measuring = true;
const r = (shape: number[], grad = false): E.Tensor => {
  const x = E.rand(shape, { seed: shape.length });
  return grad ? x.requireGrad() : x;
};
E.tidy(() => {
  E.matmul(r([256, 256]), r([256, 256]));
  E.matmul(r([8, 196, 64]), r([8, 64, 196]));
  E.matmul(r([148, 768]), r([768, 768]));
  const x = r([1, 32, 28, 28], true), w = r([32, 32, 3, 3], true);
  E.backward(E.sum(conv2d(x, w, { padding: 1 })));
  const q = r([1, 4, 196, 32], true), k = r([1, 4, 196, 32], true), v = r([1, 4, 196, 32], true), b = r([4, 196, 196], true);
  E.backward(E.sum(E.attention(q, k, v, { bias: b })));
  E.layerNorm(r([1184, 768]), r([768]), r([768]));
});
const results = await tuneKernels({ trials: 3 });
if (process.argv.includes('--json')) console.log(JSON.stringify({ adapter: t.adapterKey, class: t.adapterClass, results }));
else {
  console.log(`adapter: ${t.adapterKey} (class ${t.adapterClass}); ${results[0]?.clock ?? 'no'} clock`);
  for (const x of results) {
    const ms = Object.entries(x.choice.ms).map(([v, m]) => `${v} ${m.toFixed(2)}`).join(', ');
    console.log(`${x.family.padEnd(9)} ${x.cls.padEnd(44)} winner ${x.choice.variant.padEnd(9)} ms: ${ms}`);
  }
}
process.exit(0);
