/**
 * Pooling layers as modules (no parameters), for Sequential. Arguments as in PyTorch:
 *   new MaxPool2d(2)                  kernel 2, stride 2 (stride defaults to the kernel)
 *   new MaxPool2d(3, 2, 1)            kernel 3, stride 2, padding 1
 *   new MaxPool2d({ kernel: 3, stride: 2 })
 * and the same for AvgPool2d (4th positional: countIncludePad). AdaptiveAvgPool2d(size) takes a
 * number or a pair.
 */
import type { Tensor } from '../tensor/tensor.js';
import { ShapeError } from '../runtime/errors.js';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d, type AvgPoolOptions, type PoolOptions } from '../ops/pool.js';
import { Module } from './module.js';
import type { Pair } from './padding.js';

function checkPair(v: unknown, what: string, min: number, where: string): void {
  const ok = (x: unknown): boolean => Number.isInteger(x) && (x as number) >= min;
  if (!(ok(v) || (Array.isArray(v) && v.length === 2 && v.every(ok)))) {
    throw new ShapeError(`${where}: ${what} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
}

function poolOptions<O extends PoolOptions>(where: string, kernel: Pair | O, stride?: Pair, padding?: Pair): O {
  const opts = (typeof kernel === 'object' && !Array.isArray(kernel) ? kernel : { kernel, stride, padding }) as O;
  if (typeof kernel === 'object' && !Array.isArray(kernel) && (stride !== undefined || padding !== undefined)) {
    throw new ShapeError(`${where}: pass stride and padding either positionally or in the options object, not both`);
  }
  checkPair(opts.kernel, 'kernel', 1, where);
  if (opts.stride !== undefined) checkPair(opts.stride, 'stride', 1, where);
  if (opts.padding !== undefined) checkPair(opts.padding, 'padding', 0, where);
  return { ...opts };
}

/** Max over k×k windows: `new MaxPool2d(kernel, stride = kernel, padding = 0)` or `{ kernel, stride, padding }`. */
export class MaxPool2d extends Module {
  readonly opts: PoolOptions;
  constructor(opts: PoolOptions);
  constructor(kernel: Pair, stride?: Pair, padding?: Pair);
  constructor(kernel: Pair | PoolOptions, stride?: Pair, padding?: Pair) {
    super();
    this.opts = poolOptions('MaxPool2d', kernel, stride, padding);
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.opts);
  }
}

/** Mean over k×k windows: `new AvgPool2d(kernel, stride = kernel, padding = 0, countIncludePad = true)` or options. */
export class AvgPool2d extends Module {
  readonly opts: AvgPoolOptions;
  constructor(opts: AvgPoolOptions);
  constructor(kernel: Pair, stride?: Pair, padding?: Pair, countIncludePad?: boolean);
  constructor(kernel: Pair | AvgPoolOptions, stride?: Pair, padding?: Pair, countIncludePad?: boolean) {
    super();
    this.opts = poolOptions<AvgPoolOptions>('AvgPool2d', kernel, stride, padding);
    if (countIncludePad !== undefined) this.opts.countIncludePad = countIncludePad;
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.opts);
  }
}

/** Averages [N, C, H, W] down to a fixed [N, C, oh, ow] (PyTorch's bins). */
export class AdaptiveAvgPool2d extends Module {
  readonly size: [number, number];
  /** Output size: one number for a square output, or [height, width]. */
  constructor(size: Pair) {
    super();
    checkPair(size, 'output size', 1, 'AdaptiveAvgPool2d');
    this.size = typeof size === 'number' ? [size, size] : [size[0], size[1]];
  }
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.size);
  }
}
