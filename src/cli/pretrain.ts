/** `arbex pretrain-landmarks`: trains the landmark stream on synthetic 68-point landmarks. */
import { parseArgs, helpText, type FlagSpec } from './args.js';
import { loadConfig } from './train.js';
import { pretrainLandmarks } from '../train/pretrain-landmarks-node.js';

const SPEC: Record<string, FlagSpec> = {
  config: { type: 'string', help: 'tiny (default) | full | JSON file' },
  epochs: { type: 'number', help: 'epochs (default 4)' },
  batch: { type: 'number', help: 'batch size (default 32)' },
  lr: { type: 'number', help: 'learning rate (default 2e-3)' },
  'train-size': { type: 'number', help: 'synthetic training faces (default 3000)' },
  'test-size': { type: 'number', help: 'synthetic test faces (default 300)' },
  seed: { type: 'number', help: 'seed (default 1)' },
  out: { type: 'string', help: 'output directory (default runs/landmarks-<config>)' },
  quiet: { type: 'boolean', help: 'no progress bar' },
  help: { type: 'boolean', help: 'show this help' },
};

export async function runPretrainCommand(argv: string[]): Promise<number> {
  const { flags: f } = parseArgs(argv, SPEC, 'arbex pretrain-landmarks');
  if (f.help) {
    console.log(helpText('Usage: arbex pretrain-landmarks [options]', SPEC));
    return 0;
  }
  const config = loadConfig(f.config as string | undefined);
  const r = await pretrainLandmarks({
    config, epochs: (f.epochs as number | undefined) ?? 4, batchSize: (f.batch as number | undefined) ?? 32, lr: (f.lr as number | undefined) ?? 2e-3,
    trainSize: (f['train-size'] as number | undefined) ?? 3000, testSize: (f['test-size'] as number | undefined) ?? 300,
    seed: (f.seed as number | undefined) ?? 1, out: (f.out as string | undefined) ?? `runs/landmarks-${config.name}`, quiet: Boolean(f.quiet),
  });
  console.log(`landmark NME (inter-ocular): before ${(r.nmeBefore * 100).toFixed(2)} %, after ${(r.nmeAfter * 100).toFixed(2)} %`);
  console.log(`saved ${r.path} (load it frozen with: arbex train --landmarks ${r.path})`);
  return 0;
}
