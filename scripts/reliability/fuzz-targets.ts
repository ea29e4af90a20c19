/**
 * Seeded mutation fuzzing of every reader a user can point at a file: safetensors, TF.js weight
 * manifests (+ shards), the checkpoint JSON, the dataset formats (RAF-DB list, FER2013 CSV,
 * FERPlus CSV and folders, AffectNet CSV, class folders) and PNG/JPEG images.
 *
 * Each target makes valid seed files with the project's own writers, applies one seeded mutation
 * (truncation, bit flips, hostile bytes, inserted/deleted chunks, oversized length fields,
 * structured JSON / CSV cell replacements) and runs the reader. The outcome is classified:
 *   error          — a clean error of the reader's own class that names the file (and the row,
 *                    for a row-level mutation of a CSV/list);
 *   accepted-same  — the reader returned what it returns for the seed;
 *   accepted-changed — it returned something else that passes every consistency check (e.g. a
 *                    bit flip inside tensor data or JPEG scan data: those formats carry no
 *                    checksum, so the change is undetectable by design);
 *   and the failures: error-unnamed (right class, file not named), crash (any other exception),
 *   silent-wrong (accepted but inconsistent, or a mutation that must be rejected, such as a
 *   truncated safetensors file, was accepted with a different result), slow (> SLOW_MS; the
 *   runner in fuzz.ts also catches true hangs and out-of-memory in an isolated worker).
 *
 * Used by scripts/reliability/fuzz.ts (thousands of cases) and test/reliability/fuzz.test.ts
 * (a few hundred).
 */
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from '../../src/io/safetensors.js';
import { loadTfjsWeights, TfjsManifestError } from '../../src/io/tfjs-manifest.js';
import { decodeImage, nodeCodec } from '../../src/io/image/codec-node.js';
import { ImageDecodeError } from '../../src/io/image/types.js';
import type { HostTensor } from '../../src/nn/host-tensor.js';
import { MemoryFiles } from '../../src/data/formats/files.js';
import { loadDataset } from '../../src/data/formats/detect.js';
import { writeDataset } from '../../src/data/formats/write.js';
import type { FormatName, LoadedDataset } from '../../src/data/formats/types.js';
import { DataError } from '../../src/data/errors.js';
import { synthSamples } from '../../src/data/dataset-node.js';
import { synthConfig } from '../../src/data/synth/generator.js';
import { readCheckpointMeta, CheckpointError } from '../../src/train/checkpoint-node.js';
import { checkStoredConfig, CheckpointConfigError } from '../../src/train/checkpoint-config.js';
import { TINY } from '../../src/models/arbex/config.js';
import { DEFAULT_JOB } from '../../src/train/run-node.js';
import { writeFerplus } from '../../src/data/formats/ferplus.js';

export const SLOW_MS = 2000;

// ---- seeded randomness (mulberry32; independent of the code under test) ----------------------
export class FuzzRng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

// ---- byte-level mutations ----------------------------------------------------------------------
export type Mutation = { kind: string; bytes: Uint8Array; mustReject?: boolean; rowLevel?: boolean };

const HOSTILE_BYTES = [0x00, 0xff, 0x7f, 0x80, 0x22, 0x2c, 0x0a, 0x0d, 0x20, 0x5c];

