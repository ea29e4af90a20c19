/**
 * Module: a tree of named parameters, buffers and child modules, with PyTorch's naming
 * (`layer1.0.weight`), train/eval mode, freezing, and state dicts.
 *
 * Children, parameters and buffers are registered explicitly (`this.child`, `this.param`,
 * `this.buffer`) in constructor order, which makes names and their order deterministic: a
 * module's own parameters, then its own buffers, then each child's, depth first (the order of
 * torch's `state_dict`). Parameters and buffers are long-lived (`keep`), so building a module
 * inside `tidy` never frees them; `dispose()` does.
 *
 * `loadStateDict` is all-or-nothing: every name, shape and dtype is checked before the first
 * tensor is written, and values are copied *into* the existing tensors so references held by
 * optimizers stay valid.
 */
import type { Tensor } from '../tensor/tensor.js';
import { keep } from '../tensor/scope.js';
import { fmtShape } from '../runtime/errors.js';
import { canCopy, copyInto, isHostTensor, shapesCompatible, type HostTensor } from './host-tensor.js';

/** A trainable tensor (f32, requiresGrad unless frozen). */
export type Parameter = Tensor;

export interface LoadStateDictOptions {
  /** Throw on any missing, unexpected or mismatched name (default true). */
  strict?: boolean;
}

export interface ShapeMismatch {
  name: string;
  expected: readonly number[];
  got: readonly number[];
  /** Set when the shapes agree but the element types cannot be converted. */
  detail?: string;
}

export interface LoadReport {
  loaded: string[];
  missing: string[];
  unexpected: string[];
  mismatched: ShapeMismatch[];
}

/** A state dict that does not fit a module; `report` lists every missing, unexpected and mismatched name. */
export class StateDictError extends Error {
  override name = 'StateDictError';
  constructor(message: string, readonly report: LoadReport) {
    super(message);
  }
}

/** One readable summary of everything that did not line up. */
export function formatLoadReport(r: LoadReport, max = 20): string {
  const list = (xs: string[]): string => (xs.length > max ? `${xs.slice(0, max).join(', ')}, … (${xs.length - max} more)` : xs.join(', '));
  const parts: string[] = [];
  if (r.missing.length) parts.push(`missing ${r.missing.length}: ${list(r.missing)}`);
  if (r.unexpected.length) parts.push(`unexpected ${r.unexpected.length}: ${list(r.unexpected)}`);
  if (r.mismatched.length) {
    parts.push(`shape mismatch ${r.mismatched.length}: ${list(r.mismatched.map((m) => `${m.name} (model ${fmtShape(m.expected)}, file ${fmtShape(m.got)}${m.detail ? `: ${m.detail}` : ''})`))}`);
  }
  return parts.join('\n  ');
}

interface BufferEntry {
  tensor: Tensor | null;
  /** Non-persistent buffers are left out of state dicts (as torch's persistent=False). */
  persistent: boolean;
}

/**
 * Base of every layer and model: parameters, buffers and children with PyTorch's dotted names,
 * train/eval mode, freezing, and state dicts. Subclasses register with `param`, `buffer` and
 * `child` and implement `forward`.
 */
export abstract class Module {
  private readonly params_ = new Map<string, Tensor | null>();
  private readonly buffers_ = new Map<string, BufferEntry>();
  private readonly children_ = new Map<string, Module>();
  private training_ = true;

  // ---- registration ----------------------------------------------------------------------

  /** Registers a trainable parameter (kept alive, requiresGrad on). Null: optional, absent. */
  protected param<T extends Tensor | null>(name: string, t: T): T {
    this.checkName(name);
    if (t) {
      keep(t);
      t.requireGrad(true);
      t.name ??= name;
    }
    this.params_.set(name, t);
    return t;
  }

  /** Registers state that is not trained (e.g. BatchNorm running statistics). */
  protected buffer<T extends Tensor | null>(name: string, t: T, persistent = true): T {
    this.checkName(name);
    if (t) {
      keep(t);
      t.name ??= name;
    }
    this.buffers_.set(name, { tensor: t, persistent });
    return t;
  }

  /** Registers a sub-module; its names get the prefix `name.`. */
  protected child<M extends Module>(name: string, m: M): M {
    this.checkName(name);
    this.children_.set(name, m);
    return m;
  }

  private checkName(name: string): void {
    if (!name || name.includes('.')) throw new Error(`${this.constructor.name}: invalid name '${name}' (non-empty, no dots)`);
    if (this.params_.has(name) || this.buffers_.has(name) || this.children_.has(name)) {
      throw new Error(`${this.constructor.name}: '${name}' is already registered`);
    }
  }

  // ---- traversal -------------------------------------------------------------------------

  /** Direct children with their names. */
  namedChildren(): [string, Module][] {
    return [...this.children_];
  }

