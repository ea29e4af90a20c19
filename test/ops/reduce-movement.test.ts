import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { engine } from '../helpers/engine.js';
import { gradcheck } from '../helpers/gradcheck.js';
import * as R from '../reference/ops.js';

beforeAll(engine);

describe('reductions', () => {
  const cases: [number[], number[]][] = [
    [[1], [0]], [[13], [0]], [[3, 17], [1]], [[3, 17], [0]], [[2, 3, 5], [0, 2]],
    [[2, 3, 5], [1]], [[4, 5, 6, 7], [1, 2]], [[4, 5, 6, 7], [0, 1, 2, 3]], [[5, 1031], [1]], [[600, 3], [0]],
  ];
  for (const kind of ['sum', 'mean', 'max'] as const) {
    it(kind, async () => {
      const f = { sum: E.sum, mean: E.mean, max: E.max }[kind];
      for (const [shape, axes] of cases) {
        for (const keepDims of [false, true]) {
          await gradcheck({
            inputs: [{ shape }],
            engine: ([x]) => f(x!, axes, { keepDims }),
            reference: ([x]) => R.reduce(x!, axes, kind, keepDims),
            fwdTol: 1e-5,
            samples: 24,
          });
        }
      }
    });
  }

  it('argmax along an axis and flattened', async () => {
    await gradcheck({
      inputs: [{ shape: [6, 300] }],
      engine: ([x]) => E.cast(E.argmax(x!, 1), 'f32'),
      reference: ([x]) => R.argmax(x!, 1),
      forwardOnly: true,
    });
    await gradcheck({
      inputs: [{ shape: [7, 5, 3] }],
      engine: ([x]) => E.cast(E.argmax(x!, 1), 'f32'),
      reference: ([x]) => R.argmax(x!, 1),
      forwardOnly: true,
    });
    const t = E.tensor([3, 9, 9, 1], [2, 2]);
    expect(await E.argmax(t).item()).toBe(1); // first of the tied maxima
  });

  it('rejects bad axes', () => {
    const t = E.zeros([2, 3]);
    expect(() => E.sum(t, 2)).toThrow(/axis 2 is out of range for rank 2/);
    t.dispose();
  });
});

describe('movement', () => {
  it('reshape and permute', async () => {
    await gradcheck({
      inputs: [{ shape: [2, 3, 5] }],
      engine: ([x]) => E.permute(E.reshape(x!, [3, 2, 5]), [2, 0, 1]),
      reference: ([x]) => R.permute({ shape: [3, 2, 5], data: x!.data }, [2, 0, 1]),
    });
    await gradcheck({
      inputs: [{ shape: [1, 4, 1, 3] }],
      engine: ([x]) => E.transpose(x!, 1, 3),
      reference: ([x]) => R.permute(x!, [0, 3, 2, 1]),
    });
    // Outputs whose last dimension is a multiple of 4 take the 4-output runs: collapsed to 3 dims
    // ([2, 12, 8]), and 4 dims that do not collapse.
    // Rank 5 stays rank 5 (the generic kernel): the attention heads' split [B, N, 3, H, Dh] → [3, B, H,
    // N, Dh] with Dh = 8 (4-output runs), a last dimension of 2 (single outputs), and runs of 4 along
    // a strided source dimension.
    for (const [shape, perm] of [[[2, 8, 3, 4], [0, 2, 3, 1]], [[2, 4, 3, 8], [2, 0, 3, 1]], [[2, 3, 2, 3, 8], [2, 0, 3, 1, 4]], [[3, 2, 5, 2, 3], [4, 2, 0, 3, 1]], [[2, 4, 3, 5, 2], [4, 2, 0, 3, 1]]] as const) {
      await gradcheck({
        inputs: [{ shape: [...shape] }],
        engine: ([x]) => E.permute(x!, [...perm]),
        reference: ([x]) => R.permute(x!, [...perm]),
      });
    }
  });

  it('expand', async () => {
    await gradcheck({
      inputs: [{ shape: [3, 1] }],
      engine: ([x]) => E.expand(x!, [2, 3, 5]),
      reference: ([x]) => R.expand(x!, [2, 3, 5]),
    });
  });

  it('slice, concat, pad', async () => {
    await gradcheck({
      inputs: [{ shape: [5, 7, 3] }],
      engine: ([x]) => E.slice(x!, [1, -5, 0], [4, 6, 2]),
      reference: ([x]) => R.slice(x!, [1, 2, 0], [4, 6, 2]),
    });
    // Steps: ragged ends, and a last dimension whose stepped rows take the 4-output gather runs.
    await gradcheck({
      inputs: [{ shape: [5, 7, 3] }],
      engine: ([x]) => E.slice(x!, [0, 1, 0], [5, 7, 3], [2, 3, 1]),
      reference: ([x]) => R.slice(x!, [0, 1, 0], [5, 7, 3], [2, 3, 1]),
    });
    await gradcheck({
      inputs: [{ shape: [2, 3, 16] }],
      engine: ([x]) => E.slice(x!, [0, 0, 1], undefined, [1, 2, 2]),
      reference: ([x]) => R.slice(x!, [0, 0, 1], [2, 3, 16], [1, 2, 2]),
    });
    await gradcheck({
      inputs: [{ shape: [2, 3] }, { shape: [2, 1] }, { shape: [2, 5] }],
      engine: (xs) => E.concat(xs, 1),
      reference: (xs) => R.concat(xs, 1),
    });
    await gradcheck({
      inputs: [{ shape: [3, 4] }],
      engine: ([x]) => E.pad(x!, [[1, 2], [0, 3]], 0.5),
      reference: ([x]) => R.pad(x!, [[1, 2], [0, 3]], 0.5),
    });
  });

  it('reports bad shapes', () => {
    const x = E.zeros([2, 3]);
    expect(() => E.reshape(x, [4, 2])).toThrow(/\[2, 3\].*\[4, 2\]/);
    expect(() => E.permute(x, [0, 0])).toThrow(/not a permutation/);
    expect(() => E.slice(x, [0, 2], [2, 5])).toThrow(/outside size 3/);
    expect(() => E.slice(x, [0, 0], [2, 3], [1, 0])).toThrow(/axis 1 step must be a positive integer, got 0/);
    expect(() => E.concat([x, E.zeros([3, 3])], 1)).toThrow(/incompatible/);
    expect(() => E.expand(x, [2, 4])).toThrow(/cannot expand/);
  });
});
