// Batches for training and evaluation: sampler → per-sample augmentation → HostBatch.
import type { HostBatch } from './batch.js';
import type { DataSource, Sample } from './source.js';
import type { Sampler } from './sampler.js';
import { BalancedSampler, SequentialSampler, ShuffleSampler } from './sampler.js';
import type { AugmentConfig, PresetName } from './augment/config.js';
import { augmentPreset, isRandom } from './augment/config.js';
import { augmentImage } from './augment/augment.js';
import { Rng } from './rng.js';

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

export type SamplerKind = 'sequential' | 'shuffle' | 'balanced';

export interface LoaderOptions {
  source: DataSource;
  batchSize: number;
  /** Default 'shuffle'. */
  sampler?: SamplerKind | Sampler;
  /** Samples per class per epoch for the balanced sampler (default N / C). */
  perClass?: number;
  /** Preset name or explicit config; default 'none' (resize the whole image). */
  augment?: PresetName | AugmentConfig;
  /** Output side in pixels. */
  size: number;
  /** 3 (default) or 1 (luma). */
  channels?: 1 | 3;
  seed: number;
  mean?: readonly number[];
  std?: readonly number[];
  /** Include landmarks (default: when the first sample has them). */
  landmarks?: boolean;
  /** Include soft labels (default: when the first sample has them). */
  softLabels?: boolean;
  /** Drop a final short batch (default false). */
  dropLast?: boolean;
}

export interface Loader extends Iterable<HostBatch> {
  readonly batchesPerEpoch: number;
  readonly samplesPerEpoch: number;
  /** The index order behind the batches (e.g. to derive loss weights from what it delivers). */
  readonly sampler: Sampler;
  /** Batches of one epoch; iterating the loader itself gives epoch 0. */
  epoch(epoch: number): Iterable<HostBatch>;
}

function makeSampler(o: LoaderOptions): Sampler {
  const s = o.sampler ?? 'shuffle';
  if (typeof s !== 'string') return s;
  if (s === 'sequential') return new SequentialSampler(o.source.length);
  if (s === 'shuffle') return new ShuffleSampler(o.source.length, o.seed);
  return new BalancedSampler(o.source.labels(), o.source.numClasses, o.seed, o.perClass !== undefined ? { perClass: o.perClass } : {});
}

export function createLoader(o: LoaderOptions): Loader {
  if (!(o.batchSize >= 1)) throw new Error(`batchSize must be >= 1, got ${o.batchSize}`);
  if (!(o.size >= 1)) throw new Error(`size must be >= 1, got ${o.size}`);
  const sampler = makeSampler(o);
  const aug = typeof o.augment === 'string' || o.augment === undefined ? augmentPreset(o.augment ?? 'none') : o.augment;
  const channels = o.channels ?? 3;
  const mean = o.mean ?? (channels === 3 ? IMAGENET_MEAN : [0.449]);
  const std = o.std ?? (channels === 3 ? IMAGENET_STD : [0.226]);
  const randomAug = isRandom(aug);
  const probe: Sample | undefined = o.source.length > 0 ? o.source.get(0) : undefined;
  const withLm = o.landmarks ?? !!probe?.landmarks;
  const withSoft = o.softLabels ?? !!probe?.softLabel;
  const perEpoch = sampler.epoch(0).length;
  const batches = o.dropLast ? Math.floor(perEpoch / o.batchSize) : Math.ceil(perEpoch / o.batchSize);
  const S = o.size;
  const C = o.source.numClasses;

  function* epoch(e: number): Generator<HostBatch> {
    const order = sampler.epoch(e);
    const px = new Float32Array(S * S * 3);
    for (let b = 0; b < batches; b++) {
      const start = b * o.batchSize;
      const n = Math.min(o.batchSize, order.length - start);
      const batch: HostBatch = {
        size: n,
        channels,
        height: S,
        width: S,
        numClasses: C,
        images: new Float32Array(n * channels * S * S),
        labels: new Int32Array(n),
        cleanLabels: new Int32Array(n),
        indices: new Int32Array(n),
      };
      if (withLm) batch.landmarks = new Float32Array(n * 136);
      if (withSoft) batch.softLabels = new Float32Array(n * C);
      for (let k = 0; k < n; k++) {
        const index = order[start + k] as number;
        const s = o.source.get(index);
        // One stream per (epoch, position): reproducible, and a sample drawn twice in an epoch
        // (balanced oversampling) gets two different augmentations.
        const rng = randomAug ? new Rng(o.seed, 0xa06, e, start + k) : undefined;
        const r = augmentImage(s.image, withLm ? s.landmarks : undefined, aug, S, rng, px);
        writeChw(px, batch.images, k * channels * S * S, S, channels, mean, std);
        batch.labels[k] = s.label;
        batch.cleanLabels[k] = s.cleanLabel;
        batch.indices[k] = index;
        if (batch.landmarks) {
          const lm = r.landmarks;
          for (let i = 0; i < 136; i++) batch.landmarks[k * 136 + i] = lm ? (lm[i] as number) / S : NaN;
        }
        if (batch.softLabels) {
          const soft = s.softLabel;
          for (let c = 0; c < C; c++) batch.softLabels[k * C + c] = soft ? (soft[c] as number) : c === s.label ? 1 : 0;
        }
      }
      yield batch;
    }
  }

  return {
    batchesPerEpoch: batches,
    samplesPerEpoch: perEpoch,
    sampler,
    epoch,
    [Symbol.iterator]: () => epoch(0),
  };
}

/** HWC 0..1 RGB → normalised CHW (or normalised luma when channels is 1). */
function writeChw(px: Float32Array, out: Float32Array, offset: number, S: number, channels: 1 | 3, mean: readonly number[], std: readonly number[]): void {
  const plane = S * S;
  if (channels === 3) {
    for (let ch = 0; ch < 3; ch++) {
      const m = mean[ch] as number;
      const inv = 1 / (std[ch] as number);
      const base = offset + ch * plane;
      for (let i = 0; i < plane; i++) out[base + i] = ((px[3 * i + ch] as number) - m) * inv;
    }
  } else {
    const m = mean[0] as number;
    const inv = 1 / (std[0] as number);
    for (let i = 0; i < plane; i++) {
      const l = 0.299 * (px[3 * i] as number) + 0.587 * (px[3 * i + 1] as number) + 0.114 * (px[3 * i + 2] as number);
      out[offset + i] = (l - m) * inv;
    }
  }
}

export interface SplitSources {
  train?: DataSource;
  val?: DataSource;
  test?: DataSource;
}

export interface SplitLoaders {
  train?: Loader;
  val?: Loader;
  test?: Loader;
}

/**
 * Train loader with the given sampler/augmentation; val and test loaders visit their split in
 * order with the deterministic 'eval' transform.
 */
export function createSplitLoaders(sources: SplitSources, o: Omit<LoaderOptions, 'source'>): SplitLoaders {
  const out: SplitLoaders = {};
  if (sources.train) out.train = createLoader({ ...o, source: sources.train });
  const evalOpts = { ...o, sampler: 'sequential' as const, augment: 'eval' as const };
  if (sources.val) out.val = createLoader({ ...evalOpts, source: sources.val });
  if (sources.test) out.test = createLoader({ ...evalOpts, source: sources.test });
  return out;
}
