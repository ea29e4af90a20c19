import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { batchNorm } from '../../src/ops/batchnorm.js';
import { prelu } from '../../src/ops/prelu.js';
import { setReductionLanes } from '../../src/runtime/tuner.js';
import { engine } from '../helpers/engine.js';
import { expectClose, gradcheck } from '../helpers/gradcheck.js';
import { Rng } from '../helpers/random.js';
import * as R from '../reference/norm.js';

beforeAll(engine);

describe('batchNorm (training) vs float64 reference', () => {
  // inner % 4 == 0 takes the 4-elements-per-thread kernels: [3, 5, 4, 3], and [5, 2, 16, 16] whose
  // channels (1,280 values) also wrap the reductions' 256-thread sweep.
  // Plane walks: planes of 1 to 323 elements, several planes per workgroup with a partial last one ([37, 5, 2, 2]: 185 planes of 4, 64 per workgroup).
  const shapes = [[3, 5, 7, 3], [6, 7], [2, 1, 1, 1], [2, 3, 17, 19], [300, 2], [3, 5, 4, 3], [5, 2, 16, 16], [37, 5, 2, 2]];
  for (const s of shapes) {
    const c = s[1]!;
    it(`[${s}] with affine`, async () => {
      await gradcheck({
        inputs: [{ shape: s }, { shape: [c], lo: 0.5, hi: 1.5 }, { shape: [c] }],
        engine: ([x, w, b]) => batchNorm(x!, { weight: w, bias: b, training: true }),
        reference: ([x, w, b]) => R.batchNormTrain(x!, w!, b!),
        fwdTol: 1e-4, gradTol: 3e-3, samples: 32,
      });
    });
  }
  it('without affine parameters', async () => {
    await gradcheck({
      inputs: [{ shape: [4, 3, 5, 2] }],
      engine: ([x]) => batchNorm(x!, { training: true }),
      reference: ([x]) => R.batchNormTrain(x!, null, null),
      fwdTol: 1e-4, gradTol: 3e-3, samples: 32,
    });
  });

  it('updates running stats in place (unbiased variance, momentum) without autograd', async () => {
    const rng = new Rng(3);
    const shape = [4, 3, 5, 6];
    const xs = rng.array(4 * 3 * 5 * 6, -2, 3).map(Math.fround);
    const rm0 = [0.5, -1, 2], rv0 = [1, 2, 0.5];
    const rm = E.tensor(rm0, [3]), rv = E.tensor(rv0, [3]);
    const x = E.tensor(Float32Array.from(xs), shape).requireGrad();
    const y = batchNorm(x, { runningMean: rm, runningVar: rv, training: true, momentum: 0.3 });
    expect(y.requiresGrad).toBe(true);
    expect(rm.requiresGrad || rv.requiresGrad).toBe(false);
    const st = R.batchStats({ shape, data: Float64Array.from(xs) });
    const count = 4 * 5 * 6;
    expectClose(await rm.toArray(), rm0.map((v, c) => 0.7 * v + 0.3 * st.mean[c]!), 1e-5, 'running mean');
    expectClose(await rv.toArray(), rv0.map((v, c) => 0.7 * v + 0.3 * st.biasedVar[c]! * count / (count - 1)), 1e-5, 'running var');
  });

  it('variance is numerically sound for large means (two-pass)', async () => {
    const rng = new Rng(9);
    const shape = [64, 2, 8, 8];
    const xs = rng.array(64 * 2 * 64).map((v) => Math.fround(3000 + 0.05 * v));
    const y = batchNorm(E.tensor(Float32Array.from(xs), shape), { training: true, eps: 1e-8 });
    const ref = R.batchNormTrain({ shape, data: Float64Array.from(xs) }, null, null, 1e-8);
    // f32 inputs near 3000 carry ~1e-4 absolute error in x − mean, i.e. ~4e-3 after scaling by 1/σ.
    expectClose(await y.toArray(), ref.data, 2e-2, 'normalised output');
  });
});

