// Anti-aliased polygon filling on a float RGB buffer, the one drawing primitive of the face
// generator. Ellipses and strokes are turned into polygons by the caller (shapes.ts), so there is
// exactly one inner loop to keep fast.
//
// Coverage is computed with SUB vertical sub-scanlines per pixel row and exact horizontal span
// coverage, accumulated in a reusable row buffer; the fill rule is even-odd, which lets a polygon
// with an inner contour draw a ring (glasses frames) without extra code.
//
// Each edge's crossings are computed only for the sub-scanlines it spans (found once per edge with
// the exact test `y0 <= sy < y1`) and bucketed by sub-scanline, instead of testing every edge on
// every sub-scanline. The crossing formula is unchanged and each sub-scanline's crossings are
// sorted, so the spans (and the image) are the same as with the per-line scan.

const SUB = 4;
/** Floats per edge in the edge table: x0, y0, y1, x1 - x0, y1 - y0 (with y0 < y1). */
const EF = 5;

/**
 * Closed contours packed into one reusable buffer, the input of Raster.fill: contour k is the flat
 * [x0, y0, x1, y1, ...] run points[ends[k - 1] .. ends[k]) (from 0 for the first). Reusing one
 * Path for every shape saves a typed-array allocation per contour.
 */
export class Path {
  points = new Float64Array(1024);
  readonly ends: number[] = [];
  private size = 0;

  /** Empty the path; returns it, for chaining. */
  clear(): this {
    this.size = 0;
    this.ends.length = 0;
    return this;
  }

  /** Make room for n more numbers in the current contour and return their offset in points. */
  reserve(n: number): number {
    if (this.size + n > this.points.length) {
      const grown = new Float64Array(Math.max(this.size + n, 2 * this.points.length));
      grown.set(this.points.subarray(0, this.size));
      this.points = grown;
    }
    const at = this.size;
    this.size += n;
    return at;
  }

  /** End the current contour. */
  close(): void {
    this.ends.push(this.size);
  }

  /** Append a whole contour given as a flat point list; returns the path, for chaining. */
  add(contour: ArrayLike<number>): this {
    const at = this.reserve(contour.length);
    const pts = this.points;
    for (let i = 0; i < contour.length; i++) pts[at + i] = contour[i] as number;
    this.close();
    return this;
  }
}