export function mutateBytes(src: Uint8Array, rng: FuzzRng): Mutation {
  const b = new Uint8Array(src);
  const n = b.length;
  switch (rng.int(6)) {
    case 0: {
      // Truncation: anywhere, with a bias towards the very start and end.
      const cut = rng.next() < 0.3 ? rng.int(Math.min(n, 64)) : rng.next() < 0.5 ? Math.max(0, n - 1 - rng.int(Math.min(n, 64))) : rng.int(n);
      return { kind: 'truncate', bytes: b.slice(0, cut) };
    }
    case 1: {
      const flips = 1 + rng.int(4);
      for (let i = 0; i < flips; i++) {
        const p = rng.next() < 0.5 ? rng.int(Math.min(n, 256)) : rng.int(n);
        b[p]! ^= 1 << rng.int(8);
      }
      return { kind: 'bitflip', bytes: b };
    }
    case 2: {
      const k = 1 + rng.int(8);
      for (let i = 0; i < k; i++) b[rng.int(n)] = rng.pick(HOSTILE_BYTES);
      return { kind: 'hostile-bytes', bytes: b };
    }
    case 3: {
      const at = rng.int(n + 1);
      const len = 1 + rng.int(64);
      const chunk = Uint8Array.from({ length: len }, () => (rng.next() < 0.5 ? rng.pick(HOSTILE_BYTES) : rng.int(256)));
      const out = new Uint8Array(n + len);
      out.set(b.subarray(0, at));
      out.set(chunk, at);
      out.set(b.subarray(at), at + len);
      return { kind: 'insert', bytes: out };
    }
    case 4: {
      const at = rng.int(n);
      const len = 1 + rng.int(Math.min(64, n - at));
      const out = new Uint8Array(n - len);
      out.set(b.subarray(0, at));
      out.set(b.subarray(at + len), at);
      return { kind: 'delete', bytes: out };
    }
    default: {
      // An aligned 32-bit word set to a huge or tiny value (length fields, sizes, offsets).
      if (n >= 4) {
        const at = rng.int(n - 3) & ~3;
        new DataView(b.buffer).setUint32(at, rng.pick([0xffffffff, 0x7fffffff, 0x80000000, 0, 1, 0xfffffff0]), rng.next() < 0.5);
      }
      return { kind: 'oversize-word', bytes: b };
    }
  }
}

// ---- structured JSON mutations -------------------------------------------------------------------
const HOSTILE_VALUES: unknown[] = [
  null, -1, 0, 1e308, -1e308, 2 ** 53, 2 ** 32, 1.5, '', 'x', '__proto__', [], {}, [1e9, 1e9], [-1], [0.5], true, false,
  { dtype: 'F32', shape: [1e12], data_offsets: [0, 4] }, 'F32', 'I64', 'float32', [[1]], 'NaN', '1e999',
];

