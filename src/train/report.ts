// The end-of-run report: a markdown page plus its figures, built from plain arrays so the
// trainer (or a script re-reading a JSONL log) can produce it without the engine. Browser-safe:
// this file only builds text and rasters; report-node.ts writes them to disk.
import { summarize, type Summary } from './metrics.js';
import { confusionMatrixChart, lineChart, scatterChart, type RgbaImage, type ScatterPoint } from './plot.js';
import { fitPca2d } from './projection.js';

/** One row of training history. Accuracies and F1 are fractions in [0, 1]. */
export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAcc: number;
  valLoss?: number;
  valAcc?: number;
  valF1?: number;
  lr: number;
  /** Wall time of the epoch (training + validation). */
  seconds: number;
  /** Reliability balancing over the epoch's training samples, when it was on. */
  dynamics?: EpochDynamics;
}

/**
 * How reliability balancing acted during an epoch: mean confidences of p, t and v, and how often
 * the corrected distribution's top class differs from the label given — separately for samples
 * whose given label is wrong (noisy; known for synthetic data) and right (clean).
 */
export interface EpochDynamics {
  cp: number;
  ct: number;
  cv: number;
  noisy: number;
  noisyChanged: number;
  /** Of the changed noisy samples, how many moved to their true class. */
  noisyFixed: number;
  clean: number;
  cleanChanged: number;
}

export type NoteValue = string | number | boolean;

export interface ReportInput {
  title: string;
  classNames: string[];
  /** Run configuration; nested objects are listed as dotted keys. */
  config?: Record<string, unknown>;
  history: EpochRecord[];
  /** Training loss of every optimizer step, in order (plotted against fractional epochs). */
  stepLosses?: ArrayLike<number>;
  /** Loss terms per step (e.g. classification, anchor, center), each plotted on its own axes. */
  stepTerms?: { name: string; values: ArrayLike<number | null> }[];
  /** Per-class sample counts per split, e.g. { train: [...], val: [...] }. */
  datasetCounts?: Record<string, ArrayLike<number>>;
  /** Predictions on the held-out split the headline numbers are computed on. */
  test?: { pred: ArrayLike<number>; truth: ArrayLike<number>; split?: string };
  /** Embeddings row-major [n, dim] with their class labels, for the PCA plot. */
  embeddings?: { data: Float32Array; dim: number; labels: ArrayLike<number> };
  /** Class anchors row-major [C·K, dim] (class c owns rows c·K … c·K+K−1), drawn in the same PCA basis. */
  anchors?: Float32Array;
  /** Overrides for the time and throughput lines (default: the sum of epoch seconds). */
  timing?: { totalSeconds?: number; imagesSeen?: number };
  notes?: Record<string, NoteValue>;
  /** Shown under the title when given (left out by default so reports are reproducible). */
  date?: string;
  /** Embedding rows beyond this are subsampled (evenly) before PCA and plotting. */
  maxEmbeddingPoints?: number;
}

export interface ReportFigure {
  /** File name relative to the report directory. */
  file: string;
  caption: string;
  image: RgbaImage;
}

export interface BuiltReport {
  markdown: string;
  figures: ReportFigure[];
  /** Metrics on `test`, when given. */
  summary?: Summary;
}

// ---- formatting -----------------------------------------------------------------------------

/** Fractions as percentages; missing values as "n/a" so a table never shows NaN or null. */
export function pct(v: number | null | undefined, digits = 2): string {
  return v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : `${(v * 100).toFixed(digits)}%`;
}

export function num(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
  if (v === 0) return '0';
  const a = Math.abs(v);
  // Exponent form for learning rates and the like, without padding zeros: 5e-4, 3.333e-4.
  if (a >= 1e5 || a < 1e-3) return v.toExponential(3).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(4)));
}

/** 3723 → "1h 02m 03s"; 245 → "4m 05s"; 12.34 → "12.3s". */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'n/a';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const t = Math.round(seconds);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = t % 60;
  const two = (v: number): string => String(v).padStart(2, '0');
  return h > 0 ? `${h}h ${two(m)}m ${two(s)}s` : `${m}m ${two(s)}s`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function table(header: string[], rows: string[][]): string {
  const line = (r: string[]): string => `| ${r.map(cell).join(' | ')} |`;
  return [line(header), `|${header.map(() => ' --- ').join('|')}|`, ...rows.map(line)].join('\n');
}

