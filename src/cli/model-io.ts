/** Shared by eval/predict: rebuild a trained model from a checkpoint. */
import { initNodeEngine } from '../runtime/device-node.js';
import { ArbexModel } from '../models/arbex/model.js';
import type { ArbexConfig } from '../models/arbex/config.js';
import { checkpointPaths, loadCheckpoint, readCheckpointMeta, resolveCheckpoint } from '../train/checkpoint-node.js';
import { checkStoredConfig } from '../train/checkpoint-config.js';
import type { TrainJobOptions } from '../train/run-node.js';

export async function modelFromCheckpoint(arg: string, over: Partial<ArbexConfig['head']> = {}): Promise<{ model: ArbexModel; job: Omit<TrainJobOptions, 'resume' | 'quiet'>; dir: string; tag: string }> {
  await initNodeEngine();
  const { dir, tag } = resolveCheckpoint(arg);
  const meta = readCheckpointMeta<{ options: Omit<TrainJobOptions, 'resume' | 'quiet'> }>(dir, tag);
  const path = checkpointPaths(dir, tag).meta;
  const job = meta.state.options;
  if (job === null || typeof job !== 'object') throw new Error(`${path}: state.options is missing (not a training checkpoint)`);
  // The JSON is user input: check the config before a model is built from it.
  const stored = checkStoredConfig(job.config, path);
  const cfg = { ...stored, head: { ...stored.head, ...over } };
  const model = new ArbexModel(cfg);
  await loadCheckpoint(dir, tag, model, null);
  model.eval();
  return { model, job, dir, tag };
}
