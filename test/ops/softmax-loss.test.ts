import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { engine } from '../helpers/engine.js';
import { gradcheck } from '../helpers/gradcheck.js';
import * as R from '../reference/ops.js';
import { nd } from '../reference/nd.js';

beforeAll(engine);

describe('softmax family', () => {
  for (const log of [false, true]) {
    it(log ? 'logSoftmax' : 'softmax', async () => {
      for (const shape of [[1, 1], [3, 7], [2, 5, 130], [4, 1]]) {
        await gradcheck({
          inputs: [{ shape, lo: -5, hi: 5 }],
          engine: ([x]) => (log ? E.logSoftmax(x!) : E.softmax(x!)),
          reference: ([x]) => R.softmax(x!, log),
          samples: 32,
        });
      }
      // another axis, via transposes
      await gradcheck({
        inputs: [{ shape: [3, 4, 2] }],
        engine: ([x]) => E.transpose(log ? E.logSoftmax(x!, 1) : E.softmax(x!, 1), 1, 2),
        reference: ([x]) => R.softmax(R.permute(x!, [0, 2, 1]), log),
      });
    });
  }

  it('is stable for huge logits', async () => {
    const y = await E.softmax(E.tensor([1000, 1001, -1000], [1, 3])).toArray();
    expect(Array.from(y).every(Number.isFinite)).toBe(true);
    expect(y[1]).toBeCloseTo(1 / (1 + Math.exp(-1)), 5);
  });
});

describe('cross-entropy', () => {
  const labels = [0, 4, 2, 2, 1];
  it('unweighted', async () => {
    await gradcheck({
      inputs: [{ shape: [5, 6], lo: -3, hi: 3 }],
      engine: ([x]) => E.crossEntropy(x!, labels),
      reference: ([x]) => R.crossEntropy(x!, labels),
    });
  });
  it('class weights (weighted mean)', async () => {
    const w = [0.5, 2, 1, 3, 0.25, 1];
    await gradcheck({
      inputs: [{ shape: [5, 6], lo: -3, hi: 3 }],
      engine: ([x]) => E.crossEntropy(x!, E.tensor(Int32Array.from(labels)), { weights: w }),
      reference: ([x]) => R.crossEntropy(x!, labels, w),
    });
  });
  it('soft targets', async () => {
    const t = [0.2, 0.8, 0, 0.5, 0.5, 0];
    await gradcheck({
      inputs: [{ shape: [2, 3] }],
      engine: ([x]) => E.softCrossEntropy(x!, E.tensor(t, [2, 3])),
      reference: ([x]) => {
        const l = R.softmax(x!, true);
        let s = 0;
        for (let i = 0; i < 6; i++) s -= t[i]! * l.data[i]!;
        return nd([], [s / 2]);
      },
    });
  });
  it('rejects labels out of range (host arrays) and flags them with NaN (GPU tensors)', async () => {
    const x = E.zeros([2, 3]);
    expect(() => E.crossEntropy(x, [0, 3])).toThrow(/index 3 at position 1 is outside \[0, 3\)/);
    expect(() => E.crossEntropy(x, [0])).toThrow(/expected labels of shape \[2\]/);
    const loss = await E.crossEntropy(x, E.tensor(Int32Array.from([0, 7]))).item();
    expect(Number.isNaN(loss)).toBe(true);
  });
});
