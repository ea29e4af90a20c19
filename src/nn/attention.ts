/**
 * MultiheadAttention with torch.nn.MultiheadAttention's parameters and names: `in_proj_weight`
 * [3E, E] and `in_proj_bias` [3E] (or `q_proj_weight`, `k_proj_weight`, `v_proj_weight` when the
 * key/value widths differ from E), and `out_proj.weight` / `out_proj.bias`. Inputs are
 * batch-first ([B, L, E], PyTorch's batch_first=True); the attention itself is the fused
 * `attention` op (softmax(q·kᵀ·scale + bias)·v per head). No dropout on the attention weights.
 */
import type { Tensor } from '../tensor/tensor.js';
import { zeros } from '../tensor/create.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { matmul } from '../ops/matmul.js';
import { permute, reshape, slice } from '../ops/movement.js';
import { attention } from '../ops/attention.js';
import { Module } from './module.js';
import { Linear } from './linear.js';
import { xavierUniform_, zeros_ } from './init.js';

export interface MultiheadAttentionOptions {
  bias?: boolean;
  /** Width of the keys (default embedDim). */
  kdim?: number;
  /** Width of the values (default embedDim). */
  vdim?: number;
}

export interface AttendOptions {
  /** Added to the logits: [H, Lq, Lk] (e.g. a relative position bias). */
  attnBias?: Tensor;
  /** Logit scale (default 1/√headDim). */
  scale?: number;
}

/** Multi-head attention as torch.nn.MultiheadAttention (batch-first), on the fused attention kernel. */
export class MultiheadAttention extends Module {
  readonly headDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly inProjWeight: Tensor | null;
  readonly qProjWeight: Tensor | null;
  readonly kProjWeight: Tensor | null;
  readonly vProjWeight: Tensor | null;
  readonly inProjBias: Tensor | null;
  readonly outProj: Linear;

  constructor(readonly embedDim: number, readonly numHeads: number, opts: MultiheadAttentionOptions = {}) {
    super();
    if (embedDim % numHeads) throw new ShapeError(`MultiheadAttention: embedDim ${embedDim} is not divisible by numHeads ${numHeads}`);
    this.headDim = embedDim / numHeads;
    this.kdim = opts.kdim ?? embedDim;
    this.vdim = opts.vdim ?? embedDim;
    const E = embedDim;
    const same = this.kdim === E && this.vdim === E;
    this.inProjWeight = this.param('in_proj_weight', same ? xavierUniform_(zeros([3 * E, E])) : null);
    this.qProjWeight = this.param('q_proj_weight', same ? null : xavierUniform_(zeros([E, E])));
    this.kProjWeight = this.param('k_proj_weight', same ? null : xavierUniform_(zeros([E, this.kdim])));
    this.vProjWeight = this.param('v_proj_weight', same ? null : xavierUniform_(zeros([E, this.vdim])));
    const bias = opts.bias ?? true;
    this.inProjBias = this.param('in_proj_bias', bias ? zeros([3 * E]) : null);
    this.outProj = this.child('out_proj', new Linear(E, E, { bias }));
    // torch zeroes out_proj.bias (its weight keeps the Linear default init).
    if (this.outProj.bias) zeros_(this.outProj.bias);
  }

  /** [B, L, width] → [B, H, L, Dh] through the projection w [E, width] (+ b). */
  private project(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
    const [B, L] = x.shape as [number, number];
    const y = matmul(reshape(x, [B * L, x.shape[2]!]), w, { transB: true, bias: b ?? undefined });
    return permute(reshape(y, [B, L, this.numHeads, this.headDim]), [0, 2, 1, 3]);
  }

  /** query [B, Lq, E], key [B, Lk, kdim], value [B, Lk, vdim] → [B, Lq, E]. */
  forward(query: Tensor, key: Tensor = query, value: Tensor = key, opts: AttendOptions = {}): Tensor {
    const E = this.embedDim, H = this.numHeads, Dh = this.headDim;
    const check = (t: Tensor, width: number, what: string): void => {
      if (t.rank !== 3 || t.shape[2] !== width || t.shape[0] !== query.shape[0]) {
        throw new ShapeError(`MultiheadAttention: ${what} must be [B, L, ${width}] (batch first), got ${fmtShape(t.shape)} (query ${fmtShape(query.shape)})`);
      }
    };
    check(query, E, 'query');
    check(key, this.kdim, 'key');
    check(value, this.vdim, 'value');
    if (key.shape[1] !== value.shape[1]) throw new ShapeError(`MultiheadAttention: key ${fmtShape(key.shape)} and value ${fmtShape(value.shape)} differ in length`);
    const [B, Lq] = query.shape as [number, number];
    const biasPart = (i: number): Tensor | null => (this.inProjBias ? slice(this.inProjBias, [i * E], [(i + 1) * E]) : null);
    let q: Tensor, k: Tensor, v: Tensor;
    if (this.inProjWeight && query === key && key === value) {
      // Self-attention: one GEMM for q, k and v, one permute to [3, B, H, L, Dh].
      const qkv = matmul(reshape(query, [B * Lq, E]), this.inProjWeight, { transB: true, bias: this.inProjBias ?? undefined });
      const heads = permute(reshape(qkv, [B, Lq, 3, H, Dh]), [2, 0, 3, 1, 4]);
      [q, k, v] = [0, 1, 2].map((i) => reshape(slice(heads, [i], [i + 1]), [B, H, Lq, Dh])) as [Tensor, Tensor, Tensor];
    } else {
      const wPart = (i: number, own: Tensor | null): Tensor => (this.inProjWeight ? slice(this.inProjWeight, [i * E], [(i + 1) * E]) : own!);
      q = this.project(query, wPart(0, this.qProjWeight), biasPart(0));
      k = this.project(key, wPart(1, this.kProjWeight), biasPart(1));
      v = this.project(value, wPart(2, this.vProjWeight), biasPart(2));
    }
    const o = attention(q, k, v, { bias: opts.attnBias, scale: opts.scale });
    const merged = reshape(permute(o, [0, 2, 1, 3]), [B, Lq, E]);
    return this.outProj.forward(merged);
  }
}
