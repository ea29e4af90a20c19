// Applies an AugmentConfig to one image (and its landmarks) with a given random stream.
import type { Rng } from '../rng.js';
import type { HostImage } from '../image.js';
import type { AugmentConfig } from './config.js';
import { FLIP_PERMUTATION } from './flip.js';
import { composeAffine, drawCrop, invertAffine, warpAffine } from './geometry.js';
import { colorJitter, grayscale, invert, randomErase, threshold } from './photometric.js';

export interface Augmented {
  /** size×size×3 floats in 0..1 (HWC). */
  pixels: Float32Array;
  /** 68 × (x, y) in output pixels, when landmarks were given. */
  landmarks?: Float32Array;
  flipped: boolean;
}

/**
 * Transform an image to size×size. With `rng` undefined every random choice takes its neutral
 * value (no flip, centred crop), which is what evaluation wants.
 */
export function augmentImage(img: HostImage, landmarks: Float32Array | undefined, cfg: AugmentConfig, size: number, rng: Rng | undefined, out?: Float32Array): Augmented {
  const pixels = out ?? new Float32Array(size * size * 3);
  const crop = drawCrop(cfg.crop, img.width, img.height, size, rng);
  const hflip = !!rng && cfg.hflip > 0 && rng.chance(cfg.hflip);
  const vflip = !!rng && cfg.vflip > 0 && rng.chance(cfg.vflip);
  const angle = rng && cfg.rotate > 0 ? (rng.range(-cfg.rotate, cfg.rotate) * Math.PI) / 180 : 0;
  const m = composeAffine({ ...crop, hflip, vflip, angle }, size);
  warpAffine(img, m, size, pixels);

  let outLm: Float32Array | undefined;
  if (landmarks) {
    const inv = invertAffine(m);
    outLm = new Float32Array(landmarks.length);
    for (let i = 0; i < landmarks.length / 2; i++) {
      // A mirrored image swaps the roles of left and right points (see flip.ts).
      const j = hflip !== vflip && landmarks.length === 136 ? (FLIP_PERMUTATION[i] as number) : i;
      const x = landmarks[2 * j] as number;
      const y = landmarks[2 * j + 1] as number;
      outLm[2 * i] = inv.a * x + inv.b * y + inv.c;
      outLm[2 * i + 1] = inv.d * x + inv.e * y + inv.f;
    }
  }

  if (rng) {
    if (cfg.brightness > 0 || cfg.contrast > 0 || cfg.saturation > 0) {
      colorJitter(
        pixels,
        1 + rng.range(-cfg.brightness, cfg.brightness),
        1 + rng.range(-cfg.contrast, cfg.contrast),
        1 + rng.range(-cfg.saturation, cfg.saturation),
      );
    }
    if (cfg.grayscale > 0 && rng.chance(cfg.grayscale)) grayscale(pixels);
    if (cfg.invert > 0 && rng.chance(cfg.invert)) invert(pixels);
    if (cfg.threshold > 0 && rng.chance(cfg.threshold)) threshold(pixels);
    if (cfg.erase.p > 0 && rng.chance(cfg.erase.p)) randomErase(pixels, size, rng, cfg.erase.area, cfg.erase.ratio);
  }
  const res: Augmented = { pixels, flipped: hflip };
  if (outLm) res.landmarks = outLm;
  return res;
}
