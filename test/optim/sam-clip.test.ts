import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { SGD, Adam, SAM, clipGradNorm, gradNorm } from '../../src/optim/index.js';
import { engine } from '../helpers/engine.js';
import { expectClose } from '../helpers/gradcheck.js';
import { Rng } from '../helpers/random.js';
import * as R from '../reference/optim.js';

beforeAll(engine);

const f32 = (a: ArrayLike<number>): Float64Array => Float64Array.from(a, (v) => Math.fround(v));

describe('clipGradNorm', () => {
  it('scales every gradient by min(1, max/‖g‖) and returns ‖g‖ (no readback inside)', async () => {
    const rng = new Rng(2);
    const shapes = [[40_000], [17], [3, 5]]; // the first spans many partial-sum workgroups
    const gs = shapes.map((s) => f32(rng.normals(s.reduce((a, b) => a * b, 1))));
    const ps = shapes.map((s, i) => {
      const p = E.keep(E.zeros(s)).requireGrad();
      p.grad = E.keep(E.tensor(Float32Array.from(gs[i]!), s));
      return p;
    });
    const ref = R.clipByGlobalNorm(gs, 5);
    expect(ref.norm).toBeGreaterThan(5);
    const norm = clipGradNorm(ps, 5);
    expect(norm.shape).toEqual([]);
    expect(Math.abs((await norm.item()) - ref.norm) / ref.norm).toBeLessThanOrEqual(1e-5);
    for (let i = 0; i < ps.length; i++) expectClose((await ps[i]!.grad!.toArray()) as Float32Array, ref.clipped[i]!, 1e-5, `clipped ${i}`);
    expect(Math.abs((await gradNorm(ps).item()) - 5)).toBeLessThanOrEqual(1e-4);
  });

  it('leaves gradients under the bound untouched', async () => {
    const p = E.keep(E.zeros([3])).requireGrad();
    p.grad = E.keep(E.tensor([0.1, -0.2, 0.3]));
    await clipGradNorm([p], 10).item();
    expect(Array.from((await p.grad.toArray()) as Float32Array)).toEqual([0.1, -0.2, 0.3].map(Math.fround));
    expect(() => clipGradNorm([p], 0)).toThrow(/positive/);
  });
});

describe('SAM', () => {
  // loss(w) = Σ_k ½ c_k w_k² + 0.1 Σ_k exp(w_k): nonlinear, so the gradient at w + e differs from
  // the one at w and the test sees whether the ascent step happened.
  const shapes = [[6], [2, 3]];
  const rng = new Rng(4);
  const cs = shapes.map((s) => f32(rng.array(s.reduce((a, b) => a * b, 1), 0.5, 2)));
  const w0 = shapes.map((s) => f32(rng.array(s.reduce((a, b) => a * b, 1))));
  const gradRef = (ps: Float64Array[]): Float64Array[] => ps.map((p, i) => Float64Array.from(p, (w, k) => cs[i]![k]! * w + 0.1 * Math.exp(w)));

  function setup(): { ps: E.Tensor[]; closure: () => E.Tensor } {
    const ps = shapes.map((s, i) => E.keep(E.tensor(Float32Array.from(w0[i]!), s)).requireGrad());
    const ct = shapes.map((s, i) => E.keep(E.tensor(Float32Array.from(cs[i]!), s)));
    const closure = (): E.Tensor =>
      E.tidy(() => {
        let loss: E.Tensor | null = null;
        ps.forEach((p, i) => {
          const term = E.add(E.mulScalar(E.sum(E.mul(ct[i]!, E.square(p))), 0.5), E.mulScalar(E.sum(E.exp(p)), 0.1));
          loss = loss ? E.add(loss, term) : term;
        });
        E.backward(loss!);
        return loss!;
      });
    return { ps, closure };
  }

  it('around SGD with momentum: matches the two-pass reference over several steps', async () => {
    const { ps, closure } = setup();
    const sam = new SAM(new SGD(ps, { lr: 0.1, momentum: 0.9 }), { rho: 0.05 });
    for (let s = 0; s < 4; s++) sam.step(closure).dispose();
    const ref = w0.map((w) => Float64Array.from(w));
    const st = ref.map(() => ({ buf: null }) as R.SgdRefState);
    for (let s = 0; s < 4; s++) R.samStep(ref, gradRef, 0.05, (i, p, g) => R.sgdStep(p, g, st[i]!, { lr: 0.1, momentum: 0.9 }));
    for (let i = 0; i < ps.length; i++) expectClose((await ps[i]!.toArray()) as Float32Array, ref[i]!, 1e-5, `param ${i}`);
  });

  it('around Adam; returns the loss at w (first pass)', async () => {
    const { ps, closure } = setup();
    const sam = new SAM(new Adam(ps, { lr: 0.05 }), { rho: 0.1 });
    const loss0 = await sam.step(closure).item();
    let expectLoss = 0;
    w0.forEach((w, i) => w.forEach((v, k) => (expectLoss += 0.5 * cs[i]![k]! * v * v + 0.1 * Math.exp(v))));
    expect(Math.abs(loss0 - expectLoss)).toBeLessThanOrEqual(1e-5 * Math.abs(expectLoss));
    for (let s = 0; s < 2; s++) sam.step(closure).dispose();
    const ref = w0.map((w) => Float64Array.from(w));
    const st = ref.map((p) => R.adamState(p.length));
    for (let s = 0; s < 3; s++) R.samStep(ref, gradRef, 0.1, (i, p, g) => R.adamStep(p, g, st[i]!, { lr: 0.05 }));
    for (let i = 0; i < ps.length; i++) expectClose((await ps[i]!.toArray()) as Float32Array, ref[i]!, 1e-5, `param ${i}`);
  });

  it('rejects an async closure in step()', () => {
    const { ps } = setup();
    const sam = new SAM(new SGD(ps, { lr: 0.1 }));
    expect(() => sam.step(async () => 0)).toThrow(/stepAsync/);
  });
});
