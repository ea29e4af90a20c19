/**
 * Node loader for TensorFlow.js models on disk (e.g. inside an npm package): reads model.json
 * and its shards from the same directory. Shard paths may be URL-encoded (tfjs fetches them as
 * URLs) and must stay inside the model's directory.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { HostTensor } from '../nn/host-tensor.js';
import { loadTfjsWeights, TfjsManifestError } from './tfjs-manifest.js';

/** Reads a TF.js model from disk (`model.json` and the shards beside it) and decodes every weight to host arrays. */
export async function loadTfjsModelFile(modelJsonPath: string): Promise<Map<string, HostTensor>> {
  const dir = resolve(dirname(modelJsonPath));
  const text = await readFile(modelJsonPath, 'utf8');
  const read = async (p: string): Promise<Uint8Array> => {
    let decoded = p;
    try {
      decoded = decodeURIComponent(p);
    } catch {
      /* not URL-encoded */
    }
    const full = resolve(dir, decoded);
    if (!full.startsWith(dir + sep)) throw new TfjsManifestError(`${modelJsonPath}: shard path '${p}' leaves the model directory`);
    const b = await readFile(full).catch((e: Error) => {
      throw new TfjsManifestError(`${modelJsonPath}: cannot read shard '${p}': ${e.message}`);
    });
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  };
  return loadTfjsWeights(text, read, modelJsonPath);
}
