/**
 * Batch normalisation over axis 1 of [N, C] or [N, C, H, W] (PyTorch BatchNorm1d/2d).
 * Training: batch statistics (two-pass variance), running stats blended in place (unbiased
 * variance, no autograd); eval: running statistics. Kernels: shaders/batchnorm.wgsl. Backward:
 * one per-channel reduction (dbias = Σdy, dweight = Σdy·x̂) and one elementwise dx kernel.
 */
import { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { grid } from '../runtime/grid.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { record } from '../autograd/graph.js';
import { reductionLanes } from '../runtime/tuner.js';
import { prelu as preluOp } from './prelu.js';

export interface BatchNormOptions {
  weight?: Tensor;
  bias?: Tensor;
  runningMean?: Tensor;
  runningVar?: Tensor;
  training: boolean;
  /** Weight of the new batch statistic in the running average (default 0.1). */
  momentum?: number;
  eps?: number;
  /**
   * PReLU slopes [C] applied to the output (z = v > 0 ? v : α·v), fused into the normalisation
   * and its backward in training (the PReLU's own forward and two backward passes disappear; the
   * gradient of α is returned with the others). Eval mode, or a shared [1] slope, composes
   * batchNorm and prelu instead. Same result as `prelu(batchNorm(x, …), alpha)`.
   */
  prelu?: Tensor;
}

/** Elements per workgroup the plane walks aim at (whole (n, c) planes; shaders/batchnorm.wgsl norm_fwd_p). */
const PLANE_ELEMENTS = 256;

function checkChannelVector(t: Tensor | undefined, c: number, what: string, x: Tensor): void {
  if (t && (t.dtype !== 'f32' || t.rank !== 1 || t.shape[0] !== c)) {
    throw new ShapeError(`batchNorm: ${what} must be [${c}] for input ${fmtShape(x.shape)}, got ${t.describe()}`);
  }
}

export function batchNorm(x: Tensor, opts: BatchNormOptions): Tensor {
  const { weight, bias, runningMean: rm, runningVar: rv, training } = opts;
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  if (x.dtype !== 'f32') throw new ShapeError(`batchNorm: expected an f32 tensor, got ${x.describe()}`);
  if (x.rank !== 2 && x.rank !== 4) throw new ShapeError(`batchNorm: input must be [N, C] or [N, C, H, W], got ${fmtShape(x.shape)}`);
  const n = x.shape[0]!, c = x.shape[1]!;
  const inner = x.rank === 4 ? x.shape[2]! * x.shape[3]! : 1;
  const count = n * inner;
  checkChannelVector(weight, c, 'weight', x);
  checkChannelVector(bias, c, 'bias', x);
  checkChannelVector(rm, c, 'runningMean', x);
  checkChannelVector(rv, c, 'runningVar', x);
  if (!rm !== !rv) throw new ShapeError('batchNorm: pass both runningMean and runningVar, or neither');
  if (!training && !rm) throw new ShapeError('batchNorm: eval mode (training: false) needs runningMean and runningVar');
  if (training && count < 2) throw new ShapeError(`batchNorm: training needs more than one value per channel, got input ${fmtShape(x.shape)}`);
  if (!(eps > 0) || !(momentum >= 0 && momentum <= 1)) throw new ShapeError(`batchNorm: need eps > 0 and 0 <= momentum <= 1, got eps=${eps}, momentum=${momentum}`);

  const alpha = opts.prelu;
  if (alpha) {
    if (alpha.dtype !== 'f32' || alpha.rank !== 1 || (alpha.shape[0] !== c && alpha.shape[0] !== 1)) {
      throw new ShapeError(`batchNorm: prelu slopes must be [${c}] or [1] for input ${fmtShape(x.shape)}, got ${alpha.describe()}`);
    }
    // Fused where it pays (training, per-channel slopes); elsewhere the plain composition.
    if (!training || alpha.shape[0] !== c) return preluOp(batchNorm(x, { ...opts, prelu: undefined }), alpha);
  }
  const act = !!alpha;

  const rt = runtime();
  const ph = rt.placeholder();
  // The per-element passes walk (n, c) planes, ppw of them per workgroup (~PLANE_ELEMENTS elements).
  const ppw = Math.max(1, Math.floor(PLANE_ELEMENTS / Math.max(inner, 1)));
  const params = new Params().u32(c, inner, count, x.size).f32(momentum, eps, count > 1 ? count / (count - 1) : 1).u32(act ? 1 : 0, ppw, 0, 0, 0);
  const channels = grid(c, 1);
  // Q adjacent elements per thread when they always share a channel (shaders/batchnorm.wgsl).
  const Q = inner % 4 === 0 ? 4 : 1;
  const elements = grid(x.size / Q, 256);
  const planes = grid(Math.ceil(x.size / Math.max(inner, 1) / ppw), 1);
  const WGR = reductionLanes();

  // stats = [mean; invstd] per channel: batch statistics in training, running ones in eval; with a
  // fused PReLU also [w·invstd; b], which norm_fwd writes for the backward.
  const stats = new Tensor([act ? 4 : 2, c], 'f32');
  if (training) {
    rt.dispatch({
      op: 'batchNorm.stats', shader: 'batchnorm', entry: rm ? 'stats_update' : 'stats_main', constants: { WGR },
      params, buffers: rm ? [x.buffer, stats.buffer, rm.buffer, rv!.buffer] : [x.buffer, stats.buffer], workgroups: channels,
    });
  } else {
    rt.dispatch({
      op: 'batchNorm.evalStats', shader: 'batchnorm', entry: 'eval_stats',
      params, buffers: [null, stats.buffer, rm!.buffer, rv!.buffer], workgroups: [Math.ceil(c / 64)],
    });
  }
  const y = new Tensor(x.shape, 'f32');
  rt.dispatch({
    op: 'batchNorm', shader: 'batchnorm', entry: 'norm_fwd_p', constants: { HAS_W: weight ? 1 : 0, HAS_B: bias ? 1 : 0, WGR },
    params, buffers: [x.buffer, stats.buffer, alpha ? alpha.buffer : ph, null, weight ? weight.buffer : ph, bias ? bias.buffer : ph, y.buffer],
    workgroups: planes,
  });

  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : []), ...(alpha ? [alpha] : [])];
  const out = record(y, training ? 'batchNorm' : 'batchNorm.eval', inputs, (g) => {
    // Σdy and Σdy·x̂ are the bias and weight gradients, and (in training) terms of dx.
    // With the fused PReLU the same pass also turns dz into dv and sums dα.
    const needSums = (training && x.requiresGrad) || !!weight?.requiresGrad || !!bias?.requiresGrad || !!alpha?.requiresGrad;
    const db = needSums ? new Tensor([c], 'f32') : null;
    const dw = needSums ? new Tensor([c], 'f32') : null;
    const da = needSums && alpha ? new Tensor([c], 'f32') : null;
    if (db && dw) {
      // Without a PReLU the α slot (read) binds x and the dα slot (written) the placeholder, so no
      // buffer is bound both read-only and writable.
      rt.dispatch({
        op: 'batchNorm.bwdReduce', shader: 'batchnorm', entry: 'bwd_reduce', constants: { WGR },
        params, buffers: [x.buffer, stats.buffer, alpha ? alpha.buffer : x.buffer, da ? da.buffer : ph, null, null, null, g.buffer, db.buffer, dw.buffer],
        workgroups: channels,
      });
    }
    let dx: Tensor | null = null;
    if (x.requiresGrad) {
      dx = new Tensor(x.shape, 'f32');
      rt.dispatch({
        op: 'batchNorm.bwdDx', shader: 'batchnorm', entry: training ? 'bwd_dx_p' : 'bwd_dx_eval',
        constants: { HAS_W: weight ? 1 : 0, ...(training ? { WGR } : { Q }) },
        params, buffers: [training ? x.buffer : null, stats.buffer, training ? (alpha ? alpha.buffer : ph) : null, null, weight ? weight.buffer : ph, null, dx.buffer, g.buffer, ...(training ? [db!.buffer, dw!.buffer] : [])],
        workgroups: training ? planes : elements,
      });
    }
    const gw = weight?.requiresGrad ? dw : null;
    const gb = bias?.requiresGrad ? db : null;
    if (dw && !gw) dw.dispose();
    if (db && !gb) db.dispose();
    const grads: (Tensor | null)[] = [dx];
    if (weight) grads.push(gw);
    if (bias) grads.push(gb);
    const ga = alpha?.requiresGrad ? da : null;
    if (da && !ga) da.dispose();
    if (alpha) grads.push(ga);
    return grads;
  });
  if (!out.node) stats.dispose();
  return out;
}
