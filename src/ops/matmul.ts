/**
 * Batched matrix multiply with optional transposes and a fused bias epilogue.
 * a: [..., M, K] (or [..., K, M] with transA), b: [..., K, N] (or [..., N, K] with transB);
 * batch dimensions broadcast. Backward: dA = dC · Bᵀ, dB = Aᵀ · dC, both again matmuls with the
 * transposes folded into strides (no copies).
 */
import { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { broadcastShapes, numel } from '../tensor/shape.js';
import { record } from '../autograd/graph.js';
import { noGrad } from '../autograd/graph.js';
import { expand, reshape, transpose } from './movement.js';
import { sum, sumTo } from './reduce.js';
import { launchMatmulTiled, matmulVariant, type MatmulLaunch, type MatmulVariant } from './matmul-tiled.js';

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
  /** [N], added to every row of the result. */
  bias?: Tensor;
}

/** With transB and at least this many rows of C, B is first copied to [K, N] (see launch). */
const TRANSPOSE_B_MIN_ROWS = 16;

/** Must match R and V·4 in shaders/matmul.wgsl. */
const ROWS_PER_WORKGROUP = 4;
const COLS_PER_INVOCATION = 8;

/**
 * Entry point by B's layout (see the shader header) and a workgroup size that fits narrow N:
 * a multiple of 8 (the SIMD width lavapipe runs invocations in) up to 64.
 */
function plan(N: number, K: number, sbk: number, sbn: number): { entry: string; wg: number } {
  const entry = sbn === 1 && N % 4 === 0 ? 'main_nvec' : sbk === 1 && K % 4 === 0 ? 'main_kvec' : 'main';
  // One llvmpipe SIMD coroutine per workgroup. Invocations share nothing (no workgroup memory),
  // and every non-constant storage load is issued lane by lane anyway, so narrower workgroups do
  // the same loads; fitting WG to N (8…64) only multiplied the pipelines to JIT (5 in ARBEx-tiny).
  const wg = 8;
  return { entry, wg };
}

/** Launches C = op(A)·op(B) (+bias) with a and b already at a common flattened batch (or 1). */
function launch(a: Tensor, b: Tensor, transA: boolean, transB: boolean, batchShape: number[], bias?: Tensor, forced?: MatmulVariant): Tensor {
  // Tuner hook (src/ops/matmul-tiled.ts): the GPU-class kernel, or today's below.
  const L = layout(a, b, transA, transB, batchShape);
  const variant = forced ?? matmulVariant(a, b, transA, transB, L, !!bias, (v, sa, sb, sbias) => launch(sa, sb, transA, transB, batchShape, sbias, v));
  if (variant !== 'broadcast') return launchMatmulTiled(variant, a, b, L, new Tensor([...batchShape, L.M, L.N], 'f32'), bias);
  const Mrows = transA ? a.shape[a.rank - 1]! : a.shape[a.rank - 2]!;
  if (transB && Mrows >= TRANSPOSE_B_MIN_ROWS) {
    // A transposed B makes every invocation read a different row of B (stride K apart): slow on
    // SIMD-over-invocation adapters (~3.5× at 148×3072×768). Once enough rows of C reuse B, a
    // copy to [K, N] (one pass over B) pays for itself.
    const bt = noGrad(() => transpose(b));
    const out = launch(a, bt, transA, false, batchShape, bias, 'broadcast');
    bt.dispose();
    return out;
  }
  const M = transA ? a.shape[a.rank - 1]! : a.shape[a.rank - 2]!;
  const K = transA ? a.shape[a.rank - 2]! : a.shape[a.rank - 1]!;
  const N = transB ? b.shape[b.rank - 2]! : b.shape[b.rank - 1]!;
  const batch = numel(batchShape);
  const aBatch = numel(a.shape.slice(0, -2));
  const bBatch = numel(b.shape.slice(0, -2));
  const out = new Tensor([...batchShape, M, N], 'f32');
  const [sam, sak] = transA ? [1, M] : [K, 1];
  const [sbk, sbn] = transB ? [1, K] : [N, 1];
  const { entry, wg } = plan(N, K, sbk, sbn);
  // Column lanes per row tile: enough lanes for N (a power of two ≤ wg); the other lanes take
  // further row tiles (shaders/matmul.wgsl, tile()).
  const cpl = Math.min(wg, 2 ** Math.ceil(Math.log2(Math.max(1, Math.ceil(N / COLS_PER_INVOCATION)))));
  const rpt = wg / cpl;
  const tilesN = Math.ceil(N / (cpl * COLS_PER_INVOCATION));
  const tiles = Math.ceil(M / (ROWS_PER_WORKGROUP * rpt)) * tilesN;
  const maxWg = runtime().limits.maxComputeWorkgroupsPerDimension;
  if (tiles > maxWg || batch > maxWg) throw new ShapeError(`matmul: [${M}x${K}]·[${K}x${N}] × batch ${batch} exceeds the dispatch limit`);
  runtime().dispatch({
    op: 'matmul', shader: 'matmul', entry,
    constants: { WG: wg },
    params: new Params().u32(M, N, K, batch, sam, sak, sbk, sbn, aBatch === 1 ? 0 : M * K, bBatch === 1 ? 0 : K * N, tilesN, bias ? 1 : 0, cpl, rpt, 0, 0),
    buffers: [a.buffer, b.buffer, out.buffer, bias ? bias.buffer : runtime().placeholder()],
    workgroups: [tiles, batch],
  });
  return out;
}

