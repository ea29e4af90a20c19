// Classification metrics computed on the host from predicted and true class ids.
// Everything derives from one confusion matrix so the numbers in a report can't disagree.

/** Anything indexable by number: typed arrays from readback or plain arrays from JSON. */
export type Labels = ArrayLike<number>;

export interface ClassMetrics {
  name: string;
  /** Number of samples whose true class is this one. */
  support: number;
  /** Fraction of this class's samples predicted correctly (= recall); null when support is 0. */
  accuracy: number | null;
  /** null when the class was never predicted (precision is undefined, not 0). */
  precision: number | null;
  /** null when the class is absent from the truth. */
  recall: number | null;
  /** 0 when precision + recall = 0; null when the class is absent from both truth and prediction. */
  f1: number | null;
}

export interface Summary {
  /** NaN when there are no samples. */
  accuracy: number;
  /** NaN when there are no samples. */
  macroF1: number;
  perClass: ClassMetrics[];
  /** Row-major [numClasses, numClasses]; row = true class, column = predicted class. */
  confusion: Int32Array;
}

function checkInputs(pred: Labels, truth: Labels, numClasses: number): void {
  if (pred.length !== truth.length) {
    throw new RangeError(`metrics: ${pred.length} predictions but ${truth.length} labels`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`metrics: numClasses must be a positive integer, got ${numClasses}`);
  }
}

/** Counts (true class, predicted class) pairs; a label outside [0, numClasses) is an error, not skipped. */
export function confusionMatrix(pred: Labels, truth: Labels, numClasses: number): Int32Array {
  checkInputs(pred, truth, numClasses);
  const m = new Int32Array(numClasses * numClasses);
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i] as number;
    const t = truth[i] as number;
    if (!(Number.isInteger(p) && p >= 0 && p < numClasses)) {
      throw new RangeError(`metrics: prediction ${p} at index ${i} is not a class in [0, ${numClasses})`);
    }
    if (!(Number.isInteger(t) && t >= 0 && t < numClasses)) {
      throw new RangeError(`metrics: label ${t} at index ${i} is not a class in [0, ${numClasses})`);
    }
    m[t * numClasses + p]! += 1;
  }
  return m;
}

/** Fraction correct; NaN for empty input (0 would look like a real, terrible result). */
export function accuracy(pred: Labels, truth: Labels): number {
  if (pred.length !== truth.length) {
    throw new RangeError(`metrics: ${pred.length} predictions but ${truth.length} labels`);
  }
  if (pred.length === 0) return NaN;
  let ok = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === truth[i]) ok++;
  return ok / pred.length;
}

/** Per-class totals read off a confusion matrix: true positives, row sums, column sums. */
function tallies(m: Int32Array, c: number): { tp: Int32Array; support: Int32Array; predicted: Int32Array } {
  const tp = new Int32Array(c);
  const support = new Int32Array(c);
  const predicted = new Int32Array(c);
  for (let t = 0; t < c; t++) {
    for (let p = 0; p < c; p++) {
      const v = m[t * c + p] as number;
      support[t]! += v;
      predicted[p]! += v;
      if (t === p) tp[t] = v;
    }
  }
  return { tp, support, predicted };
}

/** Recall per class; null for classes absent from the truth (so no NaN reaches a table or JSON). */
export function perClassAccuracy(pred: Labels, truth: Labels, numClasses: number): (number | null)[] {
  const { tp, support } = tallies(confusionMatrix(pred, truth, numClasses), numClasses);
  return Array.from(support, (s, k) => (s > 0 ? (tp[k] as number) / s : null));
}

/**
 * Mean F1 over classes that occur in the truth or the predictions. F1 = 2TP / (2TP + FP + FN),
 * which equals 2PR/(P+R) and is 0 when TP = 0 (precision + recall = 0). A class absent from both
 * has no errors to score and is left out rather than counted as 0 or 1.
 */
export function macroF1(pred: Labels, truth: Labels, numClasses: number): number {
  return macroF1FromConfusion(confusionMatrix(pred, truth, numClasses), numClasses);
}

function f1Of(tp: number, support: number, predicted: number): number | null {
  if (support === 0 && predicted === 0) return null;
  // FP = predicted - tp, FN = support - tp, so 2TP + FP + FN = support + predicted.
  return (2 * tp) / (support + predicted);
}

function macroF1FromConfusion(m: Int32Array, c: number): number {
  const { tp, support, predicted } = tallies(m, c);
  let sum = 0;
  let count = 0;
  for (let k = 0; k < c; k++) {
    const f = f1Of(tp[k] as number, support[k] as number, predicted[k] as number);
    if (f === null) continue;
    sum += f;
    count++;
  }
  return count === 0 ? NaN : sum / count;
}

/** Everything a report needs, from one pass over the labels. */
export function summarize(pred: Labels, truth: Labels, numClasses: number, classNames: readonly string[]): Summary {
  if (classNames.length !== numClasses) {
    throw new RangeError(`metrics: ${classNames.length} class names for ${numClasses} classes`);
  }
  const confusion = confusionMatrix(pred, truth, numClasses);
  const { tp, support, predicted } = tallies(confusion, numClasses);
  const perClass: ClassMetrics[] = classNames.map((name, k) => {
    const t = tp[k] as number;
    const s = support[k] as number;
    const p = predicted[k] as number;
    const recall = s > 0 ? t / s : null;
    return {
      name,
      support: s,
      accuracy: recall,
      precision: p > 0 ? t / p : null,
      recall,
      f1: f1Of(t, s, p),
    };
  });
  return {
    accuracy: pred.length === 0 ? NaN : tp.reduce((a, b) => a + b, 0) / pred.length,
    macroF1: macroF1FromConfusion(confusion, numClasses),
    perClass,
    confusion,
  };
}

export interface MeanStd {
  mean: number;
  /** Sample standard deviation (divides by n − 1); NaN when n < 2, where it is undefined. */
  std: number;
  n: number;
}

/** Mean and sample std of a few runs (e.g. seeds); non-finite values are an error, not skipped. */
export function meanStd(values: readonly number[]): MeanStd {
  const n = values.length;
  for (const v of values) {
    if (!Number.isFinite(v)) throw new RangeError(`meanStd: non-finite value ${v}`);
  }
  if (n === 0) return { mean: NaN, std: NaN, n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, std: NaN, n };
  // Two-pass sum of squared deviations: stable for values with a large common offset.
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return { mean, std: Math.sqrt(ss / (n - 1)), n };
}

/** "85.20 ± 1.31" for tables; the ± part is dropped when std is undefined (one run). */
export function formatMeanStd(m: MeanStd, digits = 2, scale = 1): string {
  if (m.n === 0) return 'n/a';
  const mean = (m.mean * scale).toFixed(digits);
  return Number.isFinite(m.std) ? `${mean} ± ${(m.std * scale).toFixed(digits)}` : mean;
}
