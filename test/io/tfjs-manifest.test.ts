import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTfjsWeights, parseWeightsManifest, TfjsManifestError } from '../../src/io/tfjs-manifest.js';
import { loadTfjsModelFile } from '../../src/io/tfjs-manifest-node.js';

/** f32 → IEEE half bits (round to nearest even), written here for the test fixture. */
function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (exp <= 0) return sign | Math.round((mant | 0x800000) / 2 ** (14 - exp)); // subnormal (enough for the fixture)
  let h = sign | (exp << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
  return h;
}

/** A model.json + shards as the tfjs converter lays them out. */
function fixture(): { modelJson: object; shards: Record<string, Uint8Array>; expected: Record<string, { shape: number[]; values: number[]; type: string }> } {
  const expected: Record<string, { shape: number[]; values: number[]; type: string }> = {};
  const g1: Buffer[] = [];
  const g2: Buffer[] = [];
  // group 1
  const conv = [0.5, -1.25, 3, 1e-3, -7, 2.5, 0, 42];
  g1.push(Buffer.from(new Float32Array(conv).buffer));
  expected['conv/kernel'] = { shape: [2, 2, 1, 2], values: conv.map(Math.fround), type: 'Float32Array' };
  const q8 = [0, 1, 128, 255, 17, 200];
  const s8 = 0.0123, m8 = -1.5;
  g1.push(Buffer.from(q8));
  expected['dense/kernel'] = { shape: [3, 2], values: q8.map((q) => Math.fround(q * s8 + m8)), type: 'Float32Array' };
  const q16 = [0, 65535, 1234];
  const s16 = 1e-4, m16 = 0.25;
  const b16 = Buffer.alloc(6);
  q16.forEach((q, i) => b16.writeUInt16LE(q, 2 * i));
  g1.push(b16);
  expected['dense/bias'] = { shape: [3], values: q16.map((q) => Math.fround(q * s16 + m16)), type: 'Float32Array' };
  const halfs = [1, -0.333, 1024.5, 6.1e-5];
  const hb = Buffer.alloc(8);
  halfs.forEach((v, i) => hb.writeUInt16LE(toHalf(v), 2 * i));
  g1.push(hb);
  // Expected: the exact value of each rounded half (decoded here by arithmetic on the bits).
  const halfValue = (h: number): number => {
    const e = (h >> 10) & 0x1f, m = h & 0x3ff, s = h & 0x8000 ? -1 : 1;
    return e === 0 ? s * m * 2 ** -24 : s * (1 + m / 1024) * 2 ** (e - 15);
  };
  expected['bn/gamma'] = { shape: [2, 2], values: halfs.map((v) => Math.fround(halfValue(toHalf(v)))), type: 'Float32Array' };
  // group 2
  const ints = [-5, 7, 2147483647];
  g2.push(Buffer.from(new Int32Array(ints).buffer));
  expected['step'] = { shape: [3], values: ints, type: 'Int32Array' };
  g2.push(Buffer.from([1, 0, 1]));
  expected['mask'] = { shape: [3], values: [1, 0, 1], type: 'Uint32Array' };
  const qi = [3, 250];
  g2.push(Buffer.from(qi));
  expected['ids'] = { shape: [2], values: qi.map((q) => Math.round(q * 0.5 + 10)), type: 'Int32Array' };

  const group1 = Buffer.concat(g1);
  const group2 = Buffer.concat(g2);
  const cut = 13; // shard boundary inside a weight, as the converter's fixed-size shards do
  const modelJson = {
    format: 'layers-model',
    modelTopology: {},
    weightsManifest: [
      {
        paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'],
        weights: [
          { name: 'conv/kernel', shape: [2, 2, 1, 2], dtype: 'float32' },
          { name: 'dense/kernel', shape: [3, 2], dtype: 'float32', quantization: { dtype: 'uint8', scale: s8, min: m8 } },
          { name: 'dense/bias', shape: [3], dtype: 'float32', quantization: { dtype: 'uint16', scale: s16, min: m16 } },
          { name: 'bn/gamma', shape: [2, 2], dtype: 'float32', quantization: { dtype: 'float16' } },
        ],
      },
      {
        paths: ['group2-shard1of1.bin'],
        weights: [
          { name: 'step', shape: [3], dtype: 'int32' },
          { name: 'mask', shape: [3], dtype: 'bool' },
          { name: 'ids', shape: [2], dtype: 'int32', quantization: { dtype: 'uint8', scale: 0.5, min: 10, original_dtype: 'int32' } },
        ],
      },
    ],
  };
  return {
    modelJson,
    shards: {
      'group1-shard1of2.bin': new Uint8Array(group1.subarray(0, cut)),
      'group1-shard2of2.bin': new Uint8Array(group1.subarray(cut)),
      'group2-shard1of1.bin': new Uint8Array(group2),
    },
    expected,
  };
}

