/**
 * Conv2d over NCHW with PyTorch's layout and names: weight [O, C/groups, kh, kw], bias [O].
 * Default init as torch.nn.Conv2d: U(−1/√fan_in, 1/√fan_in) for weight and bias.
 *
 * Arguments as in PyTorch, positionally or as options:
 *   new Conv2d(inC, outC, kernel, stride?, padding?, dilation?, groups?, bias?)
 *   new Conv2d(inC, outC, kernel, { stride, padding, dilation, groups, bias })
 * `padding` may also be TF's 'same' (asymmetric where needed, see padding.ts) or 'valid'.
 */
import type { Tensor } from '../tensor/tensor.js';
import { zeros } from '../tensor/create.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { conv2d } from '../ops/conv.js';
import { pad } from '../ops/movement.js';
import { Module } from './module.js';
import { uniform_ } from './init.js';
import { checkPadding, samePadding, type ConvPadding, type Pair } from './padding.js';

export type { Pair, ConvPadding } from './padding.js';

export interface Conv2dModuleOptions {
  stride?: Pair;
  /** Explicit (rows, columns), or 'same' / 'valid' (TF semantics). Default 0. */
  padding?: ConvPadding;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

const pairOf = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

function checkPair(v: unknown, what: string, min: number, where: string): Pair {
  const ok = (x: unknown): boolean => Number.isInteger(x) && (x as number) >= min;
  if (ok(v) || (Array.isArray(v) && v.length === 2 && v.every(ok))) return v as Pair;
  throw new ShapeError(`${where}: ${what} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
}

/** Positional PyTorch arguments after the kernel, or one options object. */
export type Conv2dRest =
  | [opts?: Conv2dModuleOptions]
  | [stride: Pair, padding?: ConvPadding, dilation?: Pair, groups?: number, bias?: boolean];

function resolveOptions(rest: readonly unknown[], where: string): Conv2dModuleOptions {
  const first = rest[0];
  if (first === undefined || (typeof first === 'object' && !Array.isArray(first) && first !== null)) {
    if (rest.length > 1) throw new ShapeError(`${where}: an options object must be the last argument`);
    return (first as Conv2dModuleOptions | undefined) ?? {};
  }
  const [stride, padding, dilation, groups, bias] = rest as [Pair, ConvPadding?, Pair?, number?, boolean?];
  return { stride, padding, dilation, groups, bias };
}

/** 2-D convolution over [N, C, H, W]; see the file comment for the positional and options forms. */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernel: [number, number];
  readonly stride: Pair;
  readonly padding: ConvPadding;
  readonly dilation: Pair;
  readonly groups: number;

  constructor(inChannels: number, outChannels: number, kernel: Pair, opts?: Conv2dModuleOptions);
  constructor(inChannels: number, outChannels: number, kernel: Pair, stride: Pair, padding?: ConvPadding, dilation?: Pair, groups?: number, bias?: boolean);
  constructor(readonly inChannels: number, readonly outChannels: number, kernel: Pair, ...rest: Conv2dRest) {
    super();
    const where = `Conv2d(${inChannels}, ${outChannels}, ${JSON.stringify(kernel)})`;
    for (const [v, what] of [[inChannels, 'inChannels'], [outChannels, 'outChannels']] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ShapeError(`${where}: ${what} must be a positive integer, got ${JSON.stringify(v)}`);
    }
    const opts = resolveOptions(rest, where);
    this.kernel = pairOf(checkPair(kernel, 'kernel', 1, where));
    this.stride = checkPair(opts.stride ?? 1, 'stride', 1, where);
    this.padding = checkPadding(opts.padding ?? 0, where);
    this.dilation = checkPair(opts.dilation ?? 1, 'dilation', 1, where);
    this.groups = opts.groups ?? 1;
    if (!Number.isInteger(this.groups) || this.groups < 1) throw new ShapeError(`${where}: groups must be a positive integer, got ${JSON.stringify(opts.groups)}`);
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
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) {
      throw new ShapeError(`Conv2d(${this.inChannels} → ${this.outChannels}): input must be [N, ${this.inChannels}, H, W], got ${fmtShape(x.shape)}`);
    }
    const conv = (input: Tensor, padding: Pair): Tensor => conv2d(input, this.weight, {
      bias: this.bias ?? undefined, stride: this.stride, padding, dilation: this.dilation, groups: this.groups,
    });
    if (this.padding === 'valid') return conv(x, 0);
    if (this.padding !== 'same') return conv(x, this.padding);
    const [sh, sw] = pairOf(this.stride), [dh, dw] = pairOf(this.dilation);
    const [top, bottom] = samePadding(x.shape[2]!, this.kernel[0], sh, dh);
    const [left, right] = samePadding(x.shape[3]!, this.kernel[1], sw, dw);
    if (top === bottom && left === right) return conv(x, [top, left]);
    // The conv pads symmetrically; the extra row/column TF puts after goes in explicitly.
    const padded = pad(x, [[0, 0], [0, 0], [0, bottom - top], [0, right - left]]);
    return conv(padded, [top, left]);
  }
}

export interface SeparableConv2dOptions {
  stride?: Pair;
  padding?: ConvPadding;
  dilation?: Pair;
  /** Depthwise filters per input channel (TF depth_multiplier, default 1). */
  depthMultiplier?: number;
  /** Bias on the pointwise conv (default true, as TF's SeparableConv2D). */
  bias?: boolean;
}

/**
 * Depthwise-separable convolution (TF's SeparableConv2D): a depthwise conv (groups = inC, one or
 * `depthMultiplier` filters per channel, no bias) with the given kernel, stride, padding and
 * dilation, then a 1×1 pointwise conv to `outChannels` with the bias. Children `depthwise`
 * (weight [inC·m, 1, kh, kw]) and `pointwise` (weight [outC, inC·m, 1, 1], bias [outC]).
 */
export class SeparableConv2d extends Module {
  readonly depthwise: Conv2d;
  readonly pointwise: Conv2d;

  constructor(readonly inChannels: number, readonly outChannels: number, kernel: Pair, opts: SeparableConv2dOptions = {}) {
    super();
    const m = opts.depthMultiplier ?? 1;
    if (!Number.isInteger(m) || m < 1) throw new ShapeError(`SeparableConv2d: depthMultiplier must be a positive integer, got ${JSON.stringify(m)}`);
    this.depthwise = this.child('depthwise', new Conv2d(inChannels, inChannels * m, kernel, {
      stride: opts.stride, padding: opts.padding, dilation: opts.dilation, groups: inChannels, bias: false,
    }));
    this.pointwise = this.child('pointwise', new Conv2d(inChannels * m, outChannels, 1, { bias: opts.bias ?? true }));
  }

  forward(x: Tensor): Tensor {
    return this.pointwise.forward(this.depthwise.forward(x));
  }
}
