/**
 * The CPU limit next to the engine: the same matmul and conv shapes as the kernel bench, ours on
 * the WebGPU adapter vs PyTorch on the CPU (Debian python3-torch, 2 threads), interleaved round by
 * round so drift hits both. On a software adapter both run on the same cores, so the ratio says
 * how far the WGSL kernels are from what the CPU can do.
 *
 *   npx tsx kernels-bench/cpu/cpu-limit.ts [--rounds 5] [--filter conv] [--json]
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as E from '../../src/index.js';
import { initNodeEngine } from '../../src/runtime/device-node.js';
import { conv2d } from '../../src/ops/conv.js';

interface Case {
  label: string;
  flops: number;
  req: Record<string, unknown>;
  ours: () => void;
}

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
const rounds = Number(arg('rounds', '5'));
const filter = arg('filter', '');
const json = process.argv.includes('--json');

await initNodeEngine();
const rt = E.runtime();
const rand = (shape: number[]): E.Tensor => E.keep(E.randn(shape));

function matmulCase(batch: number[], m: number, k: number, n: number): Case {
  const a = rand([...batch, m, k]), b = rand([...batch, k, n]);
  const nb = batch.reduce((x, y) => x * y, 1);
  return {
    label: `matmul ${batch.length ? `[${batch},${m},${k}]·[${batch},${k},${n}]` : `${m}x${k}x${n}`}`,
    flops: 2 * nb * m * k * n,
    req: { kind: 'matmul', a: [...batch, m, k], b: [...batch, k, n] },
    ours: () => E.matmul(a, b).dispose(),
  };
}

function convCase(c: number, h: number, o: number, k: number, stride: number, groups: number, backward: boolean): Case {
  const x = rand([1, c, h, h]).requireGrad(backward), w = rand([o, c / groups, k, k]).requireGrad(backward);
  const ho = Math.floor((h + 2 * Math.floor(k / 2) - k) / stride) + 1;
  const fwd = 2 * o * ho * ho * (c / groups) * k * k;
  return {
    label: `conv2d${groups > 1 ? ' depthwise' : ''}${backward ? ' fwd+bwd' : ''} 1x${c}x${h}x${h} → ${o} ${k}x${k} s${stride}`,
    flops: backward ? 3 * fwd : fwd,
    req: { kind: 'conv', x: [1, c, h, h], w: [o, c / groups, k, k], stride, pad: Math.floor(k / 2), groups, backward },
    ours: () => E.tidy(() => {
      const y = conv2d(x, w, { stride, padding: Math.floor(k / 2), groups });
      if (backward) {
        E.backward(E.sum(y));
        for (const t of [x, w]) {
          t.grad?.dispose();
          t.grad = null;
        }
      }
    }),
  };
}

const cases = [
  matmulCase([], 512, 512, 512),
  matmulCase([], 1024, 1024, 1024),
  matmulCase([8], 196, 64, 196),
  convCase(64, 56, 64, 3, 1, 1, false),
  convCase(128, 28, 128, 3, 1, 1, false),
  convCase(64, 56, 128, 3, 2, 1, false),
  convCase(128, 28, 128, 3, 1, 128, false),
  convCase(64, 56, 64, 3, 1, 1, true),
].filter((c) => c.label.includes(filter));

const py = spawn('/usr/bin/python3', [fileURLToPath(new URL('./torch_server.py', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] });
const lines = createInterface({ input: py.stdout! })[Symbol.asyncIterator]();
let torchInfo = '';
async function torchMs(req: Record<string, unknown>): Promise<number> {
  py.stdin!.write(JSON.stringify({ ...req, reps: 3 }) + '\n');
  const r = await lines.next();
  if (r.done) throw new Error('PyTorch helper exited (is python3-torch installed? apt-get install python3-torch)');
  const o = JSON.parse(r.value) as { ms: number; torch: string; threads: number };
  torchInfo = `PyTorch ${o.torch} CPU, ${o.threads} threads`;
  return o.ms;
}
async function oursMs(c: Case): Promise<number> {
  const ts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    c.ours();
    await rt.sync();
    ts.push(performance.now() - t0);
  }
  return ts.sort((a, b) => a - b)[1]!;
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const rows = [];
for (const c of cases) {
  await oursMs(c); // compile + warm
  await torchMs(c.req);
  const o: number[] = [], t: number[] = [];
  for (let r = 0; r < rounds; r++) {
    o.push(await oursMs(c));
    t.push(await torchMs(c.req));
  }
  const row = { case: c.label, ours_gflops: c.flops / median(o) / 1e6, torch_gflops: c.flops / median(t) / 1e6, ours_ms: median(o), torch_ms: median(t) };
  rows.push(row);
  if (json) console.log(JSON.stringify(row));
}
py.stdin!.end();
if (!json) {
  console.log(`ours: ${rt.adapterInfo}; CPU: ${torchInfo}; medians of ${rounds} interleaved rounds`);
  console.log('| case | ours GFLOP/s | PyTorch CPU GFLOP/s | ours / PyTorch |\n| --- | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.case} | ${r.ours_gflops.toFixed(2)} | ${r.torch_gflops.toFixed(2)} | ${(r.ours_gflops / r.torch_gflops).toFixed(2)}× |`);
}
process.exit(0);
