/**
 * JIT cost of the kernel variants' pipelines on a software adapter: for each forced variant and
 * one small problem per family (shapes of test/ops/kernel-variants.test.ts), traces a forward and
 * backward pass, then creates and runs each pipeline once (Runtime.warmup), timing the CPU this
 * process spends per pipeline (llvmpipe compiles at the first dispatch, in this process's
 * threads; CPU time stays meaningful on a shared machine). Run it with the cache off:
 *
 *   MESA_SHADER_CACHE_DISABLE=true npx tsx kernels-bench/variant-compile.ts [--family attention] [--variant tiled] [--dh 8]
 */
import { initNodeEngine } from '../src/runtime/device-node.js';
import { runtime } from '../src/runtime/runtime.js';
import { setKernelVariant } from '../src/runtime/tuner.js';
import { backward, matmul, tensor, tidy, type Tensor } from '../src/index.js';
import { conv2d } from '../src/ops/conv.js';
import { attention } from '../src/ops/attention.js';
import { layerNorm } from '../src/ops/layernorm.js';
import { MATMUL_VARIANTS } from '../src/ops/matmul-tiled.js';
import { CONV_VARIANTS } from '../src/ops/conv-tiled.js';
import { ATTENTION_VARIANTS } from '../src/ops/attention-tiled.js';
import { LAYERNORM_VARIANTS } from '../src/ops/layernorm-tiled.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

const rand = (shape: number[]): Tensor => tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i)), shape).requireGrad(true);

/** One forward + backward of each family at a small shape; returns nothing (traced). */
const problems: Record<string, { variants: readonly string[]; run: () => void }> = {
  matmul: { variants: MATMUL_VARIANTS, run: () => { const y = matmul(rand([13, 7]), rand([7, 11])); backward(y, tensor(new Float32Array(143), [13, 11])); } },
  conv: {
    variants: CONV_VARIANTS,
    run: () => { const y = conv2d(rand([2, 3, 7, 5]), rand([5, 3, 3, 3]), { padding: 1, bias: rand([5]) }); backward(y, tensor(new Float32Array(y.size), y.shape)); },
  },
  attention: {
    variants: ATTENTION_VARIANTS,
    run: () => {
      const D = Number(arg('dh') ?? 8);
      const y = attention(rand([2, 3, 5, D]), rand([2, 3, 7, D]), rand([2, 3, 7, D]), { bias: rand([3, 5, 7]) });
      backward(y, tensor(new Float32Array(y.size), y.shape));
    },
  },
  layernorm: {
    variants: LAYERNORM_VARIANTS,
    run: () => { const y = layerNorm(rand([5, 64]), rand([64]), rand([64]), 1e-5); backward(y, tensor(new Float32Array(y.size), y.shape)); },
  },
};

await initNodeEngine();
const rt = runtime();
const rows: { family: string; variant: string; key: string; cpuMs: number; wallMs: number }[] = [];
for (const [family, p] of Object.entries(problems)) {
  if (arg('family') && arg('family') !== family) continue;
  for (const variant of p.variants) {
    if (arg('variant') && arg('variant') !== variant) continue;
    setKernelVariant(family, variant);
    const specs = await rt.trace(() => { tidy(() => { p.run(); }); });
    let mark = process.cpuUsage();
    const timings = await rt.warmup(specs, (_d, _t, s) => {
      const d = process.cpuUsage(mark);
      mark = process.cpuUsage();
      const t = rt.pipelineTimings[rt.pipelineTimings.length - 1]!;
      rows.push({ family, variant, key: s.key, cpuMs: (d.user + d.system) / 1000, wallMs: t.createMs + t.firstRunMs });
    });
    void timings;
    setKernelVariant(family, null);
  }
}
rows.sort((a, b) => b.cpuMs - a.cpuMs);
console.log(`${rows.length} pipelines, CPU ${(rows.reduce((s, r) => s + r.cpuMs, 0) / 1e3).toFixed(1)} s (cache ${process.env['MESA_SHADER_CACHE_DISABLE'] === 'true' ? 'off' : 'on'})`);
for (const r of rows) console.log(`${r.cpuMs.toFixed(0).padStart(7)} ${r.wallMs.toFixed(0).padStart(7)}  ${`${r.family}:${r.variant}`.padEnd(20)} ${r.key}`);
process.exit(0);