  /** This module ('' ) and every descendant, with dotted names, depth first. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [n, c] of this.children_) out.push(...c.namedModules(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  /**
   * Every parameter with its dotted name; a tensor shared by two modules (tied weights) is listed
   * once, under its first name. Also names the tensors (`Tensor.name`) for error messages.
   */
  namedParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [n, t] of m.params_) {
        if (!t || seen.has(t)) continue;
        seen.add(t);
        const full = prefix ? `${prefix}.${n}` : n;
        t.name = full;
        out.push([full, t]);
      }
    }
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Parameters that currently require a gradient (what an optimizer should get). */
  trainableParameters(): Parameter[] {
    return this.parameters().filter((p) => p.requiresGrad);
  }

  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [n, b] of m.buffers_) if (b.tensor) out.push([prefix ? `${prefix}.${n}` : n, b.tensor]);
    }
    return out;
  }

  /** Number of parameter elements (optionally only trainable ones). */
  numParameters(opts: { trainableOnly?: boolean } = {}): number {
    return (opts.trainableOnly ? this.trainableParameters() : this.parameters()).reduce((s, p) => s + p.size, 0);
  }

  // ---- modes ------------------------------------------------------------------------------

  get training(): boolean {
    return this.training_;
  }

  /** Sets training mode on the whole subtree (dropout active, batch statistics used). */
  train(on = true): this {
    for (const [, m] of this.namedModules()) m.training_ = on;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Stops gradients for every parameter of the subtree (a frozen backbone). */
  freeze(): this {
    for (const p of this.parameters()) p.requireGrad(false);
    return this;
  }

  unfreeze(): this {
    for (const p of this.parameters()) p.requireGrad(true);
    return this;
  }

  // ---- state dicts ------------------------------------------------------------------------

  /**
   * Parameters and persistent buffers by dotted name, in registration order (live references,
   * not copies: do not dispose them). Tied weights appear under every name, as in PyTorch.
   */
  stateDict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      const name = (n: string): string => (prefix ? `${prefix}.${n}` : n);
      for (const [n, t] of m.params_) if (t) out.set(name(n), t);
      for (const [n, b] of m.buffers_) if (b.tensor && b.persistent) out.set(name(n), b.tensor);
    }
    return out;
  }

  /**
   * Copies matching entries into this module's tensors. Strict (default): any missing,
   * unexpected or shape-mismatched name throws one StateDictError listing all of them, and
   * nothing is written. Non-strict: loads what matches and returns the report of the rest.
   */
  loadStateDict(state: ReadonlyMap<string, Tensor | HostTensor>, opts: LoadStateDictOptions = {}): LoadReport {
    const strict = opts.strict ?? true;
    const own = this.stateDict();
    const report: LoadReport = { loaded: [], missing: [], unexpected: [], mismatched: [] };
    const plan: [string, Tensor, Tensor | HostTensor][] = [];
    for (const [name, dst] of own) {
      const src = state.get(name);
      if (!src) {
        report.missing.push(name);
        continue;
      }
      if (!shapesCompatible(dst.shape, src.shape)) {
        report.mismatched.push({ name, expected: dst.shape, got: src.shape });
        continue;
      }
      if (!isHostTensor(src) && !canCopy(src.dtype, dst.dtype)) {
        report.mismatched.push({ name, expected: dst.shape, got: src.shape, detail: `${src.dtype} cannot be converted to ${dst.dtype}` });
        continue;
      }
      plan.push([name, dst, src]);
    }
    for (const name of state.keys()) if (!own.has(name)) report.unexpected.push(name);
    const bad = report.missing.length + report.unexpected.length + report.mismatched.length;
    if (strict && bad) {
      throw new StateDictError(`${this.constructor.name}.loadStateDict: state dict does not match the model (nothing was loaded):\n  ${formatLoadReport(report)}`, report);
    }
    for (const [name, dst, src] of plan) {
      copyInto(dst, src, name);
      report.loaded.push(name);
    }
    return report;
  }

  /** Frees every parameter and buffer of the subtree. */
  dispose(): void {
    for (const [, m] of this.namedModules()) {
      for (const t of m.params_.values()) t?.dispose();
      for (const b of m.buffers_.values()) b.tensor?.dispose();
    }
  }

  /** One line per module with its parameter count, for logs. */
  summary(): string {
    return this.namedModules()
      .map(([n, m]) => {
        const own = [...m.params_.values()].reduce((s, t) => s + (t?.size ?? 0), 0);
        return `${n || '(root)'}: ${m.constructor.name}${own ? ` (${own} params)` : ''}`;
      })
      .join('\n');
  }
}

/** A module that maps one tensor to one tensor (what Sequential chains). */
export interface UnaryModule extends Module {
  forward(x: Tensor): Tensor;
}
