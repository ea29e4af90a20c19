/**
 * safetensors (https://github.com/huggingface/safetensors) read and write, pure (no Node).
 *
 * Layout: 8-byte little-endian u64 N, then N bytes of UTF-8 JSON
 * `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {str: str}}`
 * (the writer pads it with spaces so the data starts 8-byte aligned), then the data section;
 * offsets are relative to the data section, little-endian, row-major.
 *
 * Reading validates the whole header before decoding anything: header length sane and inside
 * the file, JSON an object, each entry's dtype known, shape non-negative integers, byte length =
 * numel × dtype size, and the entries tiling the data section exactly (sorted by offset:
 * contiguous from 0, no gaps or overlaps, ending at the end of the file) — the rules of the
 * reference implementation. Every error names the source and the offending entry.
 *
 * Decoded dtypes: F32; F16, BF16, F64 → f32; I32; I64 → i32 (range-checked); I16, I8 → i32;
 * U32; U64 → u32 (range-checked); U16, U8, BOOL → u32. Written dtypes: F32, I32, U32.
 */
import { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import type { HostTensor } from '../nn/host-tensor.js';
import { hostDType } from '../nn/host-tensor.js';
import { StateDictError, type LoadReport, type LoadStateDictOptions, type Module } from '../nn/module.js';

export type SafeDType = 'BOOL' | 'U8' | 'I8' | 'I16' | 'U16' | 'F16' | 'BF16' | 'I32' | 'U32' | 'F32' | 'F64' | 'I64' | 'U64';

const DTYPE_BYTES: Readonly<Record<SafeDType, number>> = {
  BOOL: 1, U8: 1, I8: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};

/** The reference implementation's limit on the header size. */
export const MAX_HEADER_BYTES = 100_000_000;

/** A malformed safetensors file; the message names the source and the tensor. */
export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

export interface SafetensorsEntry {
  name: string;
  dtype: SafeDType;
  shape: number[];
  /** Byte range inside the data section. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** Offset of the data section in the file (8 + header length). */
  dataOffset: number;
}

export interface DecodedSafetensors {
  tensors: Map<string, HostTensor>;
  metadata: Record<string, string>;
}

const isNonNegInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Parses and validates the header (no tensor data is decoded). `fileSize` is the size of the
 * whole file when `bytes` holds only its beginning (at least the 8 + N header bytes).
 */
export function readSafetensorsHeader(bytes: Uint8Array, source = '<bytes>', fileSize = bytes.length): SafetensorsHeader {
  const fail = (msg: string): never => {
    throw new SafetensorsError(`${source}: ${msg}`);
  };
  if (fileSize < 8 || bytes.length < 8) fail(`${fileSize} bytes is too short for a safetensors file (8-byte header length missing; truncated?)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = dv.getUint32(0, true), hi = dv.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (hi !== 0 || n > MAX_HEADER_BYTES) fail(`header length ${n} exceeds the limit of ${MAX_HEADER_BYTES} bytes (not a safetensors file?)`);
  if (n < 2) fail(`header length ${n} is too small for a JSON object`);
  if (8 + n > fileSize || 8 + n > bytes.length) fail(`header length ${n} runs past the end of the ${fileSize}-byte file (truncated?)`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail('header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail('header JSON is not an object');
  const dataLength = fileSize - 8 - n;
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__['${k}'] must be a string, got ${JSON.stringify(v)}`);
        metadata[k] = v as string;
      }
      continue;
    }
    const bad = (msg: string): never => fail(`tensor '${name}': ${msg}`);
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) bad('entry is not an object');
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BYTES)) bad(`unsupported dtype ${JSON.stringify(e.dtype)}`);
    if (!Array.isArray(e.shape) || !e.shape.every(isNonNegInt)) bad(`shape ${JSON.stringify(e.shape)} is not a list of non-negative integers`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !isNonNegInt(off[0]) || !isNonNegInt(off[1]) || off[0] > off[1]) {
      bad(`data_offsets ${JSON.stringify(off)} must be [begin, end] with 0 <= begin <= end`);
    }
    const dtype = e.dtype as SafeDType;
    const shape = e.shape as number[];
    const [begin, end] = off as [number, number];
    const numel = shape.reduce((a, b) => a * b, 1);
    const expected = numel * DTYPE_BYTES[dtype];
    if (!Number.isSafeInteger(expected)) bad(`shape [${shape.join(', ')}] is too large`);
    if (end - begin !== expected) bad(`data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but ${dtype} [${shape.join(', ')}] needs ${expected}`);
    if (end > dataLength) bad(`data_offsets [${begin}, ${end}] run past the ${dataLength}-byte data section (truncated file?)`);
    entries.push({ name, dtype, shape, begin, end });
  }
  // The entries must tile the data section exactly.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of sorted) {
    if (e.begin < pos) fail(`tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] overlap the previous tensor (which ends at ${pos})`);
    if (e.begin > pos) fail(`tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] leave a gap after byte ${pos}`);
    pos = e.end;
  }
  if (pos !== dataLength) fail(`tensors cover ${pos} bytes but the data section has ${dataLength} (trailing bytes or truncated file)`);
  return { entries, metadata, dataOffset: 8 + n };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** IEEE half → float. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function decodeEntry(bytes: Uint8Array, e: SafetensorsEntry, source: string): HostTensor {
  const n = e.shape.reduce((a, b) => a * b, 1);
  const raw = bytes.subarray(e.begin, e.end);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  // A copy at offset 0 is aligned for any typed array view.
  const aligned = (): ArrayBuffer => raw.slice().buffer;
  const rangeError = (i: number, v: number, to: string): never => {
    throw new SafetensorsError(`${source}: tensor '${e.name}': element ${i} = ${v} does not fit ${to}`);
  };
  switch (e.dtype) {
    case 'F32':
      if (LITTLE_ENDIAN) return { shape: e.shape, data: new Float32Array(aligned()) };
      return { shape: e.shape, data: Float32Array.from({ length: n }, (_, i) => dv.getFloat32(4 * i, true)) };
    case 'I32':
      if (LITTLE_ENDIAN) return { shape: e.shape, data: new Int32Array(aligned()) };
      return { shape: e.shape, data: Int32Array.from({ length: n }, (_, i) => dv.getInt32(4 * i, true)) };
    case 'U32':
      if (LITTLE_ENDIAN) return { shape: e.shape, data: new Uint32Array(aligned()) };
      return { shape: e.shape, data: Uint32Array.from({ length: n }, (_, i) => dv.getUint32(4 * i, true)) };
    case 'F16':
      return { shape: e.shape, data: Float32Array.from({ length: n }, (_, i) => halfToFloat(dv.getUint16(2 * i, true))) };
    case 'BF16': {
      const bits = new Uint32Array(n);
      for (let i = 0; i < n; i++) bits[i] = dv.getUint16(2 * i, true) << 16;
      return { shape: e.shape, data: new Float32Array(bits.buffer) };
    }
    case 'F64':
      return { shape: e.shape, data: Float32Array.from({ length: n }, (_, i) => dv.getFloat64(8 * i, true)) };
    case 'I64': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = dv.getBigInt64(8 * i, true);
        if (v < -2147483648n || v > 2147483647n) rangeError(i, Number(v), 'i32');
        out[i] = Number(v);
      }
      return { shape: e.shape, data: out };
    }
    case 'U64': {
      const out = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        const v = dv.getBigUint64(8 * i, true);
        if (v > 4294967295n) rangeError(i, Number(v), 'u32');
        out[i] = Number(v);
      }
      return { shape: e.shape, data: out };
    }
    case 'I16':
      return { shape: e.shape, data: Int32Array.from({ length: n }, (_, i) => dv.getInt16(2 * i, true)) };
    case 'U16':
      return { shape: e.shape, data: Uint32Array.from({ length: n }, (_, i) => dv.getUint16(2 * i, true)) };
    case 'I8':
      return { shape: e.shape, data: Int32Array.from({ length: n }, (_, i) => dv.getInt8(i)) };
    case 'U8':
    case 'BOOL':
      return { shape: e.shape, data: Uint32Array.from(raw) };
  }
}

