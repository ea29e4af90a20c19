/**
 * Sequential (children named '0', '1', … as torch.nn.Sequential) and MLP, a Sequential of
 * Linear blocks: for each hidden width, Linear → activation → [norm] → [dropout] (or norm before
 * the activation), then a final Linear. ARBEx's head is
 * `new MLP([768, 384, 192, 96, C], { activation: 'relu', norm: 'batch', dropout: 0.5 })`.
 */
import type { Tensor } from '../tensor/tensor.js';
import { ShapeError } from '../runtime/errors.js';
import { Module, type UnaryModule } from './module.js';
import { Linear } from './linear.js';
import { activation, type ActivationName } from './activation.js';
import { BatchNorm1d, LayerNorm } from './norm.js';
import { Dropout } from './dropout.js';

/** Runs its layers in order; children are named '0', '1', … as in PyTorch. */
export class Sequential extends Module {
  private readonly layers: UnaryModule[] = [];

  constructor(...layers: UnaryModule[]) {
    super();
    for (const l of layers) this.append(l);
  }

  append(layer: UnaryModule): this {
    this.layers.push(this.child(String(this.layers.length), layer));
    return this;
  }

  get length(): number {
    return this.layers.length;
  }

  at(i: number): UnaryModule {
    const l = this.layers[i < 0 ? i + this.layers.length : i];
    if (!l) throw new ShapeError(`Sequential: no layer ${i} (${this.layers.length} layers)`);
    return l;
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const l of this.layers) y = l.forward(y);
    return y;
  }
}

export interface MLPOptions {
  activation?: ActivationName;
  /** Normalisation after each hidden Linear (default none). */
  norm?: 'batch' | 'layer' | null;
  /** 'act-norm' (ARBEx: Linear → ReLU → BatchNorm) or 'norm-act' (default 'act-norm'). */
  order?: 'act-norm' | 'norm-act';
  /** Dropout probability after each hidden block (default 0: no Dropout layer). */
  dropout?: number;
  bias?: boolean;
}

/** Linear blocks for widths `dims` = [input, hidden…, output] (see the file comment for the options). */
export class MLP extends Sequential {
  /** `dims`: [input, hidden..., output]; at least two entries. */
  constructor(readonly dims: readonly number[], opts: MLPOptions = {}) {
    super();
    if (dims.length < 2 || dims.some((d) => !(Number.isInteger(d) && d > 0))) throw new ShapeError(`MLP: dims must be >= 2 positive integers, got [${dims.join(', ')}]`);
    const act = opts.activation ?? 'relu';
    for (let i = 0; i + 2 < dims.length; i++) {
      const width = dims[i + 1]!;
      this.append(new Linear(dims[i]!, width, { bias: opts.bias }));
      const a = activation(act, act === 'prelu' ? width : 1);
      const n = opts.norm === 'batch' ? new BatchNorm1d(width) : opts.norm === 'layer' ? new LayerNorm(width) : null;
      if ((opts.order ?? 'act-norm') === 'act-norm') {
        this.append(a);
        if (n) this.append(n);
      } else {
        if (n) this.append(n);
        this.append(a);
      }
      if (opts.dropout) this.append(new Dropout(opts.dropout));
    }
    this.append(new Linear(dims[dims.length - 2]!, dims[dims.length - 1]!, { bias: opts.bias }));
  }
}
