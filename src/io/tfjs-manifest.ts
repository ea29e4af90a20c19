/**
 * TensorFlow.js weight manifests (`model.json` with `weightsManifest` + `.bin` shards), pure: a
 * reader callback supplies shard bytes (fetch in a browser, the file system in Node — see
 * tfjs-manifest-node.ts).
 *
 * Each manifest group lists shard paths and weight specs; the group's shards are concatenated
 * in order and its weights lie back to back in that buffer (tfjs io.decodeWeights). Quantised
 * weights are dequantised as tfjs does: uint8 / uint16 → q·scale + min (rounded for int32
 * weights), float16 → f32. float32 → f32, int32 → i32, bool (1 byte) → u32.
 * Shard sizes must add up to exactly what the specs need; everything is validated before the
 * map is returned, and errors name the source and the weight.
 */
import type { HostTensor } from '../nn/host-tensor.js';
import { halfToFloat } from './safetensors.js';

export interface TfjsQuantization {
  dtype: 'uint8' | 'uint16' | 'float16';
  scale?: number;
  min?: number;
  original_dtype?: string;
}

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: TfjsQuantization;
}

export interface TfjsWeightGroup {
  paths: string[];
  weights: TfjsWeightSpec[];
}

/** A malformed TF.js manifest or shard; the message names the source and the weight. */
export class TfjsManifestError extends Error {
  override name = 'TfjsManifestError';
}

/** Reads the bytes of one shard (path as written in the manifest). */
export type ShardReader = (path: string) => Promise<Uint8Array>;

const VALUE_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** Validates `model.json` (text or parsed) and returns its weight groups. */
export function parseWeightsManifest(modelJson: unknown, source = 'model.json'): TfjsWeightGroup[] {
  const fail = (msg: string): never => {
    throw new TfjsManifestError(`${source}: ${msg}`);
  };
  let json = modelJson;
  if (typeof json === 'string') {
    try {
      json = JSON.parse(json);
    } catch (e) {
      fail(`not valid JSON (${(e as Error).message})`);
    }
  }
  const manifest = Array.isArray(json) ? json : (json as { weightsManifest?: unknown } | null)?.weightsManifest;
  if (!Array.isArray(manifest)) return fail('no weightsManifest array');
  return manifest.map((g: unknown, gi: number): TfjsWeightGroup => {
    const grp = g as { paths?: unknown; weights?: unknown } | null;
    if (!grp || !Array.isArray(grp.paths) || !grp.paths.every((p) => typeof p === 'string')) fail(`weightsManifest[${gi}].paths must be a list of strings`);
    if (!Array.isArray(grp!.weights)) fail(`weightsManifest[${gi}].weights must be a list`);
    const weights = (grp!.weights as unknown[]).map((w, wi): TfjsWeightSpec => {
      const s = w as Partial<TfjsWeightSpec> | null;
      const where = `weightsManifest[${gi}].weights[${wi}]${s && typeof s.name === 'string' ? ` '${s.name}'` : ''}`;
      if (!s || typeof s.name !== 'string') fail(`${where}: missing name`);
      if (!Array.isArray(s!.shape) || !s!.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`${where}: shape ${JSON.stringify(s!.shape)} is not a list of non-negative integers`);
      if (typeof s!.dtype !== 'string') fail(`${where}: missing dtype`);
      const dtype = s!.dtype!;
      const q = s!.quantization;
      if (q !== undefined) {
        if (!q || !['uint8', 'uint16', 'float16'].includes(q.dtype)) fail(`${where}: unsupported quantization ${JSON.stringify(q)}`);
        if (q.dtype !== 'float16' && !(Number.isFinite(q.scale) && Number.isFinite(q.min))) fail(`${where}: ${q.dtype} quantization needs numeric scale and min`);
        if (q.dtype === 'float16' && dtype !== 'float32') fail(`${where}: float16 quantization applies to float32 weights only, not ${dtype}`);
        if (dtype !== 'float32' && dtype !== 'int32') fail(`${where}: quantised weights must be float32 or int32, not ${dtype}`);
      } else if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') {
        fail(`${where}: unsupported dtype '${dtype}' (float32, int32, bool)`);
      }
      return { name: s!.name!, shape: [...s!.shape!], dtype, quantization: q ? { ...q } : undefined };
    });
    return { paths: [...(grp!.paths as string[])], weights };
  });
}

