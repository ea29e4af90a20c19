/**
 * Optimizer base: parameter groups with their own hyper-parameters, per-parameter state (step
 * count and moment tensors), `zeroGrad`, and a checkpoint state dict.
 *
 * Subclasses implement `update`, which launches one fused kernel per parameter (see
 * shaders/optim.wgsl). Parameters without a gradient are skipped, as in PyTorch, so frozen
 * sub-trees cost nothing.
 */
import { Tensor } from '../tensor/tensor.js';
import { keep } from '../tensor/scope.js';
import { zeros } from '../tensor/create.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { sameShape } from '../tensor/shape.js';
import { copyInto, type HostTensor } from '../nn/host-tensor.js';

/** Hyper-parameters every group has; schedules change `lr`. */
export interface GroupHyper {
  lr: number;
  weightDecay: number;
}

export type HyperValue = number | boolean;

/** A group as given to the constructor: parameters plus overrides of the defaults. */
export type ParamGroupSpec<H extends GroupHyper> = { params: readonly Tensor[]; name?: string } & Partial<H>;

/** A group as the optimizer holds it: every hyper-parameter resolved. */
export type ParamGroup<H extends GroupHyper> = H & { params: Tensor[]; name?: string };

export interface ParamState {
  /** Updates applied to this parameter so far (drives bias correction). */
  step: number;
  /** Moment buffers (PyTorch names: exp_avg, exp_avg_sq, momentum_buffer). */
  buffers: Record<string, Tensor>;
}

/** JSON-serialisable part of an optimizer checkpoint. */
export interface OptimizerMeta {
  type: string;
  groups: ({ params: number[]; name?: string } & Record<string, HyperValue | number[] | string | undefined>)[];
  /** Step count per parameter index (index = position over all groups, as PyTorch). */
  steps: Record<string, number>;
}

export interface OptimizerStateDict {
  meta: OptimizerMeta;
  /** State tensors named `<param index>.<buffer>` (e.g. `3.exp_avg`). Live references: do not dispose. */
  tensors: Map<string, Tensor>;
}

/** An optimizer state dict that does not fit this optimizer's parameters. */
export class OptimizerStateError extends Error {
  override name = 'OptimizerStateError';
}

function isGroupSpec<H extends GroupHyper>(v: Tensor | ParamGroupSpec<H>): v is ParamGroupSpec<H> {
  return !(v instanceof Tensor);
}

/** Base of the optimizers: `step()` applies one update from each parameter's `.grad`, `zeroGrad()` clears them. */
export abstract class Optimizer<H extends GroupHyper = GroupHyper> {
  readonly paramGroups: ParamGroup<H>[] = [];
  protected readonly state = new Map<Tensor, ParamState>();
  private readonly seen = new Set<Tensor>();

  constructor(params: readonly Tensor[] | readonly ParamGroupSpec<H>[], readonly defaults: Readonly<H>) {
    if (params.length === 0) throw new ShapeError(`${this.constructor.name}: got an empty parameter list`);
    const first = params[0]!;
    if (isGroupSpec<H>(first)) for (const g of params as readonly ParamGroupSpec<H>[]) this.addParamGroup(g);
    else this.addParamGroup({ params: params as readonly Tensor[] } as ParamGroupSpec<H>);
  }

