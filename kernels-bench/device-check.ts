/**
 * One-shot check for the lent GPU machine (bundled by scripts/prepare-gpu-carry.sh, run by
 * scripts/device-run.sh): prints the adapter, spot-checks matmul (forward and gradients) on
 * random odd sizes against a float64 reference, measures matmul GFLOP/s, writes
 * $OUT/device-check.json and prints a short table last. Device time is scarce there, so every
 * part is bounded and a failing part is recorded rather than aborting the rest.
 *
 * Env: OUT (output folder; default ./out), DEVICE_CHECK_SIZES (default "512,1024,2048"),
 * DEVICE_CHECK_SECONDS (timing budget per size, default 1), DAWN_FLAGS (comma-separated extra
 * flags for webgpu.create, e.g. "backend=vulkan"), DEVICE_CHECK_PARTS (comma list of
 * checks,variants,timing,bench,train; default all), DEVICE_CHECK_ROUNDS (bench rounds, default 3),
 * DEVICE_CHECK_FILTER (substring of "kernel shape" for the bench), DEVICE_CHECK_TRAIN
 * (config:batch:steps, default full:32:3), DEVICE_FP32_PEAK_GFLOPS (the card's fp32 peak for the
 * roofline column; default from a small table of known cards, else none).
 *
 * Kernel variants: matmul's checks run once per variant (forced); conv, attention and layernorm
 * variants are checked in device-variants.ts; the bench runs every variant, the tuner's pick and
 * the peers (tfjs-webgpu bundled in; onnxruntime-node when carried next to the bundle).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as E from '../src/index.js';
import { matmul as refMatmul, permute } from '../test/reference/ops.js';
import { nd, type Nd } from '../test/reference/nd.js';
import { Rng } from '../test/helpers/random.js';
import { setKernelVariant, tuner } from '../src/runtime/tuner.js';
import { MATMUL_VARIANTS } from '../src/ops/matmul-tiled.js';
import { loadOrt, loadTfjs } from './peers.js';
import { trainStep, variantBench, variantChecks, type BenchRow, type TrainResult } from './device-variants.js';

interface WebGpuModule {
  create: (flags: string[]) => GPU;
  globals: object;
}

interface Check {
  name: string;
  maxRelErr: number;
  ok: boolean;
  error?: string;
}

interface Timing {
  size: number;
  iterations: number;
  seconds: number;
  gflops: number;
  bestChunkGflops: number;
  error?: string;
}

const TOL = 1e-4;
const log = (s: string): void => console.log(s);
// Dawn tears its instance down when the GPU object is collected; keep it for the whole run.
let dawn: GPU | null = null;

async function init(): Promise<{ rt: E.Runtime; flags: string[]; attempts: string[] }> {
  const webgpu = (await import('webgpu')) as WebGpuModule;
  Object.assign(globalThis, webgpu.globals);
  const extra = (process.env.DAWN_FLAGS ?? '').split(',').filter(Boolean);
  const tries = [extra, [...extra, 'backend=vulkan']];
  const attempts: string[] = [];
  for (const flags of tries) {
    try {
      dawn = webgpu.create(flags);
      const rt = await E.initEngine({ gpu: dawn });
      return { rt, flags, attempts };
    } catch (e) {
      const msg = `create([${flags.join(', ')}]): ${(e as Error).message}`;
      attempts.push(msg);
      console.error(`no adapter with ${msg}`);
    }
  }
  // Naming an adapter that does not exist makes Dawn list the ones it sees.
  try {
    const gpu = webgpu.create(['adapter=__list_adapters__']);
    await gpu.requestAdapter();
  } catch (e) {
    console.error(`Dawn's adapter list: ${(e as Error).message}`);
  }
  throw new Error(`no WebGPU adapter; tried:\n  ${attempts.join('\n  ')}`);
}

function relErr(got: ArrayLike<number>, want: Nd): number {
  if (got.length !== want.data.length) return Infinity;
  let err = 0, scale = 1;
  for (let i = 0; i < got.length; i++) {
    err = Math.max(err, Math.abs(got[i]! - want.data[i]!));
    scale = Math.max(scale, Math.abs(want.data[i]!));
  }
  return err / scale;
}

const t2 = (m: Nd): Nd => permute(m, [1, 0]);

function randNd(rng: Rng, shape: number[]): Nd {
  const x = nd(shape);
  for (let i = 0; i < x.data.length; i++) x.data[i] = Math.fround(rng.uniform(-1, 1));
  return x;
}

/** loss = Σ w∘(op(A)·op(B)): checks C, dA = W·Bᵀ and dB = Aᵀ·W (transposed back for stored operands). */
async function matmulCheck(rng: Rng, m: number, k: number, n: number, transA: boolean, transB: boolean): Promise<Check[]> {
  const name = `matmul ${m}x${k}x${n}${transA ? ' tA' : ''}${transB ? ' tB' : ''}`;
  const as = randNd(rng, transA ? [k, m] : [m, k]);
  const bs = randNd(rng, transB ? [n, k] : [k, n]);
  const w = randNd(rng, [m, n]);
  const a = transA ? t2(as) : as, b = transB ? t2(bs) : bs;
  const want = refMatmul(a, b);
  const dA = refMatmul(w, t2(b)), dB = refMatmul(t2(a), w);
  const wantDa = transA ? t2(dA) : dA, wantDb = transB ? t2(dB) : dB;
  const ta = E.tensor(Float32Array.from(as.data), as.shape).requireGrad();
  const tb = E.tensor(Float32Array.from(bs.data), bs.shape).requireGrad();
  const tw = E.tensor(Float32Array.from(w.data), w.shape);
  const c = E.matmul(ta, tb, { transA, transB });
  E.backward(E.sum(E.mul(c, tw)));
  const results: [string, E.Tensor, Nd][] = [['C', c, want], ['dA', ta.grad!, wantDa], ['dB', tb.grad!, wantDb]];
  const out: Check[] = [];
  for (const [what, t, ref] of results) {
    const err = relErr(await t.toArray(), ref);
    out.push({ name: `${name} ${what}`, maxRelErr: err, ok: err <= TOL });
  }
  for (const t of [ta, tb, tw, c]) t.dispose();
  return out;
}