describe('batchNorm (eval) vs float64 reference', () => {
  for (const s of [[3, 4, 5, 2], [5, 6], [3, 4, 2, 2], [2, 3, 11, 13]]) {
    const c = s[1]!;
    it(`[${s}]`, async () => {
      await gradcheck({
        inputs: [{ shape: s }, { shape: [c] }, { shape: [c] }, { shape: [c], grad: false }, { shape: [c], lo: 0.3, hi: 2, grad: false }],
        engine: ([x, w, b, m, v]) => batchNorm(x!, { weight: w, bias: b, runningMean: m, runningVar: v, training: false }),
        reference: ([x, w, b, m, v]) => R.normalize(x!, m!.data, v!.data, w!, b!, 1e-5),
        fwdTol: 1e-5, samples: 32,
      });
    });
  }
  it('leaves running stats untouched', async () => {
    const rm = E.tensor([1, 2], [2]), rv = E.tensor([3, 4], [2]);
    await batchNorm(E.ones([2, 2, 2, 2]), { runningMean: rm, runningVar: rv, training: false }).toArray();
    expect(Array.from(await rm.toArray())).toEqual([1, 2]);
    expect(Array.from(await rv.toArray())).toEqual([3, 4]);
  });
});

describe('prelu vs float64 reference', () => {
  // Channels longer than one 256-thread sweep (the dα walk wraps rows): [3, 2, 17, 13], [600, 3].
  // inner % 4 == 0 (4 elements per thread): [2, 3, 4, 5], the shared α of [2, 3, 4, 5], and
  // [3, 2, 20, 20] (1,200 values per channel).
  const cases: [number[], number][] = [[[2, 3, 4, 5], 3], [[2, 3, 4, 5], 1], [[5, 4], 4], [[7], 1], [[1, 1, 1, 1], 1], [[3, 2, 17, 13], 2], [[600, 3], 3], [[3, 2, 20, 20], 2]];
  for (const [s, c] of cases) {
    it(`[${s}] alpha [${c}]`, async () => {
      await gradcheck({
        inputs: [{ shape: s }, { shape: [c], lo: 0, hi: 0.5 }],
        engine: ([x, a]) => prelu(x!, a!),
        reference: ([x, a]) => R.prelu(x!, a!),
        samples: 32,
      });
    });
  }
});

describe('batchNorm with a fused PReLU vs float64 reference and vs the composition', () => {
  // Q = 1 ([3, 5, 7, 3]), [N, C] (inner 1), Q = 4 ([3, 5, 4, 3]), channels wrapping the sweep; slopes
  // of both signs.
  const shapes = [[3, 5, 7, 3], [6, 7], [3, 5, 4, 3], [5, 2, 16, 16], [2, 3, 13, 11], [37, 5, 2, 2]];
  for (const s of shapes) {
    const c = s[1]!;
    it(`[${s}] with affine`, async () => {
      await gradcheck({
        inputs: [{ shape: s }, { shape: [c], lo: 0.5, hi: 1.5 }, { shape: [c] }, { shape: [c], lo: -0.3, hi: 0.6 }],
        engine: ([x, w, b, a]) => batchNorm(x!, { weight: w, bias: b, training: true, prelu: a }),
        reference: ([x, w, b, a]) => R.prelu(R.batchNormTrain(x!, w!, b!), a!),
        fwdTol: 1e-4, gradTol: 3e-3, samples: 32,
      });
    });
  }
  it('without affine parameters, and at the GPU reduction width', async () => {
    const check = () => gradcheck({
      inputs: [{ shape: [4, 3, 5, 2] }, { shape: [3], lo: 0, hi: 0.5 }],
      engine: ([x, a]) => batchNorm(x!, { training: true, prelu: a }),
      reference: ([x, a]) => R.prelu(R.batchNormTrain(x!, null, null), a!),
      fwdTol: 1e-4, gradTol: 3e-3, samples: 32,
    });
    await check();
    setReductionLanes(256);
    try {
      await check();
    } finally {
      setReductionLanes(null);
    }
  });

  it('matches prelu(batchNorm(x)) in output, every gradient and the running statistics', async () => {
    const rng = new Rng(11);
    const shape = [4, 6, 8, 8];
    const make = (n: number, lo: number, hi: number) => Float32Array.from(rng.array(n, lo, hi));
    const data = { x: make(4 * 6 * 64, -2, 3), w: make(6, 0.5, 1.5), b: make(6, -0.5, 0.5), a: make(6, -0.2, 0.4), g: make(4 * 6 * 64, -1, 1) };
    const run = async (fused: boolean) => {
      const x = E.tensor(data.x, shape).requireGrad(), w = E.tensor(data.w, [6]).requireGrad();
      const b = E.tensor(data.b, [6]).requireGrad(), a = E.tensor(data.a, [6]).requireGrad();
      const rm = E.zeros([6]), rv = E.ones([6]);
      E.tidy(() => {
        const opts = { weight: w, bias: b, runningMean: rm, runningVar: rv, training: true };
        const z = fused ? batchNorm(x, { ...opts, prelu: a }) : prelu(batchNorm(x, opts), a);
        E.backward(E.sum(E.mul(z, E.tensor(data.g, shape))));
      });
      const out = await Promise.all([x.grad!, w.grad!, b.grad!, a.grad!, rm, rv].map((t) => t.toArray()));
      for (const t of [x, w, b, a]) t.grad!.dispose();
      return out;
    };
    const [fused, plain] = [await run(true), await run(false)];
    ['dx', 'dw', 'db', 'dα', 'running mean', 'running var'].forEach((what, i) => expectClose(fused[i]!, plain[i]!, 1e-5, what));
  });

  it('eval mode and a shared slope take the composition, with the same numbers', async () => {
    await gradcheck({
      inputs: [{ shape: [3, 4, 5, 2] }, { shape: [4] }, { shape: [4] }, { shape: [4], grad: false }, { shape: [4], lo: 0.3, hi: 2, grad: false }, { shape: [4], lo: 0, hi: 0.5 }],
      engine: ([x, w, b, m, v, a]) => batchNorm(x!, { weight: w, bias: b, runningMean: m, runningVar: v, training: false, prelu: a }),
      reference: ([x, w, b, m, v, a]) => R.prelu(R.normalize(x!, m!.data, v!.data, w!, b!, 1e-5), a!),
      fwdTol: 1e-5, samples: 32,
    });
    await gradcheck({
      inputs: [{ shape: [3, 4, 5, 2] }, { shape: [1], lo: 0, hi: 0.5 }],
      engine: ([x, a]) => batchNorm(x!, { training: true, prelu: a }),
      reference: ([x, a]) => R.prelu(R.batchNormTrain(x!, null, null), a!),
      fwdTol: 1e-4, gradTol: 3e-3, samples: 32,
    });
  });
});

