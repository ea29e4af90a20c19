// Plain float64 PCA reference: explicit covariance, then power iteration with deflation.
// Slow (n·dim² + iterations·dim²) but obviously correct; only for small test shapes.

export interface PcaReference {
  mean: Float64Array;
  /** Unit eigenvectors, row-major [k, dim]. */
  axes: Float64Array;
  /** Eigenvalues of the sample covariance (divides by n − 1), descending. */
  variances: number[];
}

export function referencePca(data: ArrayLike<number>, n: number, dim: number, k = 2): PcaReference {
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d]! += (data[i * dim + d] as number) / n;
  const cov = new Float64Array(dim * dim);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < dim; a++) {
      const xa = (data[i * dim + a] as number) - (mean[a] as number);
      for (let b = 0; b < dim; b++) cov[a * dim + b]! += (xa * ((data[i * dim + b] as number) - (mean[b] as number))) / (n - 1);
    }
  }
  const axes = new Float64Array(k * dim);
  const variances: number[] = [];
  for (let j = 0; j < k; j++) {
    let v = Float64Array.from({ length: dim }, (_, d) => 1 + d * 0.01);
    let lambda = 0;
    for (let it = 0; it < 5000; it++) {
      const w = new Float64Array(dim);
      for (let a = 0; a < dim; a++) {
        let s = 0;
        for (let b = 0; b < dim; b++) s += (cov[a * dim + b] as number) * (v[b] as number);
        w[a] = s;
      }
      const norm = Math.hypot(...w);
      const next = w.map((x) => x / norm);
      const change = Math.hypot(...next.map((x, d) => x - (v[d] as number)));
      v = next;
      lambda = norm;
      if (change < 1e-13) break;
    }
    variances.push(lambda);
    axes.set(v, j * dim);
    // Deflate: remove the found component so the next iteration finds the following one.
    for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) cov[a * dim + b]! -= lambda * (v[a] as number) * (v[b] as number);
  }
  return { mean, axes, variances };
}
