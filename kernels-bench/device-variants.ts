/**
 * Device-check parts for the kernel variants (run on the lent GPU by kernels-bench/device-check.ts):
 *   variantChecks  every variant of conv, attention and layernorm forced, forward and gradients
 *                  against the float64 references of test/reference (matmul's are in device-check);
 *   variantBench   the kernel cases of kernels-bench/cases for every variant forced, the tuner's own
 *                  pick, and tfjs-webgpu / onnxruntime-webgpu where they load, interleaved rounds;
 *   trainStep      ARBEx (full by default) training steps at batch 32: time per step and peak GPU
 *                  memory, after the tuner has measured the step's shape classes.
 * Each part is bounded and records failures instead of aborting the rest.
 */
import * as E from '../src/index.js';
import { conv2d } from '../src/ops/conv.js';
import { attention } from '../src/ops/attention.js';
import { layerNorm } from '../src/ops/layernorm.js';
import { CONV_VARIANTS } from '../src/ops/conv-tiled.js';
import { ATTENTION_VARIANTS } from '../src/ops/attention-tiled.js';
import { LAYERNORM_VARIANTS } from '../src/ops/layernorm-tiled.js';
import { MATMUL_VARIANTS } from '../src/ops/matmul-tiled.js';
import { setKernelVariant, tuner, tuneKernels } from '../src/runtime/tuner.js';
import { runtime } from '../src/runtime/runtime.js';
import * as RC from '../test/reference/conv.js';
import * as RA from '../test/reference/attention.js';
import * as RL from '../test/reference/layernorm.js';
import { nd, type Nd } from '../test/reference/nd.js';
import { Rng } from '../test/helpers/random.js';
import type { BenchCase, PeerRun } from './case.js';
import { cases as matmulCases } from './cases/matmul.js';
import { cases as convCases } from './cases/conv.js';
import { cases as attentionCases } from './cases/attention.js';
import { cases as layernormCases } from './cases/layernorm.js';
import { GpuTimer, median, timeOurs, timeWall } from './timing.js';
import type { Loaded, OrtModule, TfjsModule } from './peers.js';
import { ArbexModel } from '../src/models/arbex/model.js';
import { configByName, DEFAULT_LOSS } from '../src/models/arbex/config.js';
import { buildOptimizer } from '../src/train/trainer.js';
import { manualSeed, tensor } from '../src/tensor/create.js';
import { tidy } from '../src/tensor/scope.js';
import { backward } from '../src/autograd/graph.js';

export interface VariantCheck { name: string; maxRelErr: number; ok: boolean; error?: string }

const TOL = 2e-4;

function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let err = 0, scale = 1;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    err = Number.isNaN(d) ? Infinity : Math.max(err, d);
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return err / scale;
}

function rand(rng: Rng, shape: number[], amp = 1): Nd {
  const n = shape.reduce((a, b) => a * b, 1);
  return nd(shape, Float32Array.from(rng.array(n, -amp, amp)));
}
const T = (x: Nd, grad = true): E.Tensor => { const t = E.tensor(Float32Array.from(x.data), x.shape); return grad ? t.requireGrad() : t; };

