/**
 * `arbex export`: a project checkpoint → a state dict with the released names, as a torch.save
 * `.pth` (loads with `load_state_dict(strict=True)` in the released ARBEx / POSTER++ code) or as
 * `.safetensors`. Needs no GPU: the weights are renamed on the host.
 */
import { parseArgs, helpText, UsageError, type FlagSpec } from './args.js';
import { readCheckpointMeta, resolveCheckpoint, checkpointPaths } from '../train/checkpoint-node.js';
import { readSafetensorsFile, saveSafetensorsFile } from '../io/safetensors-node.js';
import { savePthFile } from '../io/pth-node.js';
import { exportReleased } from '../models/arbex/names/map.js';
import type { ArbexConfig } from '../models/arbex/config.js';
import type { HostTensor } from '../nn/host-tensor.js';

const SPEC: Record<string, FlagSpec> = {
  to: { type: 'string', help: 'arbex (released ARBEx: vit./classifier./anchors./self_attn. in one dict) | poster (pyramid_trans_expr2)' },
  out: { type: 'string', help: 'FILE.pth (torch.save format) or FILE.safetensors' },
  help: { type: 'boolean', help: 'show this help' },
};

export async function runExportCommand(argv: string[]): Promise<number> {
  const { flags: f, positional } = parseArgs(argv, SPEC, 'arbex export');
  if (f.help) {
    console.log(helpText('Usage: arbex export --to arbex|poster CHECKPOINT --out FILE.pth', SPEC));
    return 0;
  }
  const to = f.to as string | undefined;
  if (to !== 'arbex' && to !== 'poster') throw new UsageError(`arbex export: --to must be arbex or poster${to ? ` (got '${to}')` : ''}`);
  if (positional.length !== 1) throw new UsageError('arbex export: give exactly one checkpoint (run directory or .json)');
  const out = f.out as string | undefined;
  if (!out || !/\.(pth|pt|pth\.tar|safetensors)$/.test(out)) throw new UsageError('arbex export: --out must end in .pth, .pt or .safetensors');
  const { dir, tag } = resolveCheckpoint(positional[0]!);
  const meta = readCheckpointMeta<{ options: { config: ArbexConfig } }>(dir, tag);
  const cfg = meta.state.options.config;
  const weights: Map<string, HostTensor> = (await readSafetensorsFile(checkpointPaths(dir, tag).weights)).tensors;
  const { tensors, report } = exportReleased(to, weights, cfg);
  if (out.endsWith('.safetensors')) {
    await saveSafetensorsFile(out, new Map([...tensors].map(([k, t]) => [k, { shape: t.shape, data: t.dtype === 'int64' ? Int32Array.from(t.data) : t.data }])), { format: 'pt' });
  } else await savePthFile(out, tensors);
  console.log(`${out}: ${tensors.size} tensors with ${to === 'arbex' ? 'released ARBEx' : 'POSTER++'} names (${report.mapped} from ${dir}/${tag}, ${report.filled.length} filled, ${report.dropped.length} left out)`);
  for (const [k, how] of report.filled) console.log(`  filled ${k}: ${how}`);
  for (const [k, why] of report.dropped) console.log(`  left out ${k}: ${why}`);
  return 0;
}
