/** Node file access for PyTorch checkpoints: read a `.pth` / `.pth.tar`, write one atomically. */
import { readFile } from 'node:fs/promises';
import { decodePthStateDict, encodePth, readPth, type PthStateDict, type PthWriteTensor } from './pth.js';
import { writeFileAtomic } from './safetensors-node.js';

async function readBytes(path: string): Promise<Uint8Array> {
  const b = await readFile(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The whole object tree of a checkpoint file (see readPth). */
export async function readPthFile(path: string): Promise<unknown> {
  return readPth(await readBytes(path), path);
}

/** The state dict of a checkpoint file (see pthStateDict). */
export async function readPthStateDictFile(path: string): Promise<PthStateDict> {
  return decodePthStateDict(await readBytes(path), path);
}

/** Writes an OrderedDict of tensors as a torch.save checkpoint, atomically. */
export async function savePthFile(path: string, tensors: ReadonlyMap<string, PthWriteTensor>): Promise<void> {
  await writeFileAtomic(path, encodePth(tensors));
}
