/**
 * The reusable correctness check for an op: the engine's forward against the float64 reference,
 * and the engine's backward against central finite differences *of the reference* (an
 * independent oracle: the engine's own forward never enters the expected gradient).
 *
 * With upstream weights w (random, same shape as the output), the engine computes
 * ∂(Σ w·y)/∂x through backward(y, w); the oracle computes
 * [Σ w·ref(x + h·e_i) − Σ w·ref(x − h·e_i)] / 2h in float64 for sampled elements i.
 */
import { expect } from 'vitest';
import { Tensor, tensor, backward, tidy } from '../../src/index.js';
import type { Nd } from '../reference/nd.js';
import { Rng } from './random.js';

export interface GradcheckInput {
  shape: number[];
  /** Values (default: uniform in [lo, hi)). */
  data?: ArrayLike<number>;
  lo?: number;
  hi?: number;
  /** Integer inputs (labels, indices) are passed as i32 and never differentiated. */
  int?: boolean;
  /** Check this input's gradient (default true for float inputs). */
  grad?: boolean;
}

export interface GradcheckSpec {
  inputs: GradcheckInput[];
  engine: (xs: Tensor[]) => Tensor;
  reference: (xs: Nd[]) => Nd;
  seed?: number;
  /** Max |engine − reference| allowed, relative to max(1, |reference|∞). */
  fwdTol?: number;
  gradTol?: number;
  /** Finite-difference step (float64). */
  h?: number;
  /** Check at most this many elements per input by finite differences. */
  samples?: number;
  /** Skip the gradient check (forward-only ops). */
  forwardOnly?: boolean;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** Asserts |actual − expected|∞ <= tol · max(1, |expected|∞), with a readable message. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const err = maxAbsDiff(actual, expected);
  const scale = Math.max(1, maxAbs(expected));
  expect(err / scale, `${what}: max error ${err} (scale ${scale})`).toBeLessThanOrEqual(tol);
}

export async function gradcheck(spec: GradcheckSpec): Promise<void> {
  const rng = new Rng(spec.seed ?? 7);
  const xs: Nd[] = spec.inputs.map((inp) => {
    const n = inp.shape.reduce((a, b) => a * b, 1);
    const data = new Float64Array(n);
    if (inp.data) for (let i = 0; i < n; i++) data[i] = inp.data[i]!;
    else for (let i = 0; i < n; i++) data[i] = inp.int ? rng.int(Math.max(1, inp.hi ?? 2)) : rng.uniform(inp.lo ?? -1, inp.hi ?? 1);
    // Round to f32 so engine and reference see identical inputs.
    if (!inp.int) for (let i = 0; i < n; i++) data[i] = Math.fround(data[i]!);
    return { shape: [...inp.shape], data };
  });
  const expected = spec.reference(xs);

  // Forward and backward run in one scope: the intermediates saved for backward live until it
  // has run, and everything but the inputs, their gradients and the output is released after.
  const w = rng.array(expected.data.length).map((v) => Math.fround(v));
  const { ts, y } = tidy(() => {
    const ts = xs.map((x, k) =>
      spec.inputs[k]!.int ? tensor(Int32Array.from(x.data), x.shape) : tensor(Float32Array.from(x.data), x.shape).requireGrad(!spec.forwardOnly && spec.inputs[k]!.grad !== false),
    );
    const y = spec.engine(ts);
    if (y.shape.join() === expected.shape.join() && !spec.forwardOnly) backward(y, tensor(Float32Array.from(w), y.shape));
    return { ts, y };
  });
  expect(y.shape, 'output shape').toEqual(expected.shape);
  expectClose(await y.toArray(), expected.data, spec.fwdTol ?? 1e-5, 'forward');
  if (spec.forwardOnly) {
    for (const t of [...ts, y]) t.dispose();
    return;
  }

  const h = spec.h ?? 1e-4;
  const objective = (inputs: Nd[]): number => {
    const r = spec.reference(inputs).data;
    let s = 0;
    for (let i = 0; i < r.length; i++) s += w[i]! * r[i]!;
    return s;
  };
  for (let k = 0; k < xs.length; k++) {
    const inp = spec.inputs[k]!;
    if (inp.int || inp.grad === false) continue;
    const t = ts[k]!;
    expect(t.grad, `input ${k} received no gradient`).not.toBeNull();
    const got = await t.grad!.toArray();
    const x = xs[k]!;
    const n = x.data.length;
    const samples = Math.min(n, spec.samples ?? 64);
    const picks = samples === n ? [...Array(n).keys()] : Array.from({ length: samples }, () => rng.int(n));
    const fd: number[] = [], eng: number[] = [];
    for (const i of picks) {
      const orig = x.data[i]!;
      x.data[i] = orig + h;
      const fp = objective(xs);
      x.data[i] = orig - h;
      const fm = objective(xs);
      x.data[i] = orig;
      fd.push((fp - fm) / (2 * h));
      eng.push(got[i]!);
    }
    expectClose(eng, fd, spec.gradTol ?? 2e-3, `gradient of input ${k}`);
  }
  for (const t of [...ts, y]) {
    t.grad?.dispose();
    t.dispose();
  }
}