/** Sizes and strides of one launch (see shaders/matmul.wgsl). */
function layout(a: Tensor, b: Tensor, transA: boolean, transB: boolean, batchShape: number[]): MatmulLaunch {
  const M = transA ? a.shape[a.rank - 1]! : a.shape[a.rank - 2]!;
  const K = transA ? a.shape[a.rank - 2]! : a.shape[a.rank - 1]!;
  const N = transB ? b.shape[b.rank - 2]! : b.shape[b.rank - 1]!;
  const [sam, sak] = transA ? [1, M] : [K, 1];
  const [sbk, sbn] = transB ? [1, K] : [N, 1];
  return {
    M, N, K, batch: numel(batchShape), sam, sak, sbk, sbn,
    aBatchStride: numel(a.shape.slice(0, -2)) === 1 ? 0 : M * K, bBatchStride: numel(b.shape.slice(0, -2)) === 1 ? 0 : K * N,
  };
}

export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const { transA = false, transB = false, bias } = opts;
  if (a.dtype !== 'f32' || b.dtype !== 'f32') throw new ShapeError(`matmul: expected f32 tensors, got ${a.describe()} and ${b.describe()}`);
  if (a.rank < 2 || b.rank < 2) throw new ShapeError(`matmul: operands must have rank >= 2, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  const Ka = transA ? a.shape[a.rank - 2]! : a.shape[a.rank - 1]!;
  const Kb = transB ? b.shape[b.rank - 1]! : b.shape[b.rank - 2]!;
  const N = transB ? b.shape[b.rank - 2]! : b.shape[b.rank - 1]!;
  if (Ka !== Kb) {
    throw new ShapeError(`matmul: inner dimensions differ: ${fmtShape(a.shape)}${transA ? 'ᵀ' : ''} · ${fmtShape(b.shape)}${transB ? 'ᵀ' : ''} (${Ka} vs ${Kb})`);
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== N)) throw new ShapeError(`matmul: bias must have shape [${N}], got ${fmtShape(bias.shape)}`);
  const batchA = a.shape.slice(0, -2), batchB = b.shape.slice(0, -2);
  const batchShape = broadcastShapes(batchA, batchB, 'matmul (batch dimensions)');
  // The kernel broadcasts a whole operand (batch stride 0); partial batch broadcasts are expanded.
  const fit = (t: Tensor, bs: readonly number[]): Tensor =>
    numel(bs) === 1 || numel(bs) === numel(batchShape) ? t : expand(t, [...batchShape, ...t.shape.slice(-2)]);
  const aa = fit(a, batchA), bb = fit(b, batchB);
  const out = launch(aa, bb, transA, transB, batchShape, bias);
  const inputs = bias ? [a, b, bias] : [a, b];
  return record(out, 'matmul', inputs, (g) => {
    // dA = g·Bᵀ (or (g·Bᵀ)ᵀ = B·gᵀ when A was transposed); dB = Aᵀ·g (or gᵀ·A).
    const ga = a.requiresGrad
      ? sumTo(transA ? matmul(bb, g, { transA: transB, transB: true }) : matmul(g, bb, { transB: !transB }), a.shape)
      : null;
    const gb = b.requiresGrad
      ? sumTo(transB ? matmul(g, aa, { transA: true, transB: transA }) : matmul(aa, g, { transA: !transA }), b.shape)
      : null;
    const gbias = bias?.requiresGrad ? sum(reshape(g, [-1, N]), 0) : null;
    return bias ? [ga, gb, gbias] : [ga, gb];
  });
}