async function convCheck(rng: Rng, v: string, xs: number[], ws: number[], opts: RC.ConvOpts): Promise<VariantCheck[]> {
  const x = rand(rng, xs), w = rand(rng, ws, 0.3), b = rand(rng, [ws[0]!]);
  const g = RC.geometry(xs, ws, opts);
  const gy = rand(rng, [g.n, g.o, g.ho, g.wo]);
  const tx = T(x), tw = T(w), tb = T(b);
  const y = conv2d(tx, tw, { ...(opts as E.Conv2dOptions), bias: tb });
  E.backward(y, T(gy, false));
  const [yv, dx, dw] = [await y.toArray(), await tx.grad!.toArray(), await tw.grad!.toArray()];
  const want = RC.conv2d(x, w, b, opts).data;
  const wantDx: number[] = [], gotDx: number[] = [], wantDw: number[] = [], gotDw: number[] = [];
  for (let s = 0; s < 64; s++) {
    const n = rng.int(g.n), c = rng.int(g.c), iy = rng.int(g.h), ix = rng.int(g.w);
    gotDx.push(dx[((n * g.c + c) * g.h + iy) * g.w + ix]!);
    wantDx.push(RC.convDxAt(gy, w, g, n, c, iy, ix));
    const o = rng.int(g.o), ci = rng.int(g.c / g.groups), ky = rng.int(g.kh), kx = rng.int(g.kw);
    gotDw.push(dw[((o * (g.c / g.groups) + ci) * g.kh + ky) * g.kw + kx]!);
    wantDw.push(RC.convDwAt(gy, x, g, o, ci, ky, kx));
  }
  for (const t of [tx, tw, tb, y]) { t.grad?.dispose(); t.dispose(); }
  const name = `conv:${v} ${xs.join('x')} * ${ws.join('x')} ${JSON.stringify(opts)}`;
  return [['Y', yv, want], ['dX', gotDx, wantDx], ['dW', gotDw, wantDw]].map(([what, got, ref]) => {
    const e = relErr(got as ArrayLike<number>, ref as ArrayLike<number>);
    return { name: `${name} ${what as string}`, maxRelErr: e, ok: e <= TOL };
  });
}

async function attentionCheck(rng: Rng, v: string, [B, H, Lq, Lk, Dh]: number[]): Promise<VariantCheck[]> {
  const q = rand(rng, [B!, H!, Lq!, Dh!]), k = rand(rng, [B!, H!, Lk!, Dh!]), vv = rand(rng, [B!, H!, Lk!, Dh!]), bias = rand(rng, [H!, Lq!, Lk!]);
  const dO = rand(rng, [B!, H!, Lq!, Dh!]);
  const a: RA.AttnInputs = { q, k, v: vv, bias, scale: Dh! ** -0.5 };
  const ts = [q, k, vv, bias].map((x) => T(x));
  const o = attention(ts[0]!, ts[1]!, ts[2]!, { bias: ts[3] });
  E.backward(o, T(dO, false));
  const ref = RA.attentionBackward(a, dO);
  const pairs: [string, E.Tensor, Nd][] = [['O', o, RA.attention(a)], ['dQ', ts[0]!.grad!, ref.dq], ['dK', ts[1]!.grad!, ref.dk], ['dV', ts[2]!.grad!, ref.dv], ['dBias', ts[3]!.grad!, ref.dbias]];
  const out: VariantCheck[] = [];
  for (const [what, t, r] of pairs) {
    const e = relErr(await t.toArray(), r.data);
    out.push({ name: `attention:${v} B${B} H${H} Lq${Lq} Lk${Lk} Dh${Dh} ${what}`, maxRelErr: e, ok: e <= TOL });
  }
  for (const t of [...ts, o]) { t.grad?.dispose(); t.dispose(); }
  return out;
}

async function layerNormCheck(rng: Rng, v: string, shape: number[]): Promise<VariantCheck[]> {
  const D = shape[shape.length - 1]!;
  const x = rand(rng, shape, 2), w = rand(rng, [D]), b = rand(rng, [D]), g = rand(rng, shape);
  const ts = [x, w, b].map((t) => T(t));
  const y = layerNorm(ts[0]!, ts[1]!, ts[2]!, 1e-5);
  E.backward(y, T(g, false));
  const ref = RL.layerNormBackward(x, w, g, 1e-5);
  const pairs: [string, E.Tensor, Nd][] = [['Y', y, RL.layerNorm(x, w, b, 1e-5)], ['dX', ts[0]!.grad!, ref.dx], ['dW', ts[1]!.grad!, ref.dw], ['dB', ts[2]!.grad!, ref.db]];
  const out: VariantCheck[] = [];
  for (const [what, t, r] of pairs) {
    const e = relErr(await t.toArray(), r.data);
    out.push({ name: `layernorm:${v} [${shape}] ${what}`, maxRelErr: e, ok: e <= TOL });
  }
  for (const t of [...ts, y]) { t.grad?.dispose(); t.dispose(); }
  return out;
}

