/**
 * `npm run bench [-- --json] [--filter <substr>] [--quick] [--rounds N] [--no-torch]`
 *
 * Loads every kernels-bench/cases/*.ts and runs each case for our engine, tfjs-backend-webgpu,
 * onnxruntime-node's WebGPU EP and (where a case has a request for it and python3-torch is
 * installed) PyTorch on the CPU, interleaved round by round (ours, tfjs, ort, torch, ours, ...), and
 * reports median GFLOP/s and GB/s per implementation, plus the device's copy bandwidth as the
 * memory roofline. A peer that is missing or fails is reported and skipped.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { initNodeEngine, dawnGpu } from '../src/runtime/device-node.js';
import type { BenchCase, PeerRun } from './case.js';
import { loadOrt, loadTfjs, type Loaded, type OrtModule, type TfjsModule } from './peers.js';
import { GpuTimer, copyBandwidth, median, timeOurs, timeWall, type Sample } from './timing.js';
import { loadTorch, type TorchPeer } from './cpu/torch-peer.js';

interface Options {
  json: boolean;
  /** Leave out the PyTorch-CPU column. */
  noTorch: boolean;
  filter: string | null;
  quick: boolean;
  rounds: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { json: false, noTorch: false, filter: null, quick: false, rounds: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') o.json = true;
    else if (a === '--quick') o.quick = true;
    else if (a === '--no-torch') o.noTorch = true;
    else if (a === '--filter') o.filter = argv[++i] ?? '';
    else if (a === '--rounds') o.rounds = Number(argv[++i]);
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run bench -- [--json] [--filter <substr>] [--quick] [--rounds N] [--no-torch]');
      process.exit(0);
    } else throw new Error(`unknown argument '${a}' (try --help)`);
  }
  if (!(o.rounds >= 1)) o.rounds = o.quick ? 3 : 7;
  return o;
}

type Impl = 'ours' | 'tfjs' | 'ort' | 'torch';
const IMPLS: Impl[] = ['ours', 'tfjs', 'ort', 'torch'];

interface Result {
  c: BenchCase;
  samples: Record<Impl, Sample[]>;
  errors: Partial<Record<Impl, string>>;
}

const errText = (e: unknown) => (e instanceof Error ? e.message.split('\n')[0]! : String(e));

async function loadCases(log: (s: string) => void): Promise<BenchCase[]> {
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'cases');
  const out: BenchCase[] = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()) {
    try {
      const mod = (await import(pathToFileURL(join(dir, f)).href)) as { cases?: BenchCase[] };
      if (!Array.isArray(mod.cases)) throw new Error('exports no `cases` array');
      out.push(...mod.cases);
    } catch (e) {
      log(`cases/${f}: skipped (${errText(e)})`);
    }
  }
  return out;
}

async function benchCase(c: BenchCase, o: Options, peers: { tfjs: TfjsModule | null; ort: OrtModule | null; torch: TorchPeer | null }, timer: GpuTimer | null): Promise<Result> {
  const res: Result = { c, samples: { ours: [], tfjs: [], ort: [], torch: [] }, errors: {} };
  const runs: Partial<Record<Impl, PeerRun>> = {};
  const reps: Partial<Record<Impl, number>> = {};
  const target = o.quick ? 0.12 : 0.3; // seconds per timed sample
  const setups: Record<Impl, (() => Promise<PeerRun>) | null> = {
    ours: c.ours,
    tfjs: c.tfjs && peers.tfjs ? () => c.tfjs!(peers.tfjs!) : null,
    ort: c.ort && peers.ort ? () => c.ort!(peers.ort!) : null,
    torch: c.torch && peers.torch ? () => peers.torch!.setup(c.torch!) : null,
  };
  const time = (impl: Impl, r: PeerRun, n: number) => (impl === 'ours' ? timeOurs(r, n, timer) : timeWall(r, n));
  for (const impl of IMPLS) {
    const setup = setups[impl];
    if (!setup) continue;
    try {
      const r = await setup();
      await time(impl, r, 1); // compiles pipelines, allocates
      const probe = await time(impl, r, 1);
      reps[impl] = Math.max(1, Math.min(500, Math.round(target / (probe.wallMs / 1000))));
      runs[impl] = r;
    } catch (e) {
      res.errors[impl] = errText(e);
    }
  }
  for (let round = 0; round < o.rounds; round++) {
    for (const impl of IMPLS) {
      const r = runs[impl];
      if (!r || res.errors[impl]) continue;
      try {
        res.samples[impl].push(await time(impl, r, reps[impl]!));
      } catch (e) {
        res.errors[impl] = errText(e);
      }
    }
  }
  for (const impl of IMPLS) {
    try {
      runs[impl]?.dispose?.();
    } catch {
      // A failing dispose must not hide the numbers.
    }
  }
  return res;
}

function rates(r: Result, impl: Impl) {
  const s = r.samples[impl];
  if (r.errors[impl] || s.length === 0) return { ms: null, wallMs: null, gflops: null, gbs: null };
  const ms = median(s.map((x) => x.ms));
  const wallMs = median(s.map((x) => x.wallMs));
  return {
    ms,
    wallMs,
    gflops: r.c.flops ? r.c.flops / (ms * 1e6) : null,
    gbs: r.c.bytes ? r.c.bytes / (ms * 1e6) : null,
  };
}

