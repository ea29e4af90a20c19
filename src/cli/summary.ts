/** `arbex summary`: per-stage table (output shape, parameters, multiply-adds) of a configuration. */
import { parseArgs, helpText, type FlagSpec } from './args.js';
import { initNodeEngine } from '../runtime/device-node.js';
import { summarizeModel, formatSummary } from '../models/arbex/summary.js';
import { loadConfig } from './train.js';

const SPEC: Record<string, FlagSpec> = {
  config: { type: 'string', help: 'tiny (default) | full | JSON file' },
  json: { type: 'boolean', help: 'print JSON with params_feature_extractor, params_total, macs and rows' },
  help: { type: 'boolean', help: 'show this help' },
};

export async function runSummaryCommand(argv: string[]): Promise<number> {
  const { flags: f } = parseArgs(argv, SPEC, 'arbex summary');
  if (f.help) {
    console.log(helpText('Usage: arbex summary [--config full|tiny] [--json]', SPEC));
    return 0;
  }
  await initNodeEngine();
  const s = summarizeModel(loadConfig(f.config as string | undefined));
  console.log(f.json ? JSON.stringify(s) : formatSummary(s));
  return 0;
}
