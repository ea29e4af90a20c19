// `arbex data synth` and `arbex data inspect`: write synthetic expression datasets in the public
// formats, and look at any dataset folder (class counts and a contact sheet).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { contactSheet } from '../data/contact-sheet.js';
import type { SheetRow } from '../data/contact-sheet.js';
import { loadDirectory, splitCounts, writeSynthDataset } from '../data/dataset-node.js';
import { DataError } from '../data/errors.js';
import { writeFileAtomic } from '../data/formats/fs-node.js';
import type { FormatName } from '../data/formats/types.js';
import { FORMAT_NAMES } from '../data/formats/types.js';
import { NATIVE_SIZE } from '../data/formats/write.js';
import { className } from '../data/labels.js';
import type { NumClasses } from '../data/labels.js';
import type { Sample } from '../data/source.js';
import { DEFAULT_SYNTH, synthConfig } from '../data/synth/generator.js';
import { parseNoise } from '../data/synth/label-noise.js';
import { parsePrior } from '../data/synth/priors.js';
import { encodePng } from '../io/image/png-node.js';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const defaultIo: CliIo = {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
};

const HELP = `Usage:
  arbex data synth --out DIR --format FORMAT --n N [options]
  arbex data inspect DIR [options]

synth: write N synthetic expression faces (80/10/10 train/val/test, disjoint subjects) in a
public dataset layout.
  --out DIR          output folder (created; files are written atomically)
  --format FORMAT    raf | fer2013 | ferplus | affectnet | folder
  --n N              number of samples
  --prior P          uniform | raf | fer2013 | affectnet | longtail:RATIO   (default uniform)
  --noise N          none | sym:RATE | asym:RATE | intensity:RATE           (default none)
  --size S           image side in pixels (default: the format's own: raf 100, fer 48, else 112)
  --seed S           integer seed (default 1); same seed, same bytes
  --gray             grey images (fer2013/ferplus are always grey)
  --classes 7|8      8 adds contempt (default 7)
  --difficulty D     scale of pose/lighting/occluder variation (0 … 1 hard; default 0.3)
  --min-intensity I  weakest expression intensity (0 … 1; default 0.6)

inspect: detect the format of DIR, print class counts per split and write a contact sheet.
  --out FILE         contact sheet path (default DIR/contact-sheet.png)
  --per-class K      samples per class on the sheet (default 8)
  --landmarks        draw landmarks where the dataset has them
  --skip-bad         skip corrupt/missing/unlabelled items and report them
  --format FORMAT    skip detection
  --classes 7|8      (default 7)
  --ferplus-mode M   majority | probability (default majority)
`;

class UsageError extends Error {}

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

const BOOLEAN_FLAGS = new Set(['gray', 'landmarks', 'skip-bad', 'help']);

function parseArgs(args: string[], allowed: readonly string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '-h') {
      flags.set('help', true);
      continue;
    }
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    let name = a.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (!allowed.includes(name) && name !== 'help') throw new UsageError(`unknown flag --${name}`);
    if (BOOLEAN_FLAGS.has(name)) {
      flags.set(name, true);
      continue;
    }
    if (value === undefined) {
      value = args[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
    }
    flags.set(name, value);
  }
  return { positional, flags };
}

function str(p: Parsed, name: string): string | undefined {
  const v = p.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

function int(p: Parsed, name: string, min: number): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v) || Number(v) < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${v}"`);
  return Number(v);
}

function classesFlag(p: Parsed): NumClasses {
  const c = int(p, 'classes', 7) ?? 7;
  if (c !== 7 && c !== 8) throw new UsageError(`--classes must be 7 or 8, got ${c}`);
  return c;
}

function formatFlag(p: Parsed, required: boolean): FormatName | undefined {
  const f = str(p, 'format');
  if (f === undefined) {
    if (required) throw new UsageError(`--format is required (${FORMAT_NAMES.join(' | ')})`);
    return undefined;
  }
  if (!(FORMAT_NAMES as readonly string[]).includes(f)) throw new UsageError(`unknown --format "${f}" (expected ${FORMAT_NAMES.join(', ')})`);
  return f as FormatName;
}

