import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { anchorMatch, anchorSeparationLoss } from '../../src/ops/anchor.js';
import { engine } from '../helpers/engine.js';
import { expectClose, gradcheck } from '../helpers/gradcheck.js';
import { Rng } from '../helpers/random.js';
import * as R from '../reference/anchor.js';

beforeAll(engine);

const packed = (e: E.Tensor, a: E.Tensor, labels: number[] | null, delta: number): E.Tensor => {
  const { t, dmin } = anchorMatch(e, a, labels, delta);
  return E.concat([t, E.reshape(dmin, [-1, 1])], 1);
};

describe('fused anchor matching', () => {
  for (const [B, C, K, D, delta] of [[1, 2, 1, 1, 1], [5, 7, 1, 13, 1], [4, 3, 4, 33, 0.5], [3, 7, 10, 70, 2]] as const) {
    it(`B=${B} C=${C} K=${K} D=${D} δ=${delta}`, async () => {
      const rng = new Rng(B * 31 + K);
      const labels = Array.from({ length: B }, () => rng.int(C));
      await gradcheck({
        inputs: [{ shape: [B, D] }, { shape: [C, K, D] }],
        engine: ([e, a]) => packed(e!, a!, labels, delta),
        reference: ([e, a]) => R.anchorMatch(e!, a!, labels, delta),
        samples: 40,
      });
    });
  }

  it('without labels: nearest anchor of any class', async () => {
    await gradcheck({
      inputs: [{ shape: [3, 8] }, { shape: [4, 2, 8] }],
      engine: ([e, a]) => packed(e!, a!, null, 1),
      reference: ([e, a]) => R.anchorMatch(e!, a!, null, 1),
    });
  });

  it('matches the composition of simple engine ops (forward and gradients)', async () => {
    const rng = new Rng(9);
    const [B, C, K, D] = [6, 5, 3, 17];
    const ev = Float32Array.from(rng.array(B * D)), av = Float32Array.from(rng.array(C * K * D));
    const w = E.tensor(Float32Array.from(rng.array(B * C)), [B, C]);
    const run = (fused: boolean) =>
      E.tidy(() => {
        const e = E.tensor(ev, [B, D]).requireGrad();
        const a = E.tensor(av, [C, K, D]).requireGrad();
        let t: E.Tensor;
        if (fused) t = anchorMatch(e, a, null, 1).t;
        else {
          const diff = E.sub(E.reshape(e, [B, 1, D]), E.reshape(a, [1, C * K, D]));
          const d = E.sqrt(E.sum(E.square(diff), 2));
          t = E.sum(E.reshape(E.softmax(E.neg(d), 1), [B, C, K]), 2);
        }
        E.backward(t, w);
        return [t, e.grad!, a.grad!];
      });
    const [f, c] = [run(true), run(false)];
    for (let i = 0; i < 3; i++) expectClose(await f[i]!.toArray(), await c[i]!.toArray(), 1e-5, ['t', 'dE', 'dA'][i]!);
  });

  it('rejects mismatched shapes and bad labels', () => {
    expect(() => anchorMatch(E.zeros([2, 4]), E.zeros([3, 1, 5]), [0, 1])).toThrow(/dim 4.*differs from anchor dim 5/);
    expect(() => anchorMatch(E.zeros([2, 4]), E.zeros([3, 1, 4]), [0, 3])).toThrow(/outside \[0, 3\)/);
    expect(() => anchorMatch(E.zeros([2, 4]), E.zeros([3, 1, 4]), [0])).toThrow(/expected 2 labels/);
  });
});

describe('anchor separation loss', () => {
  for (const form of ['released', 'margin'] as const) {
    it(form, async () => {
      for (const [C, K, D] of [[2, 1, 3], [7, 1, 16], [4, 3, 9]] as const) {
        await gradcheck({
          inputs: [{ shape: [C, K, D], lo: -0.4, hi: 0.4 }],
          engine: ([a]) => anchorSeparationLoss(a!, form, 1.5),
          reference: ([a]) => R.anchorSeparationLoss(a!, form, 1.5),
        });
      }
    });
  }
});
