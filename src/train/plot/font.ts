// A 5×7 bitmap font for printable ASCII, defined here as data so charts need no font files or
// canvas text API. Each glyph is 7 rows of 5 bits, top row first, '1' = ink; g, j, p, q, y have
// two extra rows below the baseline, because squeezing their tails into 7 rows makes "happy"
// read as "haPPY".
import type { Raster, Rgb } from './raster.js';

export const GLYPH_W = 5;
/** Cap height: what layout reserves per line. */
export const GLYPH_H = 7;
/** Rows below the baseline that descenders use (drawn into the padding under a line). */
export const GLYPH_DESCENT = 2;
const ROWS = GLYPH_H + GLYPH_DESCENT;
/** One blank column between glyphs. */
export const ADVANCE = GLYPH_W + 1;

const GLYPHS: Record<string, string> = {
  ' ': '00000 00000 00000 00000 00000 00000 00000',
  '!': '00100 00100 00100 00100 00100 00000 00100',
  '"': '01010 01010 01010 00000 00000 00000 00000',
  '#': '01010 01010 11111 01010 11111 01010 01010',
  $: '00100 01111 10100 01110 00101 11110 00100',
  '%': '11000 11001 00010 00100 01000 10011 00011',
  '&': '01100 10010 10100 01000 10101 10010 01101',
  "'": '00100 00100 01000 00000 00000 00000 00000',
  '(': '00010 00100 01000 01000 01000 00100 00010',
  ')': '01000 00100 00010 00010 00010 00100 01000',
  '*': '00000 00100 10101 01110 10101 00100 00000',
  '+': '00000 00100 00100 11111 00100 00100 00000',
  ',': '00000 00000 00000 00000 01100 00100 01000',
  '-': '00000 00000 00000 11111 00000 00000 00000',
  '.': '00000 00000 00000 00000 00000 01100 01100',
  '/': '00000 00001 00010 00100 01000 10000 00000',
  '0': '01110 10001 10011 10101 11001 10001 01110',
  '1': '00100 01100 00100 00100 00100 00100 01110',
  '2': '01110 10001 00001 00010 00100 01000 11111',
  '3': '11111 00010 00100 00010 00001 10001 01110',
  '4': '00010 00110 01010 10010 11111 00010 00010',
  '5': '11111 10000 11110 00001 00001 10001 01110',
  '6': '00110 01000 10000 11110 10001 10001 01110',
  '7': '11111 00001 00010 00100 01000 01000 01000',
  '8': '01110 10001 10001 01110 10001 10001 01110',
  '9': '01110 10001 10001 01111 00001 00010 01100',
  ':': '00000 01100 01100 00000 01100 01100 00000',
  ';': '00000 01100 01100 00000 01100 00100 01000',
  '<': '00010 00100 01000 10000 01000 00100 00010',
  '=': '00000 00000 11111 00000 11111 00000 00000',
  '>': '01000 00100 00010 00001 00010 00100 01000',
  '?': '01110 10001 00001 00010 00100 00000 00100',
  '@': '01110 10001 00001 01101 10101 10101 01110',
  A: '01110 10001 10001 10001 11111 10001 10001',
  B: '11110 10001 10001 11110 10001 10001 11110',
  C: '01110 10001 10000 10000 10000 10001 01110',
  D: '11100 10010 10001 10001 10001 10010 11100',
  E: '11111 10000 10000 11110 10000 10000 11111',
  F: '11111 10000 10000 11110 10000 10000 10000',
  G: '01110 10001 10000 10111 10001 10001 01111',
  H: '10001 10001 10001 11111 10001 10001 10001',
  I: '01110 00100 00100 00100 00100 00100 01110',
  J: '00111 00010 00010 00010 00010 10010 01100',
  K: '10001 10010 10100 11000 10100 10010 10001',
  L: '10000 10000 10000 10000 10000 10000 11111',
  M: '10001 11011 10101 10101 10001 10001 10001',
  N: '10001 10001 11001 10101 10011 10001 10001',
  O: '01110 10001 10001 10001 10001 10001 01110',
  P: '11110 10001 10001 11110 10000 10000 10000',
  Q: '01110 10001 10001 10001 10101 10010 01101',
  R: '11110 10001 10001 11110 10100 10010 10001',
  S: '01111 10000 10000 01110 00001 00001 11110',
  T: '11111 00100 00100 00100 00100 00100 00100',
  U: '10001 10001 10001 10001 10001 10001 01110',
  V: '10001 10001 10001 10001 10001 01010 00100',
  W: '10001 10001 10001 10101 10101 10101 01010',
  X: '10001 10001 01010 00100 01010 10001 10001',
  Y: '10001 10001 10001 01010 00100 00100 00100',
  Z: '11111 00001 00010 00100 01000 10000 11111',
  '[': '01110 01000 01000 01000 01000 01000 01110',
  '\\': '00000 10000 01000 00100 00010 00001 00000',
  ']': '01110 00010 00010 00010 00010 00010 01110',
  '^': '00100 01010 10001 00000 00000 00000 00000',
  _: '00000 00000 00000 00000 00000 00000 11111',
  '`': '01000 00100 00010 00000 00000 00000 00000',
  a: '00000 00000 01110 00001 01111 10001 01111',
  b: '10000 10000 10110 11001 10001 10001 11110',
  c: '00000 00000 01110 10000 10000 10001 01110',
  d: '00001 00001 01101 10011 10001 10001 01111',
  e: '00000 00000 01110 10001 11111 10000 01110',
  f: '00110 01001 01000 11100 01000 01000 01000',
  g: '00000 00000 01111 10001 10001 10001 01111 00001 01110',
  h: '10000 10000 10110 11001 10001 10001 10001',
  i: '00100 00000 01100 00100 00100 00100 01110',
  j: '00010 00000 00110 00010 00010 00010 00010 10010 01100',
  k: '10000 10000 10010 10100 11000 10100 10010',
  l: '01100 00100 00100 00100 00100 00100 01110',
  m: '00000 00000 11010 10101 10101 10001 10001',
  n: '00000 00000 10110 11001 10001 10001 10001',
  o: '00000 00000 01110 10001 10001 10001 01110',
  p: '00000 00000 11110 10001 10001 10001 11110 10000 10000',
  q: '00000 00000 01111 10001 10001 10001 01111 00001 00001',
  r: '00000 00000 10110 11001 10000 10000 10000',
  s: '00000 00000 01110 10000 01110 00001 11110',
  t: '01000 01000 11100 01000 01000 01001 00110',
  u: '00000 00000 10001 10001 10001 10011 01101',
  v: '00000 00000 10001 10001 10001 01010 00100',
  w: '00000 00000 10001 10001 10101 10101 01010',
  x: '00000 00000 10001 01010 00100 01010 10001',
  y: '00000 00000 10001 10001 10001 10001 01111 00001 01110',
  z: '00000 00000 11111 00010 00100 01000 11111',
  '{': '00010 00100 00100 01000 00100 00100 00010',
  '|': '00100 00100 00100 00100 00100 00100 00100',
  '}': '01000 00100 00100 00010 00100 00100 01000',
  '~': '00000 00000 01000 10101 00010 00000 00000',
};

