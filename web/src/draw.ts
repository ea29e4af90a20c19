/** Small DOM and canvas helpers shared by the views (no framework). */
import type { HostImage } from '../../src/data/image.js';
import { categoryColor, heatColor } from '../../src/train/plot/colors.js';

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string | null)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null) e.append(c);
  return e;
}

export function canvas(w: number, h: number, cls = ''): [HTMLCanvasElement, CanvasRenderingContext2D] {
  const c = el('canvas', cls ? { class: cls } : {});
  c.width = w;
  c.height = h;
  const g = c.getContext('2d');
  if (!g) throw new Error('no 2-D canvas context');
  return [c, g];
}

/** A HostImage (RGB or grey) drawn at `size`×`size` pixels (nearest neighbour). */
export function imageCanvas(img: HostImage, size: number): HTMLCanvasElement {
  const [c, g] = canvas(size, size);
  g.putImageData(scaledPixels(img, size), 0, 0);
  return c;
}

function scaledPixels(img: HostImage, size: number): ImageData {
  const out = new ImageData(size, size);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const sx = Math.min(img.width - 1, Math.floor((x * img.width) / size));
      const sy = Math.min(img.height - 1, Math.floor((y * img.height) / size));
      const i = (sy * img.width + sx) * img.channels, o = (y * size + x) * 4;
      const r = img.data[i]!;
      out.data[o] = r;
      out.data[o + 1] = img.channels === 3 ? img.data[i + 1]! : r;
      out.data[o + 2] = img.channels === 3 ? img.data[i + 2]! : r;
      out.data[o + 3] = 255;
    }
  return out;
}

/** The face with a side×side map laid over it as a heat map (normalised to its own range). */
export function heatOverlay(img: HostImage, map: Float32Array, side: number, size: number, alpha = 0.55): HTMLCanvasElement {
  const [c, g] = canvas(size, size);
  const px = scaledPixels(img, size);
  let lo = Infinity, hi = -Infinity;
  for (const v of map) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const v = map[Math.min(side - 1, Math.floor((y * side) / size)) * side + Math.min(side - 1, Math.floor((x * side) / size))]!;
      const [r, gg, b] = heatColor(hi > lo ? (v - lo) / (hi - lo) : 0);
      const o = (y * size + x) * 4;
      px.data[o] = px.data[o]! * (1 - alpha) + r * alpha;
      px.data[o + 1] = px.data[o + 1]! * (1 - alpha) + gg * alpha;
      px.data[o + 2] = px.data[o + 2]! * (1 - alpha) + b * alpha;
    }
  g.putImageData(px, 0, 0);
  return c;
}

/** One channel of a [1, C, m, m] map as a grey tile (normalised to its own range). */
export function channelTile(data: Float32Array, m: number, channel: number, size: number): HTMLCanvasElement {
  const [c, g] = canvas(size, size);
  const px = new ImageData(size, size);
  const off = channel * m * m;
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < m * m; i++) [lo, hi] = [Math.min(lo, data[off + i]!), Math.max(hi, data[off + i]!)];
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const v = data[off + Math.floor((y * m) / size) * m + Math.floor((x * m) / size)]!;
      const [r, gg, b] = heatColor(hi > lo ? (v - lo) / (hi - lo) : 0.5);
      const o = (y * size + x) * 4;
      px.data[o] = r;
      px.data[o + 1] = gg;
      px.data[o + 2] = b;
      px.data[o + 3] = 255;
    }
  g.putImageData(px, 0, 0);
  return c;
}

/** A grid of the first `n` channels of a [1, C, m, m] map. */
export function featureTiles(shape: number[], data: Float32Array, n: number, size: number): HTMLElement {
  const [, C, m] = shape as [number, number, number, number];
  const box = el('div', { class: 'tiles' });
  for (let ch = 0; ch < Math.min(n, C); ch++) box.append(el('figure', {}, channelTile(data, m, ch, size), el('figcaption', { text: `ch ${ch}` })));
  return box;
}

/** A labelled bar chart of a distribution. */
export function bars(names: readonly string[], values: ArrayLike<number>, title: string, note = ''): HTMLElement {
  const grid = el('div', { class: 'bars' });
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const bar = el('div', { class: 'bar' });
    bar.style.width = `${Math.max(0, Math.min(1, v)) * 100}%`;
    if (i !== best) bar.style.opacity = '0.55';
    grid.append(el('span', { text: names[i] ?? String(i) }), el('div', { class: 'bar-bg' }, bar), el('span', { text: `${(v * 100).toFixed(1)} %` }));
  }
  return el('div', { class: 'dist' }, el('h3', { text: title }), note ? el('div', { class: 'small muted', text: note }) : null, grid);
}

