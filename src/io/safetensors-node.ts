/**
 * Node file access for safetensors: atomic writes (temp file in the same directory, fsync,
 * rename — a crash leaves the old file or the new one, never half of one) and reads.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import type { Tensor } from '../tensor/tensor.js';
import type { HostTensor } from '../nn/host-tensor.js';
import type { LoadReport, LoadStateDictOptions, Module } from '../nn/module.js';
import { decodeSafetensors, loadSafetensorsInto, saveSafetensors, type DecodedSafetensors } from './safetensors.js';

/** Writes `bytes` to `path` atomically. */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** Saves tensors (e.g. `module.stateDict()`) as a safetensors file, atomically. */
export async function saveSafetensorsFile(path: string, tensors: ReadonlyMap<string, Tensor | HostTensor>, metadata?: Readonly<Record<string, string>>): Promise<void> {
  await writeFileAtomic(path, await saveSafetensors(tensors, metadata));
}

async function readBytes(path: string): Promise<Uint8Array> {
  const b = await readFile(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Reads and validates a safetensors file into host tensors. */
export async function readSafetensorsFile(path: string): Promise<DecodedSafetensors> {
  return decodeSafetensors(await readBytes(path), { source: path });
}

/** Loads a safetensors file into a module (all-or-nothing; see loadSafetensorsInto). */
export async function loadSafetensorsFile(module: Module, path: string, opts: LoadStateDictOptions = {}): Promise<LoadReport> {
  return loadSafetensorsInto(module, await readBytes(path), { ...opts, source: path });
}
