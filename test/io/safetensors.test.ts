import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from '../../src/index.js';
import { Linear, MLP, StateDictError, BatchNorm1d, Sequential, ReLU, type HostTensor } from '../../src/nn/index.js';
import {
  decodeSafetensors, encodeSafetensors, readSafetensorsHeader, loadSafetensorsInto, saveSafetensors, SafetensorsError,
} from '../../src/io/safetensors.js';
import { saveSafetensorsFile, readSafetensorsFile, loadSafetensorsFile } from '../../src/io/safetensors-node.js';
import { engine } from '../helpers/engine.js';
import { Rng } from '../helpers/random.js';

beforeAll(engine);

// ---- an independent minimal reader, written from the format description only ----------------
interface MiniTensor {
  dtype: string;
  shape: number[];
  values: number[];
}
function miniRead(buf: Uint8Array): { meta: Record<string, string> | undefined; tensors: Record<string, MiniTensor>; headerLen: number } {
  const n = Number(Buffer.from(buf).readBigUInt64LE(0));
  const header = JSON.parse(Buffer.from(buf.subarray(8, 8 + n)).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const data = Buffer.from(buf.subarray(8 + n));
  const tensors: Record<string, MiniTensor> = {};
  let meta: Record<string, string> | undefined;
  for (const [k, v] of Object.entries(header)) {
    if (k === '__metadata__') {
      meta = v as unknown as Record<string, string>;
      continue;
    }
    const [b, e] = v.data_offsets;
    const values: number[] = [];
    const size = v.dtype === 'F32' || v.dtype === 'I32' || v.dtype === 'U32' ? 4 : 0;
    for (let p = b; p < e; p += size) values.push(v.dtype === 'F32' ? data.readFloatLE(p) : v.dtype === 'I32' ? data.readInt32LE(p) : data.readUInt32LE(p));
    tensors[k] = { dtype: v.dtype, shape: v.shape, values };
  }
  return { meta, tensors, headerLen: n };
}

/** A file laid out the way the Python writer does it, bytes assembled by hand (not by our encoder). */
function handMadeFile(): Uint8Array {
  const parts: Buffer[] = [];
  const entries: string[] = [];
  let off = 0;
  const add = (name: string, dtype: string, shape: number[], bytes: Buffer): void => {
    entries.push(`"${name}":{"dtype":"${dtype}","shape":[${shape.join(',')}],"data_offsets":[${off},${off + bytes.length}]}`);
    parts.push(bytes);
    off += bytes.length;
  };
  const f64 = Buffer.alloc(16); f64.writeDoubleLE(1.5, 0); f64.writeDoubleLE(-2.25, 8);
  const i64 = Buffer.alloc(24); i64.writeBigInt64LE(7n, 0); i64.writeBigInt64LE(-3n, 8); i64.writeBigInt64LE(2147483647n, 16);
  const f32 = Buffer.alloc(8); f32.writeFloatLE(0.5, 0); f32.writeFloatLE(-1, 4);
  // F16: 1.0 = 0x3C00, -2.0 = 0xC000, 65504 = 0x7BFF, smallest subnormal 2^-24 = 0x0001
  const f16 = Buffer.from([0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00]);
  // BF16: 1.0 = 0x3F80, -0.5 = 0xBF00, 3.140625 = 0x4049
  const bf16 = Buffer.from([0x80, 0x3f, 0x00, 0xbf, 0x49, 0x40]);
  const u8 = Buffer.from([0, 255, 17]);
  const i8 = Buffer.from([0x80, 0x7f]);
  const bool = Buffer.from([1, 0]);
  add('a.f64', 'F64', [2], f64);
  add('b.i64', 'I64', [3], i64);
  add('c.f32', 'F32', [2, 1], f32);
  add('d.f16', 'F16', [2, 2], f16);
  add('e.bf16', 'BF16', [3], bf16);
  add('f.u8', 'U8', [3], u8);
  add('g.i8', 'I8', [2], i8);
  add('h.bool', 'BOOL', [2], bool);
  add('i.empty', 'F32', [0, 4], Buffer.alloc(0));
  let json = `{"__metadata__":{"format":"pt"},${entries.join(',')}}`;
  while ((8 + json.length) % 8) json += ' ';
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return new Uint8Array(Buffer.concat([len, Buffer.from(json), ...parts]));
}

describe('safetensors format', () => {
  it('writes files an independent reader parses (sorted keys, aligned header, metadata)', () => {
    const t = new Map<string, HostTensor>([
      ['z.bias', { shape: [3], data: new Float32Array([1.5, -2, 3.25]) }],
      ['a.weight', { shape: [2, 2], data: new Float32Array([0.1, 0.2, 0.3, 0.4]) }],
      ['m.count', { shape: [], data: new Int32Array([42]) }],
      ['u', { shape: [2], data: new Uint32Array([7, 4294967295]) }],
      ['empty', { shape: [0], data: new Float32Array(0) }],
    ]);
    const bytes = encodeSafetensors(t, { epoch: '3', note: 'ünïcode' });
    const r = miniRead(bytes);
    expect((8 + r.headerLen) % 8).toBe(0);
    expect(r.meta).toEqual({ epoch: '3', note: 'ünïcode' });
    expect(r.tensors['z.bias']).toEqual({ dtype: 'F32', shape: [3], values: [1.5, -2, 3.25] });
    expect(r.tensors['a.weight']!.values.map(Math.fround)).toEqual([0.1, 0.2, 0.3, 0.4].map(Math.fround));
    expect(r.tensors['m.count']).toEqual({ dtype: 'I32', shape: [], values: [42] });
    expect(r.tensors['u']).toEqual({ dtype: 'U32', shape: [2], values: [7, 4294967295] });
    expect(r.tensors['empty']).toEqual({ dtype: 'F32', shape: [0], values: [] });
    // Data laid out in sorted key order, offsets contiguous.
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + r.headerLen)).toString()) as Record<string, { data_offsets: number[] }>;
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    const byOffset = [...names].sort((x, y) => header[x]!.data_offsets[0]! - header[y]!.data_offsets[0]! || header[x]!.data_offsets[1]! - header[y]!.data_offsets[1]!);
    expect(byOffset.filter((n) => n !== 'empty')).toEqual([...names].sort().filter((n) => n !== 'empty'));
    // And our reader round-trips it.
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual({ epoch: '3', note: 'ünïcode' });
    for (const [k, v] of t) {
      expect(back.tensors.get(k)!.shape).toEqual(v.shape);
      expect(Array.from(back.tensors.get(k)!.data)).toEqual(Array.from(v.data));
      expect(back.tensors.get(k)!.data.constructor).toBe(v.data.constructor);
    }
  });

  it('reads files in the Python layout, decoding F64, I64, F16, BF16, U8, I8, BOOL', () => {
    const { tensors, metadata } = decodeSafetensors(handMadeFile());
    expect(metadata).toEqual({ format: 'pt' });
    const get = (k: string): number[] => Array.from(tensors.get(k)!.data);
    expect(get('a.f64')).toEqual([1.5, -2.25]);
    expect(tensors.get('a.f64')!.data).toBeInstanceOf(Float32Array);
    expect(get('b.i64')).toEqual([7, -3, 2147483647]);
    expect(tensors.get('b.i64')!.data).toBeInstanceOf(Int32Array);
    expect(get('c.f32')).toEqual([0.5, -1]);
    expect(tensors.get('c.f32')!.shape).toEqual([2, 1]);
    expect(get('d.f16')).toEqual([1, -2, 65504, Math.fround(2 ** -24)]);
    expect(get('e.bf16')).toEqual([1, -0.5, 3.140625]);
    expect(get('f.u8')).toEqual([0, 255, 17]);
    expect(get('g.i8')).toEqual([-128, 127]);
    expect(get('h.bool')).toEqual([1, 0]);
    expect(tensors.get('i.empty')!.shape).toEqual([0, 4]);
  });

  describe('rejects broken files with a message naming the problem', () => {
    const good = encodeSafetensors(new Map([['w', { shape: [4], data: new Float32Array([1, 2, 3, 4]) }], ['b', { shape: [1], data: new Float32Array([5]) }]]));
    const hdr = (json: string, dataBytes: number): Uint8Array => {
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(json.length));
      return new Uint8Array(Buffer.concat([len, Buffer.from(json), Buffer.alloc(dataBytes)]));
    };
    const cases: [string, Uint8Array, RegExp][] = [
      ['empty file', new Uint8Array(0), /too short/],
      ['truncated data', good.subarray(0, good.length - 3), /run past|truncated/],
      ['truncated header', good.subarray(0, 20), /runs past the end/],
      ['absurd header length', (() => { const b = good.slice(); new DataView(b.buffer).setUint32(4, 1, true); return b; })(), /exceeds the limit/],
      ['not JSON', hdr('{"w": nope}', 0), /not valid JSON/],
      ['JSON array', hdr('[1, 2]', 0), /not an object/],
      ['unknown dtype', hdr('{"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}', 16), /'w'.*unsupported dtype/],
      ['bad shape', hdr('{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', 4), /'w'.*shape/],
      ['size mismatch', hdr('{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', 8), /'w'.*needs 12/],
      ['overlap', hdr('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', 12), /'b'.*overlap/],
      ['gap', hdr('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8), /'a'.*gap/],
      ['trailing bytes', hdr('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 8), /trailing bytes/],
      ['metadata not strings', hdr('{"__metadata__":{"n":3}}', 0), /__metadata__\['n'\]/],
      ['I64 out of i32 range', (() => {
        const b = hdr('{"big":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}', 8);
        new DataView(b.buffer).setBigInt64(b.length - 8, 2n ** 40n, true);
        return b;
      })(), /'big'.*does not fit i32/],
    ];
    for (const [name, bytes, re] of cases) {
      it(name, () => {
        expect(() => decodeSafetensors(bytes, { source: 'ckpt.safetensors' })).toThrow(SafetensorsError);
        expect(() => decodeSafetensors(bytes, { source: 'ckpt.safetensors' })).toThrow(re);
        expect(() => decodeSafetensors(bytes, { source: 'ckpt.safetensors' })).toThrow(/^ckpt\.safetensors: /);
      });
    }
    it('header-only parse reports entries', () => {
      const h = readSafetensorsHeader(good);
      expect(h.entries.map((e) => e.name).sort()).toEqual(['b', 'w']);
    });
  });
});

describe('modules ⇄ safetensors', () => {
  const build = (): Sequential => new Sequential(new Linear(5, 8), new BatchNorm1d(8), new ReLU(), new Linear(8, 3));

  it('save → load gives identical outputs, and files carry PyTorch names', async () => {
    E.manualSeed(1);
    const a = build();
    const x = E.tensor(Float32Array.from(new Rng(3).array(4 * 5)), [4, 5]);
    a.train();
    E.tidy(() => void a.forward(x)); // move the running statistics
    a.eval();
    const ya = (await a.forward(x).toArray()) as Float32Array;
    const bytes = await saveSafetensors(a.stateDict(), { model: 'test' });
    expect(Object.keys(miniRead(bytes).tensors).sort()).toEqual([
      '0.bias', '0.weight', '1.bias', '1.num_batches_tracked', '1.running_mean', '1.running_var', '1.weight', '3.bias', '3.weight',
    ]);
    expect(miniRead(bytes).tensors['1.num_batches_tracked']!.values).toEqual([1]);
    E.manualSeed(99);
    const b = build().eval();
    const report = loadSafetensorsInto(b, bytes);
    expect(report.loaded.length).toBe(9);
    const yb = (await b.forward(x).toArray()) as Float32Array;
    expect(Array.from(yb)).toEqual(Array.from(ya));
  });

  it('lists every missing, unexpected and mismatched name in one error and loads nothing', async () => {
    const m = new MLP([4, 6, 2]);
    const before = Array.from((await m.stateDict().get('0.weight')!.toArray()) as Float32Array);
    const bytes = encodeSafetensors(new Map<string, HostTensor>([
      ['0.weight', { shape: [6, 4], data: new Float32Array(24).fill(9) }], // fine, but must not be written
      ['0.bias', { shape: [5], data: new Float32Array(5) }], // shape mismatch
      ['extra.weight', { shape: [1], data: new Float32Array(1) }], // unexpected
      // '2.weight' and '2.bias' missing
    ]));
    let err: unknown;
    try {
      loadSafetensorsInto(m, bytes, { source: 'model.safetensors' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateDictError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^model\.safetensors: /);
    expect(msg).toMatch(/missing 2: 2\.weight, 2\.bias/);
    expect(msg).toMatch(/unexpected 1: extra\.weight/);
    expect(msg).toMatch(/0\.bias \(model \[6\], file \[5\]\)/);
    expect(Array.from((await m.stateDict().get('0.weight')!.toArray()) as Float32Array)).toEqual(before);

    // Non-strict: loads what matches, reports the rest.
    const r = loadSafetensorsInto(m, bytes, { strict: false });
    expect(r.loaded).toEqual(['0.weight']);
    expect(r.missing).toEqual(['2.weight', '2.bias']);
    expect(r.unexpected).toEqual(['extra.weight']);
    expect(r.mismatched).toEqual([{ name: '0.bias', expected: [6], got: [5] }]);
    expect(Array.from((await m.stateDict().get('0.weight')!.toArray()) as Float32Array)).toEqual(new Array(24).fill(9));
  });

  it('a corrupt file is rejected before anything is loaded', async () => {
    const m = new Linear(3, 2);
    const before = Array.from((await m.weight.toArray()) as Float32Array);
    const bytes = await saveSafetensors(m.stateDict());
    expect(() => loadSafetensorsInto(m, bytes.subarray(0, bytes.length - 1), { source: 'x.safetensors' })).toThrow(/x\.safetensors: .*truncated/);
    expect(Array.from((await m.weight.toArray()) as Float32Array)).toEqual(before);
  });

  it('PyTorch int64 num_batches_tracked loads into our f32 buffer', async () => {
    const bn = new BatchNorm1d(2);
    const len = Buffer.alloc(8);
    const parts = [
      ['bias', 'F32', [2], Buffer.from(new Float32Array([0.5, -0.5]).buffer)],
      ['num_batches_tracked', 'I64', [], Buffer.from(new BigInt64Array([123n]).buffer)],
      ['running_mean', 'F32', [2], Buffer.from(new Float32Array([1, 2]).buffer)],
      ['running_var', 'F32', [2], Buffer.from(new Float32Array([3, 4]).buffer)],
      ['weight', 'F32', [2], Buffer.from(new Float32Array([2, 2]).buffer)],
    ] as const;
    let off = 0;
    const entries = parts.map(([n, d, s, b]) => {
      const e = `"${n}":{"dtype":"${d}","shape":[${s.join(',')}],"data_offsets":[${off},${off + b.length}]}`;
      off += b.length;
      return e;
    });
    const json = `{${entries.join(',')}}`;
    len.writeBigUInt64LE(BigInt(json.length));
    const bytes = new Uint8Array(Buffer.concat([len, Buffer.from(json), ...parts.map((p) => p[3])]));
    loadSafetensorsInto(bn, bytes);
    expect(await bn.numBatchesTracked!.item()).toBe(123);
    expect(Array.from((await bn.runningVar!.toArray()) as Float32Array)).toEqual([3, 4]);
  });

  it('file save is atomic (temp + rename) and reads back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'st-'));
    const path = join(dir, 'w.safetensors');
    const m = new Linear(4, 3);
    await saveSafetensorsFile(path, m.stateDict(), { step: '10' });
    expect(readdirSync(dir)).toEqual(['w.safetensors']);
    const back = await readSafetensorsFile(path);
    expect(back.metadata).toEqual({ step: '10' });
    expect(miniRead(new Uint8Array(readFileSync(path))).tensors['weight']!.shape).toEqual([3, 4]);
    const m2 = new Linear(4, 3);
    await loadSafetensorsFile(m2, path);
    expect(Array.from((await m2.weight.toArray()) as Float32Array)).toEqual(Array.from((await m.weight.toArray()) as Float32Array));
    writeFileSync(path, Buffer.from('garbage!'));
    await expect(loadSafetensorsFile(m2, path)).rejects.toThrow(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
  });
});

describe('a file written by PyTorch (safetensors.torch.save_file)', () => {
  // test/io/fixtures/torch-modules.safetensors: state dicts of torch.nn modules (BatchNorm with an
  // int64 num_batches_tracked, MultiheadAttention packed and with kdim/vdim, …), their inputs and
  // their eval-mode outputs, made by test/io/fixtures/make-torch-modules.py (torch_to_ours).
  it('loads into the equivalent modules strictly and reproduces torch’s outputs', async () => {
    const { readFile } = await import('node:fs/promises');
    const path = new URL('./fixtures/torch-modules.safetensors', import.meta.url);
    const file = decodeSafetensors(new Uint8Array(await readFile(path)), { source: 'torch-modules.safetensors' });
    expect(file.metadata['format']).toBe('pt');
    const T = file.tensors;
    expect(T.get('mlp.2.num_batches_tracked')!.data).toBeInstanceOf(Int32Array); // I64 in the file
    const up = (k: string): E.Tensor => E.tensor(T.get(k)!.data as Float32Array, T.get(k)!.shape);
    const { Conv2d, BatchNorm2d, PReLU, MaxPool2d, Flatten, LayerNorm, MultiheadAttention } = await import('../../src/nn/index.js');
    const mlp = new MLP([5, 8, 3], { norm: 'batch', dropout: 0.5 });
    const cnn = new Sequential(new Conv2d(1, 4, 3, { padding: 1 }), new BatchNorm2d(4), new PReLU(4), new MaxPool2d({ kernel: 2 }), new Flatten(), new Linear(36, 2));
    const mha = new MultiheadAttention(8, 2);
    const mhx = new MultiheadAttention(8, 4, { kdim: 5, vdim: 3 });
    const ln = new LayerNorm(6, { eps: 1e-6 });
    const cases: [string, { loadStateDict: typeof mlp.loadStateDict; eval(): unknown }, () => E.Tensor][] = [
      ['mlp', mlp, () => mlp.forward(up('x.mlp'))],
      ['cnn', cnn, () => cnn.forward(up('x.cnn'))],
      ['mha', mha, () => mha.forward(up('x.mha'))],
      ['mhx', mhx, () => mhx.forward(up('q.mhx'), up('k.mhx'), up('v.mhx'))],
      ['ln', ln, () => ln.forward(up('x.ln'))],
    ];
    for (const [name, m, run] of cases) {
      const sd = new Map<string, HostTensor>();
      for (const [k, v] of T) if (k.startsWith(`${name}.`)) sd.set(k.slice(name.length + 1), v);
      const r = m.loadStateDict(sd);
      expect(r.loaded.length, name).toBe(sd.size);
      m.eval();
      const y = (await run().toArray()) as Float32Array;
      const ref = T.get(`y.${name}`)!.data;
      let err = 0;
      for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(y[i]! - ref[i]!));
      expect(err, `${name}: max |ours − torch|`).toBeLessThanOrEqual(1e-5);
    }
    expect(await mlp.at(2).stateDict().get('num_batches_tracked')!.item()).toBe(2);
  });
});
