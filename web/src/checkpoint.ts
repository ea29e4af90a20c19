/**
 * Checkpoints in the page, in the format the Node CLI writes and reads (src/train/checkpoint-node.ts):
 * `<tag>.safetensors` (weights, PyTorch names) and `<tag>.json` ({ format: 'arbex-checkpoint-1',
 * state: { options: { config, data, seed, … } }, optimizer }). Only the weights and the model
 * config are needed to predict; a download also carries the job options `arbex eval` reads.
 */
import { ArbexModel } from '../../src/models/arbex/model.js';
import { configByName, validateConfig, type ArbexConfig } from '../../src/models/arbex/config.js';
import { decodeSafetensors, encodeSafetensors, toHost } from '../../src/io/safetensors.js';
import type { LossConfig } from '../../src/models/arbex/config.js';

export interface LoadedModel {
  model: ArbexModel;
  config: ArbexConfig;
  /** Where it came from (shown in the page). */
  name: string;
}

interface CheckpointJson {
  format?: unknown;
  state?: { options?: { config?: ArbexConfig } };
}

/** Reads the model config out of a checkpoint JSON, with errors that name the file. */
export function configFromMeta(text: string, source: string): ArbexConfig {
  let meta: CheckpointJson;
  try {
    meta = JSON.parse(text) as CheckpointJson;
  } catch (e) {
    throw new Error(`${source}: not JSON (${(e as Error).message})`);
  }
  if (meta.format !== 'arbex-checkpoint-1') throw new Error(`${source}: not an ARBEx checkpoint (format ${String(meta.format)}, expected 'arbex-checkpoint-1')`);
  const cfg = meta.state?.options?.config;
  if (!cfg || typeof cfg !== 'object') throw new Error(`${source}: no state.options.config (the model configuration) in this checkpoint`);
  validateConfig(cfg);
  return cfg;
}

/** Builds the model of `meta` and loads `weights` into it (strict: every tensor, right shapes). */
export function modelFromCheckpoint(metaText: string, weights: Uint8Array, name: string): LoadedModel {
  const config = configFromMeta(metaText, `${name} (.json)`);
  const model = new ArbexModel(config);
  const { tensors } = decodeSafetensors(weights, { source: `${name} (.safetensors)` });
  model.loadStateDict(tensors);
  model.eval();
  return { model, config, name };
}

/** A freshly initialised model of a named config (for trying the page without a checkpoint). */
export function randomModel(configName = 'tiny'): LoadedModel {
  const config = configByName(configName);
  const model = new ArbexModel(config);
  model.eval();
  return { model, config, name: `random-init ${configName}` };
}

export async function fetchServedCheckpoint(): Promise<LoadedModel | null> {
  const info = (await (await fetch('checkpoint/info')).json()) as { available: boolean; name: string | null; tag?: string };
  if (!info.available) return null;
  const [meta, weights] = await Promise.all([
    fetch('checkpoint/meta.json').then((r) => r.text()),
    fetch('checkpoint/weights.safetensors').then((r) => r.arrayBuffer()),
  ]);
  return modelFromCheckpoint(meta, new Uint8Array(weights), `${info.name}/${info.tag}`);
}

/** Files dropped on the page (or chosen): one .json and one .safetensors of the same checkpoint. */
export async function checkpointFromFiles(files: readonly File[]): Promise<LoadedModel> {
  const json = files.find((f) => f.name.endsWith('.json'));
  const st = files.find((f) => f.name.endsWith('.safetensors') && !f.name.endsWith('.optim.safetensors'));
  if (!json || !st) {
    throw new Error(`need a checkpoint's two files, <tag>.json and <tag>.safetensors (got: ${files.map((f) => f.name).join(', ') || 'nothing'})`);
  }
  return modelFromCheckpoint(await json.text(), new Uint8Array(await st.arrayBuffer()), st.name.replace(/\.safetensors$/, ''));
}

export interface CheckpointFiles {
  json: string;
  safetensors: Uint8Array;
}

/**
 * The files `arbex eval/predict --checkpoint DIR` load (save them as DIR/best.json and
 * DIR/best.safetensors). `job` records how the page trained, so `arbex eval` can regenerate the
 * same synthetic test split.
 */
export async function checkpointFiles(model: ArbexModel, job: { config: ArbexConfig; loss: LossConfig; seed: number; synth: Record<string, unknown>; sizes: { train: number; val: number; test: number }; epochs: number; batchSize: number; lr: number; augment: string; step: number; epoch: number }): Promise<CheckpointFiles> {
  const safetensors = encodeSafetensors(await toHost(model.stateDict()), { format: 'pt' });
  const options = {
    config: job.config,
    loss: job.loss,
    data: { synth: job.synth, sizes: job.sizes },
    epochs: job.epochs,
    batchSize: job.batchSize,
    optimizer: { name: 'adam', lr: { backbone: job.lr, head: job.lr, anchors: job.lr, attention: job.lr }, weightDecay: 0, rho: 0.05 },
    schedule: 'none',
    sampler: 'balanced',
    augment: job.augment,
    seed: job.seed,
    out: '(web app)',
    report: false,
  };
  const meta = {
    format: 'arbex-checkpoint-1',
    state: { options, epoch: job.epoch, step: job.step, history: [], stepLosses: [], best: { valAcc: -1, epoch: -1 }, scheduler: null, seconds: 0, trainedIn: 'web app' },
    optimizer: null,
  };
  return { json: JSON.stringify(meta, null, 1), safetensors };
}
