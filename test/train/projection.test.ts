import { describe, expect, it } from 'vitest';
import { fitPca2d, pca2d, symmetricEigen } from '../../src/train/projection.js';
import { Rng } from '../helpers/random.js';
import { referencePca } from '../reference/pca.js';

/** k random orthonormal directions in R^dim (Gram–Schmidt on Gaussian vectors). */
function orthonormal(rng: Rng, k: number, dim: number): Float64Array[] {
  const out: Float64Array[] = [];
  while (out.length < k) {
    const v = rng.normals(dim);
    for (const u of out) {
      const d = v.reduce((s, x, i) => s + x * u[i]!, 0);
      for (let i = 0; i < dim; i++) v[i]! -= d * u[i]!;
    }
    const n = Math.hypot(...v);
    out.push(v.map((x) => x / n));
  }
  return out;
}

/** n points: offset + Σ_j scales[j]·z·dirs[j] + isotropic noise. */
function synthetic(rng: Rng, n: number, dim: number, scales: number[], noise: number): { data: Float32Array; dirs: Float64Array[] } {
  const dirs = orthonormal(rng, scales.length, dim);
  const offset = rng.array(dim, -5, 5);
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const z = scales.map((s) => s * rng.normal());
    for (let d = 0; d < dim; d++) {
      let v = offset[d]! + noise * rng.normal();
      z.forEach((zj, j) => (v += zj * dirs[j]![d]!));
      data[i * dim + d] = v;
    }
  }
  return { data, dirs };
}

const absCos = (a: ArrayLike<number>, b: ArrayLike<number>, dim: number, ao = 0, bo = 0): number => {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let d = 0; d < dim; d++) {
    dot += a[ao + d]! * b[bo + d]!;
    na += a[ao + d]! ** 2;
    nb += b[bo + d]! ** 2;
  }
  return Math.abs(dot) / Math.sqrt(na * nb);
};

describe('symmetric eigen-decomposition', () => {
  it('diagonalises a small symmetric matrix', () => {
    // [[2,1],[1,2]] has eigenvalues 3 (along [1,1]) and 1 (along [1,-1]).
    const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
    expect(values[0]).toBeCloseTo(3, 12);
    expect(values[1]).toBeCloseTo(1, 12);
    expect(Math.abs(vectors[0]!)).toBeCloseTo(Math.SQRT1_2, 12);
    expect(vectors[0]! * vectors[2]!).toBeGreaterThan(0); // first column ∝ [1, 1]
  });
});

