import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { dropout, dropPath } from '../../src/ops/dropout.js';
import { concatTokens, prependToken, relativePositionBias, relativePositionIndex, windowPartition, windowReverse } from '../../src/ops/window.js';
import { attention } from '../../src/ops/attention.js';
import { engine } from '../helpers/engine.js';
import { expectClose, gradcheck } from '../helpers/gradcheck.js';
import * as R from '../reference/attention.js';
import * as O from '../reference/ops.js';

beforeAll(engine);

describe('dropout', () => {
  it('same seed → same mask; keep rate and mean of the mask are right; gradient is mask·g', async () => {
    const n = 100_000, p = 0.3;
    const x = E.ones([n]).requireGrad();
    const y = E.tidy(() => {
      const out = dropout(x, p, { training: true, seed: 42 });
      E.backward(out, E.full([n], 2));
      return out;
    });
    const m = await y.toArray();
    const again = await dropout(x, p, { training: true, seed: 42 }).toArray();
    const other = await dropout(x, p, { training: true, seed: 43 }).toArray();
    expect(Array.from(again)).toEqual(Array.from(m));
    expect(Array.from(other)).not.toEqual(Array.from(m));
    let kept = 0, sum = 0;
    for (const v of m) {
      expect(v === 0 || Math.abs(v - 1 / (1 - p)) < 1e-6).toBe(true);
      if (v !== 0) kept++;
      sum += v;
    }
    // Binomial standard deviation of the keep rate is ~0.0015 here; allow 4σ.
    expect(Math.abs(kept / n - (1 - p))).toBeLessThan(0.006);
    expect(Math.abs(sum / n - 1)).toBeLessThan(0.01);
    const g = await x.grad!.toArray();
    for (let i = 0; i < n; i++) expect(g[i]).toBe(2 * m[i]!);
    // Same key → the same mask as the generic generator's keep-mask mode.
    const viaRandom = await E.randomFill([n], 2, p, 0, E.randomKey(42)).toArray();
    expect(Array.from(viaRandom)).toEqual(Array.from(m));
    x.grad!.dispose();
  });

  it('is the identity when p = 0 or not training; p = 1 drops everything', async () => {
    const x = E.tensor([1, -2, 3], [3]);
    expect(Array.from(await dropout(x, 0.5, { training: false }).toArray())).toEqual([1, -2, 3]);
    expect(Array.from(await dropout(x, 0, { training: true }).toArray())).toEqual([1, -2, 3]);
    expect(Array.from(await dropout(x, 1, { training: true }).toArray())).toEqual([0, 0, 0]);
    expect(() => dropout(x, 1.5, { training: true })).toThrow(E.ShapeError);
  });
});

describe('dropPath', () => {
  it('drops whole samples with one mask per sample, reproducibly, gradient = mask·g', async () => {
    const B = 2000, p = 0.25;
    const x = E.ones([B, 3, 5]).requireGrad();
    const y = E.tidy(() => {
      const out = dropPath(x, p, { training: true, seed: 7 });
      E.backward(out, E.full([B, 3, 5], 3));
      return out;
    });
    const m = await y.toArray();
    let kept = 0;
    for (let b = 0; b < B; b++) {
      const v = m[b * 15]!;
      for (let k = 1; k < 15; k++) expect(m[b * 15 + k]).toBe(v);
      if (v !== 0) kept++;
    }
    expect(Math.abs(kept / B - (1 - p))).toBeLessThan(0.04);
    expect(Array.from(await dropPath(x, p, { training: true, seed: 7 }).toArray())).toEqual(Array.from(m));
    const g = await x.grad!.toArray();
    for (let i = 0; i < m.length; i++) expect(g[i]).toBe(Math.fround(3 * m[i]!));
    expect(Array.from(await dropPath(x, p, { training: false }).toArray()).every((v) => v === 1)).toBe(true);
    x.grad!.dispose();
  });
});