const round3 = (x: number | null) => (x === null ? null : Number(x.toPrecision(4)));
const fmt = (x: number | null, digits = 2) => (x === null ? '—' : x.toFixed(digits));
const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? '—' : `${(a / b).toFixed(2)}×`);

function table(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  // In --json mode stdout carries only result lines; diagnostics go to stderr.
  const log = (s: string) => (o.json ? console.error(s) : console.log(s));
  const rt = await initNodeEngine();
  const gpu = dawnGpu()!;
  const timer = GpuTimer.available(rt.device) ? new GpuTimer(rt.device) : null;
  log(`adapter: ${rt.adapterInfo}`);
  log(`timing: ours by ${timer ? 'timestamp queries (device time)' : 'host clock around device sync'}; peers by host clock around their sync`);

  const all = await loadCases(log);
  const selected = all.filter((c) => (!o.filter || `${c.kernel} ${c.shape}`.includes(o.filter)) && !(o.quick && c.quick === false));
  const needTfjs = selected.some((c) => c.tfjs);
  const needOrt = selected.some((c) => c.ort);
  const needTorch = !o.noTorch && selected.some((c) => c.torch);
  const skipped: Loaded<never> = { ok: false, why: 'not needed by the selected cases' };
  const tfl = needTfjs ? await loadTfjs(gpu) : skipped;
  const orl = needOrt ? await loadOrt() : skipped;
  const tol = needTorch ? await loadTorch() : skipped;
  log(`tfjs: ${tfl.ok ? tfl.info : `unavailable (${tfl.why})`}`);
  log(`ort:  ${orl.ok ? orl.info : `unavailable (${orl.why})`}`);
  log(`torch: ${tol.ok ? tol.info : `unavailable (${tol.why})`}`);

  const copyBytes = 64 << 20;
  const copyGbs = await copyBandwidth(rt.device, copyBytes, o.quick ? 4 : 8, o.quick ? 3 : 5);
  const roofline = `memory roofline: ${copyGbs.toFixed(2)} GB/s (buffer-to-buffer copy of 64 MiB, read + write bytes)`;
  log(roofline);
  if (o.json) {
    console.log(JSON.stringify({ kernel: 'copy', shape: '64MiB', ours_gflops: null, tfjs_gflops: null, ort_gflops: null, torch_gflops: null, ours_gbs: round3(copyGbs), adapter: rt.adapterInfo }));
  }
  if (selected.length === 0) log('no case matches');

  const peers = { tfjs: tfl.ok ? tfl.mod : null, ort: orl.ok ? orl.mod : null, torch: tol.ok ? tol.mod : null };
  const rows: string[][] = [['kernel', 'shape', 'ours GFLOP/s', 'tfjs', 'ort', 'torch cpu', 'ours/tfjs', 'ours/ort', 'ours/torch', 'ours GB/s', 'ours ms', 'tfjs ms', 'ort ms', 'torch ms']];
  const notes: string[] = [];
  for (const c of selected) {
    const r = await benchCase(c, o, peers, timer);
    const [ours, tf, ort, pt] = IMPLS.map((i) => rates(r, i)) as [ReturnType<typeof rates>, ReturnType<typeof rates>, ReturnType<typeof rates>, ReturnType<typeof rates>];
    for (const [impl, e] of Object.entries(r.errors)) notes.push(`${c.kernel} ${c.shape}: ${impl} failed: ${e}`);
    if (c.note) notes.push(`${c.kernel} ${c.shape}: ${c.note}`);
    if (o.json) {
      console.log(JSON.stringify({
        kernel: c.kernel, shape: c.shape,
        ours_gflops: round3(ours.gflops), tfjs_gflops: round3(tf.gflops), ort_gflops: round3(ort.gflops), torch_gflops: round3(pt.gflops),
        ours_gbs: round3(ours.gbs), tfjs_gbs: round3(tf.gbs), ort_gbs: round3(ort.gbs),
        ours_ms: round3(ours.ms), tfjs_ms: round3(tf.ms), ort_ms: round3(ort.ms), torch_ms: round3(pt.ms), ours_wall_ms: round3(ours.wallMs),
        ours_timing: timer ? 'timestamp' : 'wall', rounds: o.rounds,
        errors: Object.keys(r.errors).length ? r.errors : undefined,
      }));
    } else {
      const useRate = c.flops ? 'gflops' : 'gbs';
      rows.push([
        c.kernel, c.shape,
        fmt(c.flops ? ours.gflops : ours.gbs), fmt(tf[useRate]), fmt(ort[useRate]), fmt(pt[useRate]),
        ratio(ours[useRate], tf[useRate]), ratio(ours[useRate], ort[useRate]), ratio(ours[useRate], pt[useRate]),
        fmt(ours.gbs), fmt(ours.ms, 3), fmt(tf.ms, 3), fmt(ort.ms, 3), fmt(pt.ms, 3),
      ]);
      if (!c.flops) notes.push(`${c.kernel} ${c.shape}: rates are GB/s (no flop count)`);
      console.log(`  done: ${c.kernel} ${c.shape}`);
    }
  }
  if (!o.json) {
    console.log(`\nmedians of ${o.rounds} interleaved rounds\n` + table(rows));
    for (const n of notes) console.log(`note: ${n}`);
  } else {
    for (const n of notes) console.error(`note: ${n}`);
  }
  peers.torch?.close();
  // Native peers (ORT's Dawn) may keep the event loop alive; results are complete here.
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
