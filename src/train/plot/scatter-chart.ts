// Scatter chart: 2-D embeddings coloured by class, with class anchors as larger outlined markers.
import { categoryColor, INK } from './colors.js';
import { finiteExtent, xyFrame, type ChartImage, type LegendEntry } from './frame.js';
import type { Rgb } from './raster.js';

export interface ScatterPoint {
  x: number;
  y: number;
  /** Index into groupNames; picks the colour. */
  group: number;
  marker?: 'dot' | 'anchor';
}

export interface ScatterChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  points: ScatterPoint[];
  groupNames: string[];
  width?: number;
  height?: number;
  /** Dot radius in pixels; default scales with the image. */
  dotRadius?: number;
  textScale?: number;
}

export function scatterChart(o: ScatterChartOptions): ChartImage {
  const width = o.width ?? 800;
  const height = o.height ?? 600;
  const xs = o.points.map((p) => p.x);
  const ys = o.points.map((p) => p.y);
  let [x0, x1] = finiteExtent([xs]);
  let [y0, y1] = finiteExtent([ys]);
  // A margin so markers at the extremes are not cut in half by the axes.
  const mx = (x1 - x0) * 0.05;
  const my = (y1 - y0) * 0.05;
  x0 -= mx;
  x1 += mx;
  y0 -= my;
  y1 += my;
  const hasAnchors = o.points.some((p) => p.marker === 'anchor');
  const legend: LegendEntry[] = o.groupNames.map((name, i) => ({ name, color: categoryColor(i), kind: 'dot' }));
  if (hasAnchors) legend.push({ name: 'anchor', color: [255, 255, 255], kind: 'anchor' });
  const f = xyFrame({
    width,
    height,
    title: o.title,
    xLabel: o.xLabel,
    yLabel: o.yLabel,
    xRange: [x0, x1],
    yRange: [y0, y1],
    legend,
    textScale: o.textScale,
  });
  const r = f.raster;
  const dot = o.dotRadius ?? Math.max(1.5, width / 320);
  r.setClip(f.plot);
  // Dots translucent so dense clusters show density; anchors opaque and on top of all dots.
  for (const p of o.points) {
    if (p.marker === 'anchor' || !Number.isFinite(p.x) || !Number.isFinite(p.y)) continue;
    r.fillCircle(f.px(p.x), f.py(p.y), dot, categoryColor(p.group), 0.75);
  }
  for (const p of o.points) {
    if (p.marker !== 'anchor' || !Number.isFinite(p.x) || !Number.isFinite(p.y)) continue;
    const cx = f.px(p.x);
    const cy = f.py(p.y);
    const rad = dot * 3;
    r.fillCircle(cx, cy, rad, categoryColor(p.group) as Rgb);
    r.strokeCircle(cx, cy, rad, Math.max(1.5, dot * 0.8), INK);
  }
  r.setClip();
  return { ...r.toImage(), plot: f.plot, xDomain: [f.xTicks.min, f.xTicks.max], yDomain: [f.yTicks.min, f.yTicks.max] };
}