/** Characters outside the table (e.g. 'é', '±') render as this hollow box rather than vanish. */
const MISSING = '11111 10001 10001 10001 10001 10001 11111';

/** Parsed glyphs: ROWS × GLYPH_W bits per character (descent rows zero when unused), built on first use. */
const parsed = new Map<string, Uint8Array>();

function parse(spec: string): Uint8Array {
  const rows = spec.split(' ');
  const bits = new Uint8Array(GLYPH_W * ROWS);
  rows.forEach((row, y) => {
    for (let x = 0; x < GLYPH_W; x++) bits[y * GLYPH_W + x] = row[x] === '1' ? 1 : 0;
  });
  return bits;
}

/** The bitmap for one character: (GLYPH_H + GLYPH_DESCENT) rows × GLYPH_W, row-major, 1 = ink. */
export function glyph(ch: string): Uint8Array {
  let g = parsed.get(ch);
  if (!g) {
    g = parse(GLYPHS[ch] ?? MISSING);
    parsed.set(ch, g);
  }
  return g;
}

/** Every character the font defines, for tests and for callers that want to sanitise text. */
export function fontCharacters(): string[] {
  return Object.keys(GLYPHS);
}

export function hasGlyph(ch: string): boolean {
  return ch in GLYPHS;
}

/** Pixel width of text at an integer scale (no trailing gap). */
export function textWidth(text: string, scale = 1): number {
  const n = [...text].length;
  return n === 0 ? 0 : (n * ADVANCE - 1) * scale;
}

export function textHeight(scale = 1): number {
  return GLYPH_H * scale;
}

/** Draws text with its top-left corner at (x, y); each font pixel becomes a scale×scale block. */
export function drawText(r: Raster, text: string, x: number, y: number, c: Rgb, scale = 1): void {
  const x0 = Math.round(x);
  const y0 = Math.round(y);
  let i = 0;
  for (const ch of text) {
    const g = glyph(ch);
    const gx = x0 + i * ADVANCE * scale;
    for (let py = 0; py < ROWS; py++) {
      for (let px = 0; px < GLYPH_W; px++) {
        if (g[py * GLYPH_W + px]) r.fillRect(gx + px * scale, y0 + py * scale, scale, scale, c);
      }
    }
    i++;
  }
}

/**
 * Draws text rotated 90° anticlockwise (reading bottom to top), as for a y-axis label.
 * (x, y) is the top-left of the rotated box, which is textHeight wide and textWidth tall.
 */
export function drawTextUp(r: Raster, text: string, x: number, y: number, c: Rgb, scale = 1): void {
  const x0 = Math.round(x);
  const y0 = Math.round(y);
  const tw = textWidth(text, scale);
  let i = 0;
  for (const ch of text) {
    const g = glyph(ch);
    for (let py = 0; py < ROWS; py++) {
      for (let px = 0; px < GLYPH_W; px++) {
        if (!g[py * GLYPH_W + px]) continue;
        // Position u along the text and v across it map to screen x = v, y = tw - 1 - u.
        const u = (i * ADVANCE + px) * scale;
        const v = py * scale;
        r.fillRect(x0 + v, y0 + tw - u - scale, scale, scale, c);
      }
    }
    i++;
  }
}

/** Shortens text with a trailing '.' run so it fits maxWidth pixels (class names in tight cells). */
export function fitText(text: string, maxWidth: number, scale = 1): string {
  if (textWidth(text, scale) <= maxWidth) return text;
  const chars = [...text];
  while (chars.length > 1 && textWidth(chars.join('') + '..', scale) > maxWidth) chars.pop();
  const cut = chars.join('') + '..';
  return textWidth(cut, scale) <= maxWidth ? cut : '';
}
