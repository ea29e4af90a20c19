/**
 * Dropout (elementwise, inverted scaling) and DropPath (stochastic depth: a whole sample's
 * residual branch is dropped). Both are the identity in eval mode or with p = 0.
 */
import type { Tensor } from '../tensor/tensor.js';
import { ShapeError } from '../runtime/errors.js';
import { dropout, dropPath } from '../ops/dropout.js';
import { Module } from './module.js';

function checkP(p: number, what: string): void {
  if (!(p >= 0 && p < 1)) throw new ShapeError(`${what}: p must be in [0, 1), got ${p}`);
}

/** Zeroes each element with probability p in training mode and scales the rest by 1/(1−p). */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    checkP(p, 'Dropout');
  }
  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    return dropout(x, this.p, { training: true });
  }
}

/** Drops a whole sample's residual branch with probability p in training mode (stochastic depth). */
export class DropPath extends Module {
  constructor(readonly p = 0) {
    super();
    checkP(p, 'DropPath');
  }
  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    return dropPath(x, this.p, { training: true });
  }
}
