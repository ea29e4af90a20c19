/**
 * Adam (L2 weight decay added to the gradient) and AdamW (decoupled decay), as torch.optim:
 *   m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;
 *   p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε);
 * AdamW first shrinks p ← p·(1 − lr·wd). The bias corrections are computed in float64 on the
 * host per parameter (each has its own step count) and passed as uniforms; the update is one
 * fused kernel per parameter (shaders/optim.wgsl `adam`).
 */
import type { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { grid } from '../runtime/grid.js';
import { ShapeError } from '../runtime/errors.js';
import { Optimizer, type GroupHyper, type ParamGroup, type ParamGroupSpec, type ParamState } from './optimizer.js';

export interface AdamHyper extends GroupHyper {
  beta1: number;
  beta2: number;
  eps: number;
}

export interface AdamOptions extends Partial<Omit<AdamHyper, 'beta1' | 'beta2'>> {
  /** [β1, β2], default [0.9, 0.999]. */
  betas?: readonly [number, number];
}

/** Adam: `new Adam(model.parameters(), { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0 })`, or parameter groups. */
export class Adam extends Optimizer<AdamHyper> {
  /** Decoupled (AdamW) or L2 (Adam) weight decay. */
  protected readonly decoupled: boolean = false;

  constructor(params: readonly Tensor[] | readonly ParamGroupSpec<AdamHyper>[], opts: AdamOptions = {}, defaultDecay = 0) {
    const [beta1, beta2] = opts.betas ?? [0.9, 0.999];
    super(params, { lr: opts.lr ?? 1e-3, beta1, beta2, eps: opts.eps ?? 1e-8, weightDecay: opts.weightDecay ?? defaultDecay });
  }

  protected override validateGroup(g: ParamGroup<AdamHyper>): void {
    for (const b of [g.beta1, g.beta2]) if (!(b >= 0 && b < 1)) throw new ShapeError(`${this.constructor.name}: beta ${b} is outside [0, 1)`);
    if (!(g.eps >= 0)) throw new ShapeError(`${this.constructor.name}: eps ${g.eps} is negative`);
  }

  protected stateBuffers(): string[] {
    return ['exp_avg', 'exp_avg_sq'];
  }

  protected update(p: Tensor, grad: Tensor, g: ParamGroup<AdamHyper>, st: ParamState): void {
    const bc1 = 1 - g.beta1 ** st.step;
    const bc2 = 1 - g.beta2 ** st.step;
    runtime().dispatch({
      op: this.decoupled ? 'adamw' : 'adam', shader: 'optim', entry: 'adam',
      params: new Params().u32(p.size, this.decoupled ? 1 : 0, 0, 0)
        .f32(g.lr, g.beta1, g.beta2, g.eps, g.weightDecay, g.lr / bc1, Math.sqrt(bc2), 0),
      buffers: [p.buffer, grad.buffer, st.buffers['exp_avg']!.buffer, st.buffers['exp_avg_sq']!.buffer],
      workgroups: grid(p.size, 256),
    });
  }
}

/** Adam with decoupled weight decay (Loshchilov & Hutter); default weight decay 0.01 as PyTorch. */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: readonly Tensor[] | readonly ParamGroupSpec<AdamHyper>[], opts: AdamOptions = {}) {
    super(params, opts, 0.01);
  }
}
