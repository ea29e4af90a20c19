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

  // Each kernel entry point (picked by B's layout) with and without bias, with row/column tails
  // around the 4-row × (8·WG)-column tiles, and batches with broadcast operands.
  describe('entry points', () => {
    const cases: [string, number[], number[], boolean, boolean][] = [
      ['main_nvec (B n-contiguous, N % 4 = 0)', [2, 9, 13], [2, 13, 20], false, false],
      ['main_nvec, transposed A, wide N', [11, 5], [11, 532], true, false],
      ['main_kvec (B k-contiguous, K % 4 = 0)', [7, 12], [10, 12], false, true],
      ['main_kvec, transposed A, batch-broadcast B', [3, 8, 6], [9, 8], true, true],
      ['main (transposed B, K % 4 != 0)', [6, 7], [5, 7], false, true],
      ['main (N % 4 != 0)', [3, 5, 6], [6, 10], false, false],
    ];
    for (const [what, sa, sb, ta, tb] of cases) {
      for (const withBias of [false, true]) {
        it(`${what}${withBias ? ' + bias' : ''}`, async () => {
          const n = tb ? sb[sb.length - 2]! : sb[sb.length - 1]!;
          await gradcheck({
            inputs: withBias ? [{ shape: sa }, { shape: sb }, { shape: [n] }] : [{ shape: sa }, { shape: sb }],
            engine: ([a, b, c]) => E.matmul(a!, b!, { transA: ta, transB: tb, bias: c }),
            reference: ([a, b, c]) => {
              const y = R.matmul(a!, b!, ta, tb);
              return c ? R.zip(y, c, (x, z) => x + z) : y;
            },
            fwdTol: 1e-5,
            samples: 16,
          });
        });
      }
    }
  });

  it('large shapes on every entry point (forward, sampled)', async () => {
    const rng = new Rng(5);
    // nvec; kvec (few rows); B copied to [K, N] first (>= 16 rows with transB), N % 4 != 0 → main.
    for (const [M, K, N, tb] of [[9, 300, 516, false], [5, 256, 72, true], [67, 256, 70, true], [33, 129, 45, true]] as const) {
      const a = nd([M, K], rng.array(M * K).map(Math.fround));
      const b = nd(tb ? [N, K] : [K, N], rng.array(K * N).map(Math.fround));
      const c = E.matmul(E.tensor(Float32Array.from(a.data), [M, K]), E.tensor(Float32Array.from(b.data), b.shape), { transB: tb });
      expectClose(await c.toArray(), R.matmul(a, b, false, tb).data, 1e-5, `${M}x${K}x${N}${tb ? 'ᵀ' : ''}`);
    }
  });

  it('rejects mismatched inner dimensions', () => {
    expect(() => E.matmul(E.zeros([2, 3]), E.zeros([4, 5]))).toThrow(/inner dimensions differ.*3 vs 4/);
    expect(() => E.matmul(E.zeros([2, 3]), E.zeros([3, 5]), { bias: E.zeros([4]) })).toThrow(/bias must have shape \[5\]/);
  });
});