export class Raster {
  readonly width: number;
  readonly height: number;
  /** RGB floats 0..255, row-major interleaved. */
  readonly data: Float32Array;
  private cov: Float32Array;
  // Reusable scratch, grown on demand: the edge table, each edge's first and last sub-scanline,
  // where each sub-scanline's crossings start in xs, and the crossings.
  private edges = new Float64Array(EF * 256);
  private firstSub = new Int32Array(256);
  private lastSub = new Int32Array(256);
  private subStart: Int32Array;
  private xs = new Float64Array(1024);
  /** y of every sub-scanline of the image: lineY[py * SUB + s] = py + (s + 0.5) / SUB. */
  private readonly lineY: Float64Array;

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.data = new Float32Array(width * height * 3);
    this.cov = new Float32Array(width + 2);
    this.subStart = new Int32Array(height * SUB + 2);
    this.lineY = new Float64Array(height * SUB);
    const w = 1 / SUB;
    for (let py = 0; py < height; py++) for (let s = 0; s < SUB; s++) this.lineY[py * SUB + s] = py + (s + 0.5) * w;
  }

  /**
   * Fill the union (even-odd) of the path's closed contours, in pixel coordinates (pixel centres
   * at +0.5), blending colour (0..255) with opacity alpha.
   */
  fill(path: Path, r: number, g: number, b: number, alpha: number): void {
    if (alpha <= 0) return;
    let ne = 0;
    let minY = Infinity;
    let maxY = -Infinity;
    let minX = Infinity;
    let maxX = -Infinity;
    const c = path.points;
    for (let k = 0, start = 0; k < path.ends.length; k++) {
      const end = path.ends[k] as number;
      const n = (end - start) >> 1;
      const c0 = start;
      start = end;
      if (n < 3) continue;
      if (EF * (ne + n) > this.edges.length) this.growEdges(ne + n);
      const edges = this.edges;
      // Edge i runs from point i to point i + 1 (the last one back to point 0).
      let bx = c[c0] as number;
      let by = c[c0 + 1] as number;
      for (let i = 0; i < n; i++) {
        const ax = bx;
        const ay = by;
        const j = i + 1 === n ? 0 : i + 1;
        bx = c[c0 + 2 * j] as number;
        by = c[c0 + 2 * j + 1] as number;
        if (ax < minX) minX = ax;
        if (ax > maxX) maxX = ax;
        if (ay === by) continue;
        const e = EF * ne;
        if (ay < by) {
          edges[e] = ax; edges[e + 1] = ay; edges[e + 2] = by; edges[e + 3] = bx - ax; edges[e + 4] = by - ay;
        } else {
          edges[e] = bx; edges[e + 1] = by; edges[e + 2] = ay; edges[e + 3] = ax - bx; edges[e + 4] = ay - by;
        }
        if (ay < minY) minY = ay;
        if (by < minY) minY = by;
        if (ay > maxY) maxY = ay;
        if (by > maxY) maxY = by;
        ne++;
      }
    }
    if (ne === 0 || maxX < 0 || minX >= this.width) return;
    const y0 = Math.max(0, Math.floor(minY));
    const y1 = Math.min(this.height - 1, Math.floor(maxY));
    if (y1 < y0) return;
    this.crossings(ne, y0, y1);
    const W = this.width;
    const xs = this.xs;
    const subStart = this.subStart;
    const cov = this.cov;
    const w = 1 / SUB;
    const data = this.data;
    for (let py = y0; py <= y1; py++) {
      const j0 = (py - y0) * SUB;
      // When every sub-scanline has a single span, the pixels strictly inside all of them get
      // exactly w from each, so their coverage is exactly 1 (0.25 + 0.25 + 0.25 + 0.25 in float32):
      // they skip the accumulation below and are blended with alpha directly. This run is
      // full0..full1; W..W-1 when there is none.
      let full0 = W;
      let full1 = W - 1;
      let single = true;
      for (let j = j0; j < j0 + SUB; j++) {
        const start = subStart[j] as number;
        const end = subStart[j + 1] as number;
        single &&= end - start === 2;
        // Sort the line's few crossings (insertion sort).
        for (let k = start + 1; k < end; k++) {
          const x = xs[k] as number;
          let m = k;
          while (m > start && (xs[m - 1] as number) > x) {
            xs[m] = xs[m - 1] as number;
            m--;
          }
          xs[m] = x;
        }
      }
      if (single) {
        for (let j = j0; j < j0 + SUB; j++) {
          const xa = Math.max(0, xs[subStart[j] as number] as number);
          const xb = Math.min(W, xs[(subStart[j] as number) + 1] as number);
          const first = xb > xa ? (xa | 0) + 1 : W;
          const last = xb > xa ? Math.min(xb | 0, W - 1) - 1 : -1;
          if (j === j0 || first > full0) full0 = first;
          if (j === j0 || last < full1) full1 = last;
        }
        if (full0 > full1) {
          full0 = W;
          full1 = W - 1;
        }
      }
      let lo = W;
      let hi = -1;
      for (let j = j0; j < j0 + SUB; j++) {
        for (let k = subStart[j] as number, end = subStart[j + 1] as number; k + 1 < end; k += 2) {
          let xa = xs[k] as number;
          let xb = xs[k + 1] as number;
          if (xa < 0) xa = 0;
          if (xb > W) xb = W;
          if (xb <= xa) continue;
          // 0 <= xa < xb <= W here, so `| 0` is Math.floor.
          const ia = xa | 0;
          const ib = Math.min(xb | 0, W - 1);
          if (ia < lo) lo = ia;
          if (ib > hi) hi = ib;
          if (ia === ib) {
            cov[ia] = (cov[ia] as number) + (xb - xa) * w;
          } else {
            cov[ia] = (cov[ia] as number) + (ia + 1 - xa) * w;
            // Inner pixels get w each, except those of the fully covered run.
            for (let x = ia + 1, end = Math.min(ib, full0); x < end; x++) cov[x] = (cov[x] as number) + w;
            for (let x = Math.max(ia + 1, full1 + 1); x < ib; x++) cov[x] = (cov[x] as number) + w;
            cov[ib] = (cov[ib] as number) + (xb - ib) * w;
          }
        }
      }
      const rowP = py * W * 3;
      for (let x = lo; x <= hi; x++) {
        const p = rowP + 3 * x;
        if (x === full0) {
          // alpha * 1 === alpha.
          for (let q = p, qe = rowP + 3 * (full1 + 1); q < qe; q += 3) {
            data[q] = (data[q] as number) + (r - (data[q] as number)) * alpha;
            data[q + 1] = (data[q + 1] as number) + (g - (data[q + 1] as number)) * alpha;
            data[q + 2] = (data[q + 2] as number) + (b - (data[q + 2] as number)) * alpha;
          }
          x = full1;
          continue;
        }
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

  /**
   * The crossings of the first ne edges with the sub-scanlines of rows y0..y1: sub-scanline j
   * (row y0 + j / SUB, sub-line j % SUB) gets xs[subStart[j] .. subStart[j + 1]), unsorted.
   */
  private crossings(ne: number, y0: number, y1: number): void {
    const nSub = (y1 - y0 + 1) * SUB;
    if (ne > this.firstSub.length) {
      const n = Math.max(ne, 2 * this.firstSub.length);
      this.firstSub = new Int32Array(n);
      this.lastSub = new Int32Array(n);
    }
    const { edges, firstSub, lastSub, subStart } = this;
    // Sub-scanline j of rows y0..y1 lies at y = lineY[J0 + j].
    const lineY = this.lineY;
    const J0 = y0 * SUB;
    // Count the crossings per sub-scanline (at subStart[j + 2]), from each edge's range of
    // sub-scanlines: those with ey0 <= sy < ey1. The estimate from ey * SUB is corrected with the
    // exact test, so rounding cannot change which lines an edge crosses.
    subStart.fill(0, 0, nSub + 2);
    let total = 0;
    for (let i = 0; i < ne; i++) {
      const ey0 = edges[EF * i + 1] as number;
      const ey1 = edges[EF * i + 2] as number;
      let first = Math.min(nSub, Math.max(0, Math.ceil((ey0 - y0) * SUB - 0.5)));
      while (first > 0 && (lineY[J0 + first - 1] as number) >= ey0) first--;
      while (first < nSub && (lineY[J0 + first] as number) < ey0) first++;
      let last = Math.min(nSub - 1, Math.max(-1, Math.ceil((ey1 - y0) * SUB - 0.5) - 1));
      while (last < nSub - 1 && (lineY[J0 + last + 1] as number) < ey1) last++;
      while (last >= 0 && (lineY[J0 + last] as number) >= ey1) last--;
      // No line at all (also what a NaN coordinate ends up as).
      if (!(first <= last)) {
        first = 0;
        last = -1;
      }
      firstSub[i] = first;
      lastSub[i] = last;
      for (let j = first; j <= last; j++) subStart[j + 2]++;
      total += last - first + 1;
    }
    // Now subStart[j + 2] is line j's count. After the running sum, subStart[j + 1] is where
    // line j starts; placing its crossings advances it to where line j ends, which leaves line j
    // at subStart[j] .. subStart[j + 1].
    for (let j = 2; j <= nSub + 1; j++) subStart[j] = (subStart[j] as number) + (subStart[j - 1] as number);
    if (total > this.xs.length) this.xs = new Float64Array(Math.max(total, 2 * this.xs.length));
    const xs = this.xs;
    for (let i = 0; i < ne; i++) {
      const e = EF * i;
      const ex0 = edges[e] as number;
      const ey0 = edges[e + 1] as number;
      const dx = edges[e + 3] as number;
      const dy = edges[e + 4] as number;
      for (let j = firstSub[i] as number, last = lastSub[i] as number; j <= last; j++) {
        const sy = lineY[J0 + j] as number;
        xs[subStart[j + 1] as number] = ex0 + ((sy - ey0) * dx) / dy;
        subStart[j + 1]++;
      }
    }
  }

  private growEdges(count: number): void {
    const grown = new Float64Array(EF * Math.max(count, 2 * (this.edges.length / EF)));
    grown.set(this.edges);
    this.edges = grown;
  }
}
