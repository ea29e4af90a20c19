/**
 * Global gradient norm on the GPU, and clipping by it (torch.nn.utils.clip_grad_norm_):
 * ‖g‖ = sqrt(Σ over all tensors of Σ g²); every gradient is scaled by min(1, max / (‖g‖ + 1e-6)).
 *
 * The norm and the coefficient stay on the GPU (a 2-element tensor [norm, coef] that the scaling
 * kernels read), so clipping costs no readback; call `.item()` on the returned norm only when you
 * want to log it.
 */
import { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { grid } from '../runtime/grid.js';
import { ShapeError } from '../runtime/errors.js';
import { slice } from '../ops/movement.js';
import { noGrad } from '../autograd/graph.js';

/** Workgroups (partial sums) used per tensor: enough to fill the GPU, few enough to reduce in one pass. */
function groupsFor(n: number): number {
  return Math.max(1, Math.min(64, Math.ceil(n / 4096)));
}

/**
 * Computes [‖xs‖₂, coef] over a list of f32 tensors, where coef is
 * mode 'clip': min(1, value / (norm + 1e-6)); mode 'sam': value / (norm + 1e-12).
 */
export function globalNormCoef(xs: readonly Tensor[], mode: 'clip' | 'sam', value: number): Tensor {
  const total = xs.reduce((s, x) => s + groupsFor(x.size), 0);
  const partials = new Tensor([Math.max(1, total)], 'f32');
  const out = new Tensor([2], 'f32');
  let offset = 0;
  for (const x of xs) {
    if (x.dtype !== 'f32') throw new ShapeError(`global norm: ${x.describe()} is not f32`);
    const groups = groupsFor(x.size);
    runtime().dispatch({
      op: 'sumsq', shader: 'optim', entry: 'sumsq',
      params: new Params().u32(x.size, offset, groups, 0),
      buffers: [x.buffer, partials.buffer],
      workgroups: [groups],
    });
    offset += groups;
  }
  runtime().dispatch({
    op: 'sumsq_final', shader: 'optim', entry: 'sumsq_final',
    params: new Params().u32(total, mode === 'clip' ? 0 : 1).f32(value).u32(0),
    buffers: [partials.buffer, out.buffer],
    workgroups: [1],
  });
  partials.dispose();
  return out;
}

/** x ← x · coef[1] in place. */
export function scaleByCoef(x: Tensor, coef: Tensor): void {
  runtime().dispatch({
    op: 'scale_by', shader: 'optim', entry: 'scale_by',
    params: new Params().u32(x.size, 0, 0, 0),
    buffers: [x.buffer, coef.buffer],
    workgroups: grid(x.size, 256),
  });
}

/** x ← x + coef[1] · y in place. */
export function addScaledByCoef(x: Tensor, y: Tensor, coef: Tensor): void {
  runtime().dispatch({
    op: 'add_scaled', shader: 'optim', entry: 'add_scaled',
    params: new Params().u32(x.size, 0, 0, 0),
    buffers: [x.buffer, coef.buffer, y.buffer],
    workgroups: grid(x.size, 256),
  });
}

/** The scalar norm out of a [norm, coef] pair (consumes the pair). */
function normOf(nc: Tensor): Tensor {
  const norm = slice(nc, [0], [1]);
  nc.dispose();
  const scalar = norm.view([]);
  norm.dispose();
  return scalar;
}

function grads(params: readonly Tensor[]): Tensor[] {
  return params.flatMap((p) => (p.grad ? [p.grad] : []));
}

/** The global L2 norm of the parameters' gradients, as a scalar tensor (on the GPU). */
export function gradNorm(params: readonly Tensor[]): Tensor {
  return noGrad(() => {
    const nc = globalNormCoef(grads(params), 'clip', 1);
    return normOf(nc);
  });
}

/**
 * Scales all gradients in place so that their global L2 norm is at most `maxNorm`. Returns the
 * norm before clipping as a scalar tensor (read it with `.item()` if needed; not read here).
 */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): Tensor {
  if (!(maxNorm > 0)) throw new ShapeError(`clipGradNorm: maxNorm must be positive, got ${maxNorm}`);
  return noGrad(() => {
    const gs = grads(params);
    const nc = globalNormCoef(gs, 'clip', maxNorm);
    for (const g of gs) scaleByCoef(g, nc);
    return normOf(nc);
  });
}
