import { describe, expect, it } from 'vitest';
import { FLIP_PERMUTATION, flipLandmarks } from '../../src/data/augment/flip.js';
import { augmentImage } from '../../src/data/augment/augment.js';
import { augmentPreset } from '../../src/data/augment/config.js';
import type { AugmentConfig } from '../../src/data/augment/config.js';
import { Rng } from '../../src/data/rng.js';
import { generateSample, synthConfig } from '../../src/data/synth/generator.js';
import type { HostImage } from '../../src/data/image.js';

const none = augmentPreset('none');

describe('iBUG flip permutation', () => {
  it('pairs left and right points as in the iBUG 68 layout', () => {
    const pairs: [number, number][] = [
      [0, 16], [1, 15], [2, 14], [3, 13], [4, 12], [5, 11], [6, 10], [7, 9],
      [17, 26], [18, 25], [19, 24], [20, 23], [21, 22],
      [31, 35], [32, 34],
      [36, 45], [37, 44], [38, 43], [39, 42], [40, 47], [41, 46],
      [48, 54], [49, 53], [50, 52], [55, 59], [56, 58],
      [60, 64], [61, 63], [65, 67],
    ];
    const fixed = [8, 27, 28, 29, 30, 33, 51, 57, 62, 66];
    for (const [a, b] of pairs) {
      expect(FLIP_PERMUTATION[a]).toBe(b);
      expect(FLIP_PERMUTATION[b]).toBe(a);
    }
    for (const f of fixed) expect(FLIP_PERMUTATION[f]).toBe(f);
    expect(pairs.length * 2 + fixed.length).toBe(68);
  });

  it('flipping twice is the identity; point 36 lands where 45 was, mirrored', () => {
    const s = generateSample(synthConfig({ size: 96 }), 'train', 4);
    const once = flipLandmarks(s.landmarks, 96);
    expect(once[2 * 36]).toBeCloseTo(96 - s.landmarks[2 * 45]!, 4);
    expect(once[2 * 36 + 1]).toBeCloseTo(s.landmarks[2 * 45 + 1]!, 4);
    const twice = flipLandmarks(once, 96);
    for (let k = 0; k < 136; k++) expect(twice[k]).toBeCloseTo(s.landmarks[k]!, 4);
  });

  it('augment hflip mirrors pixels and permutes landmarks', () => {
    const s = generateSample(synthConfig({ size: 64 }), 'train', 9);
    const cfg: AugmentConfig = { ...none, hflip: 1 };
    const r = augmentImage(s.image, s.landmarks, cfg, 64, new Rng(1));
    expect(r.flipped).toBe(true);
    for (let y = 0; y < 64; y += 7) {
      for (let x = 0; x < 64; x += 5) {
        const src = s.image.data[(y * 64 + (63 - x)) * 3]! / 255;
        expect(r.pixels[(y * 64 + x) * 3]).toBeCloseTo(src, 4);
      }
    }
    expect(r.landmarks![2 * 36]).toBeCloseTo(64 - s.landmarks[2 * 45]!, 3);
    expect(r.landmarks![2 * 48]).toBeCloseTo(64 - s.landmarks[2 * 54]!, 3);
    expect(r.landmarks![2 * 8]).toBeCloseTo(64 - s.landmarks[2 * 8]!, 3);
  });
});

/** Black image with one bright 3×3 dot centred on pixel (cx, cy). */
function dotImage(w: number, h: number, cx: number, cy: number): HostImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = cy - 1; y <= cy + 1; y++) for (let x = cx - 1; x <= cx + 1; x++) data.fill(255, (y * w + x) * 3, (y * w + x) * 3 + 3);
  return { width: w, height: h, channels: 3, data };
}