describe('TensorFlow.js weight manifests', () => {
  it('decodes float32, int32, bool and uint8 / uint16 / float16 quantised weights across shards', async () => {
    const { modelJson, shards, expected } = fixture();
    const w = await loadTfjsWeights(JSON.stringify(modelJson), async (p) => shards[p]!);
    expect([...w.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [name, e] of Object.entries(expected)) {
      const t = w.get(name)!;
      expect(t.shape, name).toEqual(e.shape);
      expect(t.data.constructor.name, name).toBe(e.type);
      expect(Array.from(t.data), name).toEqual(e.values);
    }
  });

  it('rejects truncated shards, bad specs and unsupported dtypes with the weight named', async () => {
    const { modelJson, shards } = fixture();
    const short = async (p: string): Promise<Uint8Array> => (p === 'group1-shard2of2.bin' ? shards[p]!.subarray(1) : shards[p]!);
    await expect(loadTfjsWeights(modelJson, short, 'pkg/model.json')).rejects.toThrow(/pkg\/model\.json: .*hold 51 bytes but their weights need 52 \(truncated/);
    const bad = (patch: object): unknown => {
      const m = JSON.parse(JSON.stringify(modelJson)) as { weightsManifest: { weights: object[] }[] };
      Object.assign(m.weightsManifest[0]!.weights[1]!, patch);
      return m;
    };
    expect(() => parseWeightsManifest(bad({ quantization: { dtype: 'uint8', scale: 1 } }))).toThrow(/'dense\/kernel': uint8 quantization needs numeric scale and min/);
    expect(() => parseWeightsManifest(bad({ dtype: 'string', quantization: undefined }))).toThrow(/'dense\/kernel': unsupported dtype 'string'/);
    expect(() => parseWeightsManifest(bad({ shape: [3, -2] }))).toThrow(/'dense\/kernel': shape/);
    expect(() => parseWeightsManifest('{"modelTopology": {}}')).toThrow(TfjsManifestError);
  });

  it('loads model.json + shards from disk (URL-encoded names, no escaping the directory)', async () => {
    const { modelJson, shards, expected } = fixture();
    const dir = mkdtempSync(join(tmpdir(), 'tfjs-'));
    mkdirSync(join(dir, 'model'));
    const m = JSON.parse(JSON.stringify(modelJson)) as { weightsManifest: { paths: string[] }[] };
    m.weightsManifest[1]!.paths = ['group2%20shard.bin'];
    writeFileSync(join(dir, 'model', 'model.json'), JSON.stringify(m));
    writeFileSync(join(dir, 'model', 'group1-shard1of2.bin'), shards['group1-shard1of2.bin']!);
    writeFileSync(join(dir, 'model', 'group1-shard2of2.bin'), shards['group1-shard2of2.bin']!);
    writeFileSync(join(dir, 'model', 'group2 shard.bin'), shards['group2-shard1of1.bin']!);
    const w = await loadTfjsModelFile(join(dir, 'model', 'model.json'));
    expect(Array.from(w.get('dense/kernel')!.data)).toEqual(expected['dense/kernel']!.values);
    m.weightsManifest[1]!.paths = ['../secret.bin'];
    writeFileSync(join(dir, 'model', 'model.json'), JSON.stringify(m));
    await expect(loadTfjsModelFile(join(dir, 'model', 'model.json'))).rejects.toThrow(/leaves the model directory/);
  });
});
