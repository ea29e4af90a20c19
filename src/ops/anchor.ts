/**
 * Fused ARBEx anchor kernels (shaders/anchor.wgsl):
 *  - `anchorMatch`: distances from embeddings to all anchors, the per-class softmax mass t and the
 *    nearest true-class anchor distance, in one pass; a fused backward gives dE and dAnchors.
 *  - `anchorSeparationLoss`: the pairwise loss pushing same-index anchors of different classes
 *    apart (released form, or a bounded margin form), with its own gradient kernel.
 */
import { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { grid } from '../runtime/grid.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { record } from '../autograd/graph.js';
import { slice, reshape } from './movement.js';
import { asIndex } from './index-ops.js';

export interface AnchorMatch {
  /** [B, C]: Σ_k softmax over all C·K anchors of −d/δ (the anchor label correction). */
  t: Tensor;
  /** [B]: min_k ‖e − a_{y,k}‖ (labels given) or min over all anchors. −1 for an invalid label. */
  dmin: Tensor;
}

function checkAnchors(e: Tensor, anchors: Tensor, op: string): [number, number, number, number] {
  if (e.rank !== 2) throw new ShapeError(`${op}: embeddings must be [batch, dim], got ${fmtShape(e.shape)}`);
  if (anchors.rank !== 3) throw new ShapeError(`${op}: anchors must be [classes, perClass, dim], got ${fmtShape(anchors.shape)}`);
  const [B, D] = e.shape as [number, number];
  const [C, K, Da] = anchors.shape as [number, number, number];
  if (Da !== D) throw new ShapeError(`${op}: embedding dim ${D} (${fmtShape(e.shape)}) differs from anchor dim ${Da} (${fmtShape(anchors.shape)})`);
  if (C * K > 256) throw new ShapeError(`${op}: at most 256 anchors in all (C·K = ${C * K})`);
  return [B, C, K, D];
}

/** Fused anchor matching. `labels` [B] (i32 tensor or host array) selects the true class for dmin. */
export function anchorMatch(e: Tensor, anchors: Tensor, labels: Tensor | Int32Array | readonly number[] | null, delta = 1): AnchorMatch {
  const [B, C, K, D] = checkAnchors(e, anchors, 'anchorMatch');
  if (!(delta > 0)) throw new ShapeError(`anchorMatch: δ must be positive, got ${delta}`);
  const y = labels === null ? null : asIndex(labels, C, 'anchorMatch labels');
  if (y && (y.rank !== 1 || y.shape[0] !== B)) throw new ShapeError(`anchorMatch: expected ${B} labels, got shape ${fmtShape(y.shape)}`);
  const J = C * K;
  const params = new Params().u32(B, C, K, D).f32(delta, 0, 0).u32(0);
  const packed = new Tensor([B, C + 1], 'f32');
  const dist = new Tensor([B, J], 'f32');
  const aux = new Tensor([B, 2], 'f32');
  const rt = runtime();
  rt.dispatch({
    op: 'anchorMatch', shader: 'anchor', entry: 'forward', constants: { HAS_LABELS: y ? 1 : 0 }, params,
    buffers: [e.buffer, anchors.buffer, y ? y.buffer : rt.placeholder(), packed.buffer, dist.buffer, aux.buffer],
    workgroups: grid(B, 1),
  });
  record(packed, 'anchorMatch', [e, anchors], (g) => {
    const gd = new Tensor([B, J], 'f32');
    rt.dispatch({
      op: 'anchorMatch.backward', shader: 'anchor', entry: 'grad_dist', params,
      buffers: [g.buffer, null, null, gd.buffer, dist.buffer, aux.buffer], workgroups: grid(B, 1),
    });
    let ge: Tensor | null = null, ga: Tensor | null = null;
    if (e.requiresGrad) {
      ge = new Tensor([B, D], 'f32');
      rt.dispatch({
        op: 'anchorMatch.backward', shader: 'anchor', entry: 'grad_e', params,
        buffers: [e.buffer, anchors.buffer, null, ge.buffer, dist.buffer, gd.buffer], workgroups: grid(B * D, 256),
      });
    }
    if (anchors.requiresGrad) {
      ga = new Tensor([C, K, D], 'f32');
      rt.dispatch({
        op: 'anchorMatch.backward', shader: 'anchor', entry: 'grad_a', params,
        buffers: [e.buffer, anchors.buffer, null, ga.buffer, dist.buffer, gd.buffer], workgroups: grid(J * D, 256),
      });
    }
    return [ge, ga];
  });
  const t = slice(packed, [0, 0], [B, C]);
  const dmin = reshape(slice(packed, [0, C], [B, C + 1]), [B]);
  return { t, dmin };
}

export type AnchorLossForm = 'released' | 'margin';

/**
 * released: −(1/(K²√D)) Σ_{c≠c'} Σ_k ‖a_ck − a_c'k‖² (unbounded below);
 * margin:   (1/(C(C−1)K)) Σ_{c≠c'} Σ_k max(0, m − ‖a_ck − a_c'k‖/√D)² (bounded, 0 once separated).
 */
export function anchorSeparationLoss(anchors: Tensor, form: AnchorLossForm = 'released', margin = 1): Tensor {
  if (anchors.rank !== 3) throw new ShapeError(`anchorSeparationLoss: anchors must be [classes, perClass, dim], got ${fmtShape(anchors.shape)}`);
  const [C, K, D] = anchors.shape as [number, number, number];
  const mode = form === 'released' ? 0 : 1;
  const scale = mode === 0 ? 1 / (K * K * Math.sqrt(D)) : C > 1 ? 1 / (C * (C - 1) * K) : 0;
  const params = new Params().u32(1, C, K, D).f32(1, scale, margin).u32(0);
  const out = new Tensor([], 'f32');
  const rt = runtime();
  rt.dispatch({
    op: 'anchorSeparationLoss', shader: 'anchor', entry: 'pair_loss', constants: { MODE: mode }, params,
    buffers: [null, anchors.buffer, null, out.buffer, null, null], workgroups: [1],
  });
  return record(out, 'anchorSeparationLoss', [anchors], (g) => {
    const ga = new Tensor([C, K, D], 'f32');
    rt.dispatch({
      op: 'anchorSeparationLoss.backward', shader: 'anchor', entry: 'pair_grad', constants: { MODE: mode }, params,
      buffers: [null, anchors.buffer, null, ga.buffer, null, g.buffer], workgroups: grid(C * K * D, 256),
    });
    return [ga];
  });
}
