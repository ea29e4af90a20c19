/**
 * `arbex import`: released PyTorch weights → a project checkpoint that `train --init`, `eval` and
 * `predict` use. Formats: a released ARBEx checkpoint (one file, or the vit/classifier/anchors
 * files the released train.py writes), a POSTER++ checkpoint, or the two pretrained backbones
 * POSTER++ loads (IR-50, MobileFaceNet). Strict by default; every key is accounted for in
 * <out>/import-report.txt.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, helpText, UsageError, type FlagSpec } from './args.js';
import { loadConfig } from './train.js';
import { initNodeEngine } from '../runtime/device-node.js';
import { manualSeed } from '../tensor/create.js';
import { ArbexModel } from '../models/arbex/model.js';
import { resolveConfig, type ArbexConfig } from '../models/arbex/config.js';
import { importReleased, mergeReleasedParts, RELEASED_FORMATS, type ImportReport, type ReleasedFormat } from '../models/arbex/names/map.js';
import { permuteClasses, parseClassOrder } from '../models/arbex/names/classes.js';
import type { HostTensor } from '../nn/host-tensor.js';
import { readPthStateDictFile } from '../io/pth-node.js';
import { readSafetensorsFile } from '../io/safetensors-node.js';
import { saveCheckpoint, loadCheckpoint, readCheckpointMeta, resolveCheckpoint } from '../train/checkpoint-node.js';
import { DEFAULT_JOB } from '../train/run-node.js';

const SPEC: Record<string, FlagSpec> = {
  from: { type: 'string', help: 'arbex | poster | ir50 | mobilefacenet' },
  out: { type: 'string', help: 'output directory (the checkpoint is <out>/imported.json + .safetensors)' },
  config: { type: 'string', help: 'full (default) | tiny | a JSON config; arbex/poster adapt the head to the file' },
  classes: { type: 'string', help: "the file's class order, comma-separated (e.g. RAF-DB folders 'surprise,fear,disgust,happy,sad,anger,neutral'); reordered to the project order" },
  onto: { type: 'string', help: 'start from this checkpoint (its config and weights) instead of a fresh model, e.g. to add the landmark backbone to an imported IR-50' },
  'non-strict': { type: 'boolean', help: 'load what fits and report the rest instead of stopping' },
  seed: { type: 'number', help: 'seed for the tensors the file does not provide (default 1)' },
  verbose: { type: 'boolean', help: 'print every mapped key (always written to import-report.txt)' },
  help: { type: 'boolean', help: 'show this help' },
};

/** The architecture a released file implies (head sizes and class count read from its tensors). */
export function configForFile(format: ReleasedFormat, base: ArbexConfig, file: ReadonlyMap<string, HostTensor>): ArbexConfig {
  if (format === 'arbex') {
    const anchors = file.get('anchors.anchors');
    const hidden: number[] = [];
    for (let i = 0; file.has(`classifier.net.${4 * i + 2}.weight`); i++) hidden.push(file.get(`classifier.net.${4 * i}.weight`)!.shape[0]!);
    const last = file.get(`classifier.net.${4 * hidden.length}.weight`);
    const classes = last?.shape[0] ?? anchors?.shape[0] ?? base.numClasses;
    return resolveConfig(base, {
      headVariant: 'released', resize: 'nearest', numClasses: classes,
      head: { mlpHidden: last ? hidden : base.head.mlpHidden, anchorsPerClass: anchors?.shape[1] ?? base.head.anchorsPerClass, attentionScope: 'batch', attentionHeads: 1, reduceDim: 0 },
    });
  }
  if (format === 'poster') {
    const head = file.get('VIT.head.linear.weight');
    return resolveConfig(base, { resize: 'nearest', numClasses: head?.shape[0] ?? base.numClasses, head: { mlpHidden: [], reduceDim: 0 } });
  }
  return base;
}

export function formatImportReport(r: ImportReport, files: string[]): string {
  const lines = [`import --from ${r.format} ${files.join(' ')}`, `mapped ${r.mapped.length}, checked ${r.checked.length}, skipped ${r.skipped.length}, unplaced ${r.unplaced.length}, initialised ${r.initialised.length}, missing ${r.missing.length}`, ''];
  lines.push('## mapped (file key → project key)', ...r.mapped.map(([a, b]) => `${a} → ${b}`), '');
  lines.push('## checked (buffers verified, not stored)', ...r.checked, '');
  lines.push('## skipped (file keys not used)', ...r.skipped.map(([k, why]) => `${k}: ${why}`), '');
  lines.push('## unplaced (file keys with no place in the model)', ...r.unplaced, '');
  lines.push('## initialised (model keys not in the file)', ...r.initialised.map(([k, why]) => `${k}: ${why}`), '');
  lines.push('## missing (model keys the file should have had)', ...r.missing, '');
  return lines.join('\n');
}

