import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pngjs from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Raster,
  confusionMatrixChart,
  drawText,
  drawTextUp,
  fitText,
  fontCharacters,
  formatTick,
  glyph,
  hasGlyph,
  lineChart,
  luminance,
  niceTicks,
  scatterChart,
  textWidth,
  type ChartImage,
  type Rgb,
} from '../../src/train/plot.js';
import { categoryColor } from '../../src/train/plot/colors.js';
import { writePng } from '../../src/train/png-node.js';

const dir = mkdtempSync(join(tmpdir(), 'plot-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pixel(img: { width: number; rgba: Uint8Array }, x: number, y: number): Rgb {
  const o = 4 * (y * img.width + x);
  return [img.rgba[o]!, img.rgba[o + 1]!, img.rgba[o + 2]!];
}

const isReddish = (c: Rgb): boolean => c[0] > 150 && c[1] < 120 && c[2] < 120 && c[0] - c[1] > 80;
const isBluish = (c: Rgb): boolean => c[2] > 150 && c[0] < 120 && c[2] - c[0] > 80;

/** Pixels in [x0, x1) × [y0, y1) matching a predicate. */
function count(img: ChartImage, x0: number, y0: number, x1: number, y1: number, pred: (c: Rgb) => boolean): number {
  let n = 0;
  for (let y = Math.max(0, y0); y < Math.min(img.height, y1); y++) {
    for (let x = Math.max(0, x0); x < Math.min(img.width, x1); x++) if (pred(pixel(img, x, y))) n++;
  }
  return n;
}

describe('raster primitives', () => {
  it('a 2-px horizontal line covers exactly the two pixel rows it straddles', () => {
    const r = new Raster(60, 20);
    r.line(10, 10, 50, 10, [255, 0, 0], 2);
    // Pixel centres at y = 9.5 and 10.5 are 0.5 from the line: coverage 1 - 0.5 + 0.5 = 1.
    expect(r.get(30, 9)).toEqual([255, 0, 0]);
    expect(r.get(30, 10)).toEqual([255, 0, 0]);
    // Centres at 8.5 and 11.5 are 1.5 away: coverage 0, untouched.
    expect(r.get(30, 8)).toEqual([255, 255, 255]);
    expect(r.get(30, 11)).toEqual([255, 255, 255]);
  });

  it('diagonal lines are anti-aliased (partial-coverage pixels exist)', () => {
    const r = new Raster(40, 40);
    r.line(2, 3, 37, 30, [0, 0, 0], 1.5);
    const greys = new Set<number>();
    for (let i = 0; i < 40 * 40; i++) greys.add(r.rgba[4 * i]!);
    expect([...greys].some((g) => g > 20 && g < 235)).toBe(true);
  });

  it('non-finite points break a polyline', () => {
    const r = new Raster(100, 20);
    r.polyline([10, 40, NaN, 60, 90], [10, 10, 10, 10, 10], [0, 0, 255], 2);
    expect(r.get(25, 10)).toEqual([0, 0, 255]);
    expect(r.get(50, 10)).toEqual([255, 255, 255]); // the gap between 40 and 60
    expect(r.get(75, 10)).toEqual([0, 0, 255]);
  });

  it('clip rectangles confine drawing; circles and rings land where asked', () => {
    const r = new Raster(50, 50);
    r.setClip({ x: 0, y: 0, w: 25, h: 50 });
    r.fillRect(0, 0, 50, 10, [0, 0, 0]);
    expect(r.get(24, 5)).toEqual([0, 0, 0]);
    expect(r.get(25, 5)).toEqual([255, 255, 255]);
    r.setClip();
    r.fillCircle(35.5, 30.5, 5, [0, 200, 0]);
    expect(r.get(35, 30)).toEqual([0, 200, 0]);
    expect(r.get(35, 38)).toEqual([255, 255, 255]);
    r.strokeCircle(10.5, 30.5, 6, 2, [0, 0, 0]);
    expect(r.get(10, 30)).toEqual([255, 255, 255]); // hollow centre
    expect(r.get(16, 30)).toEqual([0, 0, 0]); // on the ring: centre 16.5 is 6 from 10.5
  });

  it('rejects bad sizes', () => {
    expect(() => new Raster(0, 10)).toThrow(/positive integers/);
  });
});

describe('bitmap font', () => {
  it('defines every printable ASCII character as a distinct 5×7 glyph', () => {
    const chars = fontCharacters();
    for (let c = 32; c < 127; c++) expect(hasGlyph(String.fromCharCode(c))).toBe(true);
    expect(chars.length).toBe(95);
    const seen = new Set<string>();
    for (const ch of chars) {
      const g = glyph(ch);
      expect(g.length).toBe(45);
      const key = g.join('');
      expect(seen.has(key), `glyph for '${ch}' duplicates another`).toBe(false);
      seen.add(key);
      if (ch !== ' ') expect(g.some((b) => b === 1), `'${ch}' has ink`).toBe(true);
    }
    expect(hasGlyph('é')).toBe(false);
    expect(glyph('é').some((b) => b === 1)).toBe(true); // drawn as a box, not dropped
  });

  it('draws glyph bits at the right pixels, scaled and rotated', () => {
    const r = new Raster(20, 20);
    // 'A' row 0 = 01110, row 1 = 10001.
    drawText(r, 'A', 0, 0, [0, 0, 0]);
    expect(r.get(0, 0)).toEqual([255, 255, 255]);
    expect(r.get(1, 0)).toEqual([0, 0, 0]);
    expect(r.get(0, 1)).toEqual([0, 0, 0]);
    expect(r.get(2, 1)).toEqual([255, 255, 255]);
    // Scale 2: font pixel (1, 0) becomes the block x 2..3, y 0..1.
    const s = new Raster(20, 20);
    drawText(s, 'A', 0, 0, [0, 0, 0], 2);
    expect(s.get(2, 0)).toEqual([0, 0, 0]);
    expect(s.get(3, 1)).toEqual([0, 0, 0]);
    expect(s.get(1, 0)).toEqual([255, 255, 255]);
    // 'L' rotated anticlockwise: its stem becomes the bottom row, its foot the right column.
    const u = new Raster(10, 10);
    drawTextUp(u, 'L', 0, 0, [0, 0, 0]);
    for (let x = 0; x < 7; x++) expect(u.get(x, 4)).toEqual([0, 0, 0]);
    for (let y = 0; y < 5; y++) expect(u.get(6, y)).toEqual([0, 0, 0]);
    expect(u.get(0, 0)).toEqual([255, 255, 255]);
  });

  it('measures and shortens text', () => {
    expect(textWidth('ab', 1)).toBe(11);
    expect(textWidth('ab', 2)).toBe(22);
    expect(textWidth('', 2)).toBe(0);
    expect(fitText('surprise', 30, 1)).toBe('sur..');
    expect(textWidth(fitText('surprise', 30, 1), 1)).toBeLessThanOrEqual(30);
    expect(fitText('sad', 30, 1)).toBe('sad');
  });
});

describe('axis ticks', () => {
  it('picks 1/2/5 steps and widens to whole steps', () => {
    expect(niceTicks(0, 1, 5)).toMatchObject({ min: 0, max: 1, step: 0.2, decimals: 1 });
    expect(niceTicks(0, 1, 5).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.13, 0.87, 5)).toMatchObject({ min: 0, max: 1, step: 0.2 });
    expect(niceTicks(1, 37, 4)).toMatchObject({ min: 0, max: 40, step: 10, decimals: 0 });
    expect(niceTicks(-0.03, 0.02, 5).ticks).toEqual([-0.03, -0.02, -0.01, 0, 0.01, 0.02]);
  });

  it('survives degenerate ranges', () => {
    const t = niceTicks(3, 3);
    expect(t.min).toBeLessThan(3);
    expect(t.max).toBeGreaterThan(3);
    expect(niceTicks(NaN, NaN).ticks.length).toBeGreaterThan(1);
  });

  it('formats labels compactly', () => {
    expect(formatTick(0.2, 1)).toBe('0.2');
    expect(formatTick(20000, 0)).toBe('20k');
    expect(formatTick(12500, 0)).toBe('12.5k');
    expect(formatTick(2000000, 0)).toBe('2M');
    expect(formatTick(500, 0)).toBe('500');
  });
});

