/**
 * Writes a freshly initialised checkpoint of a configuration (no training), for checking
 * `arbex export` against PyTorch at full size:
 *   npx tsx scripts/pth/init-checkpoint.ts --config full --out /tmp/full-init [--seed 1]
 * (--config accepts what `arbex train --config` accepts).
 */
import { mkdirSync } from 'node:fs';
import { initNodeEngine } from '../../src/runtime/device-node.js';
import { manualSeed } from '../../src/tensor/create.js';
import { ArbexModel } from '../../src/models/arbex/model.js';
import { saveCheckpoint } from '../../src/train/checkpoint-node.js';
import { DEFAULT_JOB } from '../../src/train/run-node.js';
import { loadConfig } from '../../src/cli/train.js';

const arg = (name: string, dflt?: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};

async function run(): Promise<void> {
  const out = arg('out');
  if (!out) throw new Error('--out DIR is required');
  await initNodeEngine();
  const seed = Number(arg('seed', '1'));
  manualSeed(seed);
  const cfg = loadConfig(arg('config', 'full'));
  const model = new ArbexModel(cfg);
  mkdirSync(out, { recursive: true });
  await saveCheckpoint(out, 'init', model, null, { options: { ...DEFAULT_JOB, config: cfg, out, seed } });
  console.log(`${out}/init.json: ${cfg.name}, ${[...model.stateDict().keys()].length} tensors`);
}

run().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
