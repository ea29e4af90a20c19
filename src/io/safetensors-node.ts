/**
 * Node file access for safetensors: atomic writes (temp file in the same directory, fsync,
 * rename — a crash leaves the old file or the new one, never half of one) and reads.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import type { Tensor } from '../tensor/tensor.js';
import type { HostTensor } from '../nn/host-tensor.js';
import type { LoadReport, LoadStateDictOptions, Module } from '../nn/module.js';
import { decodeSafetensors, loadSafetensorsInto, readSafetensorsHeader, saveSafetensors, MAX_HEADER_BYTES, type DecodedSafetensors, type SafetensorsHeader } from './safetensors.js';

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

/**
 * Reads and validates only the header of a safetensors file (the first 8 + N bytes), e.g. to
 * check its `__metadata__` without loading the tensors. The data section's size is taken from
 * the file's size, so truncation is still detected.
 */
export async function readSafetensorsFileHeader(path: string): Promise<SafetensorsHeader> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const lenBytes = new Uint8Array(8);
    await fh.read(lenBytes, 0, 8, 0);
    const dv = new DataView(lenBytes.buffer);
    const n = dv.getUint32(4, true) === 0 ? dv.getUint32(0, true) : Number.MAX_SAFE_INTEGER;
    // Read the header only when it fits the file; otherwise let the validator report the 8 bytes.
    const head = size >= 8 && n <= MAX_HEADER_BYTES && 8 + n <= size ? new Uint8Array(8 + n) : lenBytes.subarray(0, Math.min(8, size));
    if (head.length > 8) await fh.read(head, 0, head.length, 0);
    return readSafetensorsHeader(head, path, size);
  } finally {
    await fh.close();
  }
}
