// Shared types of the dataset format readers and writers.
import type { HostImage } from '../image.js';
import type { NumClasses } from '../labels.js';
import type { LoadSummary } from '../errors.js';
import { DataError, emptySummary } from '../errors.js';
import { ArraySource } from '../source.js';
import type { Sample } from '../source.js';
import type { Split } from '../synth/split.js';
import type { FileTree } from './files.js';

export type FormatName = 'raf' | 'fer2013' | 'ferplus' | 'affectnet' | 'folder';
export const FORMAT_NAMES: readonly FormatName[] = ['raf', 'fer2013', 'ferplus', 'affectnet', 'folder'];

export type DecodeImage = (bytes: Uint8Array, name: string) => HostImage;

export interface LoadOptions {
  decode: DecodeImage;
  /** Skip bad items and count them in the summary instead of throwing. */
  skipBad?: boolean;
  /** 7 (default) drops contempt; 8 keeps it as class 7. */
  numClasses?: NumClasses;
  /** FERPlus: majority vote (default) or vote distribution as soft labels. */
  ferplusMode?: 'majority' | 'probability';
  /** FERPlus: which layout to read when both are present (default: csv). */
  ferplusLayout?: 'csv' | 'folders';
}

export interface LoadedSplits {
  train?: ArraySource;
  val?: ArraySource;
  test?: ArraySource;
}

export interface LoadedDataset {
  format: FormatName;
  numClasses: NumClasses;
  splits: LoadedSplits;
  summary: LoadSummary;
}

export interface WritableSample {
  split: Split;
  sample: Sample;
}

export interface ImageEncoders {
  encodePng(img: HostImage): Uint8Array;
  encodeJpeg(img: HostImage, quality?: number): Uint8Array;
}

/** Collects samples per split and builds the result. */
export class SplitCollector {
  readonly summary = emptySummary();
  private readonly parts: Record<Split, Sample[]> = { train: [], val: [], test: [] };

  constructor(private readonly format: FormatName, private readonly numClasses: NumClasses) {}

  add(split: Split, s: Sample): void {
    this.parts[split].push(s);
    this.summary.loaded++;
  }

  result(): LoadedDataset {
    const splits: LoadedSplits = {};
    for (const k of ['train', 'val', 'test'] as const) {
      if (this.parts[k].length > 0) splits[k] = new ArraySource(`${this.format}-${k}`, this.parts[k], this.numClasses);
    }
    return { format: this.format, numClasses: this.numClasses, splits, summary: this.summary };
  }
}

/** Read and decode one image; missing or undecodable files become DataErrors. */
export function loadImage(tree: FileTree, path: string, decode: DecodeImage, listedAt?: { file: string; line: number }): HostImage {
  if (!tree.has(path)) {
    if (listedAt) throw new DataError(listedAt.file, listedAt.line, `missing image file ${path}`);
    throw new DataError(path, undefined, 'missing image file');
  }
  try {
    return decode(tree.read(path), path);
  } catch (e) {
    if (e instanceof DataError) throw e;
    const msg = (e as Error).message.startsWith(path) ? (e as Error).message.slice(path.length + 2) : (e as Error).message;
    throw new DataError(path, undefined, msg);
  }
}

/** Map a native label through a table; -1 or out of range → undefined. */
export function mapLabel(table: readonly number[], native: number, numClasses: number): number | undefined {
  const c = table[native];
  return c !== undefined && c >= 0 && c < numClasses ? c : undefined;
}
