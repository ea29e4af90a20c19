// Colours: a categorical palette for series/classes and a sequential ramp for heat maps.
import type { Rgb } from './raster.js';

/** Tableau-10: distinguishable, and the usual matplotlib defaults people recognise. */
const CATEGORY: Rgb[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];

/** Colour for series or class i; wraps after 10 (charts with more groups are rare here). */
export function categoryColor(i: number): Rgb {
  const n = CATEGORY.length;
  return CATEGORY[((i % n) + n) % n] as Rgb;
}

/** "Blues" stops from light to dark: light = 0, dark = 1, monotone in brightness. */
const BLUES: Rgb[] = [
  [247, 251, 255],
  [198, 219, 239],
  [107, 174, 214],
  [33, 113, 181],
  [8, 48, 107],
];

/** Sequential colour for t in [0, 1] (clamped); brightness decreases strictly with t. */
export function heatColor(t: number): Rgb {
  const v = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const pos = v * (BLUES.length - 1);
  const i = Math.min(BLUES.length - 2, Math.floor(pos));
  const f = pos - i;
  const a = BLUES[i] as Rgb;
  const b = BLUES[i + 1] as Rgb;
  return [
    Math.round(a[0] + (b[0] - a[0]) * f),
    Math.round(a[1] + (b[1] - a[1]) * f),
    Math.round(a[2] + (b[2] - a[2]) * f),
  ];
}

/** Relative luminance (0..255 scale), to choose black or white text over a fill. */
export function luminance(c: Rgb): number {
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

export const INK: Rgb = [34, 34, 34];
export const AXIS: Rgb = [90, 90, 90];
export const GRID: Rgb = [228, 228, 228];
