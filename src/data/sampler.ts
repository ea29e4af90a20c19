// Index samplers: the order in which one epoch visits a dataset.
//
// BalancedSampler is ARBEx's "adaptive data refinement": every epoch draws the same number of
// samples from each class (rare classes oversampled, frequent ones subsampled), interleaved so
// that every batch is itself close to class-balanced.
import { Rng } from './rng.js';

export interface Sampler {
  /** Dataset indices for epoch `epoch` (deterministic per seed and epoch). */
  epoch(epoch: number): Int32Array;
}

/** Visits indices 0..n-1 in order (evaluation). */
export class SequentialSampler implements Sampler {
  constructor(private readonly n: number) {}
  epoch(): Int32Array {
    return Int32Array.from({ length: this.n }, (_, i) => i);
  }
}

/** A fresh permutation of 0..n-1 every epoch. */
export class ShuffleSampler implements Sampler {
  constructor(private readonly n: number, private readonly seed: number) {}
  epoch(epoch: number): Int32Array {
    const idx = Int32Array.from({ length: this.n }, (_, i) => i);
    return new Rng(this.seed, 0x5a3, epoch).shuffle(idx);
  }
}

export interface BalancedOptions {
  /**
   * Samples per class per epoch. Default: the mean class size N/C (so an epoch has about N items);
   * a smaller value caps frequent classes harder.
   */
  perClass?: number;
}

export class BalancedSampler implements Sampler {
  private readonly byClass: Int32Array[];
  readonly perClass: number;

  constructor(labels: Int32Array, numClasses: number, private readonly seed: number, opts: BalancedOptions = {}) {
    const lists: number[][] = Array.from({ length: numClasses }, () => []);
    labels.forEach((c, i) => {
      if (c >= 0 && c < numClasses) (lists[c] as number[]).push(i);
    });
    this.byClass = lists.map((l) => Int32Array.from(l));
    const present = this.byClass.filter((l) => l.length > 0).length;
    if (present === 0) throw new Error('BalancedSampler: no labelled samples');
    this.perClass = Math.max(1, Math.round(opts.perClass ?? labels.length / present));
  }

  epoch(epoch: number): Int32Array {
    const rng = new Rng(this.seed, 0xba1, epoch);
    const classes = this.byClass.map((_, c) => c).filter((c) => (this.byClass[c] as Int32Array).length > 0);
    // Per class: `perClass` indices, cycling through fresh permutations when the class is small.
    const queues = classes.map((c) => {
      const pool = this.byClass[c] as Int32Array;
      const q = new Int32Array(this.perClass);
      let filled = 0;
      while (filled < this.perClass) {
        const perm = rng.shuffle(Int32Array.from(pool));
        const take = Math.min(perm.length, this.perClass - filled);
        q.set(perm.subarray(0, take), filled);
        filled += take;
      }
      return q;
    });
    // Interleave: one of each class per round, round order shuffled, so any window of the
    // epoch (any batch) holds every class about equally often.
    const out = new Int32Array(this.perClass * classes.length);
    const order = Int32Array.from(classes.keys());
    let o = 0;
    for (let k = 0; k < this.perClass; k++) {
      rng.shuffle(order);
      for (const qi of order) out[o++] = (queues[qi] as Int32Array)[k] as number;
    }
    return out;
  }
}

/** Count of each label (labels outside 0..numClasses-1 are ignored). */
export function classCounts(labels: ArrayLike<number>, numClasses: number): Int32Array {
  const counts = new Int32Array(numClasses);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i] as number;
    if (c >= 0 && c < numClasses) counts[c] = (counts[c] as number) + 1;
  }
  return counts;
}

/**
 * Class weights for the labels a sampler actually delivers in one epoch. With class-balanced
 * batches these are 1, so the imbalance is corrected once (by the sampler), not twice: weighting
 * the loss by the dataset's inverse frequencies *and* balancing the batches would push rare
 * classes ρ times harder than common ones.
 */
export function sampledClassWeights(sampler: Sampler, labels: ArrayLike<number>, numClasses: number): Float32Array {
  return classWeights(Array.from(sampler.epoch(0), (i) => labels[i] as number), numClasses);
}

/** Inverse-frequency loss weights w_c = (N / C) / N_c (1 on balanced data, 0 for absent classes). */
export function classWeights(labels: ArrayLike<number>, numClasses: number): Float32Array {
  const counts = classCounts(labels, numClasses);
  let n = 0;
  for (const c of counts) n += c;
  const w = new Float32Array(numClasses);
  for (let c = 0; c < numClasses; c++) {
    const nc = counts[c] as number;
    w[c] = nc > 0 ? n / numClasses / nc : 0;
  }
  return w;
}