describe('charts', () => {
  it('line chart draws each series in its colour inside the plot area', () => {
    const x = Array.from({ length: 11 }, (_, i) => i);
    const img = lineChart({
      title: 'Loss',
      xLabel: 'epoch',
      yLabel: 'loss',
      series: [
        { name: 'train', x, y: x.map((v) => 10 - v), color: [220, 20, 20] },
        { name: 'val', x, y: x.map(() => 5), color: [20, 20, 220] },
      ],
      width: 640,
      height: 400,
    });
    expect(img.width).toBe(640);
    expect(img.height).toBe(400);
    expect(img.rgba.length).toBe(640 * 400 * 4);
    const p = img.plot;
    expect(count(img, p.x, p.y, p.x + p.w, p.y + p.h, isReddish)).toBeGreaterThan(200);
    expect(count(img, p.x, p.y, p.x + p.w, p.y + p.h, isBluish)).toBeGreaterThan(200);
    // Nothing red outside the plot except the legend swatch (right of the plot).
    expect(count(img, 0, 0, p.x, img.height, isReddish)).toBe(0);
    expect(count(img, 0, p.y + p.h + 1, p.x + p.w, img.height, isReddish)).toBe(0);
    expect(count(img, p.x + p.w + 1, p.y, img.width, p.y + 40, isReddish)).toBeGreaterThan(0);
    // The red line passes through data (5, 5), which maps linearly into the plot.
    const [x0, x1] = img.xDomain!;
    const [y0, y1] = img.yDomain!;
    const px = Math.floor(p.x + ((5 - x0) / (x1 - x0)) * (p.w - 1) + 0.5);
    const py = Math.floor(p.y + p.h - 1 - ((5 - y0) / (y1 - y0)) * (p.h - 1) + 0.5);
    expect(count(img, px - 2, py - 2, px + 3, py + 3, (c) => isReddish(c) || isBluish(c) || c[0] < 200)).toBeGreaterThan(0);
    // Text was drawn (dark pixels in the title band above the plot).
    expect(count(img, 0, 0, img.width, p.y - 2, (c) => luminance(c) < 100)).toBeGreaterThan(20);
  });

  it('line chart handles empty, single-point and NaN series and checks lengths', () => {
    expect(lineChart({ series: [] }).width).toBe(800);
    const one = lineChart({ series: [{ name: 'one', x: [1], y: [2], color: [220, 20, 20] }], width: 300, height: 200 });
    const p = one.plot;
    expect(count(one, p.x, p.y, p.x + p.w, p.y + p.h, isReddish)).toBeGreaterThan(0);
    lineChart({ series: [{ name: 'gap', x: [0, 1, 2], y: [1, NaN, 3] }] });
    expect(() => lineChart({ series: [{ name: 'bad', x: [0, 1], y: [1] }] })).toThrow(/2 x values but 1 y/);
    expect(() => lineChart({ series: [], width: 40, height: 30 })).toThrow(/no room/);
  });

  it('identity confusion matrix: diagonal cells darker than off-diagonal', () => {
    const m = Int32Array.from([10, 0, 0, 0, 7, 0, 0, 0, 3]);
    const img = confusionMatrixChart(m, ['neutral', 'happy', 'sad'], { normalize: true });
    const cell = img.plot.w / 3;
    expect(img.plot.w).toBe(img.plot.h);
    const at = (t: number, p: number): Rgb => pixel(img, Math.floor(img.plot.x + p * cell + 2), Math.floor(img.plot.y + t * cell + 2));
    for (let t = 0; t < 3; t++) {
      for (let p = 0; p < 3; p++) {
        if (t !== p) expect(luminance(at(t, t))).toBeLessThan(luminance(at(t, p)) - 100);
      }
    }
  });

  it('normalised shading follows row fractions; counts mode follows the max count', () => {
    // Row 0 = [3, 1] → 0.75, 0.25; row 1 = [0, 4] → 0, 1.
    const m = [3, 1, 0, 4];
    const img = confusionMatrixChart(m, ['a', 'b'], { normalize: true, cellSize: 60 });
    const at = (t: number, p: number): number => luminance(pixel(img, img.plot.x + p * 60 + 2, img.plot.y + t * 60 + 2));
    expect(at(1, 1)).toBeLessThan(at(0, 0));
    expect(at(0, 0)).toBeLessThan(at(0, 1));
    expect(at(0, 1)).toBeLessThan(at(1, 0));
    const counts = confusionMatrixChart(m, ['a', 'b'], { normalize: false, cellSize: 60 });
    const ct = (t: number, p: number): number => luminance(pixel(counts, counts.plot.x + p * 60 + 2, counts.plot.y + t * 60 + 2));
    expect(ct(1, 1)).toBeLessThan(ct(0, 0)); // 4 > 3
    // An empty row under normalisation must not crash or produce NaN colours.
    const empty = confusionMatrixChart([1, 0, 0, 0], ['a', 'b']);
    expect(empty.rgba.every((v) => v >= 0 && v <= 255)).toBe(true);
    expect(() => confusionMatrixChart([1, 2, 3], ['a', 'b'])).toThrow(/3 entries for 2 classes/);
  });

  it('scatter chart colours groups and draws anchors as outlined markers on top', () => {
    const points = [
      ...Array.from({ length: 50 }, (_, i) => ({ x: Math.cos(i) * 0.3, y: Math.sin(i) * 0.3, group: 0 })),
      ...Array.from({ length: 50 }, (_, i) => ({ x: 10 + Math.cos(i) * 0.3, y: 10 + Math.sin(i) * 0.3, group: 1 })),
      { x: 5, y: 5, group: 1, marker: 'anchor' as const },
    ];
    const img = scatterChart({ title: 'Embeddings', points, groupNames: ['neutral', 'happy'], width: 600, height: 500 });
    const [x0, x1] = img.xDomain!;
    const [y0, y1] = img.yDomain!;
    const p = img.plot;
    const toPx = (x: number, y: number): [number, number] => [
      Math.floor(p.x + 0.5 + ((x - x0) / (x1 - x0)) * (p.w - 1)),
      Math.floor(p.y + p.h - 0.5 - ((y - y0) / (y1 - y0)) * (p.h - 1)),
    ];
    const near = (c: Rgb, ref: Rgb, tol: number): boolean => Math.abs(c[0] - ref[0]) + Math.abs(c[1] - ref[1]) + Math.abs(c[2] - ref[2]) < tol;
    const [ax, ay] = toPx(5, 5);
    expect(near(pixel(img, ax, ay), categoryColor(1), 10)).toBe(true); // anchor filled with its class colour
    // The dark outline sits at radius ≈ 3 × dot radius (dot = 600 / 320 = 1.875).
    let dark = 0;
    for (let dx = -10; dx <= 10; dx++) for (let dy = -10; dy <= 10; dy++) if (luminance(pixel(img, ax + dx, ay + dy)) < 60) dark++;
    expect(dark).toBeGreaterThan(10);
    const [gx, gy] = toPx(0, 0);
    let blue = 0;
    for (let dx = -6; dx <= 6; dx++) for (let dy = -6; dy <= 6; dy++) if (near(pixel(img, gx + dx, gy + dy), categoryColor(0), 60)) blue++;
    expect(blue).toBeGreaterThan(5);
    const [hx, hy] = toPx(10, 10);
    let orange = 0;
    for (let dx = -6; dx <= 6; dx++) for (let dy = -6; dy <= 6; dy++) if (near(pixel(img, hx + dx, hy + dy), categoryColor(1), 60)) orange++;
    expect(orange).toBeGreaterThan(5);
  });
});

describe('PNG output', () => {
  it('writePng round-trips through pngjs and leaves no temp files', () => {
    const img = lineChart({ title: 'rt', series: [{ name: 's', x: [0, 1, 2], y: [3, 1, 2] }], width: 320, height: 240 });
    const path = join(dir, 'chart.png');
    writePng(path, img);
    const back = pngjs.PNG.sync.read(readFileSync(path));
    expect(back.width).toBe(320);
    expect(back.height).toBe(240);
    expect(Buffer.compare(back.data, Buffer.from(img.rgba))).toBe(0);
    expect(readdirSync(dir)).toEqual(['chart.png']);
  });
});
