// What a dataset looks like to the loader: an indexable list of samples whose labels can be read
// without decoding any image (samplers need the labels of the whole split up front).
import type { HostImage } from './image.js';

export interface Sample {
  image: HostImage;
  /** Training label (possibly noisy), canonical order. */
  label: number;
  /** Clean label; equals `label` for real datasets, which only have one. */
  cleanLabel: number;
  /** 68 × (x, y) in pixels of `image`. */
  landmarks?: Float32Array;
  /** Label distribution over numClasses (FERPlus votes, synthetic ambiguity). */
  softLabel?: Float32Array;
}

export interface DataSource {
  readonly name: string;
  readonly length: number;
  readonly numClasses: number;
  /** Training label of every item, in index order. */
  labels(): Int32Array;
  get(index: number): Sample;
}

/** A source over samples already in memory (what the format loaders return). */
export class ArraySource implements DataSource {
  readonly name: string;
  readonly numClasses: number;
  readonly samples: readonly Sample[];

  constructor(name: string, samples: readonly Sample[], numClasses: number) {
    this.name = name;
    this.samples = samples;
    this.numClasses = numClasses;
  }

  get length(): number {
    return this.samples.length;
  }

  labels(): Int32Array {
    return Int32Array.from(this.samples, (s) => s.label);
  }

  get(index: number): Sample {
    const s = this.samples[index];
    if (!s) throw new RangeError(`${this.name}: index ${index} out of range 0..${this.samples.length - 1}`);
    return s;
  }
}
