// An opaque RGBA canvas with just the primitives the charts need. Pure TypeScript (no DOM, no
// Node) so the same charts render in the browser and in Node; PNG encoding lives in png-node.ts.

export type Rgb = readonly [number, number, number];

/** 8-bit RGBA, row-major, 4 bytes per pixel: what pngjs and ImageData both take. */
export interface RgbaImage {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** Integer pixel rectangle: columns x..x+w-1, rows y..y+h-1. */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export const WHITE: Rgb = [255, 255, 255];
export const BLACK: Rgb = [0, 0, 0];

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/** Distance from point (px, py) to the segment (x0, y0)-(x1, y1). */
function segmentDistance(px: number, py: number, x0: number, y0: number, x1: number, y1: number): number {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : clamp01(((px - x0) * dx + (py - y0) * dy) / len2);
  const ex = px - (x0 + t * dx);
  const ey = py - (y0 + t * dy);
  return Math.sqrt(ex * ex + ey * ey);
}

export class Raster implements RgbaImage {
  readonly rgba: Uint8Array;
  private clip: Rect;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = WHITE,
  ) {
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
      throw new RangeError(`Raster: size must be positive integers, got ${width}x${height}`);
    }
    this.rgba = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      this.rgba[4 * i] = background[0];
      this.rgba[4 * i + 1] = background[1];
      this.rgba[4 * i + 2] = background[2];
      this.rgba[4 * i + 3] = 255;
    }
    this.clip = { x: 0, y: 0, w: width, h: height };
  }

  /** Restrict drawing to r (intersected with the canvas) so data never spills over the axes. */
  setClip(r?: Rect): void {
    if (!r) {
      this.clip = { x: 0, y: 0, w: this.width, h: this.height };
      return;
    }
    const x0 = Math.max(0, r.x);
    const y0 = Math.max(0, r.y);
    const x1 = Math.min(this.width, r.x + r.w);
    const y1 = Math.min(this.height, r.y + r.h);
    this.clip = { x: x0, y: y0, w: Math.max(0, x1 - x0), h: Math.max(0, y1 - y0) };
  }

  /** Source-over blend of colour c with coverage a onto pixel (x, y); the canvas stays opaque. */
  blend(x: number, y: number, c: Rgb, a = 1): void {
    const k = this.clip;
    if (x < k.x || y < k.y || x >= k.x + k.w || y >= k.y + k.h || a <= 0) return;
    const o = 4 * (y * this.width + x);
    const px = this.rgba;
    if (a >= 1) {
      px[o] = c[0];
      px[o + 1] = c[1];
      px[o + 2] = c[2];
      return;
    }
    px[o] = Math.round((px[o] as number) * (1 - a) + c[0] * a);
    px[o + 1] = Math.round((px[o + 1] as number) * (1 - a) + c[1] * a);
    px[o + 2] = Math.round((px[o + 2] as number) * (1 - a) + c[2] * a);
  }

  /** The colour at (x, y), for tests and for picking contrasting text. */
  get(x: number, y: number): Rgb {
    const o = 4 * (y * this.width + x);
    return [this.rgba[o] as number, this.rgba[o + 1] as number, this.rgba[o + 2] as number];
  }

  fillRect(x: number, y: number, w: number, h: number, c: Rgb, a = 1): void {
    const x0 = Math.round(x);
    const y0 = Math.round(y);
    const x1 = Math.round(x + w);
    const y1 = Math.round(y + h);
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.blend(xx, yy, c, a);
  }

  /** A rectangle outline t pixels thick, drawn inside r. */
  strokeRect(r: Rect, c: Rgb, t = 1): void {
    this.fillRect(r.x, r.y, r.w, t, c);
    this.fillRect(r.x, r.y + r.h - t, r.w, t, c);
    this.fillRect(r.x, r.y, t, r.h, c);
    this.fillRect(r.x + r.w - t, r.y, t, r.h, c);
  }

  /**
   * A connected line through the points, `width` pixels wide, anti-aliased by pixel-centre
   * distance to the nearest segment. Coverage is max-combined over segments before blending,
   * so joints are not painted twice (which would show as dark knots on a translucent line).
   * Non-finite points break the line; an isolated point becomes a dot.
   */
  polyline(xs: ArrayLike<number>, ys: ArrayLike<number>, c: Rgb, width = 2, alpha = 1): void {
    const n = Math.min(xs.length, ys.length);
    let start = 0;
    while (start < n) {
      while (start < n && !(Number.isFinite(xs[start]) && Number.isFinite(ys[start]))) start++;
      let end = start;
      while (end < n && Number.isFinite(xs[end]) && Number.isFinite(ys[end])) end++;
      if (end - start === 1) this.fillCircle(xs[start] as number, ys[start] as number, width, c, alpha);
      else if (end - start > 1) this.strokeRun(xs, ys, start, end, c, width, alpha);
      start = end;
    }
  }

  private strokeRun(xs: ArrayLike<number>, ys: ArrayLike<number>, i0: number, i1: number, c: Rgb, width: number, alpha: number): void {
    const hw = width / 2;
    const pad = Math.ceil(hw + 1);
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (let i = i0; i < i1; i++) {
      minX = Math.min(minX, xs[i] as number);
      maxX = Math.max(maxX, xs[i] as number);
      minY = Math.min(minY, ys[i] as number);
      maxY = Math.max(maxY, ys[i] as number);
    }
    // The coverage mask only spans the visible part of the run's bounding box.
    const k = this.clip;
    const bx = Math.max(k.x, Math.floor(minX) - pad);
    const by = Math.max(k.y, Math.floor(minY) - pad);
    const bw = Math.min(k.x + k.w, Math.ceil(maxX) + pad + 1) - bx;
    const bh = Math.min(k.y + k.h, Math.ceil(maxY) + pad + 1) - by;
    if (bw <= 0 || bh <= 0) return;
    const mask = new Float32Array(bw * bh);
    for (let i = i0; i + 1 < i1; i++) {
      const x0 = xs[i] as number;
      const y0 = ys[i] as number;
      const x1 = xs[i + 1] as number;
      const y1 = ys[i + 1] as number;
      const sx0 = Math.max(bx, Math.floor(Math.min(x0, x1)) - pad);
      const sx1 = Math.min(bx + bw, Math.ceil(Math.max(x0, x1)) + pad + 1);
      const sy0 = Math.max(by, Math.floor(Math.min(y0, y1)) - pad);
      const sy1 = Math.min(by + bh, Math.ceil(Math.max(y0, y1)) + pad + 1);
      for (let y = sy0; y < sy1; y++) {
        for (let x = sx0; x < sx1; x++) {
          const cov = clamp01(hw + 0.5 - segmentDistance(x + 0.5, y + 0.5, x0, y0, x1, y1));
          const m = (y - by) * bw + (x - bx);
          if (cov > (mask[m] as number)) mask[m] = cov;
        }
      }
    }
    for (let y = 0; y < bh; y++) {
      for (let x = 0; x < bw; x++) {
        const cov = mask[y * bw + x] as number;
        if (cov > 0) this.blend(bx + x, by + y, c, cov * alpha);
      }
    }
  }

  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, width = 1, alpha = 1): void {
    this.polyline([x0, x1], [y0, y1], c, width, alpha);
  }

  /** Disc of radius r centred at (cx, cy) in continuous pixel coordinates, soft-edged. */
  fillCircle(cx: number, cy: number, r: number, c: Rgb, alpha = 1): void {
    const x0 = Math.floor(cx - r - 1);
    const x1 = Math.ceil(cx + r + 1);
    const y0 = Math.floor(cy - r - 1);
    const y1 = Math.ceil(cy + r + 1);
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
        const cov = clamp01(r + 0.5 - d);
        if (cov > 0) this.blend(x, y, c, cov * alpha);
      }
    }
  }

  /** Ring of radius r and thickness t (centred on r), soft-edged on both sides. */
  strokeCircle(cx: number, cy: number, r: number, t: number, c: Rgb, alpha = 1): void {
    const reach = r + t / 2 + 1;
    for (let y = Math.floor(cy - reach); y <= Math.ceil(cy + reach); y++) {
      for (let x = Math.floor(cx - reach); x <= Math.ceil(cx + reach); x++) {
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
        const cov = clamp01(t / 2 + 0.5 - Math.abs(d - r));
        if (cov > 0) this.blend(x, y, c, cov * alpha);
      }
    }
  }

  /** The pixels as a plain image object; shares the buffer (charts drop the raster afterwards). */
  toImage(): RgbaImage {
    return { width: this.width, height: this.height, rgba: this.rgba };
  }
}
