/**
 * Checkpoints: model weights as safetensors (opens in PyTorch), optimizer moments as a second
 * safetensors file, and a JSON with everything else needed to resume exactly (config, options,
 * epoch/step, optimizer and scheduler state, history, best score). Every file is written to a
 * temporary name and renamed, and the JSON — written last — is what marks a checkpoint complete.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Module } from '../nn/module.js';
import type { Optimizer, OptimizerMeta } from '../optim/optimizer.js';
import type { GroupHyper } from '../optim/optimizer.js';
import { saveSafetensorsFile, readSafetensorsFile } from '../io/safetensors-node.js';
import { writeJsonAtomic } from './atomic-node.js';

export interface CheckpointMeta<T> {
  format: 'arbex-checkpoint-1';
  /** Caller's state (config, options, epoch, history, scheduler, ...). */
  state: T;
  optimizer: OptimizerMeta | null;
}

export function checkpointPaths(dir: string, tag: string): { weights: string; optim: string; meta: string } {
  return { weights: join(dir, `${tag}.safetensors`), optim: join(dir, `${tag}.optim.safetensors`), meta: join(dir, `${tag}.json`) };
}

export async function saveCheckpoint<T>(dir: string, tag: string, model: Module, optimizer: Optimizer<GroupHyper> | null, state: T): Promise<void> {
  const p = checkpointPaths(dir, tag);
  await saveSafetensorsFile(p.weights, model.stateDict(), { format: 'pt' });
  let optMeta: OptimizerMeta | null = null;
  if (optimizer) {
    const sd = optimizer.stateDict();
    optMeta = sd.meta;
    await saveSafetensorsFile(p.optim, sd.tensors);
  }
  const meta: CheckpointMeta<T> = { format: 'arbex-checkpoint-1', state, optimizer: optMeta };
  writeJsonAtomic(p.meta, meta);
}

export function hasCheckpoint(dir: string, tag: string): boolean {
  return existsSync(checkpointPaths(dir, tag).meta);
}

export function readCheckpointMeta<T>(dir: string, tag: string): CheckpointMeta<T> {
  const path = checkpointPaths(dir, tag).meta;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`checkpoint ${path}: cannot read (${(e as Error).message})`);
  }
  const meta = parsed as CheckpointMeta<T>;
  if (meta?.format !== 'arbex-checkpoint-1') throw new Error(`checkpoint ${path}: not an ARBEx checkpoint (format ${String(meta?.format)})`);
  return meta;
}

/** Loads weights (strict, all-or-nothing) and, if given, the optimizer state. */
export async function loadCheckpoint<T>(dir: string, tag: string, model: Module, optimizer: Optimizer<GroupHyper> | null): Promise<CheckpointMeta<T>> {
  const meta = readCheckpointMeta<T>(dir, tag);
  const p = checkpointPaths(dir, tag);
  const weights = await readSafetensorsFile(p.weights);
  model.loadStateDict(weights.tensors);
  if (optimizer && meta.optimizer) {
    const o = await readSafetensorsFile(p.optim);
    optimizer.loadStateDict({ meta: meta.optimizer, tensors: o.tensors });
  }
  return meta;
}

/**
 * Resolves `--checkpoint` (a run directory → its best, else last checkpoint; or a path to a
 * `<tag>.json` / `<tag>.safetensors`) to a directory and tag.
 */
export function resolveCheckpoint(arg: string): { dir: string; tag: string } {
  const m = /^(.*?)[/\\]?([^/\\]+?)(\.optim)?\.(json|safetensors)$/.exec(arg);
  if (m) {
    const dir = m[1] || '.';
    if (!hasCheckpoint(dir, m[2]!)) throw new Error(`checkpoint ${arg}: ${checkpointPaths(dir, m[2]!).meta} not found`);
    return { dir, tag: m[2]! };
  }
  for (const tag of ['best', 'last']) if (hasCheckpoint(arg, tag)) return { dir: arg, tag };
  throw new Error(`checkpoint ${arg}: no best.json or last.json in this directory (train first, or pass a .json path)`);
}