function jsonPaths(v: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(path);
  if (Array.isArray(v)) v.forEach((x, i) => jsonPaths(x, [...path, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) jsonPaths(x, [...path, k], out);
  return out;
}

/** Replaces, deletes or adds one node of a JSON value. */
export function mutateJson(value: unknown, rng: FuzzRng): { kind: string; value: unknown } {
  const v = structuredClone(value);
  const paths = jsonPaths(v).filter((p) => p.length > 0);
  const path = rng.pick(paths);
  let parent: unknown = v;
  for (const k of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[k];
  const key = path[path.length - 1]!;
  const r = rng.int(4);
  if (r === 0 && !Array.isArray(parent)) {
    delete (parent as Record<string, unknown>)[key as string];
    return { kind: 'json-delete', value: v };
  }
  if (r === 1 && !Array.isArray(parent)) {
    (parent as Record<string, unknown>)[rng.pick(['extra', '__metadata__', '__proto__', 'constructor', 'zz'])] = rng.pick(HOSTILE_VALUES);
    return { kind: 'json-add', value: v };
  }
  if (r === 2) {
    const old = (parent as Record<string | number, unknown>)[key];
    if (typeof old === 'number') {
      (parent as Record<string | number, unknown>)[key] = rng.pick([old + 1, old - 1, old * 2, -old, old + 0.5, old * 1e6]);
      return { kind: 'json-number', value: v };
    }
  }
  (parent as Record<string | number, unknown>)[key] = structuredClone(rng.pick(HOSTILE_VALUES));
  return { kind: 'json-replace', value: v };
}

// ---- CSV / line mutations -----------------------------------------------------------------------
const HOSTILE_CELLS = ['', '-1', '1e309', 'abc', '999999999999', '"', '""', '0x10', '3.5', ' 7 ', 'NaN', 'Infinity', '-0', '1,2', 'a\nb', '\u0000'];

/** Replaces one cell (or drops/duplicates one) of a comma-separated line; whitespace lists when sep is ' '. */
export function mutateLines(text: string, rng: FuzzRng, sep: ',' | ' '): { kind: string; text: string; rowLevel: boolean } {
  const lines = text.split('\n');
  const body = lines.length > 2 ? 1 + rng.int(lines.length - 2) : 0; // skip the header when there is one
  const li = rng.next() < 0.1 ? 0 : body;
  const cells = lines[li]!.split(sep);
  const r = rng.int(4);
  let kind: string;
  if (r === 0 && cells.length > 1) {
    cells.splice(rng.int(cells.length), 1);
    kind = 'line-drop-cell';
  } else if (r === 1) {
    cells.splice(rng.int(cells.length + 1), 0, rng.pick(HOSTILE_CELLS));
    kind = 'line-insert-cell';
  } else {
    const ci = rng.int(cells.length);
    const old = cells[ci]!;
    // Inside a long space-separated pixels cell, damage one value rather than the whole cell.
    if (old.includes(' ') && sep === ',' && rng.next() < 0.7) {
      const px = old.split(' ');
      const pi = rng.int(px.length);
      if (rng.next() < 0.5) px[pi] = rng.pick(HOSTILE_CELLS.filter((c) => !c.includes('\n')));
      else px.splice(pi, 1);
      cells[ci] = px.join(' ');
    } else cells[ci] = rng.pick(HOSTILE_CELLS);
    kind = 'line-cell';
  }
  lines[li] = cells.join(sep);
  return { kind, text: lines.join('\n'), rowLevel: li > 0 || sep === ' ' };
}

// ---- outcomes ------------------------------------------------------------------------------------
export type Outcome = 'error' | 'accepted-same' | 'accepted-changed' | 'error-unnamed' | 'crash' | 'silent-wrong' | 'slow' | 'hang' | 'oom';
export const BAD_OUTCOMES: readonly Outcome[] = ['error-unnamed', 'crash', 'silent-wrong', 'slow', 'hang', 'oom'];

export interface CaseResult {
  target: string;
  index: number;
  kind: string;
  outcome: Outcome;
  ms: number;
  detail?: string;
}

export type CaseOutcome = Omit<CaseResult, 'ms' | 'target' | 'index'>;

/** One target: builds seeds once, then runs case i (deterministic in (seed, i)). */
export interface FuzzTarget {
  name: string;
  run(index: number, seed: number): CaseOutcome | Promise<CaseOutcome>;
}

/** Classifies a thrown value: the reader's own error class naming `names` (any one), else a failure. */
function classifyError(e: unknown, classes: (abstract new (...a: never[]) => Error)[], names: string[], needRow: boolean): { outcome: Outcome; detail: string } {
  const err = e as Error;
  const msg = String(err?.message ?? e);
  if (e instanceof RangeError && /allocation|Invalid typed array length|Array buffer|out of memory/i.test(msg)) return { outcome: 'oom', detail: msg };
  if (!classes.some((c) => e instanceof c)) return { outcome: 'crash', detail: `${err?.name ?? typeof e}: ${msg}\n${err?.stack?.split('\n').slice(1, 4).join('\n') ?? ''}` };
  if (!names.some((n) => msg.includes(n))) return { outcome: 'error-unnamed', detail: msg };
  if (needRow && !/:\d+: /.test(msg) && !/line \d+|row \d+/.test(msg)) return { outcome: 'error-unnamed', detail: `no row in: ${msg}` };
  return { outcome: 'error', detail: msg };
}

// ---- safetensors ----------------------------------------------------------------------------------
function safetensorsSeeds(): Uint8Array[] {
  const t = (shape: number[], data: HostTensor['data']): HostTensor => ({ shape, data });
  const seeds: Uint8Array[] = [
    encodeSafetensors(new Map([
      ['layer.weight', t([3, 5], Float32Array.from({ length: 15 }, (_, i) => i * 0.25 - 1))],
      ['layer.bias', t([5], new Float32Array([1, -2, 3.5, 0, 7]))],
      ['counts', t([2, 2], new Int32Array([1, -1, 2 ** 30, 0]))],
      ['scalar', t([], new Float32Array([42]))],
      ['empty', t([0, 4], new Float32Array(0))],
      ['ids', t([3], new Uint32Array([0, 1, 4294967295]))],
    ]), { format: 'pt', note: 'fuzz seed' }),
    encodeSafetensors(new Map([['w', t([1], new Float32Array([0.5]))]])),
  ];
  try {
    seeds.push(new Uint8Array(readFileSync(new URL('../../test/io/fixtures/torch-modules.safetensors', import.meta.url))));
  } catch {
    // the PyTorch-written fixture (more dtypes) is optional
  }
  return seeds;
}

/** Independent check of a decoded file: each tensor's values equal the bytes at its offsets. */
function checkSafetensors(bytes: Uint8Array, out: ReturnType<typeof decodeSafetensors>): string | null {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  for (const [name, t] of out.tensors) {
    const h = header[name];
    if (!h) return `tensor '${name}' returned but not in the header`;
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== numel) return `tensor '${name}': ${t.data.length} values for shape [${t.shape}]`;
    if (['F32', 'I32', 'U32'].includes(h.dtype)) {
      const raw = bytes.subarray(8 + n + h.data_offsets[0], 8 + n + h.data_offsets[1]);
      const got = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      if (raw.length !== got.length || raw.some((x, i) => x !== got[i])) return `tensor '${name}': values differ from the file's bytes`;
    }
  }
  return null;
}

function sameTensors(a: Map<string, HostTensor>, b: Map<string, HostTensor>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, x] of a) {
    const y = b.get(k);
    if (!y || x.shape.join() !== y.shape.join() || x.data.length !== y.data.length || x.data.constructor !== y.data.constructor) return false;
    for (let i = 0; i < x.data.length; i++) if (!Object.is(x.data[i], y.data[i])) return false;
  }
  return true;
}

