/** `arbex train`: trains ARBEx (default: tiny on built-in synthetic faces) and writes a report. */
import { readFileSync } from 'node:fs';
import { parseArgs, helpText, UsageError, type FlagSpec } from './args.js';
import { configByName, resolveConfig, DEFAULT_LOSS, type ArbexConfig } from '../models/arbex/config.js';
import { runTraining, DEFAULT_JOB, type TrainJobOptions } from '../train/run-node.js';
import { parsePrior } from '../data/synth/priors.js';
import { parseNoise } from '../data/synth/label-noise.js';
import type { OptimizerName } from '../train/trainer.js';
import { readCheckpointMeta, resolveCheckpoint } from '../train/checkpoint-node.js';

const SPEC: Record<string, FlagSpec> = {
  config: { type: 'string', help: 'tiny (default), full, or a JSON file {"base": "tiny", ...overrides}' },
  data: { type: 'string', help: 'dataset directory (RAF-DB, FER2013, FERPlus, AffectNet, class folders); default: synthetic' },
  epochs: { type: 'number', help: `epochs (default ${DEFAULT_JOB.epochs})` },
  batch: { type: 'number', help: `batch size (default ${DEFAULT_JOB.batchSize})` },
  optimizer: { type: 'string', help: 'adam (default) | adamw | sam' },
  lr: { type: 'list', help: 'learning rate: one value for all groups, or group=value (backbone, head, anchors, attention); repeatable' },
  'weight-decay': { type: 'number', help: 'weight decay (default 0)' },
  schedule: { type: 'string', help: 'plateau (default, factor 0.5) | exponential (0.98/epoch) | cosine (per step, to 0 at the end) | none' },
  warmup: { type: 'number', help: 'linear warm-up steps before the cosine (with --schedule cosine; default 0)' },
  sampler: { type: 'string', help: 'balanced (default: adaptive data refinement) | shuffle' },
  augment: { type: 'string', help: 'heavy (default) | standard | none' },
  'no-reliability': { type: 'boolean', help: 'ablation: train on p without reliability balancing' },
  'anchor-loss': { type: 'string', help: 'released (default) | margin' },
  scope: { type: 'string', help: 'attention correction scope: sample (default, chosen by measurement) | batch (as released)' },
  'lambda-anchor': { type: 'number', help: 'weight of the anchor loss (default 1)' },
  'lambda-center': { type: 'number', help: 'weight of the center loss (default 1)' },
  'lambda-primary': { type: 'number', help: 'weight of an extra NLL on the primary p (released: 0)' },
  readout: { type: 'string', help: 'how the ViT hands over the embedding: cls (released) | flatten (all patch tokens → linear); default from the config' },
  'anchor-space': { type: 'string', help: 'euclidean (released) | sphere (normalised, bounded distances); default from the config' },
  prior: { type: 'string', help: 'synthetic class prior: uniform | raf | fer2013 | affectnet | longtail:RHO' },
  noise: { type: 'string', help: 'synthetic label noise: none | symmetric:R | asymmetric:R | intensity:R' },
  difficulty: { type: 'number', help: 'synthetic pose/lighting/noise/occluder variation (0 none … 1 full; default 0.3)' },
  'min-intensity': { type: 'number', help: 'synthetic weakest expression intensity (0…1; default 0.6)' },
  'train-size': { type: 'number', help: 'synthetic training images (default 2800)' },
  'val-size': { type: 'number', help: 'synthetic validation images (default 350)' },
  'test-size': { type: 'number', help: 'synthetic test images (default 700)' },
  'skip-bad': { type: 'boolean', help: 'skip unreadable images / bad rows of a dataset (counted)' },
  landmarks: { type: 'string', help: 'pretrained landmark stream, loaded frozen: .safetensors from arbex pretrain-landmarks, or a TF.js model.json whose weights fit' },
  init: { type: 'string', help: 'start from these weights: a checkpoint (.json or run dir, e.g. from arbex import) or a .safetensors of this model; its config is used unless --config is given' },
  seed: { type: 'number', help: 'random seed (default 1)' },
  out: { type: 'string', help: 'output directory (default runs/<config>)' },
  resume: { type: 'boolean', help: 'continue from <out>/last.json exactly where it stopped' },
  'stop-after': { type: 'number', help: 'run at most this many epochs now (resume later with --resume)' },
  quiet: { type: 'boolean', help: 'no progress bar' },
  help: { type: 'boolean', help: 'show this help' },
};

export function loadConfig(arg: string | undefined): ArbexConfig {
  if (!arg || arg === 'tiny' || arg === 'full') return configByName(arg ?? 'tiny');
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(arg, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`--config ${arg}: not 'tiny', 'full' or a readable JSON file (${(e as Error).message})`);
  }
  const { base, ...over } = json;
  return resolveConfig(configByName(typeof base === 'string' ? base : 'tiny'), over);
}

/** The configuration stored with a checkpoint (so `--init` alone rebuilds the same model). */
function initConfig(arg: string): ArbexConfig {
  const { dir, tag } = resolveCheckpoint(arg);
  return readCheckpointMeta<{ options: { config: ArbexConfig } }>(dir, tag).state.options.config;
}

function rates(list: string[] | undefined, dflt: TrainJobOptions['optimizer']['lr']): TrainJobOptions['optimizer']['lr'] {
  const out = { ...dflt };
  for (const item of list ?? []) {
    const [k, v] = item.includes('=') ? item.split('=', 2) : [null, item];
    const n = Number(v);
    if (!(n > 0)) throw new UsageError(`--lr ${item}: expected a positive number`);
    if (k === null) for (const g of Object.keys(out) as (keyof typeof out)[]) out[g] = n;
    else if (k in out) out[k as keyof typeof out] = n;
    else throw new UsageError(`--lr ${item}: unknown group '${k}' (backbone, head, anchors, attention)`);
  }
  return out;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], flag: string, dflt: T): T {
  if (v === undefined) return dflt;
  if (!allowed.includes(v as T)) throw new UsageError(`--${flag} ${String(v)}: expected one of ${allowed.join(', ')}`);
  return v as T;
}

