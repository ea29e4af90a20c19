// 2-D PCA for plotting embeddings. For wide data (dims in the hundreds) the dim×dim covariance
// would cost n·dim² to form, so the top eigenvectors of XᵀX come from block power (subspace)
// iteration that only ever multiplies by X and Xᵀ: one pass over the data per iteration.
// A block of 4 vectors plus a Rayleigh–Ritz step each iteration converges at rate λ5/λ2 rather
// than λ3/λ2, and copes with λ1 ≈ λ2 (where single-vector power iteration stalls).

export interface Pca2d {
  /** Per-dimension mean subtracted before projecting. */
  mean: Float64Array;
  /** Two unit principal axes, row-major [2, dim]; signs fixed so each axis's largest entry is positive. */
  components: Float64Array;
  /** Variance along each axis (eigenvalues of the sample covariance, divides by n − 1). */
  variance: [number, number];
  /** Total variance (trace of the covariance), to express the axes as a share of it. */
  totalVariance: number;
  /** Block iterations used (0 for the dense path taken when dim is small). */
  iterations: number;
  /** Projects m points of the same dim (row-major [m, dim]) onto the axes: [m, 2]. */
  project(points: ArrayLike<number>, m: number): Float32Array;
}

export interface PcaOptions {
  /** Iteration cap; embeddings with a flat spectrum may not converge, and a plot needs no more. */
  maxIter?: number;
  /** Stop when each Ritz residual ‖Au − θu‖ ≤ tol · θ₁. */
  tol?: number;
  /** Seed of the deterministic start vectors. */
  seed?: number;
}

const BLOCK = 4;
/** Up to this dim the covariance is formed and diagonalised directly (cheap and exact). */
const DENSE_MAX_DIM = 64;

/**
 * Eigen-decomposition of a symmetric k×k matrix (row-major, overwritten) by cyclic Jacobi.
 * Returns eigenvalues sorted descending and eigenvectors as columns of a k×k row-major matrix.
 */
