/**
 * SGD with momentum, dampening, Nesterov and L2 weight decay, as torch.optim.SGD:
 *   g ← g + wd·p;  buf ← g (first step) | μ·buf + (1 − dampening)·g;
 *   g ← nesterov ? g + μ·buf : buf;  p ← p − lr·g.
 * One fused kernel per parameter (shaders/optim.wgsl `sgd`).
 */
import type { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { grid } from '../runtime/grid.js';
import { ShapeError } from '../runtime/errors.js';
import { Optimizer, type GroupHyper, type ParamGroup, type ParamGroupSpec, type ParamState } from './optimizer.js';

export interface SGDHyper extends GroupHyper {
  momentum: number;
  dampening: number;
  nesterov: boolean;
}

export type SGDOptions = Partial<SGDHyper> & { lr: number };

/** SGD with optional momentum, dampening, Nesterov and weight decay, as torch.optim.SGD. */
export class SGD extends Optimizer<SGDHyper> {
  constructor(params: readonly Tensor[] | readonly ParamGroupSpec<SGDHyper>[], opts: SGDOptions) {
    super(params, { lr: opts.lr, momentum: opts.momentum ?? 0, dampening: opts.dampening ?? 0, nesterov: opts.nesterov ?? false, weightDecay: opts.weightDecay ?? 0 });
  }

  protected override validateGroup(g: ParamGroup<SGDHyper>): void {
    if (g.momentum < 0) throw new ShapeError(`SGD: momentum ${g.momentum} is negative`);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) throw new ShapeError('SGD: Nesterov momentum requires momentum > 0 and dampening 0');
  }

  protected stateBuffers(g: ParamGroup<SGDHyper>): string[] {
    return g.momentum !== 0 ? ['momentum_buffer'] : [];
  }

  protected update(p: Tensor, grad: Tensor, g: ParamGroup<SGDHyper>, st: ParamState): void {
    const buf = st.buffers['momentum_buffer'];
    const hasMomentum = g.momentum !== 0 && buf !== undefined;
    runtime().dispatch({
      op: 'sgd', shader: 'optim', entry: 'sgd',
      params: new Params().u32(p.size, hasMomentum ? 1 : 0, g.nesterov ? 1 : 0, st.step === 1 ? 1 : 0).f32(g.lr, g.momentum, g.dampening, g.weightDecay),
      buffers: [p.buffer, grad.buffer, hasMomentum ? buf.buffer : runtime().placeholder()],
      workgroups: grid(p.size, 256),
    });
  }
}
