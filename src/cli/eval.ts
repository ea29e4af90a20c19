/** `arbex eval`: accuracy, macro-F1 and per-class metrics of a checkpoint on a dataset split. */
import { parseArgs, helpText, type FlagSpec } from './args.js';
import { modelFromCheckpoint } from './model-io.js';
import { evaluate } from '../train/trainer.js';
import { summarize } from '../train/metrics.js';
import { createLoader } from '../data/loader.js';
import { loadDirectory } from '../data/dataset-node.js';
import { synthConfig } from '../data/synth/generator.js';
import { synthSplits } from '../data/synth/splits.js';
import { CANONICAL_CLASSES } from '../data/labels.js';
import type { DataSource } from '../data/source.js';

const SPEC: Record<string, FlagSpec> = {
  checkpoint: { type: 'string', help: 'run directory (uses best) or a checkpoint .json' },
  data: { type: 'string', help: 'dataset directory; default: the synthetic test split the run was trained with' },
  split: { type: 'string', help: 'test (default) | val | train' },
  'test-time-correction': { type: 'boolean', help: 'apply the anchor correction at inference' },
  'skip-bad': { type: 'boolean', help: 'skip unreadable images (counted)' },
  json: { type: 'boolean', help: 'print one JSON object' },
  help: { type: 'boolean', help: 'show this help' },
};

export async function runEvalCommand(argv: string[]): Promise<number> {
  const { flags: f } = parseArgs(argv, SPEC, 'arbex eval');
  if (f.help) {
    console.log(helpText('Usage: arbex eval --checkpoint DIR [--data DIR] [--split test]', SPEC));
    return 0;
  }
  if (!f.checkpoint) throw new Error('arbex eval: --checkpoint is required');
  const { model, job } = await modelFromCheckpoint(f.checkpoint as string, f['test-time-correction'] ? { testTimeCorrection: true } : {});
  const split = (f.split as string | undefined) ?? 'test';
  if (!['train', 'val', 'test'].includes(split)) throw new Error(`arbex eval: --split ${split}: expected train, val or test`);
  let source: DataSource | undefined;
  const dir = (f.data as string | undefined) ?? job.data.dir;
  if (dir) source = loadDirectory(dir, { skipBad: Boolean(f['skip-bad']) }).splits[split as 'train' | 'val' | 'test'];
  else source = synthSplits(synthConfig({ size: Math.max(job.config.inputSize, 64), seed: job.seed, ...job.data.synth }), job.data.sizes)[split as 'train' | 'val' | 'test'];
  if (!source) throw new Error(`arbex eval: ${dir} has no '${split}' split`);
  const loader = createLoader({ source, batchSize: 64, sampler: 'sequential', augment: 'eval', size: job.config.inputSize, seed: job.seed });
  const r = await evaluate(model, loader.epoch(0));
  const names = CANONICAL_CLASSES.slice(0, job.config.numClasses) as unknown as string[];
  const s = summarize(r.pred, r.cleanTruth, job.config.numClasses, names);
  if (f.json) {
    console.log(JSON.stringify({ split, n: r.pred.length, accuracy: s.accuracy, macroF1: s.macroF1, perClass: s.perClass }));
    return 0;
  }
  console.log(`${split}: ${r.pred.length} images  accuracy ${(s.accuracy * 100).toFixed(2)} %  macro-F1 ${(s.macroF1 * 100).toFixed(2)} %`);
  console.log('class      support  accuracy  precision  recall     F1');
  for (const c of s.perClass) {
    const p = (v: number | null | undefined) => (v === null || v === undefined ? '   n/a' : (v * 100).toFixed(1).padStart(6));
    console.log(`${c.name.padEnd(10)} ${String(c.support).padStart(7)}  ${p(c.accuracy)}    ${p(c.precision)}   ${p(c.recall)}  ${p(c.f1)}`);
  }
  return 0;
}