export function symmetricEigen(a: Float64Array, k: number): { values: Float64Array; vectors: Float64Array } {
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < k; i++) {
      diag += (a[i * k + i] as number) ** 2;
      for (let j = i + 1; j < k; j++) off += (a[i * k + j] as number) ** 2;
    }
    if (off <= 1e-30 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < k; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = a[p * k + q] as number;
        if (apq === 0) continue;
        const app = a[p * k + p] as number;
        const aqq = a[q * k + q] as number;
        // Rotation angle that zeroes a[p][q] (Numerical Recipes' stable form).
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < k; r++) {
          const arp = a[r * k + p] as number;
          const arq = a[r * k + q] as number;
          a[r * k + p] = c * arp - s * arq;
          a[r * k + q] = s * arp + c * arq;
        }
        for (let r = 0; r < k; r++) {
          const apr = a[p * k + r] as number;
          const aqr = a[q * k + r] as number;
          a[p * k + r] = c * apr - s * aqr;
          a[q * k + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = v[r * k + p] as number;
          const vrq = v[r * k + q] as number;
          v[r * k + p] = c * vrp - s * vrq;
          v[r * k + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const order = Array.from({ length: k }, (_, i) => i).sort((i, j) => (a[j * k + j] as number) - (a[i * k + i] as number));
  const values = Float64Array.from(order, (i) => a[i * k + i] as number);
  const vectors = new Float64Array(k * k);
  order.forEach((src, dst) => {
    for (let r = 0; r < k; r++) vectors[r * k + dst] = v[r * k + src] as number;
  });
  return { values, vectors };
}

/** mulberry32: deterministic start vectors, so the same data always gives the same plot. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

/**
 * Orthonormalises the BLOCK columns of V (interleaved layout: V[d·BLOCK + j]) in place by
 * modified Gram–Schmidt, twice for stability. A column that vanishes (rank-deficient data) is
 * replaced by a fresh random direction so the block keeps full rank.
 */
function orthonormalize(v: Float64Array, dim: number, rand: () => number): void {
  for (let j = 0; j < BLOCK; j++) {
    for (let attempt = 0; attempt < 4; attempt++) {
      for (let pass = 0; pass < 2; pass++) {
        for (let i = 0; i < j; i++) {
          let dot = 0;
          for (let d = 0; d < dim; d++) dot += (v[d * BLOCK + i] as number) * (v[d * BLOCK + j] as number);
          for (let d = 0; d < dim; d++) v[d * BLOCK + j]! -= dot * (v[d * BLOCK + i] as number);
        }
      }
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += (v[d * BLOCK + j] as number) ** 2;
      norm = Math.sqrt(norm);
      if (norm > 1e-10) {
        for (let d = 0; d < dim; d++) v[d * BLOCK + j]! /= norm;
        break;
      }
      for (let d = 0; d < dim; d++) v[d * BLOCK + j] = rand();
    }
  }
}

/** W = XᵀX·V in one pass over the rows of centred X (V and W interleaved [dim, BLOCK]). */
function gramTimes(x: Float64Array, n: number, dim: number, v: Float64Array, w: Float64Array): void {
  w.fill(0);
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    // Four dot products in one sweep of the row (the loop is written out: BLOCK is 4).
    let y0 = 0;
    let y1 = 0;
    let y2 = 0;
    let y3 = 0;
    for (let d = 0; d < dim; d++) {
      const xv = x[o + d] as number;
      const b = d * BLOCK;
      y0 += xv * (v[b] as number);
      y1 += xv * (v[b + 1] as number);
      y2 += xv * (v[b + 2] as number);
      y3 += xv * (v[b + 3] as number);
    }
    for (let d = 0; d < dim; d++) {
      const xv = x[o + d] as number;
      const b = d * BLOCK;
      w[b]! += xv * y0;
      w[b + 1]! += xv * y1;
      w[b + 2]! += xv * y2;
      w[b + 3]! += xv * y3;
    }
  }
}

/** Top-2 eigenpairs of XᵀX for centred X by block subspace iteration with Rayleigh–Ritz. */
function topTwoIterative(x: Float64Array, n: number, dim: number, o: PcaOptions): { axes: Float64Array; values: [number, number]; iterations: number } {
  const maxIter = o.maxIter ?? 80;
  const tol = o.tol ?? 1e-6;
  const rand = rng(o.seed ?? 12345);
  const v = new Float64Array(dim * BLOCK);
  for (let i = 0; i < v.length; i++) v[i] = rand();
  orthonormalize(v, dim, rand);
  const w = new Float64Array(dim * BLOCK);
  const u = new Float64Array(dim * BLOCK); // Ritz vectors
  const au = new Float64Array(dim * BLOCK); // XᵀX times Ritz vectors
  let values: [number, number] = [0, 0];
  let it = 0;
  while (it < maxIter) {
    it++;
    gramTimes(x, n, dim, v, w);
    // Rayleigh–Ritz: H = Vᵀ(XᵀX)V = VᵀW, small and symmetric.
    const h = new Float64Array(BLOCK * BLOCK);
    for (let i = 0; i < BLOCK; i++) {
      for (let j = i; j < BLOCK; j++) {
        let s = 0;
        for (let d = 0; d < dim; d++) s += (v[d * BLOCK + i] as number) * (w[d * BLOCK + j] as number);
        h[i * BLOCK + j] = s;
        h[j * BLOCK + i] = s;
      }
    }
    const eig = symmetricEigen(h, BLOCK);
    // U = V·Q and AU = W·Q, so the residual needs no extra pass over X.
    for (let d = 0; d < dim; d++) {
      for (let j = 0; j < BLOCK; j++) {
        let su = 0;
        let sa = 0;
        for (let i = 0; i < BLOCK; i++) {
          const q = eig.vectors[i * BLOCK + j] as number;
          su += (v[d * BLOCK + i] as number) * q;
          sa += (w[d * BLOCK + i] as number) * q;
        }
        u[d * BLOCK + j] = su;
        au[d * BLOCK + j] = sa;
      }
    }
    values = [Math.max(0, eig.values[0] as number), Math.max(0, eig.values[1] as number)];
    if (values[0] === 0) break; // all data identical: nothing to find
    let worst = 0;
    for (let j = 0; j < 2; j++) {
      const theta = eig.values[j] as number;
      let r = 0;
      for (let d = 0; d < dim; d++) r += ((au[d * BLOCK + j] as number) - theta * (u[d * BLOCK + j] as number)) ** 2;
      worst = Math.max(worst, Math.sqrt(r));
    }
    if (worst <= tol * values[0]) break;
    v.set(au);
    orthonormalize(v, dim, rand);
  }
  const axes = new Float64Array(2 * dim);
  for (let j = 0; j < 2; j++) for (let d = 0; d < dim; d++) axes[j * dim + d] = u[d * BLOCK + j] as number;
  return { axes, values, iterations: it };
}

/** Top-2 eigenpairs of XᵀX from the explicit dim×dim matrix (small dims). */
function topTwoDense(x: Float64Array, n: number, dim: number): { axes: Float64Array; values: [number, number] } {
  const c = new Float64Array(dim * dim);
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    for (let a = 0; a < dim; a++) {
      const xa = x[o + a] as number;
      if (xa === 0) continue;
      for (let b = a; b < dim; b++) c[a * dim + b]! += xa * (x[o + b] as number);
    }
  }
  for (let a = 0; a < dim; a++) for (let b = 0; b < a; b++) c[a * dim + b] = c[b * dim + a] as number;
  const eig = symmetricEigen(c, dim);
  const axes = new Float64Array(2 * dim);
  for (let j = 0; j < Math.min(2, dim); j++) for (let d = 0; d < dim; d++) axes[j * dim + d] = eig.vectors[d * dim + j] as number;
  return { axes, values: [Math.max(0, eig.values[0] ?? 0), Math.max(0, eig.values[1] ?? 0)] };
}

