/**
 * One dispatch for an Adam step over every parameter (shaders/optim.wgsl `adam_fused`).
 *
 * A dispatch per parameter tensor costs the same on a software adapter whether the tensor has 8
 * elements or 80,000 (ARBEx-tiny: 196 parameters, ~29 ms of Adam per step on lavapipe). Here the
 * optimizer keeps three arenas — parameters, gradients, and both moments — with each parameter's
 * slot starting at a multiple of 256 elements, so one workgroup serves exactly one parameter and
 * finds that parameter's hyper-parameters in a small table (per-group learning rate and weight
 * decay, per-parameter bias corrections). A step copies each parameter and gradient into its slot
 * (buffer copies, not dispatches), runs one dispatch, and copies the parameters back: the arenas
 * are scratch for the parameters, so anything that changes a parameter between steps (SAM's
 * ascent and restore, loading weights) is seen. The moments live in the arena between steps;
 * per-parameter moment tensors are filled from it only when a state dict is taken.
 */
import type { Tensor } from '../tensor/tensor.js';
import { keep } from '../tensor/scope.js';
import { tensor, zeros } from '../tensor/create.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { grid } from '../runtime/grid.js';

/** Elements per workgroup of `adam_fused`; every slot starts at a multiple of it. */
const SLOT = 256;
/** Words per parameter record in the table. */
const RECORD = 8;

/** What the fused step needs to know about one parameter this step. */
export interface FusedUpdate {
  param: Tensor;
  /** null: no gradient this step (the parameter and its moments are left alone). */
  grad: Tensor | null;
  lr: number;
  weightDecay: number;
  /** lr / (1 − β1ᵗ) */
  stepSize: number;
  /** √(1 − β2ᵗ) */
  bc2Sqrt: number;
}

export class FusedAdamArena {
  /** Element offset of each parameter's slot. */
  private readonly start = new Map<Tensor, number>();
  /** Elements per arena (a multiple of SLOT). */
  readonly n: number;
  private readonly params: Tensor;
  private readonly grads: Tensor;
  /** m in [0, n), v in [n, 2n). */
  readonly moments: Tensor;
  /** Parameter index of every workgroup (the static part of the table). */
  private readonly owner: Uint32Array;

  constructor(readonly order: readonly Tensor[]) {
    // Workgroups per parameter: its elements in SLOT-sized runs (an empty one still gets a slot).
    const slots = order.map((p) => Math.max(1, Math.ceil(p.size / SLOT)));
    this.owner = new Uint32Array(slots.reduce((a, b) => a + b, 0));
    let w = 0;
    order.forEach((p, k) => {
      this.start.set(p, w * SLOT);
      this.owner.fill(k, w, w + slots[k]!);
      w += slots[k]!;
    });
    this.n = w * SLOT;
    this.params = keep(zeros([this.n]));
    this.grads = keep(zeros([this.n]));
    this.moments = keep(zeros([2 * this.n]));
  }

  /** Whether this arena was laid out for exactly these parameters, in this order. */
  fits(order: readonly Tensor[]): boolean {
    return order.length === this.order.length && order.every((p, i) => p === this.order[i]);
  }

  /** Element offset of `p`'s first moment (its second is at `n` + that). */
  offsetOf(p: Tensor): number {
    return this.start.get(p)!;
  }

  /** One Adam step over `updates` (one entry per parameter of `order`, same order). */
  step(updates: readonly FusedUpdate[], beta1: number, beta2: number, eps: number, decoupled: boolean): void {
    const rt = runtime();
    const groups = this.n / SLOT;
    const table = new Uint32Array(groups + RECORD * this.order.length);
    table.set(this.owner);
    const f32 = new Float32Array(table.buffer);
    updates.forEach((u, k) => {
      const at = this.start.get(u.param)!;
      const r = groups + RECORD * k;
      table[r] = at;
      table[r + 1] = u.param.size;
      table[r + 2] = u.grad ? 1 : 0;
      f32[r + 4] = u.lr;
      f32[r + 5] = u.weightDecay;
      f32[r + 6] = u.stepSize;
      f32[r + 7] = u.bc2Sqrt;
      if (!u.grad || !u.param.size) return;
      rt.copy(u.param.buffer, 0, this.params.buffer, at * 4, u.param.size * 4);
      rt.copy(u.grad.buffer, 0, this.grads.buffer, at * 4, u.param.size * 4);
    });
    // A fresh buffer per step: the previous step's table may still be waiting to be read.
    const tableT = tensor(table, [table.length], 'u32');
    rt.dispatch({
      op: decoupled ? 'adamw' : 'adam', shader: 'optim', entry: 'adam_fused',
      params: new Params().u32(this.n, decoupled ? 1 : 0, groups, 0).f32(beta1, beta2, eps, 0),
      buffers: [this.params.buffer, this.grads.buffer, this.moments.buffer, tableT.buffer],
      workgroups: grid(groups * SLOT, SLOT),
    });
    tableT.dispose();
    for (const u of updates) {
      if (u.grad && u.param.size) rt.copy(this.params.buffer, this.start.get(u.param)! * 4, u.param.buffer, 0, u.param.size * 4);
    }
  }

  /** Copies `p`'s moments out of the arena into `m` and `v` (tensors of p's size). */
  readMoments(p: Tensor, m: Tensor, v: Tensor): void {
    if (!p.size) return;
    const at = this.start.get(p)! * 4;
    runtime().copy(this.moments.buffer, at, m.buffer, 0, p.size * 4);
    runtime().copy(this.moments.buffer, this.n * 4 + at, v.buffer, 0, p.size * 4);
  }

  /** Copies `p`'s moments into the arena (after a checkpoint was loaded). */
  writeMoments(p: Tensor, m: Tensor, v: Tensor): void {
    if (!p.size) return;
    const at = this.start.get(p)! * 4;
    runtime().copy(m.buffer, 0, this.moments.buffer, at, p.size * 4);
    runtime().copy(v.buffer, 0, this.moments.buffer, this.n * 4 + at, p.size * 4);
  }

  dispose(): void {
    for (const t of [this.params, this.grads, this.moments]) t.dispose();
  }
}