describe('geometric augmentation', () => {
  it('moves landmarks exactly as it moves pixels (crop, resize, flip, rotation)', () => {
    const cfg: AugmentConfig = { ...none, crop: { kind: 'resized', scale: [0.6, 1], ratio: [0.8, 1.25] }, hflip: 0.5, rotate: 15 };
    let checked = 0;
    for (let seed = 0; seed < 40; seed++) {
      const gen = new Rng(100 + seed);
      const cx = 30 + gen.int(60), cy = 30 + gen.int(40);
      const img = dotImage(120, 100, cx, cy);
      const lm = new Float32Array(136);
      for (let i = 0; i < 68; i++) { lm[2 * i] = cx + 0.5; lm[2 * i + 1] = cy + 0.5; }
      const r = augmentImage(img, lm, cfg, 80, new Rng(seed));
      const px = r.landmarks![0]!, py = r.landmarks![1]!;
      if (px < 3 || py < 3 || px > 77 || py > 77) continue;
      let best = -1, bx = 0, by = 0;
      for (let y = 0; y < 80; y++) for (let x = 0; x < 80; x++) {
        const v = r.pixels[(y * 80 + x) * 3]!;
        if (v > best) { best = v; bx = x + 0.5; by = y + 0.5; }
      }
      expect(Math.hypot(bx - px, by - py), `seed ${seed}`).toBeLessThan(1.6);
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('standard preset crops a 224/246 square of the shorter side', () => {
    // A vertical ramp: the crop's top/bottom rows reveal which input rows were kept.
    const W = 246, H = 246;
    const data = new Uint8Array(W * H * 3);
    for (let y = 0; y < H; y++) data.fill(y, y * W * 3, (y + 1) * W * 3);
    const r = augmentImage({ width: W, height: H, channels: 3, data }, undefined, { ...augmentPreset('standard'), hflip: 0 }, 224, new Rng(3));
    const top = r.pixels[0]! * 255, bottom = r.pixels[(223 * 224) * 3]! * 255;
    expect(bottom - top).toBeCloseTo(223, 0); // scale 1: 224 output rows span 224 input rows
    expect(top).toBeGreaterThanOrEqual(0);
    expect(bottom).toBeLessThanOrEqual(245.5);
  });

  it('is deterministic per random stream', () => {
    const s = generateSample(synthConfig({ size: 64 }), 'train', 2);
    const heavy = augmentPreset('heavy');
    const a = augmentImage(s.image, s.landmarks, heavy, 56, new Rng(5));
    const b = augmentImage(s.image, s.landmarks, heavy, 56, new Rng(5));
    const c = augmentImage(s.image, s.landmarks, heavy, 56, new Rng(6));
    expect(Array.from(a.pixels)).toEqual(Array.from(b.pixels));
    expect(Array.from(a.landmarks!)).toEqual(Array.from(b.landmarks!));
    expect(Array.from(a.pixels)).not.toEqual(Array.from(c.pixels));
  });
});

describe('photometric augmentation', () => {
  const s = generateSample(synthConfig({ size: 48 }), 'val', 1);
  const base = augmentImage(s.image, undefined, none, 48, new Rng(0)).pixels;

  it('invert gives 1 − x', () => {
    const r = augmentImage(s.image, undefined, { ...none, invert: 1 }, 48, new Rng(0)).pixels;
    for (let i = 0; i < r.length; i += 97) expect(r[i]).toBeCloseTo(1 - base[i]!, 5);
  });

  it('grayscale equalises channels and threshold binarises', () => {
    const g = augmentImage(s.image, undefined, { ...none, grayscale: 1 }, 48, new Rng(0)).pixels;
    for (let i = 0; i < g.length; i += 3) { expect(g[i]).toBeCloseTo(g[i + 1]!, 6); expect(g[i]).toBeCloseTo(g[i + 2]!, 6); }
    const t = augmentImage(s.image, undefined, { ...none, threshold: 1 }, 48, new Rng(0)).pixels;
    const values = new Set(Array.from(t));
    expect([...values].sort()).toEqual([0, 1]);
  });

  it('random erasing changes one rectangle of the requested area', () => {
    const r = augmentImage(s.image, undefined, { ...none, erase: { p: 1, area: [0.05, 0.05], ratio: [1, 1] } }, 48, new Rng(4)).pixels;
    let changed = 0;
    for (let i = 0; i < r.length; i += 3) if (r[i] !== base[i] || r[i + 1] !== base[i + 1]) changed++;
    expect(changed).toBeGreaterThan(0.04 * 48 * 48);
    expect(changed).toBeLessThanOrEqual(0.06 * 48 * 48);
  });

  it('colour jitter with factors 1 is the identity and brightness scales', () => {
    const same = augmentImage(s.image, undefined, { ...none, brightness: 1e-9 }, 48, new Rng(0)).pixels;
    for (let i = 0; i < same.length; i += 53) expect(same[i]).toBeCloseTo(base[i]!, 5);
  });
});