export interface DecodeOptions {
  /** Named in every error (e.g. the file path). */
  source?: string;
  /** Decode only the tensors this accepts (the header is still validated in full). */
  filter?: (name: string) => boolean;
}

/** Validates the header, then decodes every tensor to host arrays. */
export function decodeSafetensors(bytes: Uint8Array, opts: DecodeOptions = {}): DecodedSafetensors {
  const source = opts.source ?? '<bytes>';
  const header = readSafetensorsHeader(bytes, source);
  const data = bytes.subarray(header.dataOffset);
  const tensors = new Map<string, HostTensor>();
  for (const e of header.entries) if (!opts.filter || opts.filter(e.name)) tensors.set(e.name, decodeEntry(data, e, source));
  return { tensors, metadata: header.metadata };
}

const WRITE_DTYPE = { f32: 'F32', i32: 'I32', u32: 'U32' } as const;

/**
 * Encodes host tensors (keys sorted, data in that order, header space-padded to an 8-byte
 * boundary). `metadata` values must be strings (the format's rule).
 */
export function encodeSafetensors(tensors: ReadonlyMap<string, HostTensor>, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw new SafetensorsError(`__metadata__['${k}'] must be a string`);
    header['__metadata__'] = { ...metadata };
  }
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw new SafetensorsError("'__metadata__' is reserved and cannot name a tensor");
    const t = tensors.get(name)!;
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new SafetensorsError(`tensor '${name}': ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    header[name] = { dtype: WRITE_DTYPE[hostDType(t)], shape: [...t.shape], data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil((8 + json.length) / 8) * 8 - 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, json.length, true);
  dv.setUint32(4, 0, true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const name of names) {
    const t = tensors.get(name)!;
    if (LITTLE_ENDIAN) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    else {
      const isF = t.data instanceof Float32Array, isI = t.data instanceof Int32Array;
      for (let i = 0; i < t.data.length; i++) {
        if (isF) dv.setFloat32(pos + 4 * i, t.data[i]!, true);
        else if (isI) dv.setInt32(pos + 4 * i, t.data[i]!, true);
        else dv.setUint32(pos + 4 * i, t.data[i]!, true);
      }
    }
    pos += t.data.byteLength;
  }
  return out;
}

// ---- GPU tensors and modules -----------------------------------------------------------------

/** Reads tensors back to the host (one readback each). */
export async function toHost(tensors: ReadonlyMap<string, Tensor | HostTensor>): Promise<Map<string, HostTensor>> {
  const out = new Map<string, HostTensor>();
  for (const [k, t] of tensors) out.set(k, t instanceof Tensor ? { shape: [...t.shape], data: await t.toArray() } : t);
  return out;
}

/** A module's (or any) state dict as safetensors bytes. */
export async function saveSafetensors(tensors: ReadonlyMap<string, Tensor | HostTensor>, metadata?: Readonly<Record<string, string>>): Promise<Uint8Array> {
  return encodeSafetensors(await toHost(tensors), metadata);
}

/** Decodes a file and uploads every tensor (caller owns them). */
export function safetensorsToTensors(bytes: Uint8Array, opts: DecodeOptions = {}): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const { tensors, metadata } = decodeSafetensors(bytes, opts);
  const out = new Map<string, Tensor>();
  for (const [k, h] of tensors) {
    const t = new Tensor(h.shape, hostDType(h), 'upload');
    if (h.data.length) runtime().write(t.buffer, h.data);
    out.set(k, t);
  }
  return { tensors: out, metadata };
}

/**
 * Loads safetensors bytes into a module, all-or-nothing: the file is validated and decoded in
 * full, then every name and shape is checked against the module (one error listing every
 * problem, or a report when non-strict) before any parameter is written.
 */
export function loadSafetensorsInto(module: Module, bytes: Uint8Array, opts: LoadStateDictOptions & { source?: string } = {}): LoadReport {
  const source = opts.source ?? '<bytes>';
  const { tensors } = decodeSafetensors(bytes, { source });
  try {
    return module.loadStateDict(tensors, opts);
  } catch (e) {
    if (e instanceof StateDictError) throw new StateDictError(`${source}: ${e.message}`, e.report);
    throw e;
  }
}