function byteLength(w: TfjsWeightSpec): number {
  const n = w.shape.reduce((a, b) => a * b, 1);
  return n * VALUE_BYTES[w.quantization ? w.quantization.dtype : w.dtype]!;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Little-endian 16-bit values of `raw` (an aligned copy when the host is little-endian). */
function u16(raw: Uint8Array, n: number): Uint16Array {
  if (LITTLE_ENDIAN) return new Uint16Array(raw.slice().buffer, 0, n);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) out[i] = dv.getUint16(2 * i, true);
  return out;
}

// Plain indexed loops over typed views: per-element callbacks and DataView reads made decoding
// several times slower than tfjs-core's io.decodeWeights (kernels-bench/tfjs-read-bench.ts).
function decodeWeight(w: TfjsWeightSpec, raw: Uint8Array): HostTensor {
  const n = w.shape.reduce((a, b) => a * b, 1);
  const q = w.quantization;
  if (q) {
    if (q.dtype === 'float16') {
      const h = u16(raw, n);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(h[i]!);
      return { shape: w.shape, data: out };
    }
    const src = q.dtype === 'uint8' ? raw : u16(raw, n);
    const scale = q.scale!, min = q.min!;
    const out = w.dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
    if (w.dtype === 'int32') for (let i = 0; i < n; i++) out[i] = Math.round(src[i]! * scale + min);
    else for (let i = 0; i < n; i++) out[i] = src[i]! * scale + min;
    return { shape: w.shape, data: out };
  }
  if (w.dtype === 'bool') return { shape: w.shape, data: Uint32Array.from(raw) };
  // On little-endian hosts (all current ones) the bytes are the values: one aligned copy.
  if (LITTLE_ENDIAN) return { shape: w.shape, data: w.dtype === 'float32' ? new Float32Array(raw.slice().buffer) : new Int32Array(raw.slice().buffer) };
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = w.dtype === 'float32' ? new Float32Array(n) : new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = w.dtype === 'float32' ? dv.getFloat32(4 * i, true) : dv.getInt32(4 * i, true);
  return { shape: w.shape, data: out };
}

/** Decodes one group from its concatenated shard bytes. */
export function decodeWeightGroup(group: TfjsWeightGroup, bytes: Uint8Array, source = 'model.json'): Map<string, HostTensor> {
  const need = group.weights.reduce((s, w) => s + byteLength(w), 0);
  if (bytes.length !== need) {
    throw new TfjsManifestError(`${source}: shards [${group.paths.join(', ')}] hold ${bytes.length} bytes but their weights need ${need}${bytes.length < need ? ' (truncated shard?)' : ''}`);
  }
  const out = new Map<string, HostTensor>();
  let off = 0;
  for (const w of group.weights) {
    const len = byteLength(w);
    out.set(w.name, decodeWeight(w, bytes.subarray(off, off + len)));
    off += len;
  }
  return out;
}

/**
 * Loads every weight of a model.json: reads each group's shards through `read`, checks sizes
 * and decodes. Names must be unique across groups.
 */
export async function loadTfjsWeights(modelJson: unknown, read: ShardReader, source = 'model.json'): Promise<Map<string, HostTensor>> {
  const groups = parseWeightsManifest(modelJson, source);
  const out = new Map<string, HostTensor>();
  for (const g of groups) {
    const shards: Uint8Array[] = [];
    for (const p of g.paths) shards.push(await read(p));
    const total = shards.reduce((s, b) => s + b.length, 0);
    const bytes = new Uint8Array(total);
    let off = 0;
    for (const b of shards) {
      bytes.set(b, off);
      off += b.length;
    }
    for (const [name, t] of decodeWeightGroup(g, bytes, source)) {
      if (out.has(name)) throw new TfjsManifestError(`${source}: weight '${name}' appears twice`);
      out.set(name, t);
    }
  }
  return out;
}
