// Geometric augmentation as one affine map: crop, resize, flip and rotation are composed first
// and the image is resampled once (one bilinear pass instead of one per transform), and the very
// same map moves the landmarks.
import type { Rng } from '../rng.js';
import type { HostImage } from '../image.js';
import type { CropSpec } from './config.js';

/** Output pixel (u, v) → input (x, y): x = a·u + b·v + c, y = d·u + e·v + f (continuous coords). */
export interface Affine {
  a: number;
  b: number;
  c: number;
  d: number;
  e: number;
  f: number;
}

export interface GeometryDraw {
  /** Crop box in input pixels. */
  x0: number;
  y0: number;
  w: number;
  h: number;
  hflip: boolean;
  vflip: boolean;
  /** Radians, counter-clockwise in the output. */
  angle: number;
}

export function drawCrop(spec: CropSpec, W: number, H: number, size: number, rng: Rng | undefined): { x0: number; y0: number; w: number; h: number } {
  switch (spec.kind) {
    case 'full':
      return { x0: 0, y0: 0, w: W, h: H };
    case 'center':
    case 'random': {
      // Shorter side scaled to size·ratio, crop of `size` → in input pixels a square of side short/ratio.
      const side = Math.min(W, H) / spec.resizeRatio;
      const fx = spec.kind === 'random' && rng ? rng.next() : 0.5;
      const fy = spec.kind === 'random' && rng ? rng.next() : 0.5;
      return { x0: (W - side) * fx, y0: (H - side) * fy, w: side, h: side };
    }
    case 'resized': {
      const area = W * H;
      for (let attempt = 0; attempt < 10 && rng; attempt++) {
        const target = area * rng.range(spec.scale[0], spec.scale[1]);
        const logR = rng.range(Math.log(spec.ratio[0]), Math.log(spec.ratio[1]));
        const r = Math.exp(logR);
        const w = Math.sqrt(target * r);
        const h = Math.sqrt(target / r);
        if (w <= W && h <= H) return { x0: rng.range(0, W - w), y0: rng.range(0, H - h), w, h };
      }
      const side = Math.min(W, H);
      return { x0: (W - side) / 2, y0: (H - side) / 2, w: side, h: side };
    }
  }
}

export function composeAffine(g: GeometryDraw, size: number): Affine {
  // out (u,v) → un-rotate about the centre → un-flip → crop box → input.
  const cx = size / 2;
  const cos = Math.cos(-g.angle);
  const sin = Math.sin(-g.angle);
  // Rotation part: u' = cos·(u−cx) − sin·(v−cx) + cx, v' = sin·(u−cx) + cos·(v−cx) + cx
  let a = cos;
  let b = -sin;
  let c = cx - cos * cx + sin * cx;
  let d = sin;
  let e = cos;
  let f = cx - sin * cx - cos * cx;
  if (g.hflip) {
    a = -a; b = -b; c = size - c;
  }
  if (g.vflip) {
    d = -d; e = -e; f = size - f;
  }
  const sx = g.w / size;
  const sy = g.h / size;
  return { a: a * sx, b: b * sx, c: g.x0 + c * sx, d: d * sy, e: e * sy, f: g.y0 + f * sy };
}

/** Inverse map: input point → output point (for landmarks). */
export function invertAffine(m: Affine): Affine {
  const det = m.a * m.e - m.b * m.d;
  const ia = m.e / det;
  const ib = -m.b / det;
  const id = -m.d / det;
  const ie = m.a / det;
  return { a: ia, b: ib, c: -(ia * m.c + ib * m.f), d: id, e: ie, f: -(id * m.c + ie * m.f) };
}

/**
 * Resample `img` through `m` into a size×size RGB float image (0..1, HWC). Pixels falling outside
 * the input take `fill`. Grey inputs are replicated to three channels.
 */
export function warpAffine(img: HostImage, m: Affine, size: number, out: Float32Array, fill = 0): void {
  const W = img.width;
  const H = img.height;
  const C = img.channels;
  const src = img.data;
  const k = 1 / 255;
  let o = 0;
  for (let v = 0; v < size; v++) {
    // Sample at output pixel centres; input index space is continuous − 0.5.
    let x = m.a * 0.5 + m.b * (v + 0.5) + m.c - 0.5;
    let y = m.d * 0.5 + m.e * (v + 0.5) + m.f - 0.5;
    for (let u = 0; u < size; u++, x += m.a, y += m.d, o += 3) {
      if (x < -1 || y < -1 || x > W || y > H) {
        out[o] = fill;
        out[o + 1] = fill;
        out[o + 2] = fill;
        continue;
      }
      const xc = x < 0 ? 0 : x > W - 1 ? W - 1 : x;
      const yc = y < 0 ? 0 : y > H - 1 ? H - 1 : y;
      const x0 = xc | 0;
      const y0 = yc | 0;
      const x1 = x0 + 1 < W ? x0 + 1 : x0;
      const y1 = y0 + 1 < H ? y0 + 1 : y0;
      const wx = xc - x0;
      const wy = yc - y0;
      const w00 = (1 - wx) * (1 - wy) * k;
      const w01 = wx * (1 - wy) * k;
      const w10 = (1 - wx) * wy * k;
      const w11 = wx * wy * k;
      const p00 = (y0 * W + x0) * C;
      const p01 = (y0 * W + x1) * C;
      const p10 = (y1 * W + x0) * C;
      const p11 = (y1 * W + x1) * C;
      if (C === 3) {
        for (let ch = 0; ch < 3; ch++) {
          out[o + ch] = (src[p00 + ch] as number) * w00 + (src[p01 + ch] as number) * w01 + (src[p10 + ch] as number) * w10 + (src[p11 + ch] as number) * w11;
        }
      } else {
        const g = (src[p00] as number) * w00 + (src[p01] as number) * w01 + (src[p10] as number) * w10 + (src[p11] as number) * w11;
        out[o] = g;
        out[o + 1] = g;
        out[o + 2] = g;
      }
    }
  }
}
