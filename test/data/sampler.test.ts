import { describe, expect, it } from 'vitest';
import { BalancedSampler, SequentialSampler, ShuffleSampler, classCounts, classWeights, sampledClassWeights } from '../../src/data/sampler.js';

function skewed(): Int32Array {
  // 7 classes with counts 700, 300, 150, 80, 40, 20, 10.
  const counts = [700, 300, 150, 80, 40, 20, 10];
  const labels: number[] = [];
  counts.forEach((n, c) => { for (let i = 0; i < n; i++) labels.push(c); });
  // Interleave so class membership is not positional.
  const out = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) out[(i * 7919) % labels.length] = labels[i]!;
  return out;
}

describe('class weights', () => {
  it('w_c = (N / C) / N_c', () => {
    const w = classWeights([0, 0, 0, 0, 1, 1, 2, 2], 3);
    // N = 8, C = 3: (8/3)/4, (8/3)/2, (8/3)/2
    expect(w[0]).toBeCloseTo(2 / 3, 6);
    expect(w[1]).toBeCloseTo(4 / 3, 6);
    expect(w[2]).toBeCloseTo(4 / 3, 6);
    expect(Array.from(classWeights([0, 1, 2, 0, 1, 2], 3))).toEqual([1, 1, 1]);
    expect(classWeights([0, 0, 1], 3)[2]).toBe(0); // absent class: no weight instead of infinity
    expect(Array.from(classCounts([0, 2, 2, 5], 3))).toEqual([1, 0, 2]);
  });

  it('weights follow what the sampler delivers: 1 with balanced batches, inverse frequency when shuffled', () => {
    const labels = skewed();
    const balanced = sampledClassWeights(new BalancedSampler(labels, 7, 4), labels, 7);
    for (const w of balanced) expect(w).toBeCloseTo(1, 6);
    const shuffled = sampledClassWeights(new ShuffleSampler(labels.length, 4), labels, 7);
    expect(Array.from(shuffled)).toEqual(Array.from(classWeights(labels, 7)));
    expect(shuffled[6]! / shuffled[0]!).toBeCloseTo(70, 4); // 700 vs 10 samples
  });
});

describe('samplers', () => {
  it('sequential and shuffle visit every index once', () => {
    expect(Array.from(new SequentialSampler(5).epoch())).toEqual([0, 1, 2, 3, 4]);
    const s = new ShuffleSampler(100, 3);
    const e0 = s.epoch(0);
    expect([...e0].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(new ShuffleSampler(100, 3).epoch(0))).toEqual(Array.from(e0));
    expect(Array.from(s.epoch(1))).not.toEqual(Array.from(e0));
  });

  it('balanced sampler gives every class the same share, batch by batch', () => {
    const labels = skewed();
    const s = new BalancedSampler(labels, 7, 1);
    const e = s.epoch(0);
    expect(s.perClass).toBe(Math.round(labels.length / 7));
    const counts = classCounts(Array.from(e, (i) => labels[i]!), 7);
    expect(Array.from(counts)).toEqual(new Array(7).fill(s.perClass));
    // Every batch of 14 consecutive indices holds exactly 2 of each class.
    for (let b = 0; b + 14 <= e.length; b += 14) {
      const bc = classCounts(Array.from(e.subarray(b, b + 14), (i) => labels[i]!), 7);
      expect(Array.from(bc)).toEqual(new Array(7).fill(2));
    }
    // The rarest class (10 samples) is oversampled: each of its samples appears ~perClass/10 times.
    const rare = Array.from(e).filter((i) => labels[i] === 6);
    expect(new Set(rare).size).toBe(10);
    // The largest class is subsampled without repeats.
    const big = Array.from(e).filter((i) => labels[i] === 0);
    expect(new Set(big).size).toBe(big.length);
    expect(Array.from(s.epoch(1))).not.toEqual(Array.from(e));
  });

  it('respects a per-class cap and ignores empty classes', () => {
    const labels = Int32Array.from([0, 0, 0, 0, 0, 1, 1, 3]);
    const s = new BalancedSampler(labels, 4, 2, { perClass: 3 });
    const e = s.epoch(0);
    expect(e.length).toBe(9);
    expect(Array.from(classCounts(Array.from(e, (i) => labels[i]!), 4))).toEqual([3, 3, 0, 3]);
  });
});
