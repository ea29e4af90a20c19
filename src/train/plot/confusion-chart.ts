// Confusion-matrix heat map: rows = true class, columns = predicted class, value in each cell.
import { heatColor, INK, luminance } from './colors.js';
import { drawText, drawTextUp, fitText, textHeight, textWidth } from './font.js';
import type { ChartImage } from './frame.js';
import { Raster, type Rect } from './raster.js';

export interface ConfusionChartOptions {
  /** Divide each row by its total so cells read as recall fractions (default true). */
  normalize?: boolean;
  title?: string;
  /** Cell edge in pixels; default shrinks with the class count to keep the image ~600 px. */
  cellSize?: number;
}

/** Text scale that fits every label in a box maxW wide, preferring 2; 0 if nothing fits. */
function fitScale(labels: string[], maxW: number): number {
  for (const s of [2, 1]) if (labels.every((l) => textWidth(l, s) <= maxW)) return s;
  return 0;
}

/**
 * matrix is row-major [C, C] with C = classNames.length (as from confusionMatrix). The returned
 * `plot` is the cell grid: cell (t, p) spans plot.x + p·cell … and plot.y + t·cell ….
 */
export function confusionMatrixChart(
  matrix: ArrayLike<number>,
  classNames: string[],
  opts: ConfusionChartOptions = {},
): ChartImage {
  const c = classNames.length;
  if (c === 0 || matrix.length !== c * c) {
    throw new RangeError(`confusionMatrixChart: matrix has ${matrix.length} entries for ${c} classes`);
  }
  const normalize = opts.normalize ?? true;
  const cell = opts.cellSize ?? Math.max(28, Math.min(80, Math.floor(560 / c)));
  const s = cell >= 48 ? 2 : 1;
  const pad = 4 * s;
  const th = textHeight(s);
  const maxName = 140 * s; // long class names are shortened rather than squeezing the grid
  const names = classNames.map((n) => fitText(n, maxName, s));
  const nameW = Math.max(...names.map((n) => textWidth(n, s)));

  const rowSum = new Float64Array(c);
  let maxCount = 0;
  for (let t = 0; t < c; t++) {
    for (let p = 0; p < c; p++) {
      const v = matrix[t * c + p] as number;
      rowSum[t]! += v;
      maxCount = Math.max(maxCount, v);
    }
  }
  const value = (t: number, p: number): number | null => {
    const v = matrix[t * c + p] as number;
    if (!normalize) return v;
    const sum = rowSum[t] as number;
    return sum > 0 ? v / sum : null; // a class with no samples has no row to normalise
  };
  const label = (v: number | null): string => (v === null ? '-' : normalize ? v.toFixed(2) : String(v));
  const cellLabels: string[] = [];
  for (let t = 0; t < c; t++) for (let p = 0; p < c; p++) cellLabels.push(label(value(t, p)));
  const cs = fitScale(cellLabels, cell - 4);

  const title = opts.title ?? (normalize ? 'Confusion matrix (row-normalised)' : 'Confusion matrix');
  const top = textHeight(s + 1) + 2 * pad;
  const left = pad + th + 3 * pad + nameW + pad;
  const grid = c * cell;
  const bottom = pad + nameW + pad + th + pad;
  const width = Math.max(left + grid + 2 * pad, textWidth(title, s + 1) + 2 * pad);
  const height = top + grid + bottom;
  const r = new Raster(width, height);
  const plot: Rect = { x: left, y: top, w: grid, h: grid };

  for (let t = 0; t < c; t++) {
    for (let p = 0; p < c; p++) {
      const v = value(t, p);
      const shade = v === null ? 0 : normalize ? v : maxCount > 0 ? v / maxCount : 0;
      const fill = heatColor(shade);
      const x = plot.x + p * cell;
      const y = plot.y + t * cell;
      r.fillRect(x, y, cell, cell, fill);
      if (cs > 0) {
        const text = cellLabels[t * c + p] as string;
        const ink = luminance(fill) < 128 ? ([255, 255, 255] as const) : INK;
        const tx = x + Math.floor((cell - textWidth(text, cs)) / 2);
        const ty = y + Math.floor((cell - textHeight(cs)) / 2);
        drawText(r, text, tx, ty, ink, cs);
      }
    }
  }
  r.strokeRect({ x: plot.x - 1, y: plot.y - 1, w: grid + 2, h: grid + 2 }, INK);

  names.forEach((n, k) => {
    // Row names right-aligned against the grid; column names read upwards under it.
    drawText(r, n, plot.x - pad - textWidth(n, s), plot.y + k * cell + Math.floor((cell - th) / 2), INK, s);
    drawTextUp(r, n, plot.x + k * cell + Math.floor((cell - th) / 2), plot.y + grid + pad + nameW - textWidth(n, s), INK, s);
  });
  drawText(r, title, Math.floor((width - textWidth(title, s + 1)) / 2), pad, INK, s + 1);
  drawText(r, 'Predicted', plot.x + Math.floor((grid - textWidth('Predicted', s)) / 2), height - pad - th, INK, s);
  drawTextUp(r, 'True', pad, plot.y + Math.floor((grid - textWidth('True', s)) / 2), INK, s);
  return { ...r.toImage(), plot };
}
