// Anti-aliased polygon filling on a float RGB buffer, the one drawing primitive of the face
// generator. Ellipses and strokes are turned into polygons by the caller (shapes.ts), so there is
// exactly one inner loop to keep fast.
//
// Coverage is computed with SUB vertical sub-scanlines per pixel row and exact horizontal span
// coverage, accumulated in a reusable row buffer; the fill rule is even-odd, which lets a polygon
// with an inner contour draw a ring (glasses frames) without extra code.

const SUB = 4;

export class Raster {
  readonly width: number;
  readonly height: number;
  /** RGB floats 0..255, row-major interleaved. */
  readonly data: Float32Array;
  private cov: Float32Array;
  // Reusable edge table: x0, y0, x1, y1 per edge, with y0 < y1.
  private edges = new Float64Array(4 * 256);
  private xs = new Float64Array(64);

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.data = new Float32Array(width * height * 3);
    this.cov = new Float32Array(width + 2);
  }

  /**
   * Fill the union (even-odd) of closed contours, each a flat [x0, y0, x1, y1, ...] list in pixel
   * coordinates (pixel centres at +0.5), blending colour (0..255) with opacity alpha.
   */
  fill(contours: readonly Float64Array[], r: number, g: number, b: number, alpha: number): void {
    if (alpha <= 0) return;
    let ne = 0;
    let minY = Infinity;
    let maxY = -Infinity;
    let minX = Infinity;
    let maxX = -Infinity;
    for (const c of contours) {
      const n = c.length >> 1;
      if (n < 3) continue;
      for (let i = 0; i < n; i++) {
        const j = i + 1 === n ? 0 : i + 1;
        const ax = c[2 * i] as number;
        const ay = c[2 * i + 1] as number;
        const bx = c[2 * j] as number;
        const by = c[2 * j + 1] as number;
        if (ax < minX) minX = ax;
        if (ax > maxX) maxX = ax;
        if (ay === by) continue;
        if (4 * (ne + 1) > this.edges.length) {
          const grown = new Float64Array(this.edges.length * 2);
          grown.set(this.edges);
          this.edges = grown;
        }
        const e = 4 * ne;
        if (ay < by) {
          this.edges[e] = ax; this.edges[e + 1] = ay; this.edges[e + 2] = bx; this.edges[e + 3] = by;
        } else {
          this.edges[e] = bx; this.edges[e + 1] = by; this.edges[e + 2] = ax; this.edges[e + 3] = ay;
        }
        if (ay < minY) minY = ay;
        if (by < minY) minY = by;
        if (ay > maxY) maxY = ay;
        if (by > maxY) maxY = by;
        ne++;
      }
    }
    if (ne === 0 || maxX < 0 || minX >= this.width) return;
    const W = this.width;
    const y0 = Math.max(0, Math.floor(minY));
    const y1 = Math.min(this.height - 1, Math.floor(maxY));
    const edges = this.edges;
    const cov = this.cov;
    const w = 1 / SUB;
    const data = this.data;
    for (let py = y0; py <= y1; py++) {
      let lo = W;
      let hi = -1;
      for (let s = 0; s < SUB; s++) {
        const sy = py + (s + 0.5) * w;
        let nx = 0;
        for (let e = 0; e < 4 * ne; e += 4) {
          const ey0 = edges[e + 1] as number;
          const ey1 = edges[e + 3] as number;
          if (sy < ey0 || sy >= ey1) continue;
          const ex0 = edges[e] as number;
          const x = ex0 + ((sy - ey0) * ((edges[e + 2] as number) - ex0)) / (ey1 - ey0);
          if (nx >= this.xs.length) {
            const grown = new Float64Array(this.xs.length * 2);
            grown.set(this.xs);
            this.xs = grown;
          }
          // Insertion sort as we go: crossings per sub-scanline are few.
          let k = nx++;
          while (k > 0 && (this.xs[k - 1] as number) > x) {
            this.xs[k] = this.xs[k - 1] as number;
            k--;
          }
          this.xs[k] = x;
        }
        for (let k = 0; k + 1 < nx; k += 2) {
          let xa = this.xs[k] as number;
          let xb = this.xs[k + 1] as number;
          if (xa < 0) xa = 0;
          if (xb > W) xb = W;
          if (xb <= xa) continue;
          const ia = Math.floor(xa);
          const ib = Math.min(Math.floor(xb), W - 1);
          if (ia < lo) lo = ia;
          if (ib > hi) hi = ib;
          if (ia === ib) {
            cov[ia] = (cov[ia] as number) + (xb - xa) * w;
          } else {
            cov[ia] = (cov[ia] as number) + (ia + 1 - xa) * w;
            for (let x = ia + 1; x < ib; x++) cov[x] = (cov[x] as number) + w;
            cov[ib] = (cov[ib] as number) + (xb - ib) * w;
          }
        }
      }
      let p = (py * W + lo) * 3;
      for (let x = lo; x <= hi; x++, p += 3) {
        let c = cov[x] as number;
        if (c > 0) {
          if (c > 1) c = 1;
          const a = alpha * c;
          data[p] = (data[p] as number) + (r - (data[p] as number)) * a;
          data[p + 1] = (data[p + 1] as number) + (g - (data[p + 1] as number)) * a;
          data[p + 2] = (data[p + 2] as number) + (b - (data[p + 2] as number)) * a;
          cov[x] = 0;
        }
      }
    }
  }
}
