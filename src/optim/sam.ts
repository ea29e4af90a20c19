/**
 * Sharpness-Aware Minimization (Foret et al., 2021) around any optimizer:
 *   1. gradients g at w (first closure call);
 *   2. ascend to w + e, e = ρ·g/‖g‖ (global norm over every parameter with a gradient);
 *   3. gradients at w + e (second closure call);
 *   4. restore w and let the base optimizer step with the gradients from (3).
 * The norm and ρ/‖g‖ stay on the GPU (shaders/optim.wgsl), so a step reads nothing back.
 */
import { Tensor } from '../tensor/tensor.js';
import { keep } from '../tensor/scope.js';
import { assign } from '../tensor/create.js';
import { ShapeError } from '../runtime/errors.js';
import { noGrad } from '../autograd/graph.js';
import type { GroupHyper, Optimizer } from './optimizer.js';
import { addScaledByCoef, globalNormCoef } from './clip.js';

export interface SAMOptions {
  /** Neighbourhood radius ρ (default 0.05, as POSTER++). */
  rho?: number;
}

export class SAM<H extends GroupHyper = GroupHyper> {
  readonly rho: number;
  /** Copies of the parameters taken before the ascent step (restored by `secondStep`). */
  private saved = new Map<Tensor, Tensor>();

  constructor(readonly base: Optimizer<H>, opts: SAMOptions = {}) {
    this.rho = opts.rho ?? 0.05;
    if (!(this.rho >= 0)) throw new ShapeError(`SAM: rho must be >= 0, got ${this.rho}`);
  }

  get paramGroups(): Optimizer<H>['paramGroups'] {
    return this.base.paramGroups;
  }

  zeroGrad(): void {
    this.base.zeroGrad();
  }

  /** Moves every parameter with a gradient to w + ρ·g/‖g‖ (remembering w). */
  firstStep(): void {
    if (this.saved.size) throw new ShapeError('SAM.firstStep: called twice without secondStep');
    noGrad(() => {
      const params = this.base.params().filter((p) => p.grad);
      const nc = globalNormCoef(params.map((p) => p.grad!), 'sam', this.rho);
      for (const p of params) {
        const copy = keep(new Tensor(p.shape, 'f32'));
        assign(copy, p);
        this.saved.set(p, copy);
        addScaledByCoef(p, p.grad!, nc);
      }
      nc.dispose();
    });
  }

  /** Restores w and applies the base optimizer with the gradients computed at w + e. */
  secondStep(): void {
    for (const [p, copy] of this.saved) {
      assign(p, copy);
      copy.dispose();
    }
    this.saved.clear();
    this.base.step();
  }

  /**
   * One SAM step. `closure` runs forward + backward (it must not zero gradients itself) and
   * returns whatever it likes (typically the loss); it is called twice. Returns the first result
   * (the loss at w); a tensor returned by the second call is disposed. Gradients are zeroed
   * before each call.
   */
  step<T>(closure: () => T): T {
    this.zeroGrad();
    const first = closure();
    if (first instanceof Promise) throw new ShapeError('SAM.step: the closure returned a Promise; use stepAsync');
    this.firstStep();
    this.zeroGrad();
    const second = closure();
    if (second instanceof Tensor && second !== first) second.dispose();
    this.secondStep();
    return first;
  }

  /** `step` for a closure that awaits (e.g. reads the loss back). */
  async stepAsync<T>(closure: () => Promise<T>): Promise<T> {
    this.zeroGrad();
    const first = await closure();
    this.firstStep();
    this.zeroGrad();
    const second = await closure();
    if (second instanceof Tensor && second !== first) second.dispose();
    this.secondStep();
    return first;
  }

  dispose(): void {
    for (const c of this.saved.values()) c.dispose();
    this.saved.clear();
  }
}