/** { a: { b: 1 }, c: [1, 2] } → [["a.b", "1"], ["c", "[1,2]"]]. */
export function flattenConfig(obj: Record<string, unknown>, prefix = ''): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v)) {
      out.push(...flattenConfig(v as Record<string, unknown>, key));
    } else if (typeof v === 'string') {
      out.push([key, v]);
    } else if (ArrayBuffer.isView(v)) {
      out.push([key, `[${Array.from(v as unknown as ArrayLike<number>).join(', ')}]`]);
    } else {
      out.push([key, v === undefined ? 'undefined' : JSON.stringify(v) ?? String(v)]);
    }
  }
  return out;
}

// ---- figures ----------------------------------------------------------------------------------

function lossFigure(input: ReportInput): ReportFigure | null {
  const h = input.history;
  const steps = input.stepLosses;
  if (h.length === 0 && (!steps || steps.length === 0)) return null;
  const series = [];
  const first = h.length > 0 ? (h[0] as EpochRecord).epoch : 1;
  if (steps && steps.length > 0) {
    // Steps of epoch e sit in (e − 1, e], so per-step and per-epoch curves share the x axis.
    const perEpoch = h.length > 0 ? steps.length / h.length : 1;
    const x = Array.from({ length: steps.length }, (_, i) => (h.length > 0 ? first - 1 + (i + 1) / perEpoch : i + 1));
    series.push({ name: 'train (step)', x, y: Array.from(steps), color: [174, 199, 232] as const });
  }
  if (h.length > 0) {
    series.push({ name: 'train', x: h.map((r) => r.epoch), y: h.map((r) => r.trainLoss), color: [31, 119, 180] as const });
    if (h.some((r) => r.valLoss !== undefined)) {
      series.push({ name: 'val', x: h.map((r) => r.epoch), y: h.map((r) => r.valLoss ?? NaN), color: [255, 127, 14] as const });
    }
  }
  const image = lineChart({ title: 'Loss', xLabel: h.length > 0 ? 'epoch' : 'step', yLabel: 'loss', series });
  return { file: 'loss.png', caption: 'Loss', image };
}

/** One small chart per loss term, so terms of very different scales each stay readable. */
function termFigures(input: ReportInput): ReportFigure[] {
  const h = input.history;
  const first = h.length > 0 ? (h[0] as EpochRecord).epoch : 1;
  return (input.stepTerms ?? []).flatMap((term) => {
    const pts = Array.from(term.values, (v, i) => [i, v] as const).filter((p): p is readonly [number, number] => p[1] !== null && Number.isFinite(p[1]));
    if (pts.length === 0) return [];
    const perEpoch = h.length > 0 ? term.values.length / h.length : 1;
    const x = pts.map(([i]) => (h.length > 0 ? first - 1 + (i + 1) / perEpoch : i + 1));
    const image = lineChart({
      title: `Loss term: ${term.name}`, xLabel: h.length > 0 ? 'epoch' : 'step', yLabel: term.name,
      series: [{ name: term.name, x, y: pts.map(([, v]) => v), color: [31, 119, 180] as const }],
    });
    const file = `loss-${term.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`;
    return [{ file, caption: `Loss term: ${term.name}`, image }];
  });
}

function dynamicsFigure(input: ReportInput): ReportFigure | null {
  const h = input.history.filter((r) => r.dynamics);
  if (h.length === 0) return null;
  const x = h.map((r) => r.epoch);
  const d = (f: (e: EpochDynamics) => number) => h.map((r) => f(r.dynamics!));
  const series = [
    { name: 'c(p)', x, y: d((e) => e.cp) },
    { name: 'c(t)', x, y: d((e) => e.ct) },
    { name: 'c(v)', x, y: d((e) => e.cv) },
    { name: 'corrected ≠ given, noisy', x, y: d((e) => (e.noisy ? e.noisyChanged / e.noisy : NaN)) },
    { name: 'corrected ≠ given, clean', x, y: d((e) => (e.clean ? e.cleanChanged / e.clean : NaN)) },
  ];
  const image = lineChart({ title: 'Reliability balancing', xLabel: 'epoch', yLabel: 'fraction', series, yRange: [0, 1] });
  return { file: 'reliability.png', caption: 'Reliability balancing: mean confidences and label changes', image };
}

function accuracyFigure(input: ReportInput): ReportFigure | null {
  const h = input.history;
  if (h.length === 0) return null;
  const x = h.map((r) => r.epoch);
  const series = [{ name: 'train acc', x, y: h.map((r) => r.trainAcc) }];
  if (h.some((r) => r.valAcc !== undefined)) series.push({ name: 'val acc', x, y: h.map((r) => r.valAcc ?? NaN) });
  if (h.some((r) => r.valF1 !== undefined)) series.push({ name: 'val macro-F1', x, y: h.map((r) => r.valF1 ?? NaN) });
  const image = lineChart({ title: 'Accuracy', xLabel: 'epoch', yLabel: 'fraction', series, yRange: [0, 1] });
  return { file: 'accuracy.png', caption: 'Accuracy', image };
}

