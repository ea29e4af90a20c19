/** Float64 LayerNorm over the last axis and its closed-form backward (plain loops). */
import { nd, type Nd } from './nd.js';

export function layerNorm(x: Nd, w: Nd | null, b: Nd | null, eps: number): Nd {
  const D = x.shape[x.shape.length - 1]!;
  const rows = x.data.length / D;
  const y = nd(x.shape);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < D; j++) s += x.data[r * D + j]!;
    const mean = s / D;
    let q = 0;
    for (let j = 0; j < D; j++) q += (x.data[r * D + j]! - mean) ** 2;
    const rstd = 1 / Math.sqrt(q / D + eps);
    for (let j = 0; j < D; j++) {
      y.data[r * D + j] = (x.data[r * D + j]! - mean) * rstd * (w ? w.data[j]! : 1) + (b ? b.data[j]! : 0);
    }
  }
  return y;
}

/** Gradients of Σ g·layerNorm(x) with respect to x, w and b. */
export function layerNormBackward(x: Nd, w: Nd | null, g: Nd, eps: number): { dx: Nd; dw: Nd; db: Nd } {
  const D = x.shape[x.shape.length - 1]!;
  const rows = x.data.length / D;
  const dx = nd(x.shape), dw = nd([D]), db = nd([D]);
  const xh = new Float64Array(D), gh = new Float64Array(D);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < D; j++) s += x.data[r * D + j]!;
    const mean = s / D;
    let q = 0;
    for (let j = 0; j < D; j++) q += (x.data[r * D + j]! - mean) ** 2;
    const rstd = 1 / Math.sqrt(q / D + eps);
    let sg = 0, sgx = 0;
    for (let j = 0; j < D; j++) {
      const gj = g.data[r * D + j]!;
      xh[j] = (x.data[r * D + j]! - mean) * rstd;
      gh[j] = gj * (w ? w.data[j]! : 1);
      sg += gh[j]!;
      sgx += gh[j]! * xh[j]!;
      dw.data[j] += gj * xh[j]!;
      db.data[j] += gj;
    }
    for (let j = 0; j < D; j++) dx.data[r * D + j] = rstd * (gh[j]! - sg / D - xh[j]! * (sgx / D));
  }
  return { dx, dw, db };
}
