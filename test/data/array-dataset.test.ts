/** ArrayDataset: seeded shuffles, exact batches, per-field conversion, and batch disposal. */
import { beforeAll, describe, expect, it } from 'vitest';
import { engine } from '../helpers/engine.js';
import { ArrayDataset, liveTensorCount, type Tensor } from '../../src/index.js';

beforeAll(async () => {
  await engine();
});

const n = 11; // prime: the last batch is short
function make(): ArrayDataset<'x' | 'y'> {
  // Row i of x is [i, i + 0.5, i + 0.25]; y[i] = i (Uint8Array → i32).
  const x = new Float64Array(n * 3).map((_, k) => Math.floor(k / 3) + [0, 0.5, 0.25][k % 3]!);
  return new ArrayDataset({ x: { data: x, shape: [n, 3] }, y: { data: Uint8Array.from({ length: n }, (_, i) => i) } });
}

describe('ArrayDataset', () => {
  it('batch indices: a permutation, reproducible per seed, different across seeds, in order without shuffle', () => {
    const ds = make();
    const flat = (b: Int32Array[]): number[] => b.flatMap((x) => Array.from(x));
    expect(flat(ds.batchIndices(4))).toEqual([...Array(n).keys()]);
    const a = ds.batchIndices(4, { shuffle: true, seed: 1 });
    expect(a.map((b) => b.length)).toEqual([4, 4, 3]);
    expect([...flat(a)].sort((p, q) => p - q)).toEqual([...Array(n).keys()]);
    expect(flat(ds.batchIndices(4, { shuffle: true, seed: 1 }))).toEqual(flat(a));
    expect(flat(ds.batchIndices(4, { shuffle: true, seed: 2 }))).not.toEqual(flat(a));
    expect(ds.batchIndices(4, { dropLast: true }).map((b) => b.length)).toEqual([4, 4]);
    expect([ds.numBatches(4), ds.numBatches(4, true)]).toEqual([3, 2]);
    // Without a seed, successive passes differ but a fresh dataset repeats the sequence.
    const d1 = make(), d2 = make();
    const p1 = [flat(d1.batchIndices(3, { shuffle: true })), flat(d1.batchIndices(3, { shuffle: true }))];
    const p2 = [flat(d2.batchIndices(3, { shuffle: true })), flat(d2.batchIndices(3, { shuffle: true }))];
    expect(p1[0]).not.toEqual(p1[1]);
    expect(p1).toEqual(p2);
  });

  it('batches hold exactly the rows of their indices, converted per field', async () => {
    const ds = make();
    const order = ds.batchIndices(4, { shuffle: true, seed: 9 });
    let k = 0;
    const seen: Tensor[] = [];
    for (const { x, y } of ds.batches(4, { shuffle: true, seed: 9 })) {
      const idx = Array.from(order[k++]!);
      expect(x.dtype).toBe('f32');
      expect(y.dtype).toBe('i32');
      expect(x.shape).toEqual([idx.length, 3]);
      expect(Array.from(await y.toArray())).toEqual(idx);
      expect(Array.from(await x.toArray())).toEqual(idx.flatMap((i) => [i, i + 0.5, i + 0.25]));
      seen.push(x, y);
    }
    expect(k).toBe(3);
    expect(seen.every((t) => t.isDisposed), 'every batch is disposed once the loop has moved on').toBe(true);
  });

  it('break disposes the current batch; take() gives tensors the caller owns', async () => {
    const ds = make();
    const live = liveTensorCount();
    let held: Tensor | null = null;
    for (const b of ds.batches(5)) {
      held = b.x;
      break;
    }
    expect(held!.isDisposed).toBe(true);
    expect(liveTensorCount()).toBe(live);
    const { y } = ds.take([10, 0]);
    expect(Array.from(await y.toArray())).toEqual([10, 0]);
    y.dispose();
  });

  it('split: disjoint, complete, sized by the fraction, seeded', () => {
    const ds = make();
    const [a, b] = ds.split(0.7, 3);
    expect([a.length, b.length]).toEqual([8, 3]);
    const ids = [...a.hostBatch([...Array(8).keys()]).y.data, ...b.hostBatch([0, 1, 2]).y.data].sort((p, q) => p - q);
    expect(ids).toEqual([...Array(n).keys()]);
    expect(Array.from(ds.split(0.7, 3)[1].hostBatch([0, 1, 2]).y.data)).toEqual(Array.from(b.hostBatch([0, 1, 2]).y.data));
  });

  it('bad input is named: field, shapes, counts, batch size, index', () => {
    expect(() => new ArrayDataset({ x: { data: new Float32Array(6), shape: [2, 3] }, y: { data: new Int32Array(3) } })).toThrow(/field 'y' has 3 samples but 'x' has 2/);
    expect(() => new ArrayDataset({ x: { data: new Float32Array(5), shape: [2, 3] } })).toThrow(/field 'x': 5 values do not fill shape \[2, 3\]/);
    expect(() => new ArrayDataset({ y: { data: [0.5], dtype: 'i32' } })).toThrow(/ArrayDataset field 'y': array value 0.5 at index 0/);
    expect(() => make().batchIndices(0)).toThrow(/batch size must be a positive integer, got 0/);
    expect(() => make().hostBatch([11])).toThrow(/index 11 is outside 0..10/);
    expect(() => make().split(1.5)).toThrow(/fraction must be in \[0, 1\]/);
  });
});