function embeddingFigure(input: ReportInput): ReportFigure | null {
  const e = input.embeddings;
  if (!e) return null;
  const total = e.labels.length;
  if (e.data.length !== total * e.dim) {
    throw new RangeError(`report: embeddings have ${e.data.length} values for ${total} labels × dim ${e.dim}`);
  }
  if (total === 0) return null;
  const maxPts = input.maxEmbeddingPoints ?? 3000;
  const keep = Math.min(total, maxPts);
  const rows = Array.from({ length: keep }, (_, i) => Math.floor((i * total) / keep));
  const sub = new Float32Array(keep * e.dim);
  rows.forEach((r, i) => sub.set(e.data.subarray(r * e.dim, (r + 1) * e.dim), i * e.dim));
  const pca = fitPca2d(sub, keep, e.dim);
  const xy = pca.project(sub, keep);
  const points: ScatterPoint[] = rows.map((r, i) => ({ x: xy[2 * i] as number, y: xy[2 * i + 1] as number, group: e.labels[r] as number }));
  const c = input.classNames.length;
  if (input.anchors && input.anchors.length > 0) {
    const rowsA = input.anchors.length / e.dim;
    if (!Number.isInteger(rowsA) || rowsA % c !== 0) {
      throw new RangeError(`report: anchors have ${input.anchors.length} values, not C·K rows of dim ${e.dim} (C = ${c})`);
    }
    const k = rowsA / c;
    const a = pca.project(input.anchors, rowsA);
    for (let i = 0; i < rowsA; i++) points.push({ x: a[2 * i] as number, y: a[2 * i + 1] as number, group: Math.floor(i / k), marker: 'anchor' });
  }
  const share = (v: number): string => (pca.totalVariance > 0 ? ` (${((100 * v) / pca.totalVariance).toFixed(1)}% var)` : '');
  const image = scatterChart({
    title: 'Embeddings (PCA)',
    xLabel: `PC1${share(pca.variance[0])}`,
    yLabel: `PC2${share(pca.variance[1])}`,
    points,
    groupNames: input.classNames,
  });
  const caption = keep < total ? `Embeddings (PCA, ${keep} of ${total} points)` : 'Embeddings (PCA)';
  return { file: 'embeddings.png', caption, image };
}

// ---- markdown -------------------------------------------------------------------------------

function bestBy(h: EpochRecord[], key: 'valAcc' | 'valF1'): EpochRecord | null {
  let best: EpochRecord | null = null;
  for (const r of h) {
    const v = r[key];
    if (v === undefined || !Number.isFinite(v)) continue;
    if (best === null || v > (best[key] as number)) best = r; // ties keep the earlier epoch
  }
  return best;
}

function datasetSection(input: ReportInput): string | null {
  const counts: Record<string, ArrayLike<number>> = { ...(input.datasetCounts ?? {}) };
  const testSplit = input.test?.split ?? 'test';
  if (input.test && !(testSplit in counts)) {
    const c = new Array<number>(input.classNames.length).fill(0);
    for (let i = 0; i < input.test.truth.length; i++) c[input.test.truth[i] as number]! += 1;
    counts[testSplit] = c;
  }
  const splits = Object.keys(counts);
  if (splits.length === 0) return null;
  const rows = input.classNames.map((name, k) => [name, ...splits.map((s) => String((counts[s] as ArrayLike<number>)[k] ?? 0))]);
  const totals = splits.map((s) => String(Array.from(counts[s] as ArrayLike<number>).reduce((a, b) => a + b, 0)));
  rows.push(['**total**', ...totals]);
  return `## Dataset\n\n${table(['Class', ...splits], rows)}`;
}

