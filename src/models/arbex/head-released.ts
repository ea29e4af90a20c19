/**
 * The released ARBEx head (config `headVariant: 'released'`): the project head (MLP classifier,
 * anchors) with the released attention-correction branch exactly — Q, K, V = Linear(D, C·K) *with*
 * biases, then a C·K-dim `nn.MultiheadAttention` (in-projection of q, k, v with biases, scaled
 * dot-product attention, out-projection), softmax over the C·K outputs, summed over K:
 *   q' = (e·Wqᵀ + bq)·Wiqᵀ + biq  (k', v' likewise);  o = softmax(q'k'ᵀ/√(J/h))·v';  out = o·Woᵀ + bo.
 * The released code feeds the batch as one unbatched sequence (scope 'batch'): a sample's
 * correction depends on its batch. With scope 'sample' every sample is its own sequence of length
 * one, so the attention weight is 1 and out = out_proj(v').
 * State-dict names follow the project (`attn_q_bias`, `attn_fn.in_proj_weight`, …); names/ maps
 * them to the released `self_attn.Q.bias`, `self_attn.attn_fn.in_proj_weight`, ….
 */
import type { Tensor } from '../../tensor/tensor.js';
import { zeros } from '../../tensor/create.js';
import { Module } from '../../nn/module.js';
import { Linear } from '../../nn/linear.js';
import { constant_, xavierUniform_ } from '../../nn/init.js';
import { add, mul } from '../../ops/elementwise.js';
import { matmul } from '../../ops/matmul.js';
import { softmax } from '../../ops/softmax.js';
import { sum } from '../../ops/reduce.js';
import { permute, reshape, slice } from '../../ops/movement.js';
import { ShapeError } from '../../runtime/errors.js';
import { ArbexHead } from './head.js';
import type { ReliabilityConfig } from './config.js';

/** PyTorch's nn.MultiheadAttention parameters (packed in-projection + out-projection). */
class MultiheadAttentionParams extends Module {
  readonly inProjWeight: Tensor;
  readonly inProjBias: Tensor;
  readonly outProj: Linear;
  constructor(dim: number) {
    super();
    // PyTorch's initialisation: Xavier-uniform in-projection, zero biases.
    this.inProjWeight = this.param('in_proj_weight', xavierUniform_(zeros([3 * dim, dim])));
    this.inProjBias = this.param('in_proj_bias', zeros([3 * dim]));
    this.outProj = this.child('out_proj', new Linear(dim, dim));
    constant_(this.outProj.bias!, 0);
  }
}

export class ReleasedArbexHead extends ArbexHead {
  readonly bq: Tensor;
  readonly bk: Tensor;
  readonly bv: Tensor;
  readonly mha: MultiheadAttentionParams;
  readonly slots: number;

  constructor(embedDim: number, numClasses: number, cfg: ReliabilityConfig) {
    super(embedDim, numClasses, cfg);
    const J = (this.slots = numClasses * cfg.anchorsPerClass);
    this.bq = this.param('attn_q_bias', zeros([J]));
    this.bk = this.param('attn_k_bias', zeros([J]));
    this.bv = this.param('attn_v_bias', zeros([J]));
    this.mha = this.child('attn_fn', new MultiheadAttentionParams(J));
  }

  override attentionParams(): Tensor[] {
    return [...super.attentionParams(), this.bq, this.bk, this.bv, ...this.mha.parameters()];
  }

  /** The attention correction v [B, C] of embeddings e [B, D]. */
  attentionCorrection(e: Tensor, scope: 'batch' | 'sample', heads = 1): Tensor {
    const B = e.shape[0]!;
    const J = this.slots;
    const C = this.anchors.shape[0]!, K = this.anchors.shape[1]!;
    if (J % heads !== 0) throw new ShapeError(`released attention correction: ${J} slots not divisible by ${heads} heads`);
    const lin = (x: Tensor, w: Tensor, b: Tensor): Tensor => add(matmul(x, w, { transB: true }), b);
    const w = this.mha.inProjWeight, b = this.mha.inProjBias;
    const part = (t: Tensor, i: number, bias: Tensor): Tensor =>
      lin(lin(e, t, bias), slice(w, [i * J, 0], [(i + 1) * J, J]), slice(b, [i * J], [(i + 1) * J]));
    const q = part(this.wq.weight, 0, this.bq), k = part(this.wk.weight, 1, this.bk), v = part(this.wv.weight, 2, this.bv); // [B, J]
    let o: Tensor;
    if (scope === 'sample') {
      o = v; // a sequence of one: the attention weight is 1
    } else {
      const dh = J / heads;
      const split = (t: Tensor): Tensor => permute(reshape(t, [B, heads, dh]), [1, 0, 2]); // [H, B, dh]
      const a = softmax(mul(matmul(split(q), split(k), { transB: true }), 1 / Math.sqrt(dh)), -1); // [H, B, B]
      o = reshape(permute(matmul(a, split(v)), [1, 0, 2]), [B, J]);
    }
    const out = this.mha.outProj.forward(o);
    return sum(reshape(softmax(out, -1), [B, C, K]), 2);
  }
}