  /** Adds a group (e.g. a layer unfrozen later). A parameter may belong to one group only. */
  addParamGroup(spec: ParamGroupSpec<H>): void {
    // An explicit `undefined` (e.g. `{ lr: opts.lr }` with no lr given) keeps the default.
    const given = Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined));
    const group = { ...this.defaults, ...given, params: [...spec.params] } as ParamGroup<H>;
    for (const [k, v] of Object.entries(group)) {
      if (k !== 'params' && k !== 'name' && typeof v === 'number' && !Number.isFinite(v)) {
        throw new ShapeError(`${this.constructor.name}: hyper-parameter ${k} = ${v} is not finite`);
      }
    }
    if (group.lr < 0) throw new ShapeError(`${this.constructor.name}: learning rate ${group.lr} is negative`);
    for (const p of group.params) {
      if (p.dtype !== 'f32') throw new ShapeError(`${this.constructor.name}: parameter ${p.describe()} is not f32`);
      if (this.seen.has(p)) throw new ShapeError(`${this.constructor.name}: parameter ${p.describe()} appears in more than one group`);
      this.seen.add(p);
    }
    this.validateGroup(group);
    this.paramGroups.push(group);
  }

  /** Subclasses reject impossible hyper-parameters here. */
  protected validateGroup(_group: ParamGroup<H>): void {}

  /** One fused update of `p` from `grad` (same size) with this group's hyper-parameters. */
  protected abstract update(p: Tensor, grad: Tensor, group: ParamGroup<H>, state: ParamState): void;

  /** Names of the state buffers `update` expects (created as zeros on first use). */
  protected abstract stateBuffers(group: ParamGroup<H>): string[];

  /** Applies one update to every parameter that has a gradient. */
  step(): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const g = this.checkedGrad(p);
        if (!g) continue;
        const st = this.stateOf(p, group);
        st.step++;
        this.update(p, g, group, st);
      }
    }
  }

  /** `p.grad` (null when it has none), checked to fit `p`. */
  protected checkedGrad(p: Tensor): Tensor | null {
    const g = p.grad;
    if (g && (g.size !== p.size || g.dtype !== 'f32')) {
      throw new ShapeError(`${this.constructor.name}: gradient ${g.describe()} does not fit parameter ${p.describe()}`);
    }
    return g;
  }

  protected stateOf(p: Tensor, group: ParamGroup<H>): ParamState {
    let st = this.state.get(p);
    if (!st) {
      st = { step: 0, buffers: {} };
      this.state.set(p, st);
    }
    for (const name of this.stateBuffers(group)) st.buffers[name] ??= keep(zeros(p.shape));
    return st;
  }

  /** Releases every parameter's gradient (the next backward starts from nothing). */
  zeroGrad(): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        p.grad?.dispose();
        p.grad = null;
      }
    }
  }

  /** Every parameter in group order (the indices state dicts use). */
  params(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /** Hyper-parameters, step counts and moments, for checkpoints. */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    this.params().forEach((p, i) => index.set(p, i));
    const groups: OptimizerMeta['groups'] = this.paramGroups.map((g) => {
      const { params, ...hyper } = g;
      return { ...(hyper as Record<string, HyperValue | string | undefined>), params: params.map((p) => index.get(p)!) };
    });
    const steps: Record<string, number> = {};
    const tensors = new Map<string, Tensor>();
    for (const [p, st] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      steps[String(i)] = st.step;
      for (const [k, t] of Object.entries(st.buffers)) tensors.set(`${i}.${k}`, t);
    }
    return { meta: { type: this.constructor.name, groups, steps }, tensors };
  }

  /**
   * Restores a checkpoint made by `stateDict` for the same parameter layout. Everything is
   * validated before any state changes; moments are copied into this optimizer's own tensors.
   */
  loadStateDict(sd: { meta: OptimizerMeta; tensors: ReadonlyMap<string, Tensor | HostTensor> }): void {
    const who = this.constructor.name;
    const params = this.params();
    const { meta } = sd;
    if (meta.type !== who) throw new OptimizerStateError(`${who}.loadStateDict: checkpoint is from ${meta.type}`);
    if (meta.groups.length !== this.paramGroups.length) {
      throw new OptimizerStateError(`${who}.loadStateDict: checkpoint has ${meta.groups.length} parameter groups, this optimizer ${this.paramGroups.length}`);
    }
    meta.groups.forEach((g, gi) => {
      const own = this.paramGroups[gi]!;
      const expected = own.params.map((p) => params.indexOf(p));
      if (g.params.length !== expected.length || g.params.some((v, k) => v !== expected[k])) {
        throw new OptimizerStateError(`${who}.loadStateDict: group ${gi} holds parameters [${g.params.join(', ')}], expected [${expected.join(', ')}]`);
      }
    });
    const problems: string[] = [];
    const parsed: [Tensor, string, Tensor | HostTensor][] = [];
    for (const [key, t] of sd.tensors) {
      const m = /^(\d+)\.(\w+)$/.exec(key);
      const p = m ? params[Number(m[1])] : undefined;
      if (!m || !p) {
        problems.push(`unexpected state '${key}'`);
        continue;
      }
      if (!sameShape(p.shape, t.shape)) problems.push(`state '${key}' has shape ${fmtShape(t.shape)}, parameter ${p.describe()}`);
      else parsed.push([p, m[2]!, t]);
    }
    for (const k of Object.keys(meta.steps)) if (!params[Number(k)]) problems.push(`step count for unknown parameter ${k}`);
    if (problems.length) throw new OptimizerStateError(`${who}.loadStateDict:\n  ${problems.join('\n  ')}`);

    meta.groups.forEach((g, gi) => {
      const own = this.paramGroups[gi]! as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(g)) if (k !== 'params' && v !== undefined) own[k] = v;
    });
    this.disposeState();
    for (const [k, step] of Object.entries(meta.steps)) {
      const p = params[Number(k)]!;
      this.state.set(p, { step, buffers: {} });
    }
    for (const [p, name, t] of parsed) {
      let st = this.state.get(p);
      if (!st) this.state.set(p, (st = { step: 0, buffers: {} }));
      const dst = keep(zeros(p.shape));
      copyInto(dst, t, `optimizer state '${name}'`);
      st.buffers[name] = dst;
    }
  }

  private disposeState(): void {
    for (const st of this.state.values()) for (const t of Object.values(st.buffers)) t.dispose();
    this.state.clear();
  }

  /** Frees the moment tensors. */
  dispose(): void {
    this.disposeState();
  }
}

/**
 * Splits named parameters into a weight-decay group (matrices and kernels, rank >= 2) and a
 * no-decay group (biases, norm scales, PReLU slopes, anchors of rank < 2 — the usual practice),
 * skipping frozen ones. Use: `new AdamW(decayGroups(model.namedParameters(), 0.05))`.
 */
export function decayGroups(named: readonly (readonly [string, Tensor])[], weightDecay: number, extra: { lr?: number } = {}): ParamGroupSpec<GroupHyper>[] {
  const trainable = named.filter(([, p]) => p.requiresGrad);
  const decay = trainable.filter(([, p]) => p.rank >= 2).map(([, p]) => p);
  const noDecay = trainable.filter(([, p]) => p.rank < 2).map(([, p]) => p);
  const groups: ParamGroupSpec<GroupHyper>[] = [];
  if (decay.length) groups.push({ params: decay, weightDecay, name: 'decay', ...extra });
  if (noDecay.length) groups.push({ params: noDecay, weightDecay: 0, name: 'no_decay', ...extra });
  return groups;
}
