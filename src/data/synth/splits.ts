// The three synthetic splits as data sources (subject-disjoint, see split.ts).
import type { SplitSources } from '../loader.js';
import { SynthSource } from './generator.js';
import type { SynthConfig } from './generator.js';

export function synthSplits(cfg: SynthConfig, sizes: { train: number; val: number; test: number }): Required<SplitSources> & { train: SynthSource; val: SynthSource; test: SynthSource } {
  return {
    train: new SynthSource(cfg, 'train', sizes.train),
    val: new SynthSource(cfg, 'val', sizes.val),
    test: new SynthSource(cfg, 'test', sizes.test),
  };
}
