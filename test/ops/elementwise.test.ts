import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { engine } from '../helpers/engine.js';
import { expectClose, gradcheck } from '../helpers/gradcheck.js';
import * as R from '../reference/ops.js';

beforeAll(engine);

const unary: [string, (x: E.Tensor) => E.Tensor, (v: number) => number, number, number][] = [
  ['neg', E.neg, (v) => -v, -2, 2],
  ['exp', E.exp, Math.exp, -2, 2],
  ['log', E.log, Math.log, 0.3, 3],
  ['sqrt', E.sqrt, Math.sqrt, 0.3, 3],
  ['rsqrt', E.rsqrt, (v) => 1 / Math.sqrt(v), 0.3, 3],
  ['abs', E.abs, Math.abs, -2, 2],
  ['relu', E.relu, (v) => Math.max(0, v), -2, 2],
  ['sigmoid', E.sigmoid, R.sigmoid, -6, 6],
  ['tanh', E.tanh, Math.tanh, -3, 3],
  ['gelu', E.gelu, R.gelu, -4, 4],
  ['sin', E.sin, Math.sin, -3, 3],
  ['cos', E.cos, Math.cos, -3, 3],
  ['square', E.square, (v) => v * v, -2, 2],
  ['reciprocal', E.reciprocal, (v) => 1 / v, 0.5, 2],
  ['affine', (x) => E.affine(x, -1.5, 0.25), (v) => -1.5 * v + 0.25, -2, 2],
  ['powScalar', (x) => E.powScalar(x, 2.5), (v) => v ** 2.5, 0.2, 2],
  ['clamp', (x) => E.clamp(x, -0.5, 0.7), (v) => Math.min(0.7, Math.max(-0.5, v)), -2, 2],
];

describe('unary ops: forward vs float64 reference, gradient vs finite differences', () => {
  for (const [name, f, ref, lo, hi] of unary) {
    it(name, async () => {
      for (const shape of [[1], [7], [3, 17], [2, 3, 5, 7], [1031]]) {
        // Keep finite differences away from kinks (relu/abs/clamp) by the input range and step.
        await gradcheck({
          inputs: [{ shape, lo, hi }],
          engine: ([x]) => f(x!),
          reference: ([x]) => R.map(x!, ref),
          fwdTol: 2e-6 * Math.max(1, hi * hi),
          h: 1e-6,
          gradTol: 3e-3,
        });
      }
    });
  }
});

const binary: [string, (a: E.Tensor, b: E.Tensor) => E.Tensor, (x: number, y: number) => number][] = [
  ['add', E.add, (x, y) => x + y],
  ['sub', E.sub, (x, y) => x - y],
  ['mul', E.mul, (x, y) => x * y],
  ['div', E.div, (x, y) => x / y],
  ['maximum', E.maximum, Math.max],
  ['minimum', E.minimum, Math.min],
  ['pow', E.pow, (x, y) => x ** y],
];

describe('binary ops with broadcasting', () => {
  const shapes: [number[], number[]][] = [
    [[5], [5]],
    [[1], [13]],
    [[3, 1], [1, 4]],
    [[2, 3, 5], [5]],
    [[4, 1, 3], [2, 1]],
    [[1, 7, 1, 2], [3, 1, 5, 1]],
    [[257], [1]],
    // last dimension a multiple of 4: the 3-dim kernel's 4-output runs (b's last stride 0, then 1)
    [[2, 3, 8], [3, 1]],
    [[5, 1, 12], [1, 3, 12]],
  ];
  for (const [name, f, ref] of binary) {
    it(name, async () => {
      for (const [sa, sb] of shapes) {
        const positive = name === 'div' || name === 'pow';
        await gradcheck({
          inputs: [{ shape: sa, lo: positive ? 0.5 : -2, hi: 2 }, { shape: sb, lo: positive ? 0.5 : -2, hi: 2 }],
          engine: ([a, b]) => f(a!, b!),
          reference: ([a, b]) => R.zip(a!, b!, ref),
          fwdTol: 1e-5,
          h: 1e-6,
        });
      }
    });
  }

  it('comparisons and where', async () => {
    const cmp: [(a: E.Tensor, b: E.Tensor) => E.Tensor, (x: number, y: number) => boolean][] = [
      [E.eq, (x, y) => x === y], [E.ne, (x, y) => x !== y], [E.lt, (x, y) => x < y],
      [E.le, (x, y) => x <= y], [E.gt, (x, y) => x > y], [E.ge, (x, y) => x >= y],
    ];
    for (const [f, ref] of cmp) {
      await gradcheck({
        inputs: [{ shape: [3, 4], data: [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3] }, { shape: [4], data: [0, 2, 2, 1] }],
        engine: ([a, b]) => f(a!, b!),
        reference: ([a, b]) => R.zip(a!, b!, (x, y) => (ref(x, y) ? 1 : 0)),
        forwardOnly: true,
      });
    }
    await gradcheck({
      inputs: [{ shape: [3, 1], data: [1, 0, 1], grad: false }, { shape: [3, 4] }, { shape: [4] }],
      engine: ([c, a, b]) => E.where(c!, a!, b!),
      reference: ([c, a, b]) => R.where(c!, a!, b!),
    });
  });

  // The flat vec4 kernels (sizes divisible by 4; a thread takes 4 vec4s 256 apart): sizes around
  // one thread's, one workgroup's (4,096) and a partial last workgroup's share, every element checked.
  it.each([4, 1020, 1024, 4096, 4100, 20004])('flat vec4 paths, %i elements', async (n) => {
    const av = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
    const bv = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.7) + 2);
    const a = E.tensor(av, [n]), b = E.tensor(bv, [n]);
    const cases: [E.Tensor, (i: number) => number][] = [
      [E.add(a, b), (i) => av[i]! + bv[i]!],
      [E.mul(a, b), (i) => av[i]! * bv[i]!],
      [E.neg(a), (i) => -av[i]!],
      [E.exp(E.mul(a, 0.25)), (i) => Math.exp(av[i]! * 0.25)],
    ];
    for (const [t, want] of cases) {
      const got = await t.toArray();
      expect(got.length).toBe(n);
      expectClose(Array.from(got), Array.from({ length: n }, (_, i) => want(i)), 1e-6, `n=${n}`);
      t.dispose();
    }
    a.dispose();
    b.dispose();
  });

  it('scalar operands', async () => {
    await gradcheck({
      inputs: [{ shape: [2, 3] }],
      engine: ([x]) => E.sub(2, E.mul(E.add(x!, 1), 3)),
      reference: ([x]) => R.map(x!, (v) => 2 - (v + 1) * 3),
    });
  });

  it('rejects incompatible shapes and dtypes with both shapes named', async () => {
    const a = E.zeros([2, 3]);
    const b = E.zeros([4]);
    expect(() => E.add(a, b)).toThrow(/\[2, 3\] and \[4\]/);
    const i = E.zeros([2, 3], 'i32');
    expect(() => E.exp(i)).toThrow(/f32/);
    E.tidy(() => [a, b, i].forEach((t) => t.dispose()));
  });
});
