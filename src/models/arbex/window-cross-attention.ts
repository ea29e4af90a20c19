/**
 * Window cross-attention (POSTER++): at each scale, landmark tokens query image tokens inside
 * w×w windows.
 *   x0 = LN(I_s as channel-last tokens);  K, V = Linear(d, 2d)(x0);  Q = landmark tokens L_s in the
 *   same window, split into heads, no projection (scaled by head_dim^-0.5 inside `attention`);
 *   logits = Q·Kᵀ + relative position bias (Swin table); softmax; ·V; Linear(d, d).
 *   x = x0 + DropPath(γ1 ⊙ attn);  x = x + DropPath(γ2 ⊙ MLP(LN(x)))   (layer scale γ, init 1e-5)
 * Input and output maps are NCHW; the window size must tile the map.
 */
import type { Tensor } from '../../tensor/tensor.js';
import { zeros, full } from '../../tensor/create.js';
import { Module } from '../../nn/module.js';
import { Linear } from '../../nn/linear.js';
import { LayerNorm } from '../../nn/norm.js';
import { constant_, truncNormal_ } from '../../nn/init.js';
import { add, gelu, mul } from '../../ops/elementwise.js';
import { permute, reshape, slice } from '../../ops/movement.js';
import { attention } from '../../ops/attention.js';
import { matmul } from '../../ops/matmul.js';
import { softmax } from '../../ops/softmax.js';
import { windowPartition, windowReverse, relativePositionBias } from '../../ops/window.js';
import { dropPath } from '../../ops/dropout.js';
import { ShapeError, fmtShape } from '../../runtime/errors.js';

export interface WindowBlockOptions {
  dim: number;
  heads: number;
  window: number;
  mlpRatio: number;
  layerScale: number;
  dropPath: number;
  querySplit: 'heads' | 'released-reshape';
}

export class WindowCrossAttention extends Module {
  readonly norm: LayerNorm;
  readonly kv: Linear;
  readonly proj: Linear;
  readonly relTable: Tensor;
  readonly norm2: LayerNorm;
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly gamma1: Tensor;
  readonly gamma2: Tensor;
  /**
   * When set, the attention probabilities [B·nW, heads, n, n] are also computed (by the composed,
   * unfused path) and handed over — for `arbex predict --explain`. Off in training.
   */
  capture: ((probs: Tensor) => void) | null = null;

  constructor(readonly o: WindowBlockOptions) {
    super();
    const { dim, heads, window: w } = o;
    if (dim % heads) throw new ShapeError(`WindowCrossAttention: dim ${dim} not divisible by ${heads} heads`);
    this.norm = this.child('norm', new LayerNorm(dim));
    this.relTable = this.param('relative_position_bias_table', truncNormal_(zeros([(2 * w - 1) ** 2, heads]), { std: 0.02 }));
    this.kv = this.child('kv', new Linear(dim, 2 * dim));
    this.proj = this.child('proj', new Linear(dim, dim));
    this.norm2 = this.child('norm2', new LayerNorm(dim));
    const hidden = Math.round(dim * o.mlpRatio);
    this.fc1 = this.child('fc1', new Linear(dim, hidden));
    this.fc2 = this.child('fc2', new Linear(hidden, dim));
    // Released init: Linear weights truncated normal (std 0.02 here, as Swin), biases zero.
    for (const l of [this.kv, this.proj, this.fc1, this.fc2]) {
      truncNormal_(l.weight, { std: 0.02 });
      if (l.bias) constant_(l.bias, 0);
    }
    this.gamma1 = this.param('gamma1', full([dim], o.layerScale));
    this.gamma2 = this.param('gamma2', full([dim], o.layerScale));
  }

  /** image, landmarks: [B, d, m, m] (same shape) → [B, d, m, m]. */
  forward(image: Tensor, landmarks: Tensor, seed?: number): Tensor {
    const { dim, heads, window: w } = this.o;
    if (image.rank !== 4 || image.shape[1] !== dim) throw new ShapeError(`WindowCrossAttention(${dim}): image map must be [B, ${dim}, H, W], got ${fmtShape(image.shape)}`);
    if (landmarks.shape.join() !== image.shape.join()) {
      throw new ShapeError(`WindowCrossAttention: landmark map ${fmtShape(landmarks.shape)} must match image map ${fmtShape(image.shape)}`);
    }
    const [B, , H, W] = image.shape as [number, number, number, number];
    const hd = dim / heads;
    const n = w * w;
    const x0 = this.norm.forward(permute(image, [0, 2, 3, 1])); // [B, H, W, d]
    const win = windowPartition(x0, w); // [B·nW, n, d]
    const bw = win.shape[0]!;
    const kv = reshape(this.kv.forward(win), [bw, n, 2, heads, hd]);
    const kvHeads = permute(kv, [2, 0, 3, 1, 4]); // [2, B·nW, heads, n, hd]
    const kk = reshape(slice(kvHeads, [0], [1]), [bw, heads, n, hd]);
    const vv = reshape(slice(kvHeads, [1], [2]), [bw, heads, n, hd]);
    const lmWin = windowPartition(permute(landmarks, [0, 2, 3, 1]), w); // [B·nW, n, d]
    const q = this.o.querySplit === 'heads'
      ? permute(reshape(lmWin, [bw, n, heads, hd]), [0, 2, 1, 3])
      : reshape(lmWin, [bw, heads, n, hd]); // released: raw reshape of the token memory
    const bias = relativePositionBias(this.relTable, w); // [heads, n, n]
    const att = attention(q, kk, vv, { bias }); // [B·nW, heads, n, hd]
    if (this.capture) {
      const logits = add(mul(matmul(q, kk, { transB: true }), 1 / Math.sqrt(hd)), bias);
      this.capture(softmax(logits, -1));
    }
    const merged = reshape(permute(att, [0, 2, 1, 3]), [bw, n, dim]);
    const a = windowReverse(this.proj.forward(merged), w, H, W); // [B, H, W, d]
    const train = this.training;
    let x = add(x0, dropPath(mul(a, this.gamma1), this.o.dropPath, { training: train, seed }));
    const m = this.fc2.forward(gelu(this.fc1.forward(this.norm2.forward(x))));
    x = add(x, dropPath(mul(m, this.gamma2), this.o.dropPath, { training: train, seed: seed === undefined ? undefined : seed + 1 }));
    return permute(x, [0, 3, 1, 2]);
  }
}