/** Fits the two leading principal axes of n points of dimension dim (row-major data). */
export function fitPca2d(data: ArrayLike<number>, n: number, dim: number, opts: PcaOptions = {}): Pca2d {
  if (!(Number.isInteger(n) && Number.isInteger(dim) && n >= 1 && dim >= 1)) {
    throw new RangeError(`fitPca2d: need n >= 1 and dim >= 1 integers, got n=${n}, dim=${dim}`);
  }
  if (data.length < n * dim) throw new RangeError(`fitPca2d: ${data.length} values for ${n}×${dim}`);
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d]! += data[i * dim + d] as number;
  for (let d = 0; d < dim; d++) mean[d]! /= n;
  const x = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) x[i * dim + d] = (data[i * dim + d] as number) - (mean[d] as number);
  let sumSq = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    if (!Number.isFinite(v)) throw new RangeError(`fitPca2d: non-finite value in row ${Math.floor(i / dim)}`);
    sumSq += v * v;
  }

  const fit = dim <= DENSE_MAX_DIM ? { ...topTwoDense(x, n, dim), iterations: 0 } : topTwoIterative(x, n, dim, opts);
  const components = fit.axes;
  for (let j = 0; j < 2; j++) {
    // Fix the sign (eigenvectors are only defined up to ±) so reruns give the same picture.
    let big = 0;
    for (let d = 0; d < dim; d++) if (Math.abs(components[j * dim + d] as number) > Math.abs(big)) big = components[j * dim + d] as number;
    if (big < 0) for (let d = 0; d < dim; d++) components[j * dim + d]! *= -1;
  }
  const denom = Math.max(1, n - 1);
  const variance: [number, number] = [fit.values[0] / denom, fit.values[1] / denom];

  const project = (points: ArrayLike<number>, m: number): Float32Array => {
    if (points.length < m * dim) throw new RangeError(`project: ${points.length} values for ${m}×${dim}`);
    const out = new Float32Array(m * 2);
    for (let i = 0; i < m; i++) {
      let a = 0;
      let b = 0;
      for (let d = 0; d < dim; d++) {
        const c = (points[i * dim + d] as number) - (mean[d] as number);
        a += c * (components[d] as number);
        b += c * (components[dim + d] as number);
      }
      out[2 * i] = a;
      out[2 * i + 1] = b;
    }
    return out;
  };
  return { mean, components, variance, totalVariance: sumSq / denom, iterations: fit.iterations, project };
}

/** Projects the data onto its own two leading principal axes: [n, 2]. */
export function pca2d(data: ArrayLike<number>, n: number, dim: number, opts?: PcaOptions): Float32Array {
  return fitPca2d(data, n, dim, opts).project(data, n);
}
