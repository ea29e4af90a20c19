/**
 * Activations as modules (for Sequential / MLP). PReLU has a learnable slope per channel
 * (`weight` [C] or [1], init 0.25, PyTorch's name and layout); channels are axis 1.
 */
import type { Tensor } from '../tensor/tensor.js';
import { full } from '../tensor/create.js';
import { gelu, relu, sigmoid, tanh } from '../ops/elementwise.js';
import { prelu } from '../ops/prelu.js';
import { flatten } from '../ops/movement.js';
import { Module } from './module.js';

/** max(x, 0), elementwise. */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** GELU, exact form x·Φ(x) (erf), as torch.nn.GELU's default. */
export class GELU extends Module {
  forward(x: Tensor): Tensor {
    return gelu(x);
  }
}

/** 1 / (1 + e^−x), elementwise. */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** tanh(x), elementwise. */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** Returns its input (a placeholder in Sequential). */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Flattens every axis from `startDim` on (default 1: keeps the batch axis). */
export class Flatten extends Module {
  constructor(readonly startDim = 1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim);
  }
}

/** max(x, 0) + a·min(x, 0) with a learnable slope `a` per channel (axis 1) or shared. */
export class PReLU extends Module {
  readonly weight: Tensor;

  /** `numChannels`: 1 (one shared slope) or the channel count (torch num_parameters). */
  constructor(readonly numChannels = 1, init = 0.25) {
    super();
    this.weight = this.param('weight', full([numChannels], init));
  }

  forward(x: Tensor): Tensor {
    return prelu(x, this.weight);
  }
}

export type ActivationName = 'relu' | 'gelu' | 'sigmoid' | 'tanh' | 'prelu' | 'identity';

/** An activation module by name (for configurable blocks such as MLP). */
export function activation(name: ActivationName, channels = 1): Module & { forward(x: Tensor): Tensor } {
  switch (name) {
    case 'relu':
      return new ReLU();
    case 'gelu':
      return new GELU();
    case 'sigmoid':
      return new Sigmoid();
    case 'tanh':
      return new Tanh();
    case 'prelu':
      return new PReLU(channels);
    case 'identity':
      return new Identity();
  }
}
