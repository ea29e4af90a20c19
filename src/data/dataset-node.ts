// Node entry points: load a dataset folder of any supported format, or write a synthetic one.
import { nodeCodec } from '../io/image/codec-node.js';
import { loadDataset } from './formats/detect.js';
import { NodeFileSink, NodeFileTree } from './formats/fs-node.js';
import type { FormatName, LoadOptions, LoadedDataset, WritableSample } from './formats/types.js';
import { writeDataset } from './formats/write.js';
import { generateSample } from './synth/generator.js';
import type { SynthConfig } from './synth/generator.js';
import type { Split } from './synth/split.js';

export function loadDirectory(dir: string, opt: Partial<LoadOptions> & { format?: FormatName } = {}): LoadedDataset {
  const tree = new NodeFileTree(dir);
  return loadDataset(tree, { ...opt, decode: opt.decode ?? nodeCodec.decode }, opt.format);
}

/** Split sizes for n samples: 80/10/10 (formats without a validation split fold it into test). */
export function splitCounts(n: number): Record<Split, number> {
  const val = Math.round(n * 0.1);
  const test = Math.round(n * 0.1);
  return { train: n - val - test, val, test };
}

export function synthSamples(cfg: SynthConfig, n: number): WritableSample[] {
  const counts = splitCounts(n);
  const out: WritableSample[] = [];
  for (const split of ['train', 'val', 'test'] as const) {
    for (let i = 0; i < counts[split]; i++) out.push({ split, sample: generateSample(cfg, split, i) });
  }
  return out;
}

export function writeSynthDataset(dir: string, format: FormatName, cfg: SynthConfig, n: number): number {
  return writeDataset(format, synthSamples(cfg, n), new NodeFileSink(dir), nodeCodec, cfg.seed);
}