function reencodeHeader(bytes: Uint8Array, header: unknown): Uint8Array {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - n);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + n), 8 + json.length);
  return out;
}

export function safetensorsTarget(): FuzzTarget {
  const seeds = safetensorsSeeds();
  const decoded = seeds.map((s) => decodeSafetensors(s).tensors);
  const source = 'fuzz/model.safetensors';
  return {
    name: 'safetensors',
    run(i, seed) {
      const rng = new FuzzRng(seed * 1_000_003 + i);
      const si = rng.int(seeds.length);
      const s = seeds[si]!;
      let m: Mutation;
      if (rng.next() < 0.45) {
        // Structured: a valid-looking header with one field changed (exercises the deep checks).
        const n = Number(new DataView(s.buffer, s.byteOffset).getBigUint64(0, true));
        const j = mutateJson(JSON.parse(new TextDecoder().decode(s.subarray(8, 8 + n))), rng);
        m = { kind: j.kind, bytes: reencodeHeader(s, j.value) };
      } else {
        m = mutateBytes(s, rng);
        if (m.kind === 'truncate') m.mustReject = true; // the entries must tile the file exactly
      }
      try {
        const out = decodeSafetensors(m.bytes, { source });
        const bad = checkSafetensors(m.bytes, out);
        if (bad) return { kind: m.kind, outcome: 'silent-wrong', detail: bad };
        const same = sameTensors(out.tensors, decoded[si]!);
        if (m.mustReject && !same) return { kind: m.kind, outcome: 'silent-wrong', detail: 'truncated file accepted' };
        return { kind: m.kind, outcome: same ? 'accepted-same' : 'accepted-changed' };
      } catch (e) {
        return { kind: m.kind, ...classifyError(e, [SafetensorsError], [source], false) };
      }
    },
  };
}

// ---- TF.js manifests ----------------------------------------------------------------------------
function tfjsSeed(): { modelJson: unknown; shards: Map<string, Uint8Array> } {
  const f32 = new Uint8Array(new Float32Array([0.5, -1.25, 3, 1e-3, -7, 2.5]).buffer);
  const i32 = new Uint8Array(new Int32Array([7, -3]).buffer);
  const q8 = new Uint8Array([0, 1, 128, 255]);
  const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x0000]).buffer);
  const bool = new Uint8Array([1, 0, 1]);
  const g1 = new Uint8Array([...f32, ...i32, ...q8]);
  const g2 = new Uint8Array([...f16, ...bool]);
  return {
    modelJson: {
      format: 'layers-model',
      weightsManifest: [
        {
          paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'],
          weights: [
            { name: 'conv/kernel', shape: [1, 2, 3], dtype: 'float32' },
            { name: 'steps', shape: [2], dtype: 'int32' },
            { name: 'dense/kernel', shape: [2, 2], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.01, min: -1 } },
          ],
        },
        {
          paths: ['group2-shard1of1.bin'],
          weights: [
            { name: 'dense/bias', shape: [3], dtype: 'float32', quantization: { dtype: 'float16' } },
            { name: 'mask', shape: [3], dtype: 'bool' },
          ],
        },
      ],
    },
    shards: new Map([['group1-shard1of2.bin', g1.slice(0, 20)], ['group1-shard2of2.bin', g1.slice(20)], ['group2-shard1of1.bin', g2]]),
  };
}

