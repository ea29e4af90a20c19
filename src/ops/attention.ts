/**
 * Fused multi-head attention (shaders/attention.wgsl): O = softmax(scale·Q·Kᵀ + bias)·V with an
 * online softmax, so memory stays linear in the number of tokens. Forward saves O and the
 * per-row logsumexp; backward recomputes P blockwise and produces dQ, dK, dV and dBias (keeping dS
 * and P between its two passes while they fit `setAttentionBackwardStoreLimit`).
 */
import { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { grid } from '../runtime/grid.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { composite, record } from '../autograd/graph.js';
import { pad, reshape, slice } from './movement.js';
import { sum } from './reduce.js';
import { attentionBackwardTiled, attentionForwardTiled, attentionVariant, type AttentionVariant } from './attention-tiled.js';

export interface AttentionOptions {
  /** Additive logit bias [H, Lq, Lk], shared by every batch element (e.g. relative position bias). */
  bias?: Tensor;
  /** Logit scale; default Dh^-0.5. */
  scale?: number;
}

/** Threads per workgroup of the bwd_pre pass (one per row). */
const WG = 64;
/**
 * Rows owned per invocation and invocations per workgroup of the forward/bwd_dq/bwd_dkv entries
 * (overrides R and WGF), and the register-block sizes written into the source (MAXR = R, MAXV =
 * ⌈Dh/4⌉ rounded up to a multiple of 8; src/runtime/specialise.ts). The head dim and the bias flag
 * are uniforms, so head sizes up to 32 with and without bias share one set of pipelines (ARBEx-tiny:
 * 5 attention pipelines instead of 8). Measured on lavapipe (kernels-bench/cold-start.ts for the
 * JIT cost, CPU time on an empty shader cache; kernels-bench/run.ts for run time):
 * - llvmpipe JIT-compiles a pipeline at its first dispatch. With the head-dim chunk loops unrolled
 *   (DV an override) and register arrays declared at the maximum size, one forward pipeline took
 *   20–48 s of CPU and the six of an ARBEx-tiny step 442 s. The chunk loops now run to a uniform
 *   (`p.dv`) so the JIT keeps them rolled, and the arrays have their exact size: forward at Dh 24
 *   19.7 → 1.7 s, bwd_dq/bwd_dkv at Dh 16 with bias ~110 → 4 s; run time within the noise.
 * - The row loops stay unrolled: rolling them too (R a uniform) saved little JIT time and made the
 *   forward 1.6× and the backward 1.4× slower.
 * - Forward R = 8 (R = 4: ~10 % slower); backward R = 4 (window 784 tok 2×32 +bias fwd+bwd:
 *   R = 2 190 ms, 4 165 ms, 8 156 ms, at 10.7 / 13.2 / 19.0 s of CPU to compile the four pipelines).
 *   Head dims over 32 (MAXV > 8: ARBEx-full's ViT, 8 heads of 96) hold R·MAXV vec4 registers per
 *   row block, so the forward takes R = 4 there: 12.0–14.2 ms against 13.8–15.4 ms at 148 tokens
 *   (same process order, three alternations) and 2.6–2.8 s of CPU to compile against 6.7–7.5 s.
 *   Backward R = 2 at that size was ~10 % slower.
 * - Short sequences (≤ SHORT_ROWS rows per head: ARBEx-tiny's windows of 16 and 4 tokens and its
 *   12-token ViT) take R = 1: a workgroup of R·8 rows otherwise leaves most lanes idle, and the
 *   JIT cost follows R (forward 3.0 → 0.6 s, bwd_dq 4.3 → 1.8 s, bwd_dkv 3.7 → 2.3 s of CPU).
 *   fwd+bwd time R = 8/4 ÷ R = 1 at 128×1×16×16+bias 1.09, 32×2×16×16+bias 0.88, 32×4×4×16+bias
 *   1.74, 32×4×12×24 1.01; at 64 rows R = 1 is 1.8× slower, hence the threshold.
 */
const SHORT_ROWS = 32;
interface Blocking { R: number; WGF: number; MAXR: number; MAXV: number }
function blocking(entry: 'forward' | 'bwd_dq' | 'bwd_dkv', Dh: number, rows: number): Blocking {
  const MAXV = Math.ceil(Math.ceil(Dh / 4) / 8) * 8;
  const R = rows <= SHORT_ROWS ? 1 : entry !== 'forward' || MAXV > 8 ? 4 : 8;
  return { R, WGF: 8, MAXR: R, MAXV };
}

const MAX_DH = 128;

interface Dims {
  B: number;
  H: number;
  Lq: number;
  Lk: number;
  Dh: number;
}

function validate(q: Tensor, k: Tensor, v: Tensor, bias: Tensor | undefined): Dims {
  const all = `q ${fmtShape(q.shape)}, k ${fmtShape(k.shape)}, v ${fmtShape(v.shape)}`;
  for (const [t, n] of [[q, 'q'], [k, 'k'], [v, 'v']] as const) {
    if (t.dtype !== 'f32') throw new ShapeError(`attention: ${n} must be f32, got ${t.describe()}`);
    if (t.rank !== 4) throw new ShapeError(`attention: expected [B, H, L, Dh] tensors, got ${all}`);
  }
  const [B, H, Lq, Dh] = q.shape as [number, number, number, number];
  const Lk = k.shape[2]!;
  if (k.shape[0] !== B || v.shape[0] !== B) throw new ShapeError(`attention: batch sizes differ: ${all}`);
  if (k.shape[1] !== H || v.shape[1] !== H) throw new ShapeError(`attention: head counts differ: ${all}`);
  if (k.shape[3] !== Dh || v.shape[3] !== Dh) throw new ShapeError(`attention: head dims differ: ${all}`);
  if (v.shape[2] !== Lk) throw new ShapeError(`attention: k and v need the same number of keys: ${all}`);
  if (B === 0 || H === 0 || Lq === 0 || Lk === 0 || Dh === 0) throw new ShapeError(`attention: empty dimension in ${all}`);
  if (Dh > MAX_DH) throw new ShapeError(`attention: head dim ${Dh} exceeds the kernel's maximum ${MAX_DH} (${all})`);
  if (bias) {
    if (bias.dtype !== 'f32' || bias.rank !== 3 || bias.shape[0] !== H || bias.shape[1] !== Lq || bias.shape[2] !== Lk) {
      throw new ShapeError(`attention: bias must be f32 [H, Lq, Lk] = ${fmtShape([H, Lq, Lk])} for ${all}, got ${bias.describe()}`);
    }
  }
  return { B, H, Lq, Lk, Dh };
}

/** Workgroups over (row blocks, B·H), with B·H split over y and z past the per-dimension limit. */
function rowGrid(rows: number, bh: number, b: Blocking): [number, number, number] {
  const max = runtime().limits.maxComputeWorkgroupsPerDimension;
  const z = Math.ceil(bh / max);
  return [Math.ceil(rows / (b.R * b.WGF)), Math.ceil(bh / z), z];
}

function params(d: Dims, scale: number, hasBias = false, dbias = false, store = false): Params {
  return new Params().u32(d.B, d.H, d.Lq, d.Lk).f32(scale).u32(d.Dh, Math.ceil(d.Dh / 4), hasBias ? 1 : 0, dbias ? 1 : 0, store ? 1 : 0, 0, 0);
}

/**
 * Largest [dS | P] (bytes) the backward keeps between its two passes. Within it, bwd_dq stores dS
 * and P and bwd_dkv_s reads them: the key-side pass then does half the multiply-adds (no S or dP
 * recomputed; backward 5 instead of 7 GEMM-sized products) and dBias is a sum over the batch of
 * the stored dS. Past it (long sequences) the passes recompute, and memory stays linear in tokens.
 */
let storeMaxBytes = 64 * 2 ** 20;

/**
 * Sets the largest [dS | P] (bytes, default 64 MiB) that the attention backward stores between its
 * passes (0: always recompute, the memory-linear form); returns the previous limit.
 */
export function setAttentionBackwardStoreLimit(bytes: number): number {
  if (typeof bytes !== 'number' || !(bytes >= 0)) throw new RangeError(`setAttentionBackwardStoreLimit: bytes must be a number >= 0, got ${typeof bytes === 'number' ? bytes : JSON.stringify(bytes)}`);
  const prev = storeMaxBytes;
  storeMaxBytes = bytes;
  return prev;
}

/**
 * softmax(scale·q·kᵀ + bias)·v per batch element and head.
 * q: [B, H, Lq, Dh]; k, v: [B, H, Lk, Dh]; bias: [H, Lq, Lk]; returns [B, H, Lq, Dh].
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const { bias } = opts;
  const d = validate(q, k, v, bias);
  const scale = opts.scale ?? 1 / Math.sqrt(d.Dh);
  if (!Number.isFinite(scale)) throw new ShapeError(`attention: scale must be finite, got ${scale}`);
  if (d.Dh % 4 !== 0) {
    // The kernels move head rows as vec4 (shaders/attention.wgsl): zero columns add nothing to
    // q·k and give zero output columns, which the slice drops (autograd sees pad and slice).
    const widen = (t: Tensor) => pad(t, [[0, 0], [0, 0], [0, 0], [0, 4 - (d.Dh % 4)]]);
    return composite([q, k, v, bias], () => slice(attention(widen(q), widen(k), widen(v), { bias, scale }), [0, 0, 0, 0], [d.B, d.H, d.Lq, d.Dh]));
  }
  const o = new Tensor(q.shape, 'f32');
  const lse = new Tensor([d.B, d.H, d.Lq], 'f32');
  // Tuner hook (src/ops/attention-tiled.ts): one decision per call, timed on the forward pass;
  // the backward runs the same variant.
  const variant = attentionVariant('fwd', d, !!bias, (vv) => {
    const t = [q, k, v, ...(bias ? [bias] : []), o, lse].map((x) => new Tensor(x.shape, 'f32'));
    forward(vv, t[0]!, t[1]!, t[2]!, bias ? t[3] : undefined, t[t.length - 2]!, t[t.length - 1]!, d, scale);
    return t;
  });
  forward(variant, q, k, v, bias, o, lse, d, scale);
  const inputs = bias ? [q, k, v, bias] : [q, k, v];
  record(o, 'attention', inputs, (g) => attentionBackward(q, k, v, bias, o, lse, g, d, scale, variant));
  if (!o.requiresGrad) lse.dispose();
  return o;
}

function forward(variant: AttentionVariant, q: Tensor, k: Tensor, v: Tensor, bias: Tensor | undefined, o: Tensor, lse: Tensor, d: Dims, scale: number): void {
  if (variant === 'tiled') return attentionForwardTiled(q, k, v, bias, o, lse, d, scale);
  runtime().dispatch({
    op: 'attention', shader: 'attention', entry: 'forward',
    constants: { ...blocking('forward', d.Dh, d.Lq) },
    params: params(d, scale, !!bias),
    // An absent bias binds q (read-only, never read).
    buffers: [q.buffer, k.buffer, v.buffer, bias?.buffer ?? q.buffer, o.buffer, lse.buffer],
    workgroups: rowGrid(d.Lq, d.B * d.H, blocking('forward', d.Dh, d.Lq)),
  });
}

function attentionBackward(
  q: Tensor, k: Tensor, v: Tensor, bias: Tensor | undefined, o: Tensor, lse: Tensor, g: Tensor, d: Dims, scale: number,
  variant: AttentionVariant = 'broadcast',
): (Tensor | null)[] {
  const rt = runtime();
  const rows = d.B * d.H * d.Lq;
  const st = new Tensor([rows, 2], 'f32');
  rt.dispatch({
    op: 'attention.backward.pre', shader: 'attention', entry: 'bwd_pre',
    params: params(d, scale),
    buffers: [o.buffer, g.buffer, lse.buffer, st.buffer],
    workgroups: grid(rows, WG),
  });
  const dbias = !!bias?.requiresGrad;
  if (variant === 'tiled') {
    const r = attentionBackwardTiled(q, k, v, bias, g, st, d, scale, { dq: q.requiresGrad, dkv: k.requiresGrad || v.requiresGrad, dbias });
    st.dispose();
    if (!k.requiresGrad) r.dk?.dispose();
    if (!v.requiresGrad) r.dv?.dispose();
    const dk = k.requiresGrad ? r.dk : null, dv = v.requiresGrad ? r.dv : null;
    return bias ? [r.dq, dk, dv, r.db] : [r.dq, dk, dv];
  }
  const constants = { ...blocking('bwd_dq', d.Dh, d.Lq) };
  const biasBuf = bias?.buffer ?? q.buffer;
  const needKv = k.requiresGrad || v.requiresGrad;
  const storeBytes = 2 * d.B * d.H * d.Lq * d.Lk * 4;
  // Storing pays where recomputing is dear (recompute work grows with Dh, the stores do not) or the
  // score matrix is small; at 784 tokens × Dh 32 with bias, writing and re-reading 10 MB of dS and
  // P (and summing dBias from it) was ~5 % slower than recomputing (kernels-bench, same process).
  const worthIt = d.Dh > 32 || d.Lq * d.Lk <= 64 * 64;
  const store = (needKv || dbias) && worthIt && storeBytes <= Math.min(storeMaxBytes, rt.limits.maxStorageBufferBindingSize);
  // [dS | P], each [B, H, Lq, Lk]: written by bwd_dq, read by bwd_dkv_s and the dBias sum.
  const sp = store ? new Tensor([2, d.B, d.H, d.Lq, d.Lk], 'f32') : null;
  let dq: Tensor | null = null, db: Tensor | null = null;
  if (q.requiresGrad || dbias || sp) {
    dq = new Tensor(q.shape, 'f32');
    const dbiasPass = dbias && !sp;
    db = dbiasPass ? new Tensor([d.H, d.Lq, d.Lk], 'f32') : null;
    rt.dispatch({
      op: 'attention.backward.dq', shader: 'attention', entry: 'bwd_dq', constants,
      params: params(d, scale, !!bias, dbiasPass, !!sp),
      buffers: [q.buffer, k.buffer, v.buffer, biasBuf, g.buffer, st.buffer, dq.buffer, sp?.buffer ?? db?.buffer ?? rt.placeholder()],
      // With dBias one workgroup covers all batch elements of a head (it owns those dBias rows).
      workgroups: rowGrid(d.Lq, dbiasPass ? d.H : d.B * d.H, blocking('bwd_dq', d.Dh, d.Lq)),
    });
    if (!q.requiresGrad) {
      dq.dispose();
      dq = null;
    }
  }
  if (sp && dbias) {
    // dBias[h, i, j] = Σ_b dS[b, h, i, j].
    const dsAll = slice(sp, [0], [1]);
    const rows = reshape(dsAll, [d.B, d.H * d.Lq * d.Lk]);
    const summed = sum(rows, 0);
    db = reshape(summed, [d.H, d.Lq, d.Lk]);
    for (const t of [dsAll, rows, summed]) t.dispose();
  }
  let dk: Tensor | null = null, dv: Tensor | null = null;
  if (needKv) {
    dk = new Tensor(k.shape, 'f32');
    dv = new Tensor(v.shape, 'f32');
    const entry = sp ? 'bwd_dkv_s' : 'bwd_dkv';
    rt.dispatch({
      op: 'attention.backward.dkv', shader: 'attention', entry, constants: { ...blocking('bwd_dkv', d.Dh, d.Lk) },
      params: params(d, scale, !!bias),
      buffers: sp
        ? [q.buffer, null, null, sp.buffer, g.buffer, null, dk.buffer, dv.buffer]
        : [q.buffer, k.buffer, v.buffer, biasBuf, g.buffer, st.buffer, dk.buffer, dv.buffer],
      workgroups: rowGrid(d.Lk, d.B * d.H, blocking('bwd_dkv', d.Dh, d.Lk)),
    });
    if (!k.requiresGrad) {
      dk.dispose();
      dk = null;
    }
    if (!v.requiresGrad) {
      dv.dispose();
      dv = null;
    }
  }
  sp?.dispose();
  st.dispose();
  return bias ? [dq, dk, dv, db] : [dq, dk, dv];
}