describe('per-channel reductions at the GPU width (256 lanes; CPU adapters use 8)', () => {
  afterAll(() => setReductionLanes(null));
  it('batchNorm and prelu gradients match float64 with 256-lane reductions', async () => {
    setReductionLanes(256);
    await gradcheck({
      inputs: [{ shape: [5, 2, 16, 16] }, { shape: [2], lo: 0.5, hi: 1.5 }, { shape: [2] }],
      engine: ([x, w, b]) => batchNorm(x!, { weight: w, bias: b, training: true }),
      reference: ([x, w, b]) => R.batchNormTrain(x!, w!, b!),
      fwdTol: 1e-4, gradTol: 3e-3, samples: 32,
    });
    await gradcheck({
      inputs: [{ shape: [3, 2, 17, 13] }, { shape: [2], lo: 0, hi: 0.5 }],
      engine: ([x, a]) => prelu(x!, a!),
      reference: ([x, a]) => R.prelu(x!, a!),
      samples: 32,
    });
    setReductionLanes(null);
  });
});

describe('batchNorm / prelu validation', () => {
  it('names both shapes', () => {
    const x = E.zeros([2, 3, 4, 4]);
    expect(() => batchNorm(E.zeros([2, 3, 4]), { training: true })).toThrow(/\[N, C\] or \[N, C, H, W\], got \[2, 3, 4\]/);
    expect(() => batchNorm(x, { weight: E.ones([4]), training: true })).toThrow(/weight must be \[3\] for input \[2, 3, 4, 4\], got \[4\]/);
    expect(() => batchNorm(x, { bias: E.ones([3, 1]), training: true })).toThrow(/bias must be \[3\] for input \[2, 3, 4, 4\], got \[3, 1\]/);
    expect(() => batchNorm(x, { runningMean: E.zeros([3]), training: true })).toThrow(/both runningMean and runningVar/);
    expect(() => batchNorm(x, { training: false })).toThrow(/eval mode.*needs runningMean/);
    expect(() => batchNorm(E.zeros([1, 3]), { training: true })).toThrow(/more than one value per channel.*\[1, 3\]/);
    expect(() => new E.BatchNorm2d(3).forwardPrelu(x, new E.PReLU(4))).toThrow(/prelu slopes must be \[3\] or \[1\] for input \[2, 3, 4, 4\]/);
    expect(() => batchNorm(x, { training: true, prelu: E.ones([4]) })).toThrow(/prelu slopes must be \[3\] or \[1\] for input \[2, 3, 4, 4\], got .*\[4\]/);
    expect(() => prelu(x, E.ones([4]))).toThrow(/alpha must be \[1\] or \[3\].*\[2, 3, 4, 4\]\), got \[4\]/);
    expect(() => prelu(x, E.ones([3, 1]))).toThrow(/got \[3, 1\]/);
  });
});
