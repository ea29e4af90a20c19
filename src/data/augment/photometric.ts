// Colour transforms on a size×size RGB float image (0..1, HWC), in place.
import type { Rng } from '../rng.js';

function lumaMean(px: Float32Array): number {
  let s = 0;
  for (let i = 0; i < px.length; i += 3) s += 0.299 * (px[i] as number) + 0.587 * (px[i + 1] as number) + 0.114 * (px[i + 2] as number);
  return s / (px.length / 3);
}

/** Brightness, contrast and saturation factors, torchvision-style (contrast around mean grey). */
export function colorJitter(px: Float32Array, bright: number, contrast: number, sat: number): void {
  const m = lumaMean(px) * bright;
  for (let i = 0; i < px.length; i += 3) {
    let r = (px[i] as number) * bright;
    let g = (px[i + 1] as number) * bright;
    let b = (px[i + 2] as number) * bright;
    r = (r - m) * contrast + m;
    g = (g - m) * contrast + m;
    b = (b - m) * contrast + m;
    const l = 0.299 * r + 0.587 * g + 0.114 * b;
    r = l + (r - l) * sat;
    g = l + (g - l) * sat;
    b = l + (b - l) * sat;
    px[i] = r < 0 ? 0 : r > 1 ? 1 : r;
    px[i + 1] = g < 0 ? 0 : g > 1 ? 1 : g;
    px[i + 2] = b < 0 ? 0 : b > 1 ? 1 : b;
  }
}

export function grayscale(px: Float32Array): void {
  for (let i = 0; i < px.length; i += 3) {
    const l = 0.299 * (px[i] as number) + 0.587 * (px[i + 1] as number) + 0.114 * (px[i + 2] as number);
    px[i] = l;
    px[i + 1] = l;
    px[i + 2] = l;
  }
}

export function invert(px: Float32Array): void {
  for (let i = 0; i < px.length; i++) px[i] = 1 - (px[i] as number);
}

/** Black-and-white at the mean luma. */
export function threshold(px: Float32Array): void {
  const m = lumaMean(px);
  for (let i = 0; i < px.length; i += 3) {
    const l = 0.299 * (px[i] as number) + 0.587 * (px[i + 1] as number) + 0.114 * (px[i + 2] as number);
    const v = l >= m ? 1 : 0;
    px[i] = v;
    px[i + 1] = v;
    px[i + 2] = v;
  }
}

/** Random erasing: a rectangle of random area fraction and aspect filled with uniform noise. */
export function randomErase(px: Float32Array, size: number, rng: Rng, area: readonly [number, number], ratio: readonly [number, number]): void {
  for (let attempt = 0; attempt < 10; attempt++) {
    const a = size * size * rng.range(area[0], area[1]);
    const r = Math.exp(rng.range(Math.log(ratio[0]), Math.log(ratio[1])));
    const h = Math.round(Math.sqrt(a * r));
    const w = Math.round(Math.sqrt(a / r));
    if (w < 1 || h < 1 || w >= size || h >= size) continue;
    const x0 = rng.int(size - w + 1);
    const y0 = rng.int(size - h + 1);
    for (let y = y0; y < y0 + h; y++) {
      for (let x = x0; x < x0 + w; x++) {
        const o = (y * size + x) * 3;
        px[o] = rng.next();
        px[o + 1] = rng.next();
        px[o + 2] = rng.next();
      }
    }
    return;
  }
}
