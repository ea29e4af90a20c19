/**
 * The .pth reader against files written by real PyTorch (test/io/fixtures/pth/make-io-fixtures.py;
 * expected.json holds the values PyTorch itself reads back) and the writer by round trip. The
 * writer was also checked once with PyTorch (README, "PyTorch weights").
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodePthStateDict, encodePth, readPth, PthError, type PthWriteTensor } from '../../src/io/pth.js';
import { readZip, writeZip, crc32, ZipError } from '../../src/io/zip.js';
import { unpickle, PickleDict } from '../../src/io/pickle.js';

const dir = join(__dirname, 'fixtures/pth');
const file = (n: string): Uint8Array => new Uint8Array(readFileSync(join(dir, n)));
interface Exp { dtype: string; shape: number[]; values: (number | boolean)[] }
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { tensors: Record<string, Exp> & { _small: Record<string, Exp> } };

function checkTensor(name: string, got: { shape: readonly number[]; data: ArrayLike<number> } | undefined, e: Exp): void {
  expect(got, name).toBeDefined();
  expect([...got!.shape], name).toEqual(e.shape);
  const vals = e.values.map((v) => (typeof v === 'boolean' ? Number(v) : v));
  expect(got!.data.length, name).toBe(vals.length);
  // f16/bf16/f64 values were widened to float32 by PyTorch: equal within float32 rounding.
  for (let i = 0; i < vals.length; i++) expect(got!.data[i], `${name}[${i}]`).toBeCloseTo(vals[i]!, 5);
}

describe('pth reader on PyTorch-written files', () => {
  it('reads every dtype, views with strides and offsets, scalars, empty tensors and parameters', () => {
    const sd = decodePthStateDict(file('dtypes.pth'), 'dtypes.pth');
    expect(sd.path).toBe('');
    const names = Object.keys(expected.tensors).filter((k) => !k.startsWith('_'));
    expect([...sd.tensors.keys()]).toEqual(names);
    for (const k of names) checkTensor(k, sd.tensors.get(k), expected.tensors[k]!);
    expect(sd.tensors.get('i64')!.torchDType).toBe('int64');
    expect(sd.tensors.get('f32_transposed')!.torchDType).toBe('float32');
    expect(sd.tensors.get('i64')!.data).toBeInstanceOf(Int32Array);
  });

  it('finds nested state dicts and lists what it skipped', () => {
    for (const [f, path] of [['nested.pth', 'state_dict'], ['model-state-dict.pth', 'model_state_dict'], ['legacy.pth.tar', 'state_dict']] as const) {
      const sd = decodePthStateDict(file(f), f);
      expect(sd.path, f).toBe(path);
      expect([...sd.tensors.keys()], f).toEqual(Object.keys(expected.tensors._small));
      for (const [k, e] of Object.entries(expected.tensors._small)) checkTensor(`${f}:${k}`, sd.tensors.get(k), e);
    }
    // The optimizer state, epoch and others stay in the tree (readable, not tensors of the model).
    const tree = readPth(file('nested.pth'), 'nested.pth') as PickleDict;
    expect(tree.map.get('epoch')).toBe(3);
    expect(tree.map.get('best_acc')).toBe(91.5);
    expect(tree.map.get('arch')).toBe('demo');
  });

  it('flattens a file of several state dicts with dotted prefixes', () => {
    const sd = decodePthStateDict(file('multi.pth'), 'multi.pth');
    expect([...sd.tensors.keys()]).toEqual(['vit.a', 'classifier.b']);
  });

  it('rejects damaged or foreign files with the file name and what was wrong', () => {
    const good = file('dtypes.pth');
    expect(() => decodePthStateDict(good.subarray(0, good.length - 100), 'cut.pth')).toThrow(/cut\.pth/);
    const flipped = good.slice();
    flipped[200] ^= 0xff; // inside data.pkl
    expect(() => decodePthStateDict(flipped, 'flip.pth')).toThrow(/flip\.pth.*CRC/);
    expect(() => decodePthStateDict(new TextEncoder().encode('hello world'), 'text.pth')).toThrow(/text\.pth: not a PyTorch checkpoint/);
    const legacy = file('legacy.pth.tar');
    expect(() => decodePthStateDict(legacy.subarray(0, legacy.length - 5), 'legacy-cut.pth.tar')).toThrow(/legacy-cut\.pth\.tar.*truncated/);
    // A zip without data.pkl.
    const z = writeZip([{ name: 'x/readme.txt', data: new Uint8Array([1, 2]) }]);
    expect(() => decodePthStateDict(z, 'z.pth')).toThrow(/z\.pth: ZIP archive without a data\.pkl/);
  });

  it('never calls unknown Python names: they become inert placeholders, and are errors inside a state dict', () => {
    // pickle: {'w': os.system('echo hi')} written by hand (protocol 2).
    const w = [0x80, 2, 0x7d, 0x58, 1, 0, 0, 0, 0x77, 0x63, ...new TextEncoder().encode('os\nsystem\n'),
      0x58, 7, 0, 0, 0, ...new TextEncoder().encode('echo hi'), 0x85, 0x52, 0x73, 0x2e];
    const v = unpickle(Uint8Array.from(w)).value as PickleDict;
    expect(String((v.map.get('w') as { name: string }).name)).toBe('os.system(...)');
    const z = writeZip([{ name: 'a/data.pkl', data: Uint8Array.from(w) }]);
    expect(() => decodePthStateDict(z, 'evil.pth')).toThrow(/evil\.pth: entry 'w' is a Python object .*os\.system/);
  });

  it('refuses opcodes outside the restricted set', () => {
    expect(() => unpickle(Uint8Array.from([0x80, 2, 0x69, 0x2e]), { source: 's' })).toThrow(/s: pickle byte 2: opcode 0x69/);
  });
});

describe('pth writer', () => {
  it('round-trips float32 and int64 tensors through the reader', () => {
    const t = new Map<string, PthWriteTensor>([
      ['a.weight', { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-7, 6]), dtype: 'float32' }],
      ['bn.num_batches_tracked', { shape: [], data: Int32Array.from([42]), dtype: 'int64' }],
      ['idx', { shape: [2, 2], data: Int32Array.from([0, -1, 70000, 3]), dtype: 'int64' }],
      ['empty', { shape: [0], data: new Float32Array(0), dtype: 'float32' }],
    ]);
    const sd = decodePthStateDict(encodePth(t), 'rt.pth');
    expect([...sd.tensors.keys()]).toEqual([...t.keys()]);
    for (const [k, v] of t) {
      expect([...sd.tensors.get(k)!.shape]).toEqual(v.shape);
      expect([...sd.tensors.get(k)!.data]).toEqual([...v.data]);
      expect(sd.tensors.get(k)!.torchDType).toBe(v.dtype);
    }
  });

  it('writes ZIP entries that a reader finds, aligned to 64 bytes, with correct CRCs', () => {
    const bytes = encodePth(new Map([['w', { shape: [3], data: Float32Array.from([1, 2, 3]), dtype: 'float32' as const }]]));
    const entries = readZip(bytes, 'w.pth');
    expect(entries.map((e) => e.name)).toEqual(['archive/data.pkl', 'archive/byteorder', 'archive/data/0', 'archive/version']);
    for (const e of entries) expect(e.data.byteOffset % 64).toBe(0);
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926); // the standard check value
    expect(() => readZip(bytes.subarray(0, 10), 'short.pth')).toThrow(ZipError);
  });

  it('rejects tensors whose data does not fit their shape', () => {
    expect(() => encodePth(new Map([['w', { shape: [2, 2], data: new Float32Array(3), dtype: 'float32' as const }]]))).toThrow(PthError);
  });
});
