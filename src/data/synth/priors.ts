// Class priors for the synthetic data, imitating the skew of the real datasets.
// Proportions come from the published training-set class counts of each dataset.

/** Canonical-order counts (neutral, happy, sad, surprise, fear, disgust, anger, contempt). */
const RAF_TRAIN = [2524, 4772, 1982, 1290, 281, 717, 705, 0];
const FER2013_TRAIN = [4965, 7215, 4830, 3171, 4097, 436, 3995, 0];
const AFFECTNET_TRAIN = [74874, 134415, 25459, 14090, 6378, 3803, 24882, 3750];

export type PriorSpec =
  | { kind: 'uniform' }
  | { kind: 'raf' }
  | { kind: 'fer2013' }
  | { kind: 'affectnet' }
  /** Exponential decay in canonical class order; largest / smallest = ratio. */
  | { kind: 'longtail'; ratio: number };

export function priorWeights(spec: PriorSpec, numClasses: number): Float64Array {
  const w = new Float64Array(numClasses);
  const from = (counts: number[]): void => {
    for (let c = 0; c < numClasses; c++) w[c] = counts[c] ?? 0;
    // Datasets without contempt still need a tiny mass on it when 8 classes are asked for.
    if (numClasses === 8 && w[7] === 0) w[7] = Math.min(...counts.slice(0, 7)) * 0.5;
  };
  switch (spec.kind) {
    case 'uniform':
      w.fill(1);
      break;
    case 'raf':
      from(RAF_TRAIN);
      break;
    case 'fer2013':
      from(FER2013_TRAIN);
      break;
    case 'affectnet':
      from(AFFECTNET_TRAIN);
      break;
    case 'longtail': {
      if (!(spec.ratio >= 1)) throw new Error(`longtail ratio must be >= 1, got ${spec.ratio}`);
      for (let c = 0; c < numClasses; c++) w[c] = spec.ratio ** (-c / (numClasses - 1));
      break;
    }
  }
  let s = 0;
  for (const v of w) s += v;
  for (let c = 0; c < numClasses; c++) w[c] = (w[c] as number) / s;
  return w;
}

/** Parse "uniform", "raf", "fer2013", "affectnet", "longtail:100" (or "longtail=100"). */
export function parsePrior(text: string): PriorSpec {
  const [name, arg] = text.split(/[:=]/, 2);
  switch (name) {
    case 'uniform':
    case 'raf':
    case 'fer2013':
    case 'affectnet':
      return { kind: name };
    case 'longtail': {
      const ratio = Number(arg ?? '10');
      if (!Number.isFinite(ratio) || ratio < 1) throw new Error(`--prior longtail:RATIO needs a ratio >= 1, got "${arg}"`);
      return { kind: 'longtail', ratio };
    }
    default:
      throw new Error(`unknown prior "${text}" (expected uniform, raf, fer2013, affectnet or longtail:RATIO)`);
  }
}
