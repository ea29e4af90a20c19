/**
 * Checkpoints: model weights as safetensors (opens in PyTorch), optimizer moments as a second
 * safetensors file, and a JSON with everything else needed to resume exactly (config, options,
 * epoch/step, optimizer and scheduler state, history, best score).
 *
 * Three files cannot be replaced in one atomic step, so a save is a small commit protocol that
 * survives `kill -9` (or a power cut) at any instant:
 *   1. the new tensors go to `<tag>.safetensors.next` / `<tag>.optim.safetensors.next` (each
 *      written atomically), carrying a fresh checkpoint id in their `__metadata__`;
 *   2. `<tag>.json` is replaced atomically with the same id — this is the commit point;
 *   3. the `.next` files are renamed over `<tag>.safetensors` / `<tag>.optim.safetensors`.
 * A reader takes the JSON and, for each tensor file, whichever of the final and the `.next`
 * file carries the JSON's id: killed before step 2 it finds the old checkpoint complete (the
 * `.next` files have another id), killed after it finds the new one. `recoverCheckpoint` (the
 * trainer calls it on resume) finishes step 3 and removes leftovers of an interrupted save.
 * Checkpoints written before ids existed (no `id` in the JSON) are read as they are.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Module } from '../nn/module.js';
import type { Optimizer, OptimizerMeta } from '../optim/optimizer.js';
import type { GroupHyper } from '../optim/optimizer.js';
import { writeFileAtomic, readSafetensorsFile, readSafetensorsFileHeader } from '../io/safetensors-node.js';
import { encodeSafetensors, toHost } from '../io/safetensors.js';
import type { HostTensor } from '../nn/host-tensor.js';
import { writeJsonAtomic } from './atomic-node.js';

export interface CheckpointMeta<T> {
  format: 'arbex-checkpoint-1';
  /** Ties the JSON to the tensor files of the same save (absent in older checkpoints). */
  id?: string;
  /** Caller's state (config, options, epoch, history, scheduler, ...). */
  state: T;
  optimizer: OptimizerMeta | null;
}

/** The `__metadata__` key that carries the checkpoint id inside each tensor file. */
const ID_KEY = 'arbex_checkpoint_id';
const NEXT = '.next';

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export function checkpointPaths(dir: string, tag: string): { weights: string; optim: string; meta: string } {
  return { weights: join(dir, `${tag}.safetensors`), optim: join(dir, `${tag}.optim.safetensors`), meta: join(dir, `${tag}.json`) };
}

/**
 * Fault injection for the kill tests (scripts/reliability/kill-resume.ts): with
 * ARBEX_FAULT_CHECKPOINT_PAUSE_MS set, each stage of a save waits that long, so a randomly timed
 * `kill -9` lands inside a checkpoint write often. Unset, it costs nothing.
 */
async function faultPause(): Promise<void> {
  const ms = Number(process.env.ARBEX_FAULT_CHECKPOINT_PAUSE_MS ?? 0);
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

/**
 * The id is a hash of the tensors (and optimizer meta), not a random or a time stamp: two runs
 * that compute the same weights write byte-identical files, which is what the resume tests
 * compare. Two saves with equal ids hold equal tensors, so taking either file is right.
 */
function contentId(tensors: ReadonlyMap<string, HostTensor>[], rest: unknown): string {
  const h = createHash('sha256');
  for (const m of tensors) {
    for (const [k, t] of [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      h.update(`${k}[${t.shape.join(',')}]${t.data.constructor.name}`);
      h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    }
  }
  h.update(JSON.stringify(rest) ?? '');
  return h.digest('hex').slice(0, 24);
}

export async function saveCheckpoint<T>(dir: string, tag: string, model: Module, optimizer: Optimizer<GroupHyper> | null, state: T): Promise<void> {
  const p = checkpointPaths(dir, tag);
  const weights = await toHost(model.stateDict());
  const sd = optimizer ? optimizer.stateDict() : null;
  const moments = sd ? await toHost(sd.tensors) : null;
  const optMeta: OptimizerMeta | null = sd ? sd.meta : null;
  const id = contentId(moments ? [weights, moments] : [weights], optMeta);
  await writeFileAtomic(p.weights + NEXT, encodeSafetensors(weights, { format: 'pt', [ID_KEY]: id }));
  await faultPause();
  if (moments) {
    await writeFileAtomic(p.optim + NEXT, encodeSafetensors(moments, { [ID_KEY]: id }));
    await faultPause();
  }
  const meta: CheckpointMeta<T> = { format: 'arbex-checkpoint-1', id, state, optimizer: optMeta };
  writeJsonAtomic(p.meta, meta); // the commit point
  await faultPause();
  renameSync(p.weights + NEXT, p.weights);
  if (optimizer) renameSync(p.optim + NEXT, p.optim);
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
    throw new CheckpointError(`checkpoint ${path}: cannot read (${(e as Error).message})`);
  }
  const meta = parsed as CheckpointMeta<T> | null;
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) throw new CheckpointError(`checkpoint ${path}: not an ARBEx checkpoint (the JSON is not an object)`);
  if (meta.format !== 'arbex-checkpoint-1') throw new CheckpointError(`checkpoint ${path}: not an ARBEx checkpoint (format ${JSON.stringify(meta.format)})`);
  if (meta.id !== undefined && typeof meta.id !== 'string') throw new CheckpointError(`checkpoint ${path}: field id must be a string, got ${JSON.stringify(meta.id)}`);
  if (meta.state === null || typeof meta.state !== 'object' || Array.isArray(meta.state)) throw new CheckpointError(`checkpoint ${path}: field state must be an object, got ${JSON.stringify(meta.state)?.slice(0, 60)}`);
  if (meta.optimizer !== null && (typeof meta.optimizer !== 'object' || Array.isArray(meta.optimizer))) {
    throw new CheckpointError(`checkpoint ${path}: field optimizer must be an object or null, got ${JSON.stringify(meta.optimizer)?.slice(0, 60)}`);
  }
  return meta as CheckpointMeta<T>;
}