describe('window partition and reverse', () => {
  for (const [shape, w] of [[[2, 6, 4, 3], 2], [[1, 28, 28, 2], 28], [[1, 14, 14, 1], 7], [[3, 6, 3, 2], 3], [[1, 1, 1, 1], 1]] as [number[], number][]) {
    it(`[${shape}] with window ${w}`, async () => {
      await gradcheck({
        inputs: [{ shape }],
        engine: ([x]) => windowPartition(x!, w),
        reference: ([x]) => R.windowPartition(x!, w),
        fwdTol: 0,
        samples: 16,
      });
      const x = E.rand(shape as number[], { seed: 1 });
      const back = windowReverse(windowPartition(x, w), w, shape[1]!, shape[2]!);
      expect(back.shape).toEqual(shape);
      expect(Array.from(await back.toArray())).toEqual(Array.from(await x.toArray()));
    });
  }
  it('windowReverse is differentiable', async () => {
    await gradcheck({
      inputs: [{ shape: [6, 4, 3] }],
      engine: ([x]) => windowReverse(x!, 2, 4, 6),
      reference: ([x]) => {
        // windowReverse = inverse permutation of windowPartition: scatter by partition's index map.
        const idx = R.windowPartition({ shape: [1, 4, 6, 3], data: Float64Array.from({ length: 72 }, (_, i) => i) }, 2);
        const out = { shape: [1, 4, 6, 3], data: new Float64Array(72) };
        idx.data.forEach((src, k) => (out.data[src] = x!.data[k]!));
        return out;
      },
      fwdTol: 0,
    });
  });
  it('rejects a window that does not tile the map', () => {
    const x = E.zeros([1, 14, 14, 4]);
    expect(() => windowPartition(x, 4)).toThrow(/window 4×4 does not tile the 14×14 map of \[1, 14, 14, 4\]/);
    expect(() => windowReverse(E.zeros([4, 16, 4]), 4, 14, 14)).toThrow(E.ShapeError);
    expect(() => windowReverse(E.zeros([4, 9, 4]), 3, 6, 6)).not.toThrow();
    expect(() => windowReverse(E.zeros([3, 9, 4]), 3, 6, 6)).toThrow(/not a set of 3×3 windows/);
  });
});

describe('relative position bias', () => {
  it('index matches Swin for w = 2', () => {
    // Tokens (0,0),(0,1),(1,0),(1,1); (Δy+1)·3 + (Δx+1).
    expect(Array.from(relativePositionIndex(2))).toEqual([4, 3, 1, 0, 5, 4, 2, 1, 7, 6, 4, 3, 8, 7, 5, 4]);
    const idx = relativePositionIndex(7);
    expect(idx.length).toBe(49 * 49);
    expect(Math.max(...idx)).toBe(13 * 13 - 1);
  });
  for (const [w, H] of [[1, 2], [3, 2], [4, 3]]) {
    it(`bias for w = ${w}, ${H} heads, differentiable to the table`, async () => {
      await gradcheck({
        inputs: [{ shape: [(2 * w - 1) ** 2, H] }],
        engine: ([t]) => relativePositionBias(t!, w),
        reference: ([t]) => R.relativePositionBias(t!, w),
        fwdTol: 0,
      });
    });
  }
  it('feeds attention end to end (gradient reaches the table)', async () => {
    const w = 3, H = 2, n = 9, Dh = 4;
    await gradcheck({
      inputs: [{ shape: [2, H, n, Dh] }, { shape: [2, H, n, Dh] }, { shape: [2, H, n, Dh] }, { shape: [(2 * w - 1) ** 2, H], lo: -2, hi: 2 }],
      engine: ([q, k, v, t]) => attention(q!, k!, v!, { bias: relativePositionBias(t!, w) }),
      reference: ([q, k, v, t]) => R.attention({ q: q!, k: k!, v: v!, bias: R.relativePositionBias(t!, w), scale: Dh ** -0.5 }),
      samples: 16,
    });
  });
  it('rejects a table of the wrong size', () => {
    expect(() => relativePositionBias(E.zeros([24, 2]), 3)).toThrow(/must be \[25, H\], got \[24, 2\]/);
  });
});

describe('token helpers', () => {
  it('prependToken broadcasts the CLS token over the batch', async () => {
    await gradcheck({
      inputs: [{ shape: [1, 1, 5] }, { shape: [3, 4, 5] }],
      engine: ([c, x]) => prependToken(c!, x!),
      reference: ([c, x]) => O.concat([O.expand(c!, [3, 1, 5]), x!], 1),
      fwdTol: 0,
    });
    expect(() => prependToken(E.zeros([1, 1, 4]), E.zeros([2, 3, 5]))).toThrow(/cls \[1, 1, D\] and tokens \[B, N, D\], got \[1, 1, 4\] and \[2, 3, 5\]/);
  });
  it('concatTokens joins three token sets', async () => {
    const a = E.rand([2, 3, 4]), b = E.rand([2, 1, 4]), c = E.rand([1, 2, 4]);
    const y = concatTokens([a, b, c]);
    expect(y.shape).toEqual([2, 6, 4]);
    const [ya, aa, ba, ca] = await Promise.all([y, a, b, c].map((t) => t.toArray()));
    expectClose(ya!.subarray(24, 36), [...aa!.subarray(12, 24)], 0, 'a, sample 1');
    expectClose(ya!.subarray(36, 40), [...ba!.subarray(4, 8)], 0, 'b, sample 1');
    expectClose(ya!.subarray(40, 48), [...ca!], 0, 'c broadcast');
  });
});
