// Line chart: loss and accuracy curves.
import { categoryColor } from './colors.js';
import { finiteExtent, xyFrame, type ChartImage } from './frame.js';
import type { Rgb } from './raster.js';

export interface LineSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Defaults to the category palette by series index. */
  color?: Rgb;
}

export interface LineChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  series: LineSeries[];
  width?: number;
  height?: number;
  /** Fixed y extent (e.g. [0, 1] for accuracy); data outside it is clipped. Default: the data's. */
  yRange?: [number, number];
  xRange?: [number, number];
  lineWidth?: number;
  textScale?: number;
}

export function lineChart(o: LineChartOptions): ChartImage {
  const width = o.width ?? 800;
  const height = o.height ?? 500;
  for (const s of o.series) {
    if (s.x.length !== s.y.length) {
      throw new RangeError(`lineChart: series '${s.name}' has ${s.x.length} x values but ${s.y.length} y values`);
    }
  }
  const colors = o.series.map((s, i) => s.color ?? categoryColor(i));
  const xr = o.xRange ?? finiteExtent(o.series.map((s) => s.x));
  const yr = o.yRange ?? finiteExtent(o.series.map((s) => s.y));
  const f = xyFrame({
    width,
    height,
    title: o.title,
    xLabel: o.xLabel,
    yLabel: o.yLabel,
    xRange: xr,
    yRange: yr,
    legend: o.series.map((s, i) => ({ name: s.name, color: colors[i] as Rgb, kind: 'line' as const })),
    textScale: o.textScale,
  });
  const lw = o.lineWidth ?? Math.max(1.5, width / 400);
  f.raster.setClip(f.plot);
  o.series.forEach((s, i) => {
    const xs = Float64Array.from(s.x, (v) => f.px(v));
    const ys = Float64Array.from(s.y, (v) => f.py(v));
    f.raster.polyline(xs, ys, colors[i] as Rgb, lw);
  });
  f.raster.setClip();
  return {
    ...f.raster.toImage(),
    plot: f.plot,
    xDomain: [f.xTicks.min, f.xTicks.max],
    yDomain: [f.yTicks.min, f.yTicks.max],
  };
}