function synth(args: string[], io: CliIo): number {
  const p = parseArgs(args, ['out', 'format', 'n', 'prior', 'noise', 'size', 'seed', 'gray', 'classes', 'difficulty', 'min-intensity']);
  if (p.flags.has('help')) {
    io.out(HELP);
    return 0;
  }
  if (p.positional.length > 0) throw new UsageError(`unexpected argument "${p.positional[0]}"`);
  const out = str(p, 'out');
  if (!out) throw new UsageError('--out DIR is required');
  const format = formatFlag(p, true) as FormatName;
  const n = int(p, 'n', 1);
  if (n === undefined) throw new UsageError('--n N is required');
  let prior;
  let noise;
  try {
    prior = parsePrior(str(p, 'prior') ?? 'uniform');
    noise = parseNoise(str(p, 'noise') ?? 'none');
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const difficulty = Number(str(p, 'difficulty') ?? String(DEFAULT_SYNTH.difficulty));
  const minIntensity = Number(str(p, 'min-intensity') ?? String(DEFAULT_SYNTH.minIntensity));
  if (!(minIntensity >= 0 && minIntensity <= 1)) throw new UsageError(`--min-intensity must be a number in [0, 1], got '${str(p, 'min-intensity')}'`);
  if (!(difficulty >= 0)) throw new UsageError(`--difficulty must be a number >= 0, got '${str(p, 'difficulty')}'`);
  const cfg = synthConfig({
    seed: int(p, 'seed', 0) ?? 1,
    size: int(p, 'size', 8) ?? NATIVE_SIZE[format],
    grayscale: p.flags.has('gray'),
    numClasses: classesFlag(p),
    prior,
    noise,
    difficulty,
    minIntensity,
  });
  const t0 = Date.now();
  const written = writeSynthDataset(out, format, cfg, n);
  const c = splitCounts(n);
  io.out(`wrote ${written} ${format} samples (${c.train} train / ${c.val} val / ${c.test} test, ${cfg.size}px) to ${out} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return 0;
}

function inspect(args: string[], io: CliIo): number {
  const p = parseArgs(args, ['out', 'per-class', 'landmarks', 'skip-bad', 'format', 'classes', 'ferplus-mode']);
  if (p.flags.has('help')) {
    io.out(HELP);
    return 0;
  }
  const dir = p.positional[0];
  if (!dir) throw new UsageError('inspect needs a dataset folder: arbex data inspect DIR');
  if (p.positional.length > 1) throw new UsageError(`unexpected argument "${p.positional[1]}"`);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${dir}: not a directory`);
  const mode = str(p, 'ferplus-mode') ?? 'majority';
  if (mode !== 'majority' && mode !== 'probability') throw new UsageError(`--ferplus-mode must be majority or probability`);
  const numClasses = classesFlag(p);
  const perClass = int(p, 'per-class', 1) ?? 8;
  const format = formatFlag(p, false);
  const ds = loadDirectory(dir, { skipBad: p.flags.has('skip-bad'), numClasses, ferplusMode: mode, ...(format ? { format } : {}) });

  io.out(`format: ${ds.format}`);
  const splits = (['train', 'val', 'test'] as const).filter((s) => ds.splits[s]);
  const counts = splits.map((s) => {
    const c = new Array<number>(numClasses).fill(0);
    for (const l of ds.splits[s]!.labels()) c[l] = (c[l] ?? 0) + 1;
    return c;
  });
  const w = 10;
  io.out(['class'.padEnd(w), ...splits.map((s) => s.padStart(8)), 'total'.padStart(8)].join(''));
  for (let c = 0; c < numClasses; c++) {
    const row = counts.map((k) => k[c] as number);
    io.out([`${c} ${className(c)}`.padEnd(w), ...row.map((v) => String(v).padStart(8)), String(row.reduce((a, b) => a + b, 0)).padStart(8)].join(''));
  }
  const totals = counts.map((k) => k.reduce((a, b) => a + b, 0));
  io.out(['total'.padEnd(w), ...totals.map((v) => String(v).padStart(8)), String(totals.reduce((a, b) => a + b, 0)).padStart(8)].join(''));
  const s = ds.summary;
  io.out(`loaded ${s.loaded}, skipped ${s.skipped} bad, dropped ${s.dropped} by label policy`);
  for (const r of s.reasons.slice(0, 20)) io.out(`  skipped: ${r.message}`);
  if (s.reasons.length > 20) io.out(`  … and ${s.reasons.length - 20} more`);

  // Contact sheet: the first K samples of each class, train split first.
  const rows: SheetRow[] = [];
  for (let c = 0; c < numClasses; c++) {
    const picked: Sample[] = [];
    for (const sp of splits) {
      const src = ds.splits[sp]!;
      const labels = src.labels();
      for (let i = 0; i < src.length && picked.length < perClass; i++) if (labels[i] === c) picked.push(src.get(i));
    }
    if (picked.length === 0) continue;
    rows.push({ images: picked.map((x) => x.image), landmarks: picked.map((x) => (p.flags.has('landmarks') ? x.landmarks : undefined)) });
  }
  const sheetPath = str(p, 'out') ?? join(dir, 'contact-sheet.png');
  const cell = ds.format === 'fer2013' || ds.format === 'ferplus' ? 64 : 96;
  writeFileAtomic(sheetPath, encodePng(contactSheet(rows, cell)));
  io.out(`contact sheet: ${sheetPath} (${rows.length} classes × up to ${perClass})`);
  return 0;
}

/** Runs `data <subcommand> …`; argv is what follows "data" (a leading "data" is tolerated). */
export async function runDataCommand(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const args = argv[0] === 'data' ? argv.slice(1) : argv;
  const sub = args[0];
  try {
    if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
      io.out(HELP);
      return sub === undefined ? 2 : 0;
    }
    if (sub === 'synth') return synth(args.slice(1), io);
    if (sub === 'inspect') return inspect(args.slice(1), io);
    throw new UsageError(`unknown data subcommand "${sub}" (expected synth or inspect)`);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`arbex data: ${e.message}\nRun "arbex data --help" for usage.`);
      return 2;
    }
    if (e instanceof DataError) {
      io.err(`arbex data: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