async function fileId(path: string): Promise<string | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    return (await readSafetensorsFileHeader(path)).metadata[ID_KEY];
  } catch {
    return undefined; // a damaged leftover: it cannot be the committed file
  }
}

/** Which file holds the committed tensors of `final` for checkpoint `id`. */
async function committedFile(final: string, id: string | undefined, meta: string): Promise<string> {
  if (id === undefined) return final; // written before ids existed
  if ((await fileId(final)) === id) return final;
  if ((await fileId(final + NEXT)) === id) return final + NEXT;
  throw new CheckpointError(
    `checkpoint ${meta}: ${final} does not belong to this checkpoint (id ${id} not found in it or in ${final + NEXT}); the files were changed by something other than the trainer`,
  );
}

/**
 * Finishes or rolls back a save interrupted by a crash: renames committed `.next` files into
 * place, deletes uncommitted ones and stale temporary files of this checkpoint. Only the process
 * that writes the checkpoints should call this (the trainer on resume); readers need not.
 */
export async function recoverCheckpoint(dir: string, tag: string): Promise<void> {
  const p = checkpointPaths(dir, tag);
  const id = hasCheckpoint(dir, tag) ? readCheckpointMeta(dir, tag).id : undefined;
  for (const final of [p.weights, p.optim]) {
    const next = final + NEXT;
    if (!existsSync(next)) continue;
    if (id !== undefined && (await fileId(next)) === id && (await fileId(final)) !== id) renameSync(next, final);
    else unlinkSync(next);
  }
  // Temp files of atomic writes the crash interrupted: `.<name>.<pid>.<...>.tmp`.
  const names = [p.weights, p.optim, p.meta].flatMap((f) => [f, f + NEXT]).map((f) => f.slice(dir.length + 1).replace(/^[/\\]/, ''));
  for (const e of readdirSync(dir)) {
    if (e.endsWith('.tmp') && names.some((n) => e.startsWith(`.${n}.`))) unlinkSync(join(dir, e));
  }
}

/** Runs `fn`; an error it throws is rethrown with `file` in front (same class where possible). */
function named<R>(file: string, fn: () => R): R {
  try {
    return fn();
  } catch (e) {
    const err = e as Error;
    if (err.message?.startsWith(file)) throw err;
    err.message = `${file}: ${err.message}`;
    throw err;
  }
}

/** Loads weights (strict, all-or-nothing) and, if given, the optimizer state. */
export async function loadCheckpoint<T>(dir: string, tag: string, model: Module, optimizer: Optimizer<GroupHyper> | null): Promise<CheckpointMeta<T>> {
  const meta = readCheckpointMeta<T>(dir, tag);
  const p = checkpointPaths(dir, tag);
  const weightsFile = await committedFile(p.weights, meta.id, p.meta);
  const weights = await readSafetensorsFile(weightsFile);
  named(weightsFile, () => model.loadStateDict(weights.tensors));
  if (optimizer && meta.optimizer) {
    const optimFile = await committedFile(p.optim, meta.id, p.meta);
    const o = await readSafetensorsFile(optimFile);
    named(optimFile, () => optimizer.loadStateDict({ meta: meta.optimizer!, tensors: o.tensors }));
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
    if (!hasCheckpoint(dir, m[2]!)) throw new CheckpointError(`checkpoint ${arg}: ${checkpointPaths(dir, m[2]!).meta} not found`);
    return { dir, tag: m[2]! };
  }
  for (const tag of ['best', 'last']) if (hasCheckpoint(arg, tag)) return { dir: arg, tag };
  throw new CheckpointError(`checkpoint ${arg}: no best.json or last.json in this directory (train first, or pass a .json path)`);
}
