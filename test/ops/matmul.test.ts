import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { engine } from '../helpers/engine.js';
import { expectClose, gradcheck } from '../helpers/gradcheck.js';
import { Rng } from '../helpers/random.js';
import * as R from '../reference/ops.js';
import { nd } from '../reference/nd.js';

beforeAll(engine);

describe('matmul', () => {
  const shapes: [number[], number[], boolean, boolean][] = [
    [[1, 1], [1, 1], false, false],
    [[3, 5], [5, 2], false, false],
    [[13, 7], [7, 11], false, false],
    [[65, 17], [17, 67], false, false], // crosses the 64-wide tile
    [[7, 13], [11, 7], true, true],
    [[5, 9], [5, 3], true, false],
    [[4, 9], [6, 9], false, true],
    [[2, 3, 4, 5], [5, 6], false, false], // batch broadcast of b
    [[4, 5], [3, 5, 2], false, false], // batch broadcast of a
    [[2, 1, 3, 4], [1, 3, 4, 2], false, false], // partial batch broadcast
  ];
  for (const [sa, sb, ta, tb] of shapes) {
    it(`[${sa}]${ta ? 'ᵀ' : ''} · [${sb}]${tb ? 'ᵀ' : ''}`, async () => {
      await gradcheck({
        inputs: [{ shape: sa }, { shape: sb }],
        engine: ([a, b]) => E.matmul(a!, b!, { transA: ta, transB: tb }),
        reference: ([a, b]) => R.matmul(a!, b!, ta, tb),
        fwdTol: 1e-5,
        samples: 32,
      });
    });
  }

  it('bias epilogue and its gradient', async () => {
    await gradcheck({
      inputs: [{ shape: [9, 10] }, { shape: [10, 70] }, { shape: [70] }],
      engine: ([a, b, c]) => E.matmul(a!, b!, { bias: c }),
      reference: ([a, b, c]) => R.zip(R.matmul(a!, b!), c!, (x, y) => x + y),
      samples: 24,
    });
  });

  it('large shapes (forward, sampled)', async () => {
    const rng = new Rng(3);
    for (const [M, K, N] of [[129, 257, 131], [512, 64, 200]] as const) {
      const a = nd([M, K], rng.array(M * K).map(Math.fround));
      const b = nd([K, N], rng.array(K * N).map(Math.fround));
      const c = E.matmul(E.tensor(Float32Array.from(a.data), [M, K]), E.tensor(Float32Array.from(b.data), [K, N]));
      const got = await c.toArray();
      const ref = R.matmul(a, b);
      expectClose(got, ref.data, 1e-5, `${M}x${K}x${N}`);
    }
  });

  it('rejects mismatched inner dimensions', () => {
    expect(() => E.matmul(E.zeros([2, 3]), E.zeros([4, 5]))).toThrow(/inner dimensions differ.*3 vs 4/);
    expect(() => E.matmul(E.zeros([2, 3]), E.zeros([3, 5]), { bias: E.zeros([4]) })).toThrow(/bias must have shape \[5\]/);
  });
});