export function jobFromArgs(argv: string[]): TrainJobOptions | null {
  const { flags: f } = parseArgs(argv, SPEC, 'arbex train');
  if (f.help) {
    console.log(helpText('Usage: arbex train [options]', SPEC));
    return null;
  }
  const config = f.init && !f.config && !String(f.init).endsWith('.safetensors') ? initConfig(f.init as string) : loadConfig(f.config as string | undefined);
  if (f.scope) config.head.attentionScope = oneOf(f.scope, ['batch', 'sample'] as const, 'scope', 'sample');
  if (f.readout) config.vit.readout = oneOf(f.readout, ['cls', 'flatten'] as const, 'readout', 'cls');
  if (f['anchor-space']) config.head.anchorSpace = oneOf(f['anchor-space'], ['euclidean', 'sphere'] as const, 'anchor-space', 'euclidean');
  const synth: TrainJobOptions['data']['synth'] = {};
  if (f.prior) synth.prior = parsePrior(f.prior as string);
  if (f.noise) synth.noise = parseNoise(f.noise as string);
  if (f.difficulty !== undefined) synth.difficulty = f.difficulty as number;
  if (f['min-intensity'] !== undefined) synth.minIntensity = f['min-intensity'] as number;
  const sizes = { ...DEFAULT_JOB.data.sizes };
  if (f['train-size']) sizes.train = f['train-size'] as number;
  if (f['val-size']) sizes.val = f['val-size'] as number;
  if (f['test-size']) sizes.test = f['test-size'] as number;
  const epochs = (f.epochs as number | undefined) ?? DEFAULT_JOB.epochs;
  const batch = (f.batch as number | undefined) ?? DEFAULT_JOB.batchSize;
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw new UsageError(`--epochs ${epochs}: expected a positive integer`);
  for (const k of ['lambda-anchor', 'lambda-center', 'lambda-primary'] as const) {
    const v = f[k] as number | undefined;
    if (v !== undefined && !(v >= 0)) throw new UsageError(`--${k} ${v}: expected a weight >= 0`);
  }
  const schedule = oneOf(f.schedule, ['plateau', 'exponential', 'cosine', 'none'] as const, 'schedule', 'plateau');
  if (f.warmup !== undefined) {
    const w = f.warmup as number;
    if (schedule !== 'cosine') throw new UsageError(`--warmup ${w}: only with --schedule cosine`);
    if (!(Number.isInteger(w) && w >= 0)) throw new UsageError(`--warmup ${w}: expected an integer number of steps >= 0`);
  }
  if (!(Number.isInteger(batch) && batch >= 2)) throw new UsageError(`--batch ${batch}: expected an integer >= 2 (BatchNorm needs two samples)`);
  return {
    ...DEFAULT_JOB,
    config,
    loss: {
      ...DEFAULT_LOSS,
      reliability: !f['no-reliability'],
      anchorLoss: oneOf(f['anchor-loss'], ['released', 'margin'] as const, 'anchor-loss', 'released'),
      lambdaAnchor: (f['lambda-anchor'] as number | undefined) ?? 1,
      lambdaCenter: (f['lambda-center'] as number | undefined) ?? 1,
      lambdaPrimary: (f['lambda-primary'] as number | undefined) ?? DEFAULT_LOSS.lambdaPrimary,
    },
    data: { dir: f.data as string | undefined, synth, sizes, skipBad: Boolean(f['skip-bad']) },
    epochs,
    batchSize: batch,
    optimizer: {
      ...DEFAULT_JOB.optimizer,
      name: oneOf(f.optimizer, ['adam', 'adamw', 'sam'] as const, 'optimizer', 'adam') as OptimizerName,
      lr: rates(f.lr as string[] | undefined, DEFAULT_JOB.optimizer.lr),
      weightDecay: (f['weight-decay'] as number | undefined) ?? 0,
    },
    schedule,
    ...(f.warmup !== undefined ? { warmupSteps: f.warmup as number } : {}),
    sampler: oneOf(f.sampler, ['balanced', 'shuffle'] as const, 'sampler', 'balanced'),
    augment: oneOf(f.augment, ['heavy', 'standard', 'none'] as const, 'augment', 'heavy'),
    seed: (f.seed as number | undefined) ?? 1,
    out: (f.out as string | undefined) ?? `runs/${config.name}`,
    resume: Boolean(f.resume),
    landmarks: f.landmarks as string | undefined,
    init: f.init as string | undefined,
    stopAfter: f['stop-after'] as number | undefined,
    quiet: Boolean(f.quiet),
  };
}

export async function runTrainCommand(argv: string[]): Promise<number> {
  const job = jobFromArgs(argv);
  if (!job) return 0;
  const r = await runTraining(job);
  console.log(`\ntest accuracy ${(r.test.accuracy * 100).toFixed(2)} % (clean labels ${(r.test.cleanAccuracy * 100).toFixed(2)} %), macro-F1 ${(r.test.macroF1 * 100).toFixed(2)} %`);
  console.log(`best validation accuracy ${(r.best.valAcc * 100).toFixed(2)} % at epoch ${r.best.epoch}; ${r.seconds.toFixed(0)} s, ${r.imagesPerSecond.toFixed(1)} images/s`);
  console.log(`report: ${job.out}/report.md`);
  return 0;
}