export function buildReport(input: ReportInput): BuiltReport {
  const { classNames, history } = input;
  const c = classNames.length;
  const split = input.test?.split ?? 'test';
  const Split = split.charAt(0).toUpperCase() + split.slice(1);
  const summary = input.test ? summarize(input.test.pred, input.test.truth, c, classNames) : undefined;

  const figures = [
    lossFigure(input),
    ...termFigures(input),
    accuracyFigure(input),
    dynamicsFigure(input),
    summary ? { file: 'confusion.png', caption: `Confusion matrix (${split})`, image: confusionMatrixChart(summary.confusion, classNames, { normalize: true, title: `Confusion matrix (${split}, row-normalised)` }) } : null,
    embeddingFigure(input),
  ].filter((f): f is ReportFigure => f !== null);

  const parts: string[] = [`# ${input.title}`];
  if (input.date) parts.push(`_${input.date}_`);

  const results: string[][] = [];
  if (summary) {
    results.push([`${Split} accuracy`, pct(summary.accuracy)]);
    results.push([`${Split} macro-F1`, pct(summary.macroF1)]);
  }
  const last = history[history.length - 1];
  if (last?.valAcc !== undefined) results.push([`Final validation accuracy (epoch ${last.epoch})`, pct(last.valAcc)]);
  const bestAcc = bestBy(history, 'valAcc');
  if (bestAcc) results.push([`Best validation accuracy (epoch ${bestAcc.epoch})`, pct(bestAcc.valAcc)]);
  const bestF1 = bestBy(history, 'valF1');
  if (bestF1) results.push([`Best validation macro-F1 (epoch ${bestF1.epoch})`, pct(bestF1.valF1)]);
  if (last) {
    results.push(['Final train loss', num(last.trainLoss)]);
    results.push(['Final train accuracy', pct(last.trainAcc)]);
    results.push(['Epochs', String(history.length)]);
  }
  const seconds = input.timing?.totalSeconds ?? history.reduce((a, r) => a + r.seconds, 0);
  if (seconds > 0) results.push(['Training time', duration(seconds)]);
  const images = input.timing?.imagesSeen;
  if (images !== undefined && seconds > 0) results.push(['Throughput', `${(images / seconds).toFixed(1)} img/s (${images} images)`]);
  if (results.length > 0) parts.push(`## Results\n\n${table(['Metric', 'Value'], results)}`);

  if (figures.length > 0) parts.push(`## Plots\n\n${figures.map((f) => `![${f.caption}](${f.file})`).join('\n\n')}`);

  if (summary) {
    const rows = summary.perClass.map((m) => [m.name, String(m.support), pct(m.accuracy), pct(m.precision), pct(m.recall), pct(m.f1)]);
    parts.push(`## Per-class results (${split})\n\n${table(['Class', 'Support', 'Accuracy', 'Precision', 'Recall', 'F1'], rows)}`);
    const cm = classNames.map((name, t) => [name, ...classNames.map((_, p) => String(summary.confusion[t * c + p]))]);
    parts.push(`## Confusion matrix (${split}, counts; rows = true, columns = predicted)\n\n${table(['true \\ pred', ...classNames], cm)}`);
  }

  const ds = datasetSection(input);
  if (ds) parts.push(ds);

  if (history.length > 0) {
    const rows = history.map((r) => [String(r.epoch), num(r.trainLoss), pct(r.trainAcc), num(r.valLoss), pct(r.valAcc), pct(r.valF1), num(r.lr), duration(r.seconds)]);
    parts.push(`## Training history\n\n${table(['Epoch', 'Train loss', 'Train acc', 'Val loss', 'Val acc', 'Val macro-F1', 'LR', 'Time'], rows)}`);
  }
  const dyn = history.filter((r) => r.dynamics);
  if (dyn.length > 0) {
    const frac = (a: number, b: number): string => (b > 0 ? `${pct(a / b)} (${a}/${b})` : '—');
    const rows = dyn.map((r) => {
      const d = r.dynamics!;
      return [String(r.epoch), d.cp.toFixed(3), d.ct.toFixed(3), d.cv.toFixed(3), frac(d.noisyChanged, d.noisy), frac(d.noisyFixed, d.noisy), frac(d.cleanChanged, d.clean)];
    });
    parts.push(
      '## Reliability balancing at work\n\nPer epoch over the training samples: mean confidences of the primary prediction p, the anchor ' +
        'correction t and the attention correction v; how often the corrected distribution p̂ picks a class other than the ' +
        'label given — among samples whose given label is wrong (noisy) and right (clean) — and how often it picks the ' +
        'true class of a noisy sample.\n\n' +
        table(['Epoch', 'c(p)', 'c(t)', 'c(v)', 'p̂ ≠ given (noisy)', 'p̂ = true (noisy)', 'p̂ ≠ given (clean)'], rows),
    );
  }
  if (input.config && Object.keys(input.config).length > 0) {
    parts.push(`## Configuration\n\n${table(['Key', 'Value'], flattenConfig(input.config))}`);
  }
  if (input.notes && Object.keys(input.notes).length > 0) {
    parts.push(`## Notes\n\n${table(['Key', 'Value'], Object.entries(input.notes).map(([k, v]) => [k, String(v)]))}`);
  }
  return { markdown: parts.join('\n\n') + '\n', figures, summary };
}
