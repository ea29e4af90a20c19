/**
 * Bench: the engine's kernels on the visitor's GPU against a reference composed from the
 * engine's own simpler ops (what one would write without the fused kernel), same inputs, same
 * device. Each row also reports the largest difference between the two results, so a fast
 * wrong kernel cannot hide.
 */
import { runtime } from '../../../src/runtime/runtime.js';
import { randn, tensor as tensorOf } from '../../../src/tensor/create.js';
import { tidy } from '../../../src/tensor/scope.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { backward } from '../../../src/autograd/graph.js';
import { add, mul, rsqrt, sub } from '../../../src/ops/elementwise.js';
import { mean, sum } from '../../../src/ops/reduce.js';
import { matmul } from '../../../src/ops/matmul.js';
import { softmax } from '../../../src/ops/softmax.js';
import { reshape, slice } from '../../../src/ops/movement.js';
import { layerNorm } from '../../../src/ops/layernorm.js';
import { attention } from '../../../src/ops/attention.js';
import { conv2d } from '../../../src/ops/conv.js';
import { el } from '../draw.js';
import { report } from '../state.js';

export interface BenchRow {
  kernel: string;
  shape: string;
  ours: string;
  reference: string;
  oursMs: number;
  refMs: number;
  /** Work measure per run (FLOPs) when meaningful, for GFLOP/s. */
  flops: number;
  maxAbsDiff: number;
  shader: string;
}

interface Case {
  kernel: string;
  shape: string;
  ours: string;
  reference: string;
  shader: string;
  flops: number;
  /** Builds the inputs once (kept for all runs). */
  inputs(): Tensor[];
  run(kind: 'ours' | 'ref', xs: Tensor[]): Tensor;
}

/** Composed layer norm: mean, centre, variance, rsqrt, scale, shift (six ops, five round trips to memory). */
function composedLayerNorm(x: Tensor, w: Tensor, b: Tensor, eps = 1e-5): Tensor {
  const xc = sub(x, mean(x, -1, { keepDims: true }));
  const v = mean(mul(xc, xc), -1, { keepDims: true });
  return add(mul(mul(xc, rsqrt(add(v, eps))), w), b);
}

/** Loss whose gradient flows into every input (for the fwd+bwd rows). */
const lossOf = (y: Tensor, probe: Tensor): Tensor => sum(mul(y, probe));

