/**
 * Linear: y = x·Wᵀ + b with W stored [out, in] (PyTorch layout and names `weight`, `bias`), one
 * matmul with the bias fused into its epilogue. Default init as torch.nn.Linear:
 * U(−1/√in, 1/√in) for weight (kaiming_uniform with a = √5) and bias.
 */
import type { Tensor } from '../tensor/tensor.js';
import { zeros } from '../tensor/create.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { matmul } from '../ops/matmul.js';
import { reshape } from '../ops/movement.js';
import { Module } from './module.js';
import { uniform_ } from './init.js';

export interface LinearOptions {
  bias?: boolean;
}

/** y = x·Wᵀ + b over the last axis: `new Linear(inFeatures, outFeatures, bias = true)`. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  /** `new Linear(in, out)`, `new Linear(in, out, false)` (no bias, PyTorch's positional form) or `{ bias }`. */
  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions | boolean = {}) {
    super();
    for (const [v, what] of [[inFeatures, 'inFeatures'], [outFeatures, 'outFeatures']] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ShapeError(`Linear(${JSON.stringify(inFeatures)}, ${JSON.stringify(outFeatures)}): ${what} must be a positive integer`);
    }
    if (typeof opts === 'boolean') opts = { bias: opts };
    else if (typeof opts !== 'object' || opts === null) throw new ShapeError(`Linear(${inFeatures}, ${outFeatures}): third argument must be the bias flag or { bias }, got ${JSON.stringify(opts)}`);
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.param('weight', uniform_(zeros([outFeatures, inFeatures]), -bound, bound));
    this.bias = this.param('bias', opts.bias ?? true ? uniform_(zeros([outFeatures]), -bound, bound) : null);
  }

  /** x: [..., in] → [..., out]. */
  forward(x: Tensor): Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures) {
      throw new ShapeError(`Linear(${this.inFeatures} → ${this.outFeatures}): input ${fmtShape(x.shape)} must end in ${this.inFeatures}`);
    }
    const opts = { transB: true, bias: this.bias ?? undefined };
    if (x.rank === 2) return matmul(x, this.weight, opts);
    // Fold leading dimensions into rows: one GEMM instead of a broadcast batch of small ones.
    const rows = reshape(x, [-1, this.inFeatures]);
    const y = matmul(rows, this.weight, opts);
    return reshape(y, [...x.shape.slice(0, -1), this.outFeatures]);
  }
}
