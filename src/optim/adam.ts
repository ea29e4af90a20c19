/**
 * Adam (L2 weight decay added to the gradient) and AdamW (decoupled decay), as torch.optim:
 *   m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;
 *   p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε);
 * AdamW first shrinks p ← p·(1 − lr·wd). The bias corrections are computed in float64 on the
 * host per parameter (each has its own step count). By default one dispatch updates every
 * parameter (`fused`, src/optim/fused.ts: parameters and gradients gathered into arenas by buffer
 * copies, shaders/optim.wgsl `adam_fused`); `fused: false` launches one kernel per parameter
 * (`adam`). Both give the same numbers, bit for bit.
 */
import type { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { grid } from '../runtime/grid.js';
import { ShapeError } from '../runtime/errors.js';
import { keep } from '../tensor/scope.js';
import { zeros } from '../tensor/create.js';
import { Optimizer, type GroupHyper, type OptimizerStateDict, type OptimizerMeta, type ParamGroup, type ParamGroupSpec, type ParamState } from './optimizer.js';
import { FusedAdamArena, type FusedUpdate } from './fused.js';
import type { HostTensor } from '../nn/host-tensor.js';

export interface AdamHyper extends GroupHyper {
  beta1: number;
  beta2: number;
  eps: number;
}

export interface AdamOptions extends Partial<Omit<AdamHyper, 'beta1' | 'beta2'>> {
  /** [β1, β2], default [0.9, 0.999]. */
  betas?: readonly [number, number];
  /**
   * One dispatch for all parameters (default true) instead of one per parameter tensor. Costs a
   * second copy of the parameters and gradients (the arenas); the results are identical.
   */
  fused?: boolean;
}

/** Adam: `new Adam(model.parameters(), { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0 })`, or parameter groups. */
export class Adam extends Optimizer<AdamHyper> {
  /** Decoupled (AdamW) or L2 (Adam) weight decay. */
  protected readonly decoupled: boolean = false;

  /** Whether `step()` updates every parameter in one dispatch (AdamOptions.fused). */
  readonly fused: boolean;
  private arena: FusedAdamArena | null = null;
  /** True when the per-parameter moment tensors, not the arena, hold the current moments. */
  private momentsOutside = false;

  constructor(params: readonly Tensor[] | readonly ParamGroupSpec<AdamHyper>[], opts: AdamOptions = {}, defaultDecay = 0) {
    const [beta1, beta2] = opts.betas ?? [0.9, 0.999];
    super(params, { lr: opts.lr ?? 1e-3, beta1, beta2, eps: opts.eps ?? 1e-8, weightDecay: opts.weightDecay ?? defaultDecay });
    if (opts.fused !== undefined && typeof opts.fused !== 'boolean') {
      throw new ShapeError(`${this.constructor.name}: fused must be true or false, got ${String(opts.fused)}`);
    }
    this.fused = opts.fused ?? true;
  }

  override step(): void {
    if (!this.fused) return super.step();
    const order = this.params();
    // β and ε are per group in PyTorch; the fused kernel takes them once, so groups that differ
    // there take the per-parameter path.
    const [g0] = this.paramGroups;
    if (this.paramGroups.some((g) => g.beta1 !== g0!.beta1 || g.beta2 !== g0!.beta2 || g.eps !== g0!.eps)) return super.step();
    if (!this.arena || !this.arena.fits(order) || this.momentsOutside) this.rebuildArena(order);
    this.dropMomentCopies();
    const updates: FusedUpdate[] = [];
    let any = false;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const grad = this.checkedGrad(p);
        let st = this.state.get(p);
        if (grad) {
          if (!st) this.state.set(p, (st = { step: 0, buffers: {} }));
          st.step++;
          any = true;
        }
        const t = st?.step ?? 0;
        updates.push({ param: p, grad, lr: group.lr, weightDecay: group.weightDecay, stepSize: group.lr / (1 - group.beta1 ** t), bc2Sqrt: Math.sqrt(1 - group.beta2 ** t) });
      }
    }
    if (any) this.arena!.step(updates, g0!.beta1, g0!.beta2, g0!.eps, this.decoupled);
  }

  /** A new arena for `order`, holding the moments the old arena or the moment tensors held. */
  private rebuildArena(order: Tensor[]): void {
    if (this.arena && !this.momentsOutside) this.copyMomentsOut();
    this.arena?.dispose();
    const arena = new FusedAdamArena(order);
    for (const p of order) {
      const b = this.state.get(p)?.buffers;
      if (b?.['exp_avg'] && b['exp_avg_sq']) arena.writeMoments(p, b['exp_avg'], b['exp_avg_sq']);
    }
    this.arena = arena;
    this.momentsOutside = false;
  }

  /** Fills the per-parameter moment tensors (created on demand) from the arena. */
  private copyMomentsOut(): void {
    const arena = this.arena!;
    for (const p of arena.order) {
      const st = this.state.get(p);
      if (!st) continue;
      const m = (st.buffers['exp_avg'] ??= keep(zeros(p.shape)));
      const v = (st.buffers['exp_avg_sq'] ??= keep(zeros(p.shape)));
      arena.readMoments(p, m, v);
    }
  }

  /** Frees the per-parameter moment copies a state dict made: the arena holds the moments. */
  private dropMomentCopies(): void {
    for (const st of this.state.values()) {
      for (const name of ['exp_avg', 'exp_avg_sq']) {
        st.buffers[name]?.dispose();
        delete st.buffers[name];
      }
    }
  }

  /**
   * The moments as per-parameter tensors. With `fused` they are copies taken now, valid until the
   * next `step()` (which frees them: using one after that throws instead of reading stale values).
   */
  override stateDict(): OptimizerStateDict {
    if (this.arena && !this.momentsOutside) this.copyMomentsOut();
    return super.stateDict();
  }

  override loadStateDict(sd: { meta: OptimizerMeta; tensors: ReadonlyMap<string, Tensor | HostTensor> }): void {
    super.loadStateDict(sd);
    this.momentsOutside = true;
  }

  override dispose(): void {
    this.arena?.dispose();
    this.arena = null;
    super.dispose();
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