export function tfjsTarget(): FuzzTarget {
  const seed0 = tfjsSeed();
  const source = 'fuzz/model.json';
  let reference: Map<string, HostTensor> | null = null;
  const load = async (json: string, shards: Map<string, Uint8Array>): Promise<Map<string, HostTensor>> =>
    loadTfjsWeights(json, async (p) => {
      const b = shards.get(p);
      if (!b) throw new TfjsManifestError(`${source}: cannot read shard '${p}'`);
      return b;
    }, source);
  const settle = <T>(p: Promise<T>): Promise<{ ok: T } | { err: unknown }> => p.then((ok) => ({ ok }), (err: unknown) => ({ err }));
  return {
    name: 'tfjs-manifest',
    async run(i, seed) {
      if (!reference) {
        const r = await settle(load(JSON.stringify(seed0.modelJson), seed0.shards));
        if (!('ok' in r)) throw r.err;
        reference = r.ok;
      }
      const rng = new FuzzRng(seed * 1_000_003 + i + 7);
      let json = JSON.stringify(seed0.modelJson);
      const shards = new Map(seed0.shards);
      let kind: string;
      let mustReject = false;
      const r0 = rng.next();
      if (r0 < 0.4) {
        const j = mutateJson(seed0.modelJson, rng);
        json = JSON.stringify(j.value);
        kind = j.kind;
      } else if (r0 < 0.6) {
        const m = mutateBytes(new TextEncoder().encode(json), rng);
        json = new TextDecoder().decode(m.bytes);
        kind = `json-${m.kind}`;
      } else {
        const name = rng.pick([...shards.keys()]);
        const m = mutateBytes(shards.get(name)!, rng);
        shards.set(name, m.bytes);
        kind = `shard-${m.kind}`;
        mustReject = m.bytes.length !== seed0.shards.get(name)!.length;
      }
      const r = await settle(load(json, shards));
      if ('err' in r) return { kind, ...classifyError(r.err, [TfjsManifestError], [source], false) };
      for (const [name, t] of r.ok) {
        if (t.data.length !== t.shape.reduce((a, b) => a * b, 1)) return { kind, outcome: 'silent-wrong', detail: `weight '${name}': ${t.data.length} values for [${t.shape}]` };
      }
      const same = sameTensors(r.ok, reference);
      if (mustReject && !same) return { kind, outcome: 'silent-wrong', detail: 'shard of the wrong size accepted' };
      return { kind, outcome: same ? 'accepted-same' : 'accepted-changed' };
    },
  };
}

// ---- checkpoint JSON ------------------------------------------------------------------------------
export function checkpointTarget(dir: string): FuzzTarget {
  const seedMeta = {
    format: 'arbex-checkpoint-1',
    id: 'mg1x2-abc-1234',
    state: {
      options: { ...DEFAULT_JOB, config: structuredClone(TINY), out: 'runs/tiny' },
      epoch: 2, step: 10, history: [], stepLosses: [1.9, 1.8], best: { valAcc: 0.25, epoch: 2 }, scheduler: null, seconds: 12.5,
    },
    optimizer: { type: 'Adam', step: 10, groups: [] },
  };
  const path = join(dir, 'last.json');
  return {
    name: 'checkpoint-json',
    run(i, seed) {
      const rng = new FuzzRng(seed * 1_000_003 + i + 13);
      let text: string;
      let kind: string;
      if (rng.next() < 0.6) {
        // Mutations aimed at the parts a reader acts on: mostly the stored model config.
        const base = rng.next() < 0.7 ? { cfg: seedMeta.state.options.config } : { cfg: seedMeta };
        const j = mutateJson(base.cfg, rng);
        const meta = structuredClone(seedMeta) as Record<string, unknown>;
        if (base.cfg === seedMeta) text = JSON.stringify(j.value);
        else {
          ((meta.state as Record<string, unknown>).options as Record<string, unknown>).config = j.value;
          text = JSON.stringify(meta);
        }
        kind = j.kind;
      } else {
        const m = mutateBytes(new TextEncoder().encode(JSON.stringify(seedMeta, null, 2)), rng);
        text = new TextDecoder().decode(m.bytes);
        kind = m.kind;
      }
      writeFileSync(path, text);
      try {
        const meta = readCheckpointMeta<{ options: { config: unknown } }>(dir, 'last');
        const opts = meta.state.options;
        if (opts === null || typeof opts !== 'object') throw new CheckpointError(`${path}: state.options is missing`);
        const cfg = checkStoredConfig(opts.config, path);
        const same = JSON.stringify(cfg) === JSON.stringify(TINY);
        return { kind, outcome: same ? 'accepted-same' : 'accepted-changed' };
      } catch (e) {
        return { kind, ...classifyError(e, [CheckpointError, CheckpointConfigError], [path], false) };
      }
    },
  };
}

