/**
 * Scoped disposal: `tidy(fn)` disposes every tensor created inside `fn` except the ones it
 * returns and the ones passed to `keep`. This is how intermediates (activations saved for
 * backward, temporary gradients) are released in a training step.
 */
import type { Tensor } from './tensor.js';

const scopes: Set<Tensor>[] = [];

export function track(t: Tensor): void {
  scopes[scopes.length - 1]?.add(t);
}

export function untrack(t: Tensor): void {
  for (let i = scopes.length - 1; i >= 0; i--) if (scopes[i]!.delete(t)) return;
}

/** Removes `t` from every scope: it lives until disposed explicitly. Returns `t`. */
export function keep<T extends Tensor>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

function collect(value: unknown, out: Set<Tensor>, seen: Set<unknown>): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (isTensor(value)) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collect(v, out, seen);
  else if (value instanceof Map) for (const v of value.values()) collect(v, out, seen);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, out, seen);
}

/** Tensors carry this brand (a global symbol, so bundlers renaming the class cannot break it). */
export const TENSOR_BRAND: unique symbol = Symbol.for('arbex-webgpu.tensor') as never;

function isTensor(v: object): v is Tensor {
  return (v as { [TENSOR_BRAND]?: boolean })[TENSOR_BRAND] === true;
}

/** Runs `fn` (synchronous) and disposes every tensor it created except those in its result (arrays, maps and plain objects are searched). */
export function tidy<T>(fn: () => T): T {
  if (Object.prototype.toString.call(fn) === '[object AsyncFunction]') {
    throw new Error('tidy(fn): fn must be synchronous (await readbacks outside the scope)');
  }
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  const survivors = new Set<Tensor>();
  collect(result, survivors, new Set());
  for (const t of scope) {
    if (survivors.has(t)) track(t);
    else t.dispose();
  }
  return result;
}

/** Number of enclosing tidy scopes (0 at top level). */
export function scopeDepth(): number {
  return scopes.length;
}