/** Anchors (one colour per class) and the embedding (black star) on the anchors' principal plane. */
export function anchorPlot(anchors2d: Float32Array, perClass: number, e2d: Float32Array, names: readonly string[], size = 260): HTMLCanvasElement {
  const [c, g] = canvas(size, size, 'smooth');
  const xs: number[] = [], ys: number[] = [];
  for (let i = 0; i < anchors2d.length / 2; i++) xs.push(anchors2d[2 * i]!), ys.push(anchors2d[2 * i + 1]!);
  xs.push(e2d[0]!), ys.push(e2d[1]!);
  const pad = 30;
  const span = (v: number[]) => [Math.min(...v), Math.max(...v)] as const;
  const [x0, x1] = span(xs), [y0, y1] = span(ys);
  const sx = (x: number) => pad + ((x - x0) / (x1 - x0 || 1)) * (size - 2 * pad);
  const sy = (y: number) => size - pad - ((y - y0) / (y1 - y0 || 1)) * (size - 2 * pad);
  g.fillStyle = '#fff';
  g.fillRect(0, 0, size, size);
  g.strokeStyle = '#ddd';
  g.strokeRect(0.5, 0.5, size - 1, size - 1);
  g.font = '11px system-ui, sans-serif';
  for (let i = 0; i < xs.length - 1; i++) {
    const cls = Math.floor(i / perClass);
    const [r, gg, b] = categoryColor(cls);
    g.fillStyle = `rgb(${r},${gg},${b})`;
    g.beginPath();
    g.arc(sx(xs[i]!), sy(ys[i]!), 6, 0, 2 * Math.PI);
    g.fill();
    g.fillText(names[cls] ?? String(cls), sx(xs[i]!) + 8, sy(ys[i]!) + 4);
  }
  const ex = sx(xs[xs.length - 1]!), ey = sy(ys[ys.length - 1]!);
  g.fillStyle = '#000';
  g.beginPath();
  for (let k = 0; k < 10; k++) {
    const a = (k * Math.PI) / 5 - Math.PI / 2, rr = k % 2 ? 4 : 10;
    g.lineTo(ex + rr * Math.cos(a), ey + rr * Math.sin(a));
  }
  g.fill();
  const label = 'this face';
  const lw = g.measureText(label).width;
  g.fillText(label, ex + 10 + lw < size ? ex + 10 : ex - 10 - lw, ey < 20 ? ey + 18 : ey - 8);
  return c;
}

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

/** Line chart of several series sharing an x axis (steps). */
export function drawLines(c: HTMLCanvasElement, series: Series[], title: string, yRange?: [number, number]): void {
  const g = c.getContext('2d');
  if (!g) return;
  const W = c.width, H = c.height, L = 46, R = 10, T = 34 + 14 * series.length, B = 24;
  g.fillStyle = '#fff';
  g.fillRect(0, 0, W, H);
  const all = series.flatMap((s) => s.points);
  g.fillStyle = '#222';
  g.font = '12px system-ui, sans-serif';
  g.fillText(title, L, 14);
  if (all.length === 0) {
    g.fillStyle = '#888';
    g.fillText('no data yet', L, H / 2);
    return;
  }
  const xMax = Math.max(1, ...all.map((p) => p[0]));
  let [yMin, yMax] = yRange ?? [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  if (yMax - yMin < 1e-6) [yMin, yMax] = [yMin - 0.5, yMax + 0.5];
  const px = (x: number) => L + (x / xMax) * (W - L - R);
  const py = (y: number) => T + (1 - (y - yMin) / (yMax - yMin)) * (H - T - B);
  g.strokeStyle = '#e4e4e4';
  g.fillStyle = '#666';
  g.font = '10px system-ui, sans-serif';
  for (let k = 0; k <= 4; k++) {
    const y = yMin + ((yMax - yMin) * k) / 4;
    g.beginPath();
    g.moveTo(L, py(y));
    g.lineTo(W - R, py(y));
    g.stroke();
    g.fillText(y.toFixed(Math.abs(yMax - yMin) < 5 ? 2 : 0), 4, py(y) + 3);
  }
  g.fillText(`step ${xMax}`, W - R - 50, H - 6);
  series.forEach((s, i) => {
    g.strokeStyle = s.color;
    g.lineWidth = 1.6;
    g.beginPath();
    s.points.forEach(([x, y], j) => (j ? g.lineTo(px(x), py(y)) : g.moveTo(px(x), py(y))));
    g.stroke();
    if (s.points.length === 1) {
      g.fillStyle = s.color;
      g.fillRect(px(s.points[0]![0]) - 2, py(s.points[0]![1]) - 2, 4, 4);
    }
    // Legend: one line per series above the plot.
    g.fillStyle = s.color;
    g.fillRect(L, 34 + 14 * i - 7, 14, 3);
    g.font = '11px system-ui, sans-serif';
    g.fillText(s.name, L + 20, 34 + 14 * i - 3);
  });
  g.lineWidth = 1;
}