// ---- datasets -------------------------------------------------------------------------------------
interface DatasetSeed {
  format: FormatName;
  files: MemoryFiles;
  /** Text files (lists, CSVs) and how their rows are separated. */
  text: Map<string, ',' | ' '>;
  loaded: LoadedDataset;
}

function datasetSeed(which: FormatName | 'ferplus-folders'): DatasetSeed {
  const cfg = synthConfig({ size: 40, seed: 3 });
  const samples = synthSamples(cfg, 10);
  const variants: { name: string; format: FormatName; write: (m: MemoryFiles) => void; text: [string, ',' | ' '][] }[] = [
    { name: 'raf', format: 'raf', write: (m) => writeDataset('raf', samples, m, nodeCodec), text: [['EmoLabel/list_patition_label.txt', ' ']] },
    { name: 'fer2013', format: 'fer2013', write: (m) => writeDataset('fer2013', samples, m, nodeCodec), text: [['fer2013.csv', ',']] },
    { name: 'ferplus', format: 'ferplus', write: (m) => writeFerplus(samples, m, nodeCodec, { layout: 'csv' }), text: [['fer2013.csv', ','], ['fer2013new.csv', ',']] },
    { name: 'ferplus-folders', format: 'ferplus', write: (m) => writeFerplus(samples, m, nodeCodec, { layout: 'folders' }), text: [['FER2013Train/label.csv', ','], ['FER2013Valid/label.csv', ',']] },
    { name: 'affectnet', format: 'affectnet', write: (m) => writeDataset('affectnet', samples, m, nodeCodec, 1), text: [['training.csv', ','], ['validation.csv', ',']] },
    { name: 'folder', format: 'folder', write: (m) => writeDataset('folder', samples, m, nodeCodec), text: [] },
  ];
  const v = variants.find((x) => x.name === which)!;
  const files = new MemoryFiles();
  v.write(files);
  const loaded = loadDataset(files, { decode: nodeCodec.decode });
  return { format: v.format, files, text: new Map(v.text), loaded };
}

function allSamples(d: LoadedDataset): LoadedDataset['splits']['train'][] {
  return [d.splits.train, d.splits.val, d.splits.test];
}

/** Consistency of an accepted dataset; null when fine. */
function checkDataset(d: LoadedDataset, seed: DatasetSeed): string | null {
  let n = 0;
  for (const s of allSamples(d)) {
    if (!s) continue;
    for (const x of s.samples) {
      n++;
      const im = x.image;
      if (!(im.width > 0 && im.height > 0) || im.data.length !== im.width * im.height * im.channels) return `image ${im.width}x${im.height}x${im.channels} with ${im.data.length} bytes`;
      if (!(Number.isInteger(x.label) && x.label >= 0 && x.label < d.numClasses)) return `label ${x.label}`;
      if (x.landmarks && (x.landmarks.length !== 136 || x.landmarks.some((v) => !Number.isFinite(v)))) return 'landmarks not 68 finite points';
      if (x.softLabel && (x.softLabel.some((v) => !(v >= 0)) || Math.abs(x.softLabel.reduce((a, b) => a + b, 0) - 1) > 1e-4)) return 'soft label not a distribution';
      // FER-style CSVs hold 48×48 faces: any other size means a damaged pixels cell was accepted.
      if ((seed.format === 'fer2013' || seed.format === 'ferplus') && (im.width !== 48 || im.height !== 48)) return `FER image ${im.width}x${im.height}, expected 48x48`;
    }
  }
  if (n !== d.summary.loaded) return `summary says ${d.summary.loaded} loaded, splits hold ${n}`;
  if (n > seed.loaded.summary.loaded + seed.loaded.summary.dropped + 1) return `${n} samples from a file with ${seed.loaded.summary.loaded}`;
  return null;
}