function cases(quick: boolean): Case[] {
  const mm = quick ? 128 : 384;
  const rows = quick ? 256 : 1184, dim = quick ? 96 : 768;
  const [B, H, N, hd] = quick ? [1, 2, 64, 32] : [1, 8, 148, 96];
  const cv = quick ? { c: 16, s: 16 } : { c: 64, s: 28 };
  const grads = (xs: Tensor[]): Tensor[] => xs.map((x) => x.requireGrad());
  return [
    {
      kernel: 'matmul', shape: `${mm}×${mm} · ${mm}×${mm}`, ours: 'tiled matmul kernel', reference: 'broadcast multiply + sum over k',
      shader: 'matmul.wgsl', flops: 2 * mm ** 3,
      inputs: () => [randn([mm, mm]), randn([mm, mm])],
      run: (k, [a, b]) => (k === 'ours' ? matmul(a!, b!) : sum(mul(reshape(a!, [mm, mm, 1]), reshape(b!, [1, mm, mm])), 1)),
    },
    {
      kernel: 'layernorm fwd', shape: `[${rows}, ${dim}]`, ours: 'fused layerNorm', reference: 'mean, sub, mul, mean, rsqrt, mul, mul, add',
      shader: 'layernorm.wgsl', flops: 0,
      inputs: () => [randn([rows, dim]), randn([dim]), randn([dim])],
      run: (k, [x, w, b]) => (k === 'ours' ? layerNorm(x!, w!, b!) : composedLayerNorm(x!, w!, b!)),
    },
    {
      kernel: 'layernorm fwd+bwd', shape: `[${rows}, ${dim}]`, ours: 'fused layerNorm + fused backward', reference: 'composed ops + their backward',
      shader: 'layernorm.wgsl', flops: 0,
      inputs: () => [...grads([randn([rows, dim]), randn([dim]), randn([dim])]), randn([rows, dim])],
      run: (k, [x, w, b, probe]) => {
        const y = k === 'ours' ? layerNorm(x!, w!, b!) : composedLayerNorm(x!, w!, b!);
        backward(lossOf(y, probe!));
        return x!.grad!;
      },
    },
    {
      kernel: 'attention fwd', shape: `[${B}, ${H}, ${N}, ${hd}]`, ours: 'fused attention (online softmax)', reference: 'matmul + softmax + matmul',
      shader: 'attention.wgsl', flops: 4 * B * H * N * N * hd,
      inputs: () => [randn([B, H, N, hd]), randn([B, H, N, hd]), randn([B, H, N, hd])],
      run: (k, [q, kk, v]) => (k === 'ours' ? attention(q!, kk!, v!) : matmul(softmax(mul(matmul(q!, kk!, { transB: true }), 1 / Math.sqrt(hd)), -1), v!)),
    },
    {
      kernel: 'attention fwd+bwd', shape: `[${B}, ${H}, ${N}, ${hd}]`, ours: 'fused attention + fused backward', reference: 'composed ops + their backward',
      shader: 'attention.wgsl', flops: 0,
      inputs: () => [...grads([randn([B, H, N, hd]), randn([B, H, N, hd]), randn([B, H, N, hd])]), randn([B, H, N, hd])],
      run: (k, [q, kk, v, probe]) => {
        const y = k === 'ours' ? attention(q!, kk!, v!) : matmul(softmax(mul(matmul(q!, kk!, { transB: true }), 1 / Math.sqrt(hd)), -1), v!);
        backward(lossOf(y, probe!));
        return q!.grad!;
      },
    },
    {
      kernel: 'conv2d 3×3', shape: `1×${cv.c}×${cv.s}×${cv.s} → ${cv.c}`, ours: 'implicit-GEMM conv kernel', reference: 'nine shifted 1×1 matmuls (im2col by slicing)',
      shader: 'conv.wgsl', flops: 2 * cv.c * cv.c * 9 * cv.s * cv.s,
      inputs: () => [randn([1, cv.c, cv.s, cv.s]), randn([cv.c, cv.c, 3, 3])],
      run: (k, [x, w]) => (k === 'ours' ? conv2d(x!, w!, { padding: 1 }) : convByMatmuls(x!, w!, cv.c, cv.s)),
    },
  ];
}

/** 3×3 'same' convolution as a sum of nine 1×1 convolutions of shifted inputs (each a matmul). */
function convByMatmuls(x: Tensor, w: Tensor, c: number, s: number): Tensor {
  // The shifts (with zero fill at the border) are matmuls with 0/1 matrices, so no conv or pad
  // kernel under test takes part in the reference.
  let out: Tensor | null = null;
  const x2 = reshape(x, [c, s * s]);
  const shift = (dy: number, dx: number): Tensor => {
    // [s², s²] 0/1 matrix moving pixel (y+dy, x+dx) to (y, x); zero outside.
    const m = new Float32Array(s * s * s * s);
    for (let y = 0; y < s; y++)
      for (let xx = 0; xx < s; xx++) {
        const sy = y + dy, sx = xx + dx;
        if (sy >= 0 && sy < s && sx >= 0 && sx < s) m[(sy * s + sx) * s * s + y * s + xx] = 1;
      }
    return tensorOf(m, [s * s, s * s]);
  };
  for (let ky = 0; ky < 3; ky++)
    for (let kx = 0; kx < 3; kx++) {
      const wk = reshape(sliceKernel(w, ky, kx, c), [c, c]);
      const term = matmul(wk, matmul(x2, shift(ky - 1, kx - 1)));
      out = out ? add(out, term) : term;
    }
  return reshape(out!, [1, c, s, s]);
}

function sliceKernel(w: Tensor, ky: number, kx: number, c: number): Tensor {
  return slice(w, [0, 0, ky, kx], [c, c, ky + 1, kx + 1]);
}

/** Drops the gradients of the last run (except `keepThis`, a result still to be compared). */
function clearGrads(xs: Tensor[], keepThis?: Tensor): void {
  for (const x of xs) {
    if (x.grad && x.grad !== keepThis) x.grad.dispose();
    x.grad = null;
  }
}