export async function runImportCommand(argv: string[]): Promise<number> {
  const { flags: f, positional: files } = parseArgs(argv, SPEC, 'arbex import');
  if (f.help) {
    console.log(helpText('Usage: arbex import --from arbex|poster|ir50|mobilefacenet FILE [FILE ...] --out DIR', SPEC));
    return 0;
  }
  const format = f.from as ReleasedFormat | undefined;
  if (!format || !RELEASED_FORMATS.includes(format)) throw new UsageError(`arbex import: --from must be one of ${RELEASED_FORMATS.join(', ')}${format ? ` (got '${format}')` : ''}`);
  if (!files.length) throw new UsageError('arbex import: give the checkpoint file(s) to import');
  if (!f.out) throw new UsageError('arbex import: --out DIR is required');
  const out = f.out as string;
  const parts: { source: string; tensors: Map<string, HostTensor> }[] = [];
  for (const file of files) {
    if (file.endsWith('.safetensors')) parts.push({ source: file, tensors: (await readSafetensorsFile(file)).tensors });
    else {
      const sd = await readPthStateDictFile(file);
      if (sd.path) console.log(`${file}: weights under '${sd.path}'`);
      if (sd.skipped.length) console.log(`${file}: not weights, ignored: ${sd.skipped.join(', ')}`);
      parts.push({ source: file, tensors: sd.tensors });
    }
  }
  const { tensors: file, notes } = mergeReleasedParts(format, parts);
  notes.forEach((n) => console.log(n));
  let base: ArbexConfig;
  let onto: { dir: string; tag: string } | null = null;
  if (f.onto) {
    if (f.config) throw new UsageError('arbex import: --onto uses the checkpoint\'s config; drop --config');
    onto = resolveCheckpoint(f.onto as string);
    base = readCheckpointMeta<{ options: { config: ArbexConfig } }>(onto.dir, onto.tag).state.options.config;
  } else base = loadConfig((f.config as string | undefined) ?? 'full');
  const cfg = configForFile(format, base, file);
  await initNodeEngine();
  const seed = (f.seed as number | undefined) ?? 1;
  manualSeed(seed);
  const model = new ArbexModel(cfg);
  if (onto) await loadCheckpoint(onto.dir, onto.tag, model, null);
  const { tensors, report } = importReleased(format, file, model.stateDict(), cfg, { strict: !f['non-strict'], source: files.join(', ') });
  const placed = f.classes ? permuteClasses(tensors, parseClassOrder(f.classes as string, cfg.numClasses), cfg) : tensors;
  model.loadStateDict(placed, { strict: false });
  mkdirSync(out, { recursive: true });
  const options = { ...DEFAULT_JOB, config: cfg, out, seed };
  await saveCheckpoint(out, 'imported', model, null, { options, imported: { format, files, classes: f.classes ?? null, onto: f.onto ?? null } });
  const text = formatImportReport(report, files);
  writeFileSync(join(out, 'import-report.txt'), text);
  if (f.verbose) console.log(text);
  else {
    console.log(text.split('\n')[1]);
    for (const [k, why] of report.skipped) console.log(`  skipped ${k}: ${why}`);
    for (const k of report.unplaced) console.log(`  unplaced ${k}`);
    for (const k of report.missing) console.log(`  missing ${k}`);
    const init = new Map<string, number>();
    for (const [, why] of report.initialised) init.set(why, (init.get(why) ?? 0) + 1);
    for (const [why, n] of init) console.log(`  initialised ${n} tensor(s): ${why}`);
  }
  console.log(`checkpoint: ${join(out, 'imported.json')} (config ${cfg.name}, head ${cfg.headVariant ?? 'project'}, ${cfg.numClasses} classes); full report: ${join(out, 'import-report.txt')}`);
  console.log(`next: arbex train --init ${join(out, 'imported.json')} …  |  arbex eval --checkpoint ${join(out, 'imported.json')} --data DIR`);
  return 0;
}
