// The three synthetic splits as data sources (subject-disjoint, see split.ts).
import type { SplitSources } from '../loader.js';
import { SynthSource } from './generator.js';
import type { SynthConfig } from './generator.js';

/** `cacheBytes`: each split's sample-cache budget (SynthSource; default 512 MiB, 0 = none). */
export function synthSplits(cfg: SynthConfig, sizes: { train: number; val: number; test: number }, cacheBytes?: number): Required<SplitSources> & { train: SynthSource; val: SynthSource; test: SynthSource } {
  return {
    train: new SynthSource(cfg, 'train', sizes.train, cacheBytes),
    val: new SynthSource(cfg, 'val', sizes.val, cacheBytes),
    test: new SynthSource(cfg, 'test', sizes.test, cacheBytes),
  };
}