function sameDataset(a: LoadedDataset, b: LoadedDataset): boolean {
  const sa = allSamples(a), sb = allSamples(b);
  for (let k = 0; k < 3; k++) {
    const x = sa[k]?.samples ?? [], y = sb[k]?.samples ?? [];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) {
      if (x[i]!.label !== y[i]!.label || x[i]!.image.width !== y[i]!.image.width || x[i]!.image.height !== y[i]!.image.height) return false;
      const p = x[i]!.image.data, q = y[i]!.image.data;
      if (p.length !== q.length || p.some((v, j) => v !== q[j])) return false;
    }
  }
  return true;
}

export function datasetTarget(format: FormatName | 'ferplus-folders'): FuzzTarget {
  const seed = datasetSeed(format);
  const paths = seed.files.list();
  return {
    name: `dataset-${format}`,
    run(i, rseed) {
      const rng = new FuzzRng(rseed * 1_000_003 + i + 31);
      const files = new MemoryFiles();
      for (const p of paths) files.write(p, seed.files.read(p));
      const textFiles = [...seed.text.keys()];
      const images = paths.filter((p) => !seed.text.has(p));
      const useText = textFiles.length > 0 && (images.length === 0 || rng.next() < 0.75);
      const target = useText ? rng.pick(textFiles) : rng.pick(images);
      let kind: string;
      let rowLevel = false;
      if (useText && rng.next() < 0.6) {
        const m = mutateLines(new TextDecoder().decode(files.read(target)), rng, seed.text.get(target)!);
        files.write(target, m.text);
        kind = m.kind;
        rowLevel = m.rowLevel;
      } else if (rng.next() < 0.05) {
        files.delete(target);
        kind = 'delete-file';
      } else {
        const m = mutateBytes(files.read(target), rng);
        files.write(target, m.bytes);
        kind = m.kind;
      }
      kind = `${useText ? 'text' : 'image'}:${kind}`;
      try {
        const d = loadDataset(files, { decode: nodeCodec.decode }, seed.format);
        const bad = checkDataset(d, seed);
        if (bad) return { kind, outcome: 'silent-wrong', detail: `${target}: ${bad}` };
        return { kind, outcome: sameDataset(d, seed.loaded) ? 'accepted-same' : 'accepted-changed' };
      } catch (e) {
        // A damaged image may be reported by the list that names it; a damaged list by its row.
        return { kind, ...classifyError(e, [DataError], [target], rowLevel && !(e instanceof DataError && /unterminated quoted|wrong CSV columns|rows but/.test((e as Error).message))) };
      }
    },
  };
}

// ---- images -------------------------------------------------------------------------------------------
export function imageTarget(kind: 'png' | 'jpeg'): FuzzTarget {
  const cfg = synthConfig({ size: 40, seed: 9 });
  const imgs = synthSamples(cfg, 10).slice(0, 3).map((s) => s.sample.image);
  const seeds = imgs.map((im, k) => (kind === 'png' ? nodeCodec.encodePng(k === 1 ? { ...im, channels: 3 } : im) : nodeCodec.encodeJpeg(im, 90)));
  const ref = seeds.map((s) => decodeImage(s, 'seed'));
  const name = `fuzz/face.${kind === 'png' ? 'png' : 'jpg'}`;
  return {
    name: kind,
    run(i, seed) {
      const rng = new FuzzRng(seed * 1_000_003 + i + (kind === 'png' ? 57 : 91));
      const si = rng.int(seeds.length);
      const m = headerAware(seeds[si]!, kind, rng) ?? mutateBytes(seeds[si]!, rng);
      try {
        const im = decodeImage(m.bytes, name);
        if (!(im.width > 0 && im.height > 0) || im.data.length !== im.width * im.height * im.channels) return { kind: m.kind, outcome: 'silent-wrong', detail: `${im.width}x${im.height}x${im.channels}, ${im.data.length} bytes` };
        const r = ref[si]!;
        const same = im.width === r.width && im.height === r.height && im.channels === r.channels && im.data.every((v, j) => v === r.data[j]);
        if (m.kind === 'png-ihdr-size' && !same) return { kind: m.kind, outcome: 'silent-wrong', detail: `IHDR changed to ${im.width}x${im.height} and accepted` };
        if (m.kind === 'truncate' && !same) return { kind: m.kind, outcome: 'silent-wrong', detail: `truncated to ${m.bytes.length} of ${seeds[si]!.length} bytes and accepted` };
        return { kind: m.kind, outcome: same ? 'accepted-same' : 'accepted-changed' };
      } catch (e) {
        return { kind: m.kind, ...classifyError(e, [ImageDecodeError], [name], false) };
      }
    },
  };
}

