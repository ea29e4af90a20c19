/**
 * BatchNorm1d / BatchNorm2d and LayerNorm with PyTorch's names and defaults.
 *
 * BatchNorm: `weight` (1), `bias` (0), buffers `running_mean` (0), `running_var` (1),
 * `num_batches_tracked`. Training mode normalises with batch statistics and updates the running
 * ones in place (momentum 0.1, unbiased variance — done by the batchNorm op); eval mode uses the
 * running statistics. `num_batches_tracked` is stored as **f32 with shape []** (exact up to 2²⁴
 * batches): it is incremented on the GPU without a readback, and PyTorch's int64 value loads into
 * it (safetensors I64 → i32 → converted on load); PyTorch's `load_state_dict` casts ours back.
 */
import type { Tensor } from '../tensor/tensor.js';
import { assign, ones, zeros } from '../tensor/create.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { batchNorm } from '../ops/batchnorm.js';
import { layerNorm } from '../ops/layernorm.js';
import { addScalar } from '../ops/elementwise.js';
import { noGrad } from '../autograd/graph.js';
import { reshape } from '../ops/movement.js';
import { Module } from './module.js';

export interface BatchNormOptions {
  eps?: number;
  momentum?: number;
  /** Learnable weight and bias (default true). */
  affine?: boolean;
  /** Keep running statistics (default true); without them eval mode uses batch statistics. */
  trackRunningStats?: boolean;
}

abstract class BatchNormBase extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;
  readonly eps: number;
  readonly momentum: number;

  constructor(readonly numFeatures: number, opts: BatchNormOptions, private readonly ranks: readonly number[]) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures < 1) throw new ShapeError(`${new.target.name}: numFeatures must be a positive integer, got ${JSON.stringify(numFeatures)}`);
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    const affine = opts.affine ?? true;
    const track = opts.trackRunningStats ?? true;
    this.weight = this.param('weight', affine ? ones([numFeatures]) : null);
    this.bias = this.param('bias', affine ? zeros([numFeatures]) : null);
    this.runningMean = this.buffer('running_mean', track ? zeros([numFeatures]) : null);
    this.runningVar = this.buffer('running_var', track ? ones([numFeatures]) : null);
    this.numBatchesTracked = this.buffer('num_batches_tracked', track ? zeros([]) : null);
  }

  forward(x: Tensor): Tensor {
    return this.normalise(x);
  }

  /**
   * `prelu.forward(this.forward(x))` in one pass where it pays (training: the PReLU fused into the
   * normalisation and its backward, see ops/batchnorm.ts); same parameters, same numbers.
   */
  forwardPrelu(x: Tensor, prelu: { weight: Tensor }): Tensor {
    return this.normalise(x, prelu.weight);
  }

  private normalise(x: Tensor, preluSlopes?: Tensor): Tensor {
    if (!this.ranks.includes(x.rank) || x.shape[1] !== this.numFeatures) {
      throw new ShapeError(`${this.constructor.name}(${this.numFeatures}): expected input of rank ${this.ranks.join(' or ')} with ${this.numFeatures} channels on axis 1, got ${fmtShape(x.shape)}`);
    }
    const useBatchStats = this.training || !this.runningMean;
    // The op takes [N, C] or [N, C, H, W]; [N, C, L] runs as [N, C, L, 1].
    const x4 = x.rank === 3 ? reshape(x, [...x.shape, 1]) : x;
    const y4 = batchNorm(x4, {
      weight: this.weight ?? undefined,
      bias: this.bias ?? undefined,
      runningMean: this.runningMean ?? undefined,
      runningVar: this.runningVar ?? undefined,
      training: useBatchStats,
      momentum: this.momentum,
      eps: this.eps,
      prelu: preluSlopes,
    });
    const y = x.rank === 3 ? reshape(y4, x.shape) : y4;
    if (this.training && this.numBatchesTracked) {
      const n = this.numBatchesTracked;
      noGrad(() => {
        const next = addScalar(n, 1);
        assign(n, next);
        next.dispose();
      });
    }
    return y;
  }
}

/** PyTorch's positional (eps, momentum, affine, trackRunningStats) or one options object. */
function bnOptions(where: string, first: BatchNormOptions | number | undefined, rest: readonly unknown[]): BatchNormOptions {
  if (first === undefined || typeof first === 'object') {
    if (rest.length) throw new ShapeError(`${where}: an options object must be the last argument`);
    return first ?? {};
  }
  const [momentum, affine, trackRunningStats] = rest as [number?, boolean?, boolean?];
  if (typeof first !== 'number' || (momentum !== undefined && typeof momentum !== 'number')) throw new ShapeError(`${where}: expected (numFeatures, eps?, momentum?, affine?, trackRunningStats?) or (numFeatures, options)`);
  return { eps: first, momentum, affine, trackRunningStats };
}

/** Over [N, C] or [N, C, L]. `new BatchNorm1d(C)`, `(C, eps, momentum)` or `(C, { eps, momentum, affine })`. */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, opts?: BatchNormOptions | number, ...rest: [momentum?: number, affine?: boolean, trackRunningStats?: boolean]) {
    super(numFeatures, bnOptions(`BatchNorm1d(${numFeatures})`, opts, rest), [2, 3]);
  }
}

/** Over [N, C, H, W]. `new BatchNorm2d(C)`, `(C, eps, momentum)` or `(C, { eps, momentum, affine })`. */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, opts?: BatchNormOptions | number, ...rest: [momentum?: number, affine?: boolean, trackRunningStats?: boolean]) {
    super(numFeatures, bnOptions(`BatchNorm2d(${numFeatures})`, opts, rest), [4]);
  }
}

export interface LayerNormOptions {
  eps?: number;
  /** Learnable weight (1) and bias (0) (default true). */
  elementwiseAffine?: boolean;
}

/** Normalises the last axis of size `dim` (PyTorch LayerNorm with a single normalized dim). */
export class LayerNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;

  /** `new LayerNorm(dim)`, `(dim, eps)` or `(dim, { eps, elementwiseAffine })`. */
  constructor(readonly dim: number, opts: LayerNormOptions | number = {}) {
    super();
    if (typeof opts === 'number') opts = { eps: opts };
    this.eps = opts.eps ?? 1e-5;
    const affine = opts.elementwiseAffine ?? true;
    this.weight = this.param('weight', affine ? ones([dim]) : null);
    this.bias = this.param('bias', affine ? zeros([dim]) : null);
  }

  forward(x: Tensor): Tensor {
    if (x.shape[x.rank - 1] !== this.dim) throw new ShapeError(`LayerNorm(${this.dim}): input ${fmtShape(x.shape)} must end in ${this.dim}`);
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}
