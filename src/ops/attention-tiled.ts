/**
 * The GPU-class fused attention (shaders/attention-tiled.wgsl) and the tuner hook that chooses
 * between it and today's kernel (shaders/attention.wgsl, 'broadcast'), separately for the forward
 * and the backward pass (shape classes 'fwd …' and 'bwd …' of family 'attention'). Both variants
 * save the same state (O and the per-row logsumexp) and share the backward's bwd_pre pass, so a
 * forward of one variant pairs with a backward of the other.
 */
import { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { sizeClass, tuner } from '../runtime/tuner.js';
import { tiledLoopsRolled } from '../runtime/loop-form.js';

export const ATTENTION_VARIANTS = ['broadcast', 'tiled'] as const;
export type AttentionVariant = (typeof ATTENTION_VARIANTS)[number];

export interface AttentionDims {
  B: number; H: number; Lq: number; Lk: number; Dh: number;
}

/** Rows per workgroup of the tiled entries (shader const WG). */
const ROWS = 64;
/** Rows per staged block (shader const KB). */
const KB = 16;

/** Pipeline constants: MAXV (chunks per row) is written into the source; ROLLED see loop-form.ts. */
function tiledConstants(d: AttentionDims, hasBias: boolean): Record<string, number> {
  return { DH: d.Dh, HAS_BIAS: hasBias ? 1 : 0, ROLLED: tiledLoopsRolled() ? 1 : 0, MAXV: Math.ceil(d.Dh / 4) };
}

/**
 * Asks the tuner for the variant of one attention pass. `rerun(variant)` runs that pass on
 * scratch tensors it allocates itself and returns them for disposal.
 */
export function attentionVariant(pass: 'fwd' | 'bwd', d: AttentionDims, hasBias: boolean, rerun: (v: AttentionVariant) => Tensor[]): AttentionVariant {
  const t = tuner();
  t.declareVariants('attention', ATTENTION_VARIANTS);
  return t.pick({
    family: 'attention',
    cls: `${pass} b${sizeClass(d.B * d.H)} q${sizeClass(d.Lq)} k${sizeClass(d.Lk)} d${d.Dh}${hasBias ? ' bias' : ''}`,
    candidates: ATTENTION_VARIANTS,
    prior: { cpu: 'broadcast', gpu: 'tiled' },
    bench: () => ({ run: (v) => { for (const x of rerun(v as AttentionVariant)) x.dispose(); }, dispose: () => {} }),
  }) as AttentionVariant;
}

function rowGrid(rows: number, bh: number): [number, number, number] {
  const max = runtime().limits.maxComputeWorkgroupsPerDimension;
  const z = Math.ceil(bh / max);
  return [Math.ceil(rows / ROWS), Math.ceil(bh / z), z];
}

function params(d: AttentionDims, scale: number): Params {
  return new Params().u32(d.B, d.H, d.Lq, d.Lk).f32(scale).u32(Math.ceil(d.Dh / 4), KB, 0);
}

/** Forward into `o` and `lse` (allocated by the caller, as today's kernel does). */
export function attentionForwardTiled(q: Tensor, k: Tensor, v: Tensor, bias: Tensor | undefined, o: Tensor, lse: Tensor, d: AttentionDims, scale: number): void {
  runtime().dispatch({
    op: 'attention', shader: 'attention-tiled', entry: 'forward',
    constants: tiledConstants(d, !!bias),
    params: params(d, scale),
    buffers: [q.buffer, k.buffer, v.buffer, bias?.buffer ?? q.buffer, o.buffer, lse.buffer],
    workgroups: rowGrid(d.Lq, d.B * d.H),
  });
}

/**
 * dQ, dK, dV, dBias from st = (lse, D) per query row (made by the caller with attention.wgsl's
 * bwd_pre). `want` says which gradients are needed; the others come back null.
 */
export function attentionBackwardTiled(q: Tensor, k: Tensor, v: Tensor, bias: Tensor | undefined, g: Tensor, st: Tensor,
  d: AttentionDims, scale: number, want: { dq: boolean; dkv: boolean; dbias: boolean }): { dq: Tensor | null; dk: Tensor | null; dv: Tensor | null; db: Tensor | null } {
  const rt = runtime();
  const constants = tiledConstants(d, !!bias);
  const biasBuf = bias?.buffer ?? q.buffer;
  let dq: Tensor | null = null, db: Tensor | null = null, dk: Tensor | null = null, dv: Tensor | null = null;
  if (want.dq) {
    dq = new Tensor(q.shape, 'f32');
    rt.dispatch({
      op: 'attention.backward.dq', shader: 'attention-tiled', entry: 'bwd_dq', constants, params: params(d, scale),
      buffers: [q.buffer, k.buffer, v.buffer, biasBuf, g.buffer, st.buffer, dq.buffer],
      workgroups: rowGrid(d.Lq, d.B * d.H),
    });
  }
  if (want.dbias) {
    db = new Tensor([d.H, d.Lq, d.Lk], 'f32');
    rt.dispatch({
      op: 'attention.backward.dbias', shader: 'attention-tiled', entry: 'bwd_dbias', constants, params: params(d, scale),
      buffers: [q.buffer, k.buffer, v.buffer, biasBuf, g.buffer, st.buffer, db.buffer],
      workgroups: [Math.ceil(d.Lq / ROWS), d.H],
    });
  }
  if (want.dkv) {
    dk = new Tensor(k.shape, 'f32');
    dv = new Tensor(v.shape, 'f32');
    rt.dispatch({
      op: 'attention.backward.dkv', shader: 'attention-tiled', entry: 'bwd_dkv', constants, params: params(d, scale),
      buffers: [q.buffer, k.buffer, v.buffer, biasBuf, g.buffer, st.buffer, dk.buffer, dv.buffer],
      workgroups: rowGrid(d.Lk, d.B * d.H),
    });
  }
  return { dq, dk, dv, db };
}