async function guarded(name: string, f: () => Promise<VariantCheck[]>): Promise<VariantCheck[]> {
  try {
    return await f();
  } catch (e) {
    return [{ name, maxRelErr: NaN, ok: false, error: (e as Error).message }];
  }
}

/** Every conv/attention/layernorm variant forced, forward and gradients vs float64. */
export async function variantChecks(): Promise<VariantCheck[]> {
  const rng = new Rng(777);
  const out: VariantCheck[] = [];
  for (const v of CONV_VARIANTS) {
    setKernelVariant('conv', v);
    for (const [xs, ws, opts] of [
      [[2, 19, 9, 9], [67, 19, 3, 3], { padding: 1 }],
      [[2, 4, 10, 11], [6, 2, 3, 2], { stride: [2, 3], padding: [1, 0], groups: 2 }],
      [[4, 16, 28, 28], [32, 16, 3, 3], { stride: 2, padding: 1 }],
    ] as [number[], number[], RC.ConvOpts][]) out.push(...(await guarded(`conv:${v} ${xs}`, () => convCheck(rng, v, xs, ws, opts))));
  }
  setKernelVariant('conv', null);
  for (const v of ATTENTION_VARIANTS) {
    setKernelVariant('attention', v);
    for (const dims of [[2, 3, 67, 45, 32], [1, 2, 19, 148, 96], [2, 1, 9, 70, 6]]) out.push(...(await guarded(`attention:${v} ${dims}`, () => attentionCheck(rng, v, dims))));
  }
  setKernelVariant('attention', null);
  for (const v of LAYERNORM_VARIANTS) {
    setKernelVariant('layernorm', v);
    for (const shape of [[37, 768], [5, 1028], [3, 12]]) out.push(...(await guarded(`layernorm:${v} ${shape}`, () => layerNormCheck(rng, v, shape))));
  }
  setKernelVariant('layernorm', null);
  return out;
}

export interface BenchRow { kernel: string; shape: string; impl: string; ms: number; gflops: number | null; error?: string }

const FAMILY: [RegExp, string, readonly string[]][] = [
  [/^matmul/, 'matmul', MATMUL_VARIANTS], [/^conv2d(?! depthwise)/, 'conv', CONV_VARIANTS],
  [/^attention/, 'attention', ATTENTION_VARIANTS], [/^layernorm/, 'layernorm', LAYERNORM_VARIANTS],
];

/**
 * Each case for every variant of its family (forced), 'auto' (the tuner's pick after it measured
 * the case) and the peers, interleaved over `rounds`; medians of milliseconds per iteration.
 */
