import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pretrainLandmarks, nme } from '../../src/train/pretrain-landmarks-node.js';
import { loadLandmarkWeights } from '../../src/train/landmark-weights-node.js';
import { LandmarkStream } from '../../src/models/arbex/landmark-stream.js';
import { TINY } from '../../src/models/arbex/config.js';
import { engine } from '../helpers/engine.js';

describe('landmark pretraining', () => {
  it('NME: 0 for a perfect prediction, error / inter-ocular distance otherwise', () => {
    const truth = new Float32Array(136);
    for (let k = 0; k < 68; k++) [truth[2 * k], truth[2 * k + 1]] = [k / 68, 0.5];
    truth[72] = 0.3; truth[73] = 0.4; truth[90] = 0.7; truth[91] = 0.4; // eye corners 36, 45: distance 0.4
    expect(nme(truth, truth, 1)).toBe(0);
    const shifted = truth.map((v, i) => (i % 2 === 0 ? v + 0.04 : v));
    expect(nme(shifted, truth, 1)).toBeCloseTo(0.1, 5);
  });

  it('trains the stream, lowers the error, saves safetensors that load frozen into ARBEx', async () => {
    await engine();
    const out = mkdtempSync(join(tmpdir(), 'arbex-lm-'));
    try {
      const r = await pretrainLandmarks({ config: structuredClone(TINY), epochs: 3, batchSize: 16, lr: 3e-3, trainSize: 160, testSize: 32, seed: 1, out, quiet: true });
      expect(r.nmeAfter).toBeLessThan(r.nmeBefore);
      const stream = new LandmarkStream(structuredClone(TINY));
      const loaded = await loadLandmarkWeights(stream, r.path);
      expect(loaded.loaded).toBeGreaterThan(10);
      expect(stream.frozen).toBe(true);
      const trainable = stream.namedParameters().filter(([, p]) => p.requiresGrad).map(([n]) => n);
      expect(trainable.every((n) => n.startsWith('last_face_conv.'))).toBe(true);
      const other = new LandmarkStream({ ...structuredClone(TINY), landmark: { ...TINY.landmark, stem: 8 } });
      await expect(loadLandmarkWeights(other, r.path)).rejects.toThrow(/do not fit/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 300_000);
});

describe('landmark weights from a TF.js model', () => {
  it('maps names and HWIO kernels (incl. depthwise) onto the stream, all-or-nothing', async () => {
    await engine();
    const { writeFileSync } = await import('node:fs');
    const src = new LandmarkStream(structuredClone(TINY));
    const dir = mkdtempSync(join(tmpdir(), 'arbex-tfjs-'));
    try {
      const weights: { name: string; shape: number[]; dtype: 'float32' }[] = [];
      const chunks: Float32Array[] = [];
      for (const [name, t] of src.stateDict()) {
        const data = (await t.toArray()) as Float32Array;
        let shape = [...t.shape];
        let out = data;
        if (shape.length === 4) {
          const [O, I, kh, kw] = shape as [number, number, number, number];
          const dw = I === 1 && name.includes('conv_dw') || name.startsWith('conv2_dw');
          const [ci, co] = dw ? [O, 1] : [I, O];
          out = new Float32Array(data.length);
          for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) {
            const [tfI, tfO] = dw ? [o, 0] : [i, o];
            out[((y * kw + x) * ci + tfI) * co + tfO] = data[((o * I + i) * kh + y) * kw + x]!;
          }
          shape = [kh, kw, ci, co];
        }
        weights.push({ name: name.replace(/\./g, '/'), shape, dtype: 'float32' });
        chunks.push(out);
      }
      const bytes = new Uint8Array(chunks.reduce((s, c) => s + c.byteLength, 0));
      let off = 0;
      for (const c of chunks) (bytes.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), off), (off += c.byteLength));
      writeFileSync(join(dir, 'group1-shard1of1.bin'), bytes);
      writeFileSync(join(dir, 'model.json'), JSON.stringify({ weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights }] }));
      const dst = new LandmarkStream(structuredClone(TINY));
      const r = await loadLandmarkWeights(dst, join(dir, 'model.json'));
      expect(r.format).toBe('tfjs');
      for (const [name, t] of src.stateDict()) {
        if (name.startsWith('last_face_conv.')) continue;
        expect(Array.from(await dst.stateDict().get(name)!.toArray()), name).toEqual(Array.from(await t.toArray()));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