async function correctness(): Promise<Check[]> {
  const rng = new Rng(12345);
  const shapes: [number, number, number, boolean, boolean][] = [
    [7, 13, 5, false, false],
    [13, 7, 11, true, true],
    [65, 129, 67, false, false],
    [129, 257, 131, true, false],
    [131, 67, 193, false, true],
    [257, 511, 129, false, false],
  ];
  const checks: Check[] = [];
  for (const v of MATMUL_VARIANTS) {
    setKernelVariant('matmul', v);
    for (const [m, k, n, ta, tb] of shapes) {
      try {
        checks.push(...(await matmulCheck(rng, m, k, n, ta, tb)).map((c) => ({ ...c, name: `${v} ${c.name}` })));
      } catch (e) {
        checks.push({ name: `${v} matmul ${m}x${k}x${n}`, maxRelErr: NaN, ok: false, error: (e as Error).message });
      }
    }
  }
  setKernelVariant('matmul', null);
  return checks;
}

/** Square matmul throughput on the host clock, iterations batched between device syncs. */
async function timeMatmul(rt: E.Runtime, size: number, budgetS: number): Promise<Timing> {
  const a = E.rand([size, size], { seed: 1 });
  const b = E.rand([size, size], { seed: 2 });
  const flop = 2 * size ** 3;
  try {
    const step = (): void => E.matmul(a, b).dispose();
    for (let i = 0; i < 3; i++) step();
    await rt.sync();
    // Chunk size from one timed warm chunk: about a tenth of the budget per chunk.
    let t = performance.now();
    step();
    await rt.sync();
    const one = Math.max((performance.now() - t) / 1000, 1e-6);
    const chunk = Math.max(1, Math.min(500, Math.round(budgetS / 10 / one)));
    let iterations = 0, seconds = 0, best = 0;
    while (seconds < budgetS) {
      t = performance.now();
      for (let i = 0; i < chunk; i++) step();
      await rt.sync();
      const s = (performance.now() - t) / 1000;
      seconds += s;
      iterations += chunk;
      best = Math.max(best, (chunk * flop) / s / 1e9);
    }
    return { size, iterations, seconds, gflops: (iterations * flop) / seconds / 1e9, bestChunkGflops: best };
  } catch (e) {
    return { size, iterations: 0, seconds: 0, gflops: NaN, bestChunkGflops: NaN, error: (e as Error).message };
  } finally {
    a.dispose();
    b.dispose();
  }
}

/** fp32 (non-tensor-core) peak for the roofline: DEVICE_FP32_PEAK_GFLOPS, else published figures. */
function peakGflops(adapter: string): number | null {
  const env = Number(process.env.DEVICE_FP32_PEAK_GFLOPS);
  if (env > 0) return env;
  // NVIDIA datasheets, FP32 (SXM parts): H100 67 TFLOP/s, H200 67 TFLOP/s (same GH100 SMs and clocks).
  if (/H200|H100/i.test(adapter)) return 67000;
  return null;
}

