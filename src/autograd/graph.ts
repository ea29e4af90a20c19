/**
 * Reverse-mode autograd over the recorded graph.
 *
 * Ops call `record(out, inputs, backward)` right after computing their forward; `backward(root)`
 * walks the graph in reverse topological order, calls each node's backward with grad recording
 * off, accumulates gradients of tensors used more than once, stores leaf gradients in `.grad`,
 * and frees the graph (intermediate gradients disposed, nodes dropped) as it goes.
 */
import { Tensor, type GradNode } from '../tensor/tensor.js';
import { keep, tidy } from '../tensor/scope.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { sameShape } from '../tensor/shape.js';

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording a graph (inference, optimizer updates, backward itself). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Attaches a backward rule to `out` when recording is on and any input needs a gradient. */
export function record(out: Tensor, op: string, inputs: readonly Tensor[], backward: GradNode['backward']): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.node = { op, inputs, backward };
  }
  return out;
}

/**
 * Runs the body of an op composed from other ops. With no graph recorded (noGrad, or no input
 * needs a gradient) its intermediates are disposed on return, so `op(x).dispose()` leaves nothing
 * behind; while recording they stay, as backward may read them (a `tidy` around the training step
 * releases them).
 */
export function composite<T>(inputs: readonly (Tensor | null | undefined)[], body: () => T): T {
  return gradEnabled && inputs.some((t) => t?.requiresGrad) ? body() : tidy(body);
}

/** Returns a tensor sharing `t`'s data but cut from the graph. */
export function detach(t: Tensor): Tensor {
  return t.view(t.shape);
}

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative DFS: graphs of deep models overflow the JS stack with recursion.
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const c = inputs[i]!;
      if (c.requiresGrad && !seen.has(c)) {
        seen.add(c);
        stack.push([c, 0]);
      }
    } else {
      order.push(t);
      stack.pop();
    }
  }
  return order.reverse();
}

export interface BackwardOptions {
  /** Keep the graph for a second backward (e.g. SAM recomputes instead, so rarely needed). */
  retainGraph?: boolean;
}

/**
 * Computes gradients of `root` with respect to every leaf that requires grad. `root` must be a
 * scalar unless `grad` (same shape as root) is given.
 */
export function backward(root: Tensor, grad?: Tensor, opts: BackwardOptions = {}): void {
  if (!root.requiresGrad) throw new ShapeError(`backward(): ${root.describe()} does not require grad (no input needed a gradient)`);
  if (grad) {
    if (!sameShape(grad.shape, root.shape)) throw new ShapeError(`backward(): gradient shape ${fmtShape(grad.shape)} does not match output shape ${fmtShape(root.shape)}`);
  } else if (root.size !== 1) {
    throw new ShapeError(`backward(): output ${root.describe()} is not a scalar; pass a gradient of shape ${fmtShape(root.shape)}`);
  }
  noGrad(() => {
    const order = topoOrder(root);
    const grads = new Map<Tensor, Tensor>();
    // Gradients we created and may dispose (never the caller's `grad`).
    const owned = new Set<Tensor>();
    const seed = grad ?? onesLike(root);
    if (!grad) owned.add(seed);
    grads.set(root, seed);

    // `upstream` is the gradient being propagated: an op may pass it through to several inputs,
    // so it must survive until all of them have received it.
    let upstream: Tensor | null = null;
    const accumulate = (t: Tensor, g: Tensor): void => {
      if (!sameShape(g.shape, t.shape)) {
        throw new ShapeError(`backward of '${t.node?.op ?? 'leaf'}': gradient ${fmtShape(g.shape)} does not match tensor ${fmtShape(t.shape)}`);
      }
      const prev = grads.get(t);
      if (!prev) {
        grads.set(t, g);
        return;
      }
      const sum = addForAccumulation(prev, g);
      owned.add(sum);
      release(prev);
      release(g);
      grads.set(t, sum);
    };
    // A gradient tensor may be referenced twice (an op passing its upstream gradient through to
    // two inputs), so a tensor is disposed only once nothing in `grads` refers to it.
    const release = (g: Tensor): void => {
      if (!owned.has(g) || g === upstream) return;
      for (const v of grads.values()) if (v === g) return;
      owned.delete(g);
      g.dispose();
    };

    for (const t of order) {
      const g = grads.get(t);
      if (!g) continue;
      const node = t.node;
      if (!node) {
        grads.delete(t);
        if (t.grad) {
          const sum = addForAccumulation(t.grad, g);
          t.grad.dispose();
          release(g);
          t.grad = keep(sum);
        } else {
          // The leaf takes ownership: copy if the same tensor still flows elsewhere.
          const shared = !owned.has(g) || [...grads.values()].includes(g);
          t.grad = keep(shared ? g.view(g.shape) : g);
          if (!shared) owned.delete(g);
        }
        continue;
      }
      upstream = g;
      const inGrads = node.backward(g);
      if (inGrads.length !== node.inputs.length) throw new Error(`backward of '${node.op}' returned ${inGrads.length} gradients for ${node.inputs.length} inputs`);
      grads.delete(t);
      node.inputs.forEach((inp, i) => {
        const gi = inGrads[i];
        if (!gi || !inp.requiresGrad) {
          if (gi && gi !== g) gi.dispose();
          return;
        }
        if (gi !== g) owned.add(gi);
        accumulate(inp, gi);
      });
      upstream = null;
      release(g);
      if (!opts.retainGraph) t.node = null;
    }
  });
}

// Filled in by ops/elementwise to avoid an import cycle (autograd is below ops).
let addImpl: ((a: Tensor, b: Tensor) => Tensor) | null = null;
let onesImpl: ((t: Tensor) => Tensor) | null = null;

export function registerAutogradPrimitives(add: (a: Tensor, b: Tensor) => Tensor, onesLikeFn: (t: Tensor) => Tensor): void {
  addImpl = add;
  onesImpl = onesLikeFn;
}

function addForAccumulation(a: Tensor, b: Tensor): Tensor {
  if (!addImpl) throw new Error('autograd: ops not loaded (import the engine index)');
  return addImpl(a, b);
}

function onesLike(t: Tensor): Tensor {
  if (!onesImpl) throw new Error('autograd: ops not loaded (import the engine index)');
  return onesImpl(t);
}
