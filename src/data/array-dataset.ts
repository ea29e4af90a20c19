/**
 * A small in-memory dataset: named arrays that share their first axis (samples), served as
 * mini-batches of engine tensors, optionally shuffled with a seed.
 *
 *   const ds = new ArrayDataset({
 *     x: { data: pixels, shape: [n, 1, 28, 28], dtype: 'f32' },   // Uint8Array → f32 by value
 *     y: { data: labels, shape: [n] },                              // Uint8Array → i32
 *   });
 *   for (const { x, y } of ds.batches(64, { shuffle: true, seed: epoch })) { ... }
 *
 * Data is converted once, at construction, under `tensor()`'s rules (tensor/host-data.ts).
 * A batch's tensors are disposed when the loop moves to the next batch or ends (also on
 * `break`), so a loop holds one batch on the GPU at a time; `take(indices)` gives tensors the
 * caller owns.
 */
import type { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/create.js';
import type { AnyTypedArray, DType } from '../tensor/dtype.js';
import { hostData, type TensorData } from '../tensor/host-data.js';
import { ShapeError } from '../runtime/errors.js';
import { Rng } from './rng.js';

export interface ArrayField {
  /** All samples, row-major, first axis = samples. */
  data: TensorData;
  /** Full shape, [samples, ...per-sample shape]. Default [data.length]. */
  shape?: readonly number[];
  /** Engine dtype; default as `tensor()` (f32 for floats, i32 for integer arrays). */
  dtype?: DType;
}

export interface BatchOptions {
  /** Visit samples in a random order (default false: 0, 1, 2, …). */
  shuffle?: boolean;
  /**
   * Seed of the order (pass the epoch for a new, reproducible order each epoch). Without one,
   * every call draws the next seed of a fixed sequence, so a run is still reproducible.
   */
  seed?: number;
  /** Drop the last batch when it is smaller than `batchSize` (default false). */
  dropLast?: boolean;
}

/** One mini-batch: a tensor per field, [batch, ...per-sample shape]. */
export type DatasetBatch<K extends string> = { [k in K]: Tensor };

/** Host arrays of one mini-batch (no GPU needed). */
export type HostArrays<K extends string> = { [k in K]: { data: AnyTypedArray; shape: number[] } };

interface Column {
  data: AnyTypedArray;
  rowShape: number[];
  rowSize: number;
}

/** Named arrays sharing their first (sample) axis, served as mini-batches of tensors (see the file comment). */
export class ArrayDataset<K extends string = string> {
  readonly length: number;
  private readonly columns: Record<K, Column>;
  private calls = 0;

  constructor(fields: Record<K, ArrayField>) {
    const names = Object.keys(fields) as K[];
    if (!names.length) throw new ShapeError('ArrayDataset: needs at least one field');
    let n = -1;
    const cols = {} as Record<K, Column>;
    for (const k of names) {
      const f = fields[k];
      const { array, shape: inferred } = hostData(f.data, f.dtype, `ArrayDataset field '${k}'`);
      const shape = [...(f.shape ?? inferred)];
      const total = shape.reduce((a, b) => a * b, 1);
      if (!shape.length || shape.some((d) => !Number.isInteger(d) || d < 0)) throw new ShapeError(`ArrayDataset field '${k}': shape [${shape.join(', ')}] must list non-negative integers, samples first`);
      if (total !== array.length) throw new ShapeError(`ArrayDataset field '${k}': ${array.length} values do not fill shape [${shape.join(', ')}] (${total} elements)`);
      if (n >= 0 && shape[0] !== n) throw new ShapeError(`ArrayDataset: field '${k}' has ${shape[0]} samples but '${names[0]}' has ${n}`);
      n = shape[0]!;
      const rowShape = shape.slice(1);
      cols[k] = { data: array, rowShape, rowSize: rowShape.reduce((a, b) => a * b, 1) };
    }
    this.length = n;
    this.columns = cols;
  }

  /** Batches per pass over the data. */
  numBatches(batchSize: number, dropLast = false): number {
    this.checkBatchSize(batchSize);
    return dropLast ? Math.floor(this.length / batchSize) : Math.ceil(this.length / batchSize);
  }

  /** The sample order of one pass, cut into batches (pure: no GPU). */
  batchIndices(batchSize: number, opts: BatchOptions = {}): Int32Array[] {
    this.checkBatchSize(batchSize);
    const order = Int32Array.from({ length: this.length }, (_, i) => i);
    if (opts.shuffle) new Rng(opts.seed ?? this.calls, 0xda7a).shuffle(order);
    this.calls++;
    const out: Int32Array[] = [];
    for (let s = 0; s < this.length; s += batchSize) {
      const b = order.subarray(s, Math.min(s + batchSize, this.length));
      if (opts.dropLast && b.length < batchSize) break;
      out.push(b);
    }
    return out;
  }

  /** Gathers the given samples into host arrays. */
  hostBatch(indices: ArrayLike<number>): HostArrays<K> {
    const out = {} as HostArrays<K>;
    for (const k of Object.keys(this.columns) as K[]) {
      const c = this.columns[k];
      const Ctor = c.data.constructor as new (n: number) => AnyTypedArray;
      const data = new Ctor(indices.length * c.rowSize);
      for (let i = 0; i < indices.length; i++) {
        const j = indices[i]!;
        if (!Number.isInteger(j) || j < 0 || j >= this.length) throw new ShapeError(`ArrayDataset: index ${j} is outside 0..${this.length - 1}`);
        data.set(c.data.subarray(j * c.rowSize, (j + 1) * c.rowSize), i * c.rowSize);
      }
      out[k] = { data, shape: [indices.length, ...c.rowShape] };
    }
    return out;
  }

  /** The given samples as tensors the caller owns (dispose them, or create inside `tidy`). */
  take(indices: ArrayLike<number>): DatasetBatch<K> {
    const host = this.hostBatch(indices);
    const out = {} as DatasetBatch<K>;
    for (const k of Object.keys(host) as K[]) out[k] = tensor(host[k].data, host[k].shape);
    return out;
  }

  /**
   * One pass over the data as tensor batches. Each batch is disposed when the loop advances or
   * ends; keep data across iterations by copying it (or use `take`).
   */
  *batches(batchSize: number, opts: BatchOptions = {}): Generator<DatasetBatch<K>, void, undefined> {
    for (const idx of this.batchIndices(batchSize, opts)) {
      const batch = this.take(idx);
      try {
        yield batch;
      } finally {
        for (const t of Object.values(batch) as Tensor[]) t.dispose();
      }
    }
  }

  /** A dataset of the given samples (copied). */
  subset(indices: ArrayLike<number>): ArrayDataset<K> {
    const host = this.hostBatch(indices);
    const fields = {} as Record<K, ArrayField>;
    for (const k of Object.keys(host) as K[]) fields[k] = { data: host[k].data, shape: host[k].shape };
    return new ArrayDataset(fields);
  }

  /** Splits into a random [first, rest] with ⌊fraction·length⌉ samples in the first part. */
  split(fraction: number, seed = 0): [ArrayDataset<K>, ArrayDataset<K>] {
    if (!(fraction >= 0 && fraction <= 1)) throw new ShapeError(`ArrayDataset.split: fraction must be in [0, 1], got ${fraction}`);
    const order = new Rng(seed, 0x5b1).shuffle(Int32Array.from({ length: this.length }, (_, i) => i));
    const cut = Math.round(fraction * this.length);
    return [this.subset(order.subarray(0, cut)), this.subset(order.subarray(cut))];
  }

  private checkBatchSize(b: number): void {
    if (!Number.isInteger(b) || b < 1) throw new ShapeError(`ArrayDataset: batch size must be a positive integer, got ${JSON.stringify(b)}`);
  }
}
