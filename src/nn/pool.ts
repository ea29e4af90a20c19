/** Pooling layers as modules (no parameters), for Sequential. */
import type { Tensor } from '../tensor/tensor.js';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d, type AvgPoolOptions, type PoolOptions } from '../ops/pool.js';
import { Module } from './module.js';

export class MaxPool2d extends Module {
  constructor(readonly opts: PoolOptions) {
    super();
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.opts);
  }
}

export class AvgPool2d extends Module {
  constructor(readonly opts: AvgPoolOptions) {
    super();
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.opts);
  }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly size: [number, number]) {
    super();
  }
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.size);
  }
}