/** PNG IHDR / JPEG SOF dimensions set to huge values (with a valid PNG CRC), 1 case in 5. */
function headerAware(src: Uint8Array, kind: 'png' | 'jpeg', rng: FuzzRng): Mutation | null {
  if (rng.next() > 0.2) return null;
  const b = new Uint8Array(src);
  const dv = new DataView(b.buffer);
  const big = rng.pick([0xffff, 0x7fffffff, 0x10000, 46341, 30000, 0]);
  if (kind === 'png') {
    // IHDR data at 16..28: width, height, ...; CRC at 29..32 over type + data.
    dv.setUint32(rng.next() < 0.5 ? 16 : 20, big);
    if (rng.next() < 0.8) dv.setUint32(29, crc32(b.subarray(12, 29)));
    return { kind: 'png-ihdr-size', bytes: b };
  }
  for (let p = 2; p + 9 < b.length; ) {
    if (b[p] !== 0xff) break;
    const marker = b[p + 1]!;
    const len = dv.getUint16(p + 2);
    if (marker >= 0xc0 && marker <= 0xc2) {
      dv.setUint16(p + (rng.next() < 0.5 ? 5 : 7), big & 0xffff);
      return { kind: 'jpeg-sof-size', bytes: b };
    }
    p += 2 + len;
  }
  return null;
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of bytes) c = CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---- all targets -------------------------------------------------------------------------------------
export const TARGET_NAMES = [
  'safetensors', 'tfjs-manifest', 'checkpoint-json', 'dataset-raf', 'dataset-fer2013', 'dataset-ferplus', 'dataset-ferplus-folders', 'dataset-affectnet', 'dataset-folder', 'png', 'jpeg',
] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export function makeTarget(name: TargetName): { target: FuzzTarget; cleanup: () => void } {
  if (name === 'checkpoint-json') {
    const dir = mkdtempSync(join(tmpdir(), 'arbex-fuzz-ckpt-'));
    return { target: checkpointTarget(dir), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }
  const t = name === 'safetensors' ? safetensorsTarget() : name === 'tfjs-manifest' ? tfjsTarget() : name === 'png' ? imageTarget('png') : name === 'jpeg' ? imageTarget('jpeg')
    : datasetTarget(name.slice('dataset-'.length) as FormatName | 'ferplus-folders');
  return { target: t, cleanup: () => undefined };
}

/** Runs one case with timing; `slow` past SLOW_MS. */
export async function runCase(target: FuzzTarget, index: number, seed: number): Promise<CaseResult> {
  const t0 = performance.now();
  let r: CaseOutcome;
  try {
    r = await target.run(index, seed);
  } catch (e) {
    r = { kind: 'harness', outcome: 'crash', detail: `harness: ${(e as Error).stack ?? String(e)}` };
  }
  const ms = performance.now() - t0;
  if ((r.outcome === 'error' || r.outcome.startsWith('accepted')) && ms > SLOW_MS) {
    return { target: target.name, index, ms, ...r, outcome: 'slow', detail: `${r.outcome} after ${ms.toFixed(0)} ms${r.detail ? ': ' + r.detail : ''}` };
  }
  return { target: target.name, index, ms, ...r };
}
