// The shared frame of x/y charts: margins sized from the actual label text, title, grid, axes
// with nice ticks, axis labels and a legend to the right of the plot (outside, so it never
// hides data).
import { AXIS, GRID, INK } from './colors.js';
import { drawText, drawTextUp, textHeight, textWidth } from './font.js';
import { Raster, type Rect, type Rgb, type RgbaImage } from './raster.js';
import { formatTick, niceTicks, type Ticks } from './ticks.js';

export interface LegendEntry {
  name: string;
  color: Rgb;
  kind: 'line' | 'dot' | 'anchor';
}

/** What every chart returns: the pixels plus where the data went, so callers and tests can find it. */
export interface ChartImage extends RgbaImage {
  /** The data area in pixels. */
  plot: Rect;
  /** Data values at the plot's left/right and bottom/top edges (x/y charts only). */
  xDomain?: [number, number];
  yDomain?: [number, number];
}

export interface FrameOptions {
  width: number;
  height: number;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Data extent; widened to nice ticks. */
  xRange: [number, number];
  yRange: [number, number];
  legend: LegendEntry[];
  /** Font scale for ticks and labels (title is one larger). Defaults from the image width. */
  textScale?: number;
}

export interface Frame {
  raster: Raster;
  plot: Rect;
  xTicks: Ticks;
  yTicks: Ticks;
  /** Data → pixel-space coordinates (continuous; pixel centres are at +0.5). */
  px(x: number): number;
  py(y: number): number;
}

/** Text scale that stays legible: 1 for thumbnails, 2 for normal figures. */
export function defaultTextScale(width: number): number {
  return width >= 560 ? 2 : 1;
}

function tickLabels(t: Ticks): string[] {
  return t.ticks.map((v) => formatTick(v, t.decimals));
}

function legendWidth(entries: LegendEntry[], s: number): number {
  if (entries.length === 0) return 0;
  const names = Math.max(...entries.map((e) => textWidth(e.name, s)));
  return 4 * s + 12 * s + 4 * s + names + 4 * s;
}

export function drawLegend(r: Raster, entries: LegendEntry[], x: number, y: number, s: number): void {
  if (entries.length === 0) return;
  const pad = 4 * s;
  const lineH = textHeight(s) + pad;
  const w = legendWidth(entries, s);
  const h = pad + entries.length * lineH;
  r.fillRect(x, y, w, h, [255, 255, 255]);
  r.strokeRect({ x, y, w, h }, GRID);
  entries.forEach((e, i) => {
    const cy = y + pad + i * lineH + textHeight(s) / 2;
    const sx = x + pad;
    if (e.kind === 'line') r.line(sx, cy, sx + 12 * s, cy, e.color, 2 * s);
    else if (e.kind === 'dot') r.fillCircle(sx + 6 * s, cy, 2.5 * s, e.color);
    else {
      r.fillCircle(sx + 6 * s, cy, 4 * s, e.color);
      r.strokeCircle(sx + 6 * s, cy, 4 * s, 1.5, INK);
    }
    drawText(r, e.name, sx + 16 * s, y + pad + i * lineH, INK, s);
  });
}

/** Draws the frame (everything except the data) and returns the mapping into the plot area. */
export function xyFrame(o: FrameOptions): Frame {
  const s = o.textScale ?? defaultTextScale(o.width);
  const pad = 4 * s;
  const tick = 3 * s;
  const th = textHeight(s);
  const r = new Raster(o.width, o.height);

  const top = o.title ? textHeight(s + 1) + 2 * pad : 2 * pad;
  const bottom = tick + pad + th + (o.xLabel ? pad + th : 0) + pad;
  const plotH = o.height - top - bottom;
  const yTicks = niceTicks(o.yRange[0], o.yRange[1], Math.max(2, Math.min(8, Math.floor(plotH / (25 * s)))));
  const yLabels = tickLabels(yTicks);
  const left = pad + (o.yLabel ? th + pad : 0) + Math.max(...yLabels.map((l) => textWidth(l, s))) + pad + tick;
  const legendW = legendWidth(o.legend, s);

  // Fewer x ticks until their labels fit side by side with a gap.
  let xTicks = niceTicks(o.xRange[0], o.xRange[1], 8);
  let xLabels = tickLabels(xTicks);
  let right = 0;
  let plotW = 0;
  for (let target = 8; ; target--) {
    xTicks = niceTicks(o.xRange[0], o.xRange[1], target);
    xLabels = tickLabels(xTicks);
    const half = textWidth(xLabels[xLabels.length - 1] ?? '', s) / 2;
    right = legendW > 0 ? legendW + 2 * pad : Math.ceil(half) + 2 * pad;
    plotW = o.width - left - right;
    const widest = Math.max(...xLabels.map((l) => textWidth(l, s)));
    if (target <= 2 || (widest + 3 * pad) * xLabels.length <= plotW) break;
  }
  if (plotW < 20 || plotH < 20) {
    throw new RangeError(`chart: ${o.width}x${o.height} leaves no room for the plot; make it larger`);
  }
  const plot: Rect = { x: left, y: top, w: plotW, h: plotH };
  const px = (v: number): number => plot.x + 0.5 + ((v - xTicks.min) / (xTicks.max - xTicks.min)) * (plot.w - 1);
  const py = (v: number): number => plot.y + plot.h - 0.5 - ((v - yTicks.min) / (yTicks.max - yTicks.min)) * (plot.h - 1);

  // Grid first so data and axes draw over it.
  yTicks.ticks.forEach((v, i) => {
    const y = Math.floor(py(v));
    r.fillRect(plot.x, y, plot.w, 1, GRID);
    r.fillRect(plot.x - tick, y, tick, 1, AXIS);
    const label = yLabels[i] as string;
    drawText(r, label, plot.x - tick - pad / 2 - textWidth(label, s), y - Math.floor(th / 2), INK, s);
  });
  xTicks.ticks.forEach((v, i) => {
    const x = Math.floor(px(v));
    r.fillRect(x, plot.y, 1, plot.h, GRID);
    r.fillRect(x, plot.y + plot.h, 1, tick, AXIS);
    const label = xLabels[i] as string;
    drawText(r, label, x - Math.floor(textWidth(label, s) / 2), plot.y + plot.h + tick + pad / 2, INK, s);
  });
  r.strokeRect({ x: plot.x - 1, y: plot.y - 1, w: plot.w + 2, h: plot.h + 2 }, AXIS);

  if (o.title) {
    const ts = s + 1;
    drawText(r, o.title, Math.max(pad, Math.floor((o.width - textWidth(o.title, ts)) / 2)), pad, INK, ts);
  }
  if (o.xLabel) {
    const x = plot.x + Math.floor((plot.w - textWidth(o.xLabel, s)) / 2);
    drawText(r, o.xLabel, x, o.height - pad - th, INK, s);
  }
  if (o.yLabel) {
    const y = plot.y + Math.floor((plot.h - textWidth(o.yLabel, s)) / 2);
    drawTextUp(r, o.yLabel, pad, Math.max(0, y), INK, s);
  }
  drawLegend(r, o.legend, plot.x + plot.w + 2 * pad, plot.y, s);
  return { raster: r, plot, xTicks, yTicks, px, py };
}

/** Min and max over the finite values of several arrays; [NaN, NaN] when there are none. */
export function finiteExtent(arrays: ArrayLike<number>[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const v = a[i] as number;
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : [NaN, NaN];
}