export async function variantBench(peers: { tfjs: Loaded<TfjsModule>; ort: Loaded<OrtModule> }, rounds: number, filter: string | null): Promise<BenchRow[]> {
  const rt = runtime();
  const timer = GpuTimer.available(rt.device) ? new GpuTimer(rt.device) : null;
  const all: BenchCase[] = [...matmulCases, ...convCases, ...attentionCases, ...layernormCases].filter((c) => !filter || `${c.kernel} ${c.shape}`.includes(filter));
  const rows: BenchRow[] = [];
  for (const c of all) {
    const fam = FAMILY.find(([re]) => re.test(c.kernel));
    const impls: { name: string; setup: () => Promise<PeerRun>; ours: boolean; family?: string; variant?: string | null }[] = [];
    for (const v of fam ? fam[2] : []) impls.push({ name: `ours:${v}`, setup: () => c.ours(), ours: true, family: fam![1], variant: v });
    impls.push({ name: 'ours:auto', setup: () => c.ours(), ours: true, family: fam?.[1], variant: null });
    if (c.tfjs && peers.tfjs.ok) { const tf = peers.tfjs.mod; impls.push({ name: 'tfjs', setup: () => c.tfjs!(tf), ours: false }); }
    if (c.ort && peers.ort.ok) { const ort = peers.ort.mod; impls.push({ name: 'ort', setup: () => c.ort!(ort), ours: false }); }
    const samples = new Map<string, number[]>();
    const errors = new Map<string, string>();
    const runs = new Map<string, PeerRun>();
    for (const im of impls) {
      try {
        if (im.family) setKernelVariant(im.family, im.variant ?? null);
        const r = await im.setup();
        await r.run(); await r.sync(); // compile + warm (and, for auto, queue a measurement)
        if (im.ours && im.variant === null) await tuneKernels({ trials: 2 });
        runs.set(im.name, r);
      } catch (e) {
        errors.set(im.name, (e as Error).message.split('\n')[0]!);
      }
    }
    for (let round = 0; round < rounds; round++) {
      for (const im of impls) {
        const r = runs.get(im.name);
        if (!r || errors.has(im.name)) continue;
        try {
          if (im.family) setKernelVariant(im.family, im.variant ?? null);
          const one = im.ours ? await timeOurs(r, 1, timer) : await timeWall(r, 1);
          const reps = Math.max(1, Math.min(200, Math.ceil(50 / Math.max(one.ms, 0.01))));
          const s = im.ours ? await timeOurs(r, reps, timer) : await timeWall(r, reps);
          samples.set(im.name, [...(samples.get(im.name) ?? []), s.ms]);
        } catch (e) {
          errors.set(im.name, (e as Error).message.split('\n')[0]!);
        }
      }
    }
    for (const im of impls) {
      runs.get(im.name)?.dispose?.();
      if (im.family) setKernelVariant(im.family, null);
      const xs = samples.get(im.name);
      const ms = xs?.length ? median(xs) : NaN;
      rows.push({ kernel: c.kernel, shape: c.shape, impl: im.name, ms, gflops: c.flops && xs?.length ? c.flops / ms / 1e6 : null, ...(errors.has(im.name) ? { error: errors.get(im.name) } : {}) });
    }
  }
  return rows;
}

export interface TrainResult {
  config: string; batch: number; steps: number; msPerStep: number; imagesPerS: number;
  peakMiB: number; tuned: Record<string, string>; error?: string;
}

/** ARBEx training steps (synthetic inputs): one warm-up step, tuning, then `steps` timed steps. */
export async function trainStep(config: string, batch: number, steps: number): Promise<TrainResult> {
  const rt = runtime();
  const cfg = configByName(config);
  manualSeed(1);
  const model = new ArbexModel(cfg);
  const stepper = buildOptimizer(model, { name: 'adam', lr: { backbone: 1e-3, head: 1e-3, anchors: 1e-3, attention: 1e-3 }, weightDecay: 0, rho: 0.05 });
  const rng = new Rng(5);
  const images = tensor(Float32Array.from(rng.array(batch * 3 * cfg.inputSize * cfg.inputSize)), [batch, 3, cfg.inputSize, cfg.inputSize]);
  const labels = Int32Array.from({ length: batch }, (_, i) => i % cfg.numClasses);
  const one = (step: number): void => {
    tidy(() => {
      const out = model.forward(images, step);
      backward(model.loss(out, labels, 0.5, DEFAULT_LOSS).total);
    });
    stepper.base.step();
    stepper.base.zeroGrad();
  };
  one(0);
  await rt.sync();
  await tuneKernels({ trials: 2 }); // every shape class the step met, timed once
  one(1);
  await rt.sync();
  rt.pool.resetPeak();
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) one(2 + s);
  await rt.sync();
  const ms = (performance.now() - t0) / steps;
  const tuned: Record<string, string> = {};
  for (const [k, v] of tuner().decisions()) tuned[k] = v.variant;
  images.dispose();
  return { config: cfg.name, batch, steps, msPerStep: ms, imagesPerS: (batch / ms) * 1000, peakMiB: rt.pool.stats().peakBytesInUse / 2 ** 20, tuned };
}
