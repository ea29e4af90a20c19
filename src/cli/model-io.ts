/** Shared by eval/predict: rebuild a trained model from a checkpoint. */
import { initNodeEngine } from '../runtime/device-node.js';
import { ArbexModel } from '../models/arbex/model.js';
import type { ArbexConfig } from '../models/arbex/config.js';
import { loadCheckpoint, readCheckpointMeta, resolveCheckpoint } from '../train/checkpoint-node.js';
import type { TrainJobOptions } from '../train/run-node.js';

export async function modelFromCheckpoint(arg: string, over: Partial<ArbexConfig['head']> = {}): Promise<{ model: ArbexModel; job: Omit<TrainJobOptions, 'resume' | 'quiet'> }> {
  await initNodeEngine();
  const { dir, tag } = resolveCheckpoint(arg);
  const meta = readCheckpointMeta<{ options: Omit<TrainJobOptions, 'resume' | 'quiet'> }>(dir, tag);
  const job = meta.state.options;
  const cfg = { ...job.config, head: { ...job.config.head, ...over } };
  const model = new ArbexModel(cfg);
  await loadCheckpoint(dir, tag, model, null);
  model.eval();
  return { model, job };
}