describe('PCA to 2-D', () => {
  for (const dim of [100, 20]) {
    // 100 takes the block-iteration path, 20 the dense path.
    it(`recovers the dominant directions (dim ${dim})`, () => {
      const rng = new Rng(dim);
      const { data, dirs } = synthetic(rng, 400, dim, [10, 4], 0.1);
      const fit = fitPca2d(data, 400, dim);
      expect(absCos(fit.components, dirs[0]!, dim)).toBeGreaterThan(0.999);
      expect(absCos(fit.components, dirs[1]!, dim, dim)).toBeGreaterThan(0.999);
      expect(fit.variance[0]).toBeGreaterThan(fit.variance[1]);
      expect(fit.totalVariance).toBeGreaterThan(fit.variance[0] + fit.variance[1]);
      // Against the plain float64 reference: same axes and variances.
      const ref = referencePca(data, 400, dim);
      expect(absCos(fit.components, ref.axes, dim)).toBeGreaterThan(1 - 1e-9);
      expect(absCos(fit.components, ref.axes, dim, dim, dim)).toBeGreaterThan(1 - 1e-9);
      expect(fit.variance[0]).toBeCloseTo(ref.variances[0]!, 6);
      expect(fit.variance[1]).toBeCloseTo(ref.variances[1]!, 6);
    });
  }

  it('finds the right plane when the top two variances are equal', () => {
    const rng = new Rng(3);
    const { data, dirs } = synthetic(rng, 600, 128, [5, 5], 0.05);
    const fit = fitPca2d(data, 600, 128);
    // Any basis of span{d0, d1} is correct: check each axis lies in that plane.
    for (let j = 0; j < 2; j++) {
      const inPlane = Math.hypot(absCos(fit.components, dirs[0]!, 128, j * 128), absCos(fit.components, dirs[1]!, 128, j * 128));
      expect(inPlane).toBeGreaterThan(0.999);
    }
  });

  it('projects training data and extra points with the same basis', () => {
    const rng = new Rng(7);
    const dim = 80;
    const { data } = synthetic(rng, 200, dim, [6, 3, 1], 0.2);
    const fit = fitPca2d(data, 200, dim);
    const xy = pca2d(data, 200, dim);
    expect(xy.length).toBe(400);
    expect(Array.from(fit.project(data, 200))).toEqual(Array.from(xy));
    // Projected data is centred, and its variance along each axis is the reported one.
    let m0 = 0;
    let v0 = 0;
    for (let i = 0; i < 200; i++) m0 += xy[2 * i]!;
    for (let i = 0; i < 200; i++) v0 += xy[2 * i]! ** 2 / 199;
    expect(Math.abs(m0 / 200)).toBeLessThan(1e-3);
    expect(v0 / fit.variance[0]).toBeCloseTo(1, 4);
    // Axes are orthonormal.
    let dot = 0;
    let n0 = 0;
    for (let d = 0; d < dim; d++) {
      dot += fit.components[d]! * fit.components[dim + d]!;
      n0 += fit.components[d]! ** 2;
    }
    expect(Math.abs(dot)).toBeLessThan(1e-9);
    expect(n0).toBeCloseTo(1, 12);
    // An extra point ("anchor"): (p − mean)·axis, computed by hand.
    const anchor = Float32Array.from({ length: dim }, (_, d) => fit.mean[d]! + 2 * fit.components[d]! - 3 * fit.components[dim + d]!);
    const a = fit.project(anchor, 1);
    expect(a[0]).toBeCloseTo(2, 4);
    expect(a[1]).toBeCloseTo(-3, 4);
  });

  it('is deterministic and fixes the sign of each axis', () => {
    const rng = new Rng(11);
    const { data } = synthetic(rng, 150, 96, [4, 2], 0.1);
    const a = fitPca2d(data, 150, 96);
    const b = fitPca2d(data, 150, 96);
    expect(Array.from(a.components)).toEqual(Array.from(b.components));
    for (let j = 0; j < 2; j++) {
      const row = Array.from(a.components.subarray(j * 96, (j + 1) * 96));
      const big = row.reduce((m, v) => (Math.abs(v) > Math.abs(m) ? v : m), 0);
      expect(big).toBeGreaterThan(0);
    }
  });

  it('handles degenerate inputs without NaN', () => {
    const same = new Float32Array(10 * 100).fill(3);
    expect(Array.from(pca2d(same, 10, 100)).every((v) => v === 0)).toBe(true);
    expect(Array.from(pca2d(Float32Array.from([1, 2, 3]), 1, 3)).every((v) => v === 0)).toBe(true);
    const line = pca2d(Float32Array.from([0, 1, 2, 3]), 4, 1); // dim 1: second coordinate is 0
    expect(Array.from(line)).toEqual([-1.5, 0, -0.5, 0, 0.5, 0, 1.5, 0]);
    expect(() => fitPca2d(new Float32Array(5), 2, 3)).toThrow(/5 values for 2×3/);
    expect(() => fitPca2d(Float32Array.from([0, NaN]), 1, 2)).toThrow(/non-finite/);
  });

  // Cost is bounded by work, not wall time (a loaded machine makes timings meaningless): each block
  // iteration is one pass over the data, so the iteration count bounds the time.
  it('n = 2000, dim = 768 converges well before the iteration cap', () => {
    const rng = new Rng(5);
    // Embedding-like: a few strong directions over a decaying noise floor.
    const { data } = synthetic(rng, 2000, 768, [8, 5, 3, 2, 1.5, 1], 0.3);
    const t0 = performance.now();
    const fit = fitPca2d(data, 2000, 768);
    const ms = performance.now() - t0;
    console.log(`pca 2000×768: ${ms.toFixed(0)} ms, ${fit.iterations} iterations`);
    expect(fit.iterations).toBeGreaterThan(0);
    expect(fit.iterations).toBeLessThan(80);
  });

  it('worst case (isotropic data, iteration cap reached) stays bounded', () => {
    const rng = new Rng(6);
    const data = Float32Array.from(rng.normals(2000 * 768));
    const t0 = performance.now();
    const fit = fitPca2d(data, 2000, 768);
    const ms = performance.now() - t0;
    console.log(`pca 2000×768 isotropic: ${ms.toFixed(0)} ms, ${fit.iterations} iterations`);
    expect(fit.iterations).toBeLessThanOrEqual(80);
  });
});
