/**
 * Conv2d over NCHW with PyTorch's layout and names: weight [O, C/groups, kh, kw], bias [O].
 * Default init as torch.nn.Conv2d: U(−1/√fan_in, 1/√fan_in) for weight and bias.
 */
import type { Tensor } from '../tensor/tensor.js';
import { zeros } from '../tensor/create.js';
import { ShapeError } from '../runtime/errors.js';
import { conv2d } from '../ops/conv.js';
import { Module } from './module.js';
import { uniform_ } from './init.js';

export type Pair = number | [number, number];

export interface Conv2dModuleOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

const pairOf = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernel: [number, number];
  readonly stride: Pair;
  readonly padding: Pair;
  readonly dilation: Pair;
  readonly groups: number;

  constructor(readonly inChannels: number, readonly outChannels: number, kernel: Pair, opts: Conv2dModuleOptions = {}) {
    super();
    this.kernel = pairOf(kernel);
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    this.dilation = opts.dilation ?? 1;
    this.groups = opts.groups ?? 1;
    if (inChannels % this.groups || outChannels % this.groups) {
      throw new ShapeError(`Conv2d: channels ${inChannels} → ${outChannels} are not divisible by groups ${this.groups}`);
    }
    const [kh, kw] = this.kernel;
    const fanIn = (inChannels / this.groups) * kh * kw;
    const bound = 1 / Math.sqrt(fanIn);
    this.weight = this.param('weight', uniform_(zeros([outChannels, inChannels / this.groups, kh, kw]), -bound, bound));
    this.bias = this.param('bias', opts.bias ?? true ? uniform_(zeros([outChannels]), -bound, bound) : null);
  }

  /** x: [N, C, H, W] → [N, O, Ho, Wo]. */
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, {
      bias: this.bias ?? undefined, stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups,
    });
  }
}
