import { describe, expect, it } from 'vitest';
import { createLoader, createSplitLoaders, IMAGENET_MEAN, IMAGENET_STD } from '../../src/data/loader.js';
import { SynthSource, synthConfig } from '../../src/data/synth/generator.js';
import { synthSplits } from '../../src/data/synth/splits.js';
import { batchToTensors } from '../../src/data/to-tensors.js';
import { classCounts } from '../../src/data/sampler.js';

const cfg = synthConfig({ seed: 5, size: 40 });

describe('loader', () => {
  it('produces NCHW normalised batches with labels, clean labels, landmarks and soft labels', () => {
    const src = new SynthSource(cfg, 'train', 10);
    const loader = createLoader({ source: src, batchSize: 4, sampler: 'sequential', size: 40, seed: 1 });
    const batches = [...loader];
    expect(loader.batchesPerEpoch).toBe(3);
    expect(batches.map((b) => b.size)).toEqual([4, 4, 2]);
    const b = batches[1]!;
    expect(b.images.length).toBe(4 * 3 * 40 * 40);
    const s = src.get(5); // second sample of batch 1
    // Same size, no augmentation: the image is copied exactly, then normalised per channel.
    for (const [x, y, c] of [[0, 0, 0], [20, 13, 1], [39, 39, 2], [7, 30, 0]] as const) {
      const raw = s.image.data[(y * 40 + x) * 3 + c]! / 255;
      const want = (raw - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
      expect(b.images[1 * 3 * 1600 + c * 1600 + y * 40 + x]).toBeCloseTo(want, 4);
    }
    expect(b.labels[1]).toBe(s.label);
    expect(b.cleanLabels[1]).toBe(s.cleanLabel);
    expect(b.indices[1]).toBe(5);
    expect(b.landmarks![136 + 2 * 30]).toBeCloseTo(s.landmarks[2 * 30]! / 40, 5);
    expect(b.softLabels!.length).toBe(4 * 7);
    let sum = 0;
    for (let c = 0; c < 7; c++) sum += b.softLabels![7 + c]!;
    expect(sum).toBeCloseTo(1, 5);
  });

  it('is deterministic and balanced with the balanced sampler', () => {
    const src = new SynthSource(synthConfig({ seed: 5, size: 40, prior: { kind: 'raf' } }), 'train', 140);
    const mk = () => createLoader({ source: src, batchSize: 14, sampler: 'balanced', augment: 'heavy', size: 32, seed: 9 });
    const a = [...mk().epoch(2)];
    const b = [...mk().epoch(2)];
    expect(a.length).toBe(b.length);
    a.forEach((x, i) => {
      expect(Array.from(x.images)).toEqual(Array.from(b[i]!.images));
      expect(Array.from(x.indices)).toEqual(Array.from(b[i]!.indices));
    });
    const full = a.filter((x) => x.size === 14);
    for (const x of full) expect(Array.from(classCounts(x.labels, 7))).toEqual(new Array(7).fill(2));
    expect(a[0]!.height).toBe(32);
  });

  it('grey output has one channel', () => {
    const src = new SynthSource(cfg, 'val', 3);
    const [b] = [...createLoader({ source: src, batchSize: 3, size: 24, seed: 1, channels: 1, augment: 'eval', sampler: 'sequential' })];
    expect(b!.channels).toBe(1);
    expect(b!.images.length).toBe(3 * 24 * 24);
  });

  it('split loaders: train augments, val/test are sequential', () => {
    const loaders = createSplitLoaders(synthSplits(cfg, { train: 20, val: 6, test: 6 }), { batchSize: 4, size: 32, seed: 1, augment: 'heavy', sampler: 'shuffle' });
    const v = [...loaders.val!];
    expect(Array.from(v[0]!.indices)).toEqual([0, 1, 2, 3]);
    expect(loaders.train!.samplesPerEpoch).toBe(20);
  });
});

describe('batchToTensors', () => {
  it('passes data and shapes to the injected constructor', () => {
    const src = new SynthSource(cfg, 'test', 3);
    const [b] = [...createLoader({ source: src, batchSize: 3, size: 16, seed: 1, sampler: 'sequential' })];
    const made: { data: Float32Array | Int32Array; shape: number[] }[] = [];
    const t = batchToTensors(b!, (data, shape) => { made.push({ data, shape }); return shape.join('x'); });
    expect(t.images).toBe('3x3x16x16');
    expect(t.labels).toBe('3');
    expect(t.cleanLabels).toBe('3');
    expect(t.landmarks).toBe('3x68x2');
    expect(t.softLabels).toBe('3x7');
    expect(made[0]!.data).toBe(b!.images);
    expect(made[1]!.data).toBeInstanceOf(Int32Array);
  });
});