async function main(): Promise<number> {
  const started = Date.now();
  const outDir = process.env.OUT || path.resolve('out');
  const sizes = (process.env.DEVICE_CHECK_SIZES ?? '512,1024,2048').split(',').map(Number).filter((x) => x > 0);
  const budgetS = Number(process.env.DEVICE_CHECK_SECONDS ?? 1);
  const report: Record<string, unknown> = { node: process.version, startedAt: new Date(started).toISOString() };
  const write = (): void => {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(path.join(outDir, 'device-check.json'), JSON.stringify(report, null, 2) + '\n');
  };
  let rt: E.Runtime;
  try {
    const r = await init();
    rt = r.rt;
    report.dawnFlags = r.flags;
    report.failedAttempts = r.attempts;
  } catch (e) {
    report.error = (e as Error).message;
    write();
    throw e;
  }
  const info = rt.adapter?.info;
  report.adapter = {
    summary: rt.adapterInfo,
    vendor: info?.vendor, architecture: info?.architecture, device: info?.device, description: info?.description,
    limits: rt.limits,
    features: [...rt.features].sort(),
  };
  log(`adapter: ${rt.adapterInfo}`);
  log(`limits: ${JSON.stringify(rt.limits)}`);
  log(`features: ${[...rt.features].sort().join(', ')}`);
  write();

  const parts = new Set((process.env.DEVICE_CHECK_PARTS ?? 'checks,variants,timing,bench,train').split(',').map((x) => x.trim()));
  const tn = tuner();
  report.tuner = { adapterKey: tn.adapterKey, adapterClass: tn.adapterClass, measuring: tn.measuring };
  log(`tuner: adapter class ${tn.adapterClass}, measuring ${tn.measuring}`);
  const checks: Check[] = [];
  if (parts.has('checks')) {
    checks.push(...(await correctness()));
    report.checks = checks;
    write();
  }
  if (parts.has('variants')) {
    checks.push(...(await variantChecks()));
    report.checks = checks;
    write();
  }
  const timings: Timing[] = [];
  if (parts.has('timing')) {
    for (const size of sizes) {
      timings.push(await timeMatmul(rt, size, budgetS));
      report.timings = timings;
      write();
    }
  }
  let bench: BenchRow[] = [];
  if (parts.has('bench')) {
    const gpu = dawn!;
    const peers = { tfjs: await loadTfjs(gpu), ort: await loadOrt() };
    report.peers = { tfjs: peers.tfjs.ok ? peers.tfjs.info : `unavailable: ${peers.tfjs.why}`, ort: peers.ort.ok ? peers.ort.info : `unavailable: ${peers.ort.why}` };
    log(`peers: ${JSON.stringify(report.peers)}`);
    try {
      bench = await variantBench(peers, Number(process.env.DEVICE_CHECK_ROUNDS ?? 3), process.env.DEVICE_CHECK_FILTER || null);
    } catch (e) {
      report.benchError = (e as Error).message;
    }
    report.bench = bench;
    write();
  }
  let train: TrainResult | null = null;
  if (parts.has('train')) {
    const [cfg = 'full', batch = '32', steps = '3'] = (process.env.DEVICE_CHECK_TRAIN ?? 'full:32:3').split(':');
    try {
      train = await trainStep(cfg, Number(batch), Number(steps));
    } catch (e) {
      train = { config: cfg, batch: Number(batch), steps: Number(steps), msPerStep: NaN, imagesPerS: NaN, peakMiB: NaN, tuned: {}, error: (e as Error).message };
    }
    report.train = train;
    write();
  }
  report.tunerDecisions = Object.fromEntries(tuner().decisions());
  report.seconds = (Date.now() - started) / 1000;
  write();
  const peak = peakGflops(rt.adapterInfo);
  report.fp32PeakGflops = peak;
  write();

  const failed = checks.filter((c) => !c.ok);
  log('');
  log(`correctness: ${checks.length - failed.length}/${checks.length} ok (tolerance ${TOL} relative to max |ref|)`);
  for (const c of failed) log(`  FAIL ${c.name}: ${c.error ?? `max rel err ${c.maxRelErr.toExponential(2)}`}`);
  log('size  | iterations | seconds | GFLOP/s (mean) | GFLOP/s (best chunk)');
  for (const t of timings) {
    log(t.error
      ? `${String(t.size).padEnd(5)} | error: ${t.error}`
      : `${String(t.size).padEnd(5)} | ${String(t.iterations).padStart(10)} | ${t.seconds.toFixed(2).padStart(7)} | ${t.gflops.toFixed(1).padStart(14)} | ${t.bestChunkGflops.toFixed(1).padStart(20)}`);
  }
  if (bench.length) {
    log('');
    log(`kernel bench (ms per iteration, medians; GFLOP/s${peak ? `, % of the fp32 peak ${peak} GFLOP/s` : ''})`);
    log('kernel | shape | impl | ms | GFLOP/s' + (peak ? ' | % peak' : ''));
    for (const r of bench) {
      const pct = peak && r.gflops ? ` | ${((100 * r.gflops) / peak).toFixed(1)}` : '';
      log(`${r.kernel} | ${r.shape} | ${r.impl} | ${r.error ? `error: ${r.error}` : r.ms.toFixed(3)} | ${r.gflops ? r.gflops.toFixed(r.gflops >= 100 ? 0 : 2) : '—'}${pct}`);
    }
  }
  if (train) {
    log('');
    log(train.error
      ? `ARBEx-${train.config} training step (batch ${train.batch}): error: ${train.error}`
      : `ARBEx-${train.config} training step (batch ${train.batch}): ${train.msPerStep.toFixed(1)} ms/step, ${train.imagesPerS.toFixed(1)} images/s, peak GPU memory ${train.peakMiB.toFixed(0)} MiB (pool)`);
  }
  log(`wrote ${path.join(outDir, 'device-check.json')} (${report.seconds} s)`);
  return failed.length || timings.some((t) => t.error) || train?.error ? 1 : 0;
}

// Exit explicitly: a live Dawn instance keeps Node's event loop running.
main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exit(2);
  },
);
