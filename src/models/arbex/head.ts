/**
 * The ARBEx head: optional linear reduction, the MLP classifier (hidden layers Linear → ReLU →
 * BatchNorm1d → Dropout), the learnable anchors and the attention-correction weights.
 */
import type { Tensor } from '../../tensor/tensor.js';
import { zeros } from '../../tensor/create.js';
import { Module } from '../../nn/module.js';
import { Linear } from '../../nn/linear.js';
import { BatchNorm1d } from '../../nn/norm.js';
import { constant_, truncNormal_ } from '../../nn/init.js';
import { relu, mul } from '../../ops/elementwise.js';
import { dropout } from '../../ops/dropout.js';
import { softmax } from '../../ops/softmax.js';
import type { ReliabilityConfig } from './config.js';
import type { AttentionWeights } from './reliability.js';

class HiddenLayer extends Module {
  readonly fc: Linear;
  readonly bn: BatchNorm1d;
  constructor(i: number, o: number, readonly p: number) {
    super();
    this.fc = this.child('fc', new Linear(i, o));
    this.bn = this.child('bn', new BatchNorm1d(o));
  }
  forward(x: Tensor, seed?: number): Tensor {
    return dropout(this.bn.forward(relu(this.fc.forward(x))), this.p, { training: this.training, seed });
  }
}

export class ArbexHead extends Module {
  readonly reduce: Linear | null;
  readonly hidden: HiddenLayer[];
  readonly out: Linear;
  readonly anchors: Tensor;
  readonly wq: Linear;
  readonly wk: Linear;
  readonly wv: Linear;
  readonly dim: number;

  constructor(embedDim: number, numClasses: number, readonly cfg: ReliabilityConfig) {
    super();
    this.reduce = cfg.reduceDim > 0 ? this.child('reduce', new Linear(embedDim, cfg.reduceDim)) : null;
    const D = (this.dim = cfg.reduceDim > 0 ? cfg.reduceDim : embedDim);
    const dims = [D, ...cfg.mlpHidden];
    this.hidden = cfg.mlpHidden.map((h, i) => this.child(`mlp${i}`, new HiddenLayer(dims[i]!, h, cfg.dropout)));
    this.out = this.child('classifier', new Linear(dims[dims.length - 1]!, numClasses));
    // Released code initialises anchors to zeros; a small spread breaks the symmetry between
    // classes (all-zero anchors make every distance equal at the start).
    this.anchors = this.param('anchors', truncNormal_(zeros([numClasses, cfg.anchorsPerClass, D]), { std: 0.02 }));
    const J = numClasses * cfg.anchorsPerClass;
    this.wq = this.child('attn_q', new Linear(D, J, { bias: false }));
    this.wk = this.child('attn_k', new Linear(D, J, { bias: false }));
    this.wv = this.child('attn_v', new Linear(D, J, { bias: false }));
    for (const l of [this.wq, this.wk, this.wv]) truncNormal_(l.weight, { std: 0.02 });
    if (this.out.bias) constant_(this.out.bias, 0);
  }

  /** The embedding used by the head (after the optional reduction). */
  embed(e: Tensor): Tensor {
    return this.reduce ? this.reduce.forward(e) : e;
  }

  /** Logits [B, C] and p = softmax(logits / T). */
  classify(e: Tensor, seed?: number): { logits: Tensor; p: Tensor } {
    let x = e;
    this.hidden.forEach((h, i) => (x = h.forward(x, seed === undefined ? undefined : seed + 101 * i)));
    const logits = this.out.forward(x);
    const p = softmax(this.cfg.temperature === 1 ? logits : mul(logits, 1 / this.cfg.temperature), -1);
    return { logits, p };
  }

  /** Parameters of the attention-correction branch (their own optimizer group). */
  attentionParams(): Tensor[] {
    return [this.wq.weight, this.wk.weight, this.wv.weight];
  }

  /** Attention weights as [D, C·K] matrices (Linear stores [out, in]). */
  attentionWeights(): AttentionWeights {
    return { wq: this.wq.weight, wk: this.wk.weight, wv: this.wv.weight };
  }
}
