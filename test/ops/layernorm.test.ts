import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { layerNorm } from '../../src/ops/layernorm.js';
import { engine } from '../helpers/engine.js';
import { expectClose, gradcheck } from '../helpers/gradcheck.js';
import { Rng } from '../helpers/random.js';
import * as R from '../reference/layernorm.js';
import { nd } from '../reference/nd.js';

beforeAll(engine);

describe('layerNorm', () => {
  // Rows longer than the 64-thread workgroup, odd and prime lengths, many short rows.
  const shapes = [[1, 1], [3, 7], [2, 5, 130], [5, 64], [2, 257], [67, 3], [300, 5], [3, 1030]];
  for (const shape of shapes) {
    const D = shape[shape.length - 1]!;
    it(`[${shape}] with weight and bias`, async () => {
      await gradcheck({
        inputs: [{ shape, lo: -2, hi: 2 }, { shape: [D], lo: 0.5, hi: 1.5 }, { shape: [D] }],
        engine: ([x, w, b]) => layerNorm(x!, w!, b!, 1e-5),
        reference: ([x, w, b]) => R.layerNorm(x!, w!, b!, 1e-5),
        fwdTol: 2e-5,
        gradTol: 3e-3,
        samples: 24,
      });
    });
  }

  it('without affine parameters, and weight only', async () => {
    await gradcheck({
      inputs: [{ shape: [4, 33] }],
      engine: ([x]) => layerNorm(x!, null, null, 1e-6),
      reference: ([x]) => R.layerNorm(x!, null, null, 1e-6),
      fwdTol: 2e-5, gradTol: 3e-3,
    });
    await gradcheck({
      inputs: [{ shape: [3, 70] }, { shape: [70] }],
      engine: ([x, w]) => layerNorm(x!, w!, null, 1e-5),
      reference: ([x, w]) => R.layerNorm(x!, w!, null, 1e-5),
      fwdTol: 2e-5, gradTol: 3e-3,
    });
  });

  // Rows of a multiple of 4 take the vec4 row-per-invocation kernels (forward4/backward4/dparams4);
  // 67 rows cross the 64-row workgroup; bias only exercises γ absent with dβ partials.
  it('vec4 path (D % 4 == 0): no affine parameters, weight only, bias only', async () => {
    await gradcheck({
      inputs: [{ shape: [67, 8] }],
      engine: ([x]) => layerNorm(x!, null, null, 1e-6),
      reference: ([x]) => R.layerNorm(x!, null, null, 1e-6),
      fwdTol: 2e-5, gradTol: 3e-3,
    });
    await gradcheck({
      inputs: [{ shape: [3, 2, 12] }, { shape: [12], lo: 0.5, hi: 1.5 }],
      engine: ([x, w]) => layerNorm(x!, w!, null, 1e-5),
      reference: ([x, w]) => R.layerNorm(x!, w!, null, 1e-5),
      fwdTol: 2e-5, gradTol: 3e-3,
    });
    await gradcheck({
      inputs: [{ shape: [5, 4] }, { shape: [4] }],
      engine: ([x, b]) => layerNorm(x!, null, b!, 1e-5),
      reference: ([x, b]) => R.layerNorm(x!, null, b!, 1e-5),
      fwdTol: 2e-5, gradTol: 3e-3,
    });
  });

  it('is stable for a large mean (two-pass variance)', async () => {
    const rng = new Rng(3);
    const D = 300;
    const data = Float32Array.from(rng.array(2 * D, -1, 1).map((v) => 300 + v));
    const y = await layerNorm(E.tensor(data, [2, D]), null, null).toArray();
    expectClose(y, R.layerNorm(nd([2, D], data), null, null, 1e-5).data, 2e-3, 'forward at mean 300');
  });

  it('matches the float64 backward at the ViT shape [8·148, 768]', async () => {
    const rng = new Rng(11);
    const rows = 8 * 148, D = 768;
    const x = nd([rows, D], Float32Array.from(rng.normals(rows * D)));
    const w = nd([D], Float32Array.from(rng.array(D, 0.5, 1.5)));
    const b = nd([D], Float32Array.from(rng.array(D)));
    const g = nd([rows, D], Float32Array.from(rng.array(rows * D)));
    const xt = E.tensor(Float32Array.from(x.data), x.shape).requireGrad();
    const wt = E.tensor(Float32Array.from(w.data), [D]).requireGrad();
    const bt = E.tensor(Float32Array.from(b.data), [D]).requireGrad();
    const y = layerNorm(xt, wt, bt, 1e-6);
    E.backward(y, E.tensor(Float32Array.from(g.data), g.shape));
    const ref = R.layerNormBackward(x, w, g, 1e-6);
    expectClose(await y.toArray(), R.layerNorm(x, w, b, 1e-6).data, 1e-5, 'y');
    expectClose(await xt.grad!.toArray(), ref.dx.data, 1e-4, 'dx');
    expectClose(await wt.grad!.toArray(), ref.dw.data, 1e-4, 'dγ');
    expectClose(await bt.grad!.toArray(), ref.db.data, 1e-4, 'dβ');
    for (const t of [xt, wt, bt, y]) { t.grad?.dispose(); t.dispose(); }
  });

  it('agrees with the composition of engine ops (forward and backward)', async () => {
    const rng = new Rng(5);
    const shape = [6, 45], D = 45;
    const xs = Float32Array.from(rng.array(6 * D, -3, 3));
    const ws = Float32Array.from(rng.array(D, 0.5, 1.5));
    const bs = Float32Array.from(rng.array(D));
    const gs = E.tensor(Float32Array.from(rng.array(6 * D)), shape);
    const run = async (fused: boolean) => {
      const x = E.tensor(xs, shape).requireGrad(), w = E.tensor(ws, [D]).requireGrad(), b = E.tensor(bs, [D]).requireGrad();
      const y = E.tidy(() => {
        if (fused) {
          const out = layerNorm(x, w, b, 1e-5);
          E.backward(out, gs);
          return out;
        }
        const mu = E.mean(x, -1, { keepDims: true });
        const xc = E.sub(x, mu);
        const v = E.mean(E.square(xc), -1, { keepDims: true });
        const out = E.add(E.mul(E.mul(xc, E.rsqrt(E.addScalar(v, 1e-5))), w), b);
        E.backward(out, gs);
        return out;
      });
      const res = [await y.toArray(), await x.grad!.toArray(), await w.grad!.toArray(), await b.grad!.toArray()];
      for (const t of [x, w, b, y]) { t.grad?.dispose(); t.dispose(); }
      return res;
    };
    const a = await run(true), c = await run(false);
    ['y', 'dx', 'dγ', 'dβ'].forEach((what, i) => expectClose(a[i]!, c[i]!, 1e-4, what));
  });

  it('rejects mismatched parameters', () => {
    const x = E.zeros([2, 5]);
    expect(() => layerNorm(x, E.ones([4]), null)).toThrow(E.ShapeError);
    expect(() => layerNorm(x, null, E.zeros([5, 1]))).toThrow(/bias must be an f32 tensor of shape \[5\] for input \[2, 5\]/);
    x.dispose();
  });
});
