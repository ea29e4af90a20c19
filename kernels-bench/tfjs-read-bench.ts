/**
 * TF.js weight decoding speed: ours (`decodeWeightGroup`) against tfjs-core's `io.decodeWeights`
 * (CPU backend: the decoded arrays stay on the host, as ours do) on the same shard bytes (float32 and uint8-quantised weights), median of 7 runs each.
 * Usage: npx tsx kernels-bench/tfjs-read-bench.ts [--mib 32]
 */
import * as tf from '@tensorflow/tfjs-core';
// decodeWeights makes tensors, so it needs a backend; the CPU one keeps them as host arrays.
import '@tensorflow/tfjs-backend-cpu';
import { decodeWeightGroup, type TfjsWeightGroup } from '../src/io/tfjs-manifest.js';

await tf.setBackend('cpu');
const mibArg = process.argv.indexOf('--mib');
const mib = mibArg > 0 ? Number(process.argv[mibArg + 1]) : 32;
const n = (mib * 2 ** 20) / 4;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function time(fn: () => unknown): number {
  const runs: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    fn();
    runs.push(performance.now() - t0);
  }
  return median(runs);
}

// A few weights of different sizes, like a conv net: 60 % / 30 % / 10 % of the bytes.
const sizes = [Math.floor(n * 0.6), Math.floor(n * 0.3)];
sizes.push(n - sizes[0]! - sizes[1]!);
for (const quant of [false, true]) {
  const specs = sizes.map((s, i) => ({ name: `w${i}`, shape: [s], dtype: 'float32' as const, ...(quant ? { quantization: { dtype: 'uint8' as const, scale: 0.01, min: -1 } } : {}) }));
  const bytes = new Uint8Array(quant ? n : n * 4);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
  if (!quant) {
    // Finite floats only (random bytes could spell NaNs, which some paths treat differently).
    const f = new Float32Array(bytes.buffer);
    for (let i = 0; i < f.length; i++) f[i] = ((i % 1000) - 500) / 250;
  }
  const group: TfjsWeightGroup = { paths: ['shard'], weights: specs };
  const ours = time(() => decodeWeightGroup(group, bytes));
  const theirs = time(() => {
    const m = tf.io.decodeWeights(bytes.buffer.slice(0), specs);
    for (const t of Object.values(m)) t.dispose();
  });
  console.log(`${quant ? 'uint8-quantised' : 'float32'} ${mib} MiB of values: ours ${ours.toFixed(1)} ms, tfjs-core io.decodeWeights ${theirs.toFixed(1)} ms (ours/tfjs time ${(ours / theirs).toFixed(2)})`);
}