async function maxDiff(a: Tensor, b: Tensor): Promise<number> {
  const [x, y] = await Promise.all([a.toArray(), b.toArray()]);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

async function timeIt(c: Case, kind: 'ours' | 'ref', xs: Tensor[], reps: number): Promise<number> {
  const rt = runtime();
  const once = (): void => {
    clearGrads(xs);
    tidy(() => void c.run(kind, xs));
  };
  once(); // warm-up: pipelines compiled, buffers pooled
  await rt.sync();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) once();
  await rt.sync();
  return (performance.now() - t0) / reps;
}

export async function runBench(opts: { quick: boolean; reps?: number; onRow?: (r: BenchRow) => void }): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const c of cases(opts.quick)) {
    const xs = c.inputs();
    try {
      clearGrads(xs);
      const ours = tidy(() => c.run('ours', xs));
      clearGrads(xs, ours);
      const ref = tidy(() => c.run('ref', xs));
      const diff = await maxDiff(ours, ref);
      ours.dispose();
      ref.dispose();
      clearGrads(xs);
      const reps = opts.reps ?? (opts.quick ? 2 : 5);
      const oursMs = await timeIt(c, 'ours', xs, reps);
      const refMs = await timeIt(c, 'ref', xs, reps);
      const row: BenchRow = { kernel: c.kernel, shape: c.shape, ours: c.ours, reference: c.reference, oursMs, refMs, flops: c.flops, maxAbsDiff: diff, shader: c.shader };
      rows.push(row);
      opts.onRow?.(row);
    } finally {
      clearGrads(xs);
      for (const x of xs) x.dispose();
    }
  }
  return rows;
}

export interface BenchView {
  run(quick: boolean): Promise<BenchRow[]>;
}

export function benchView(root: HTMLElement): BenchView {
  const btnQuick = el('button', { class: 'action', id: 'bench-quick', text: 'Run (small shapes)' });
  const btnFull = el('button', { class: 'plain', id: 'bench-full', text: 'Run (model-sized shapes)' });
  const status = el('div', { class: 'small muted', id: 'bench-status' });
  const body = el('tbody');
  const table = el('table', { id: 'bench-table' },
    el('thead', {}, el('tr', {}, ...['kernel', 'shape', 'ours (ms)', 'composed reference (ms)', 'speed-up', 'GFLOP/s ours', 'max |ours − ref|', 'kernel source'].map((h) => el('th', { text: h })))),
    body);
  root.append(
    el('div', { class: 'panel' },
      el('b', { text: 'Kernel benchmarks on this GPU ' }),
      el('div', { class: 'small muted', text: 'Each of the engine\'s kernels against the same computation composed from its simpler ops, on the same inputs and device: the mean time of a few runs after one warm-up run (the GPU is synchronised before and after). The last column is the largest difference between the two results. Forward+backward rows time the autograd backward of a probe loss too.' }),
      el('div', {}, btnQuick, ' ', btnFull), status),
    el('div', { class: 'panel' }, table),
  );
  let busy = false;
  const view: BenchView = {
    async run(quick) {
      if (busy) throw new Error('bench: already running');
      busy = true;
      btnQuick.disabled = btnFull.disabled = true;
      body.replaceChildren();
      status.classList.remove('error');
      status.textContent = `running (${quick ? 'small' : 'model-sized'} shapes)…`;
      try {
        const rows = await runBench({
          quick,
          onRow: (r) => {
            body.append(el('tr', {},
              el('td', { text: r.kernel }), el('td', { text: r.shape }),
              el('td', { text: r.oursMs.toFixed(2), title: r.ours }), el('td', { text: r.refMs.toFixed(2), title: r.reference }),
              el('td', { text: `${(r.refMs / r.oursMs).toFixed(2)}×` }),
              el('td', { text: r.flops ? (r.flops / r.oursMs / 1e6).toFixed(2) : '—' }),
              el('td', { text: r.maxAbsDiff.toExponential(1) }),
              el('td', {}, el('a', { href: `shaders/${r.shader}`, target: '_blank', text: r.shader }))));
          },
        });
        const rt = runtime();
        status.textContent = `done on ${rt.adapterInfo || 'this adapter'} (${rows.length} kernels)`;
        return rows;
      } catch (e) {
        report(status, e);
        throw e;
      } finally {
        busy = false;
        btnQuick.disabled = btnFull.disabled = false;
      }
    },
  };
  btnQuick.addEventListener('click', () => void view.run(true).catch(() => undefined));
  btnFull.addEventListener('click', () => void view.run(false).catch(() => undefined));
  return view;
}
