/**
 * Where the page's face images come from: an image file, the webcam, or the project's own face
 * generator (src/data/synth) driven by action-unit sliders. Everything ends as a HostImage (8-bit
 * RGB, HWC), the type the data layer preprocesses exactly as `arbex predict` does.
 */
import type { HostImage } from '../../src/data/image.js';
import { Rng } from '../../src/data/rng.js';
import { AU_CODES, NUM_AUS, sampleActionUnits } from '../../src/data/synth/action-units.js';
import { buildFace } from '../../src/data/synth/face-model.js';
import { makeIdentity } from '../../src/data/synth/identity.js';
import { renderFace, type Scene } from '../../src/data/synth/render.js';
import { generateSample, synthConfig } from '../../src/data/synth/generator.js';

/** FACS names of the generator's units (same order as AU_CODES). */
export const AU_NAMES: Record<number, string> = {
  1: 'inner brow raiser', 2: 'outer brow raiser', 4: 'brow lowerer', 5: 'upper lid raiser', 6: 'cheek raiser',
  7: 'lid tightener', 9: 'nose wrinkler', 10: 'upper lip raiser', 12: 'lip corner puller', 14: 'dimpler',
  15: 'lip corner depressor', 17: 'chin raiser', 20: 'lip stretcher', 23: 'lip tightener', 24: 'lip pressor',
  25: 'lips part', 26: 'jaw drop',
};
export { AU_CODES, NUM_AUS };

/** RGBA pixels of a drawable → HostImage (RGB). No colour conversion, so PNG bytes come through exact. */
function rgbaToHost(data: Uint8ClampedArray, width: number, height: number): HostImage {
  const out = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < width * height; i++, j += 4) {
    out[3 * i] = data[j]!;
    out[3 * i + 1] = data[j + 1]!;
    out[3 * i + 2] = data[j + 2]!;
  }
  return { width, height, channels: 3, data: out };
}

/** Decodes a PNG/JPEG file with the browser's decoder. */
export async function imageFromFile(file: Blob, name = 'image'): Promise<HostImage> {
  let bmp: ImageBitmap;
  try {
    bmp = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (e) {
    throw new Error(`${name}: not an image this browser can decode (${(e as Error).message})`);
  }
  const c = new OffscreenCanvas(bmp.width, bmp.height);
  const g = c.getContext('2d', { willReadFrequently: true });
  if (!g) throw new Error('no 2-D canvas context');
  g.drawImage(bmp, 0, 0);
  bmp.close();
  return rgbaToHost(g.getImageData(0, 0, c.width, c.height).data, c.width, c.height);
}

/** The central square of the current video frame. */
export function imageFromVideo(video: HTMLVideoElement): HostImage {
  const w = video.videoWidth, h = video.videoHeight;
  if (!w || !h) throw new Error('webcam: no frame yet');
  const s = Math.min(w, h);
  const c = new OffscreenCanvas(s, s);
  const g = c.getContext('2d', { willReadFrequently: true });
  if (!g) throw new Error('no 2-D canvas context');
  g.drawImage(video, (w - s) / 2, (h - s) / 2, s, s, 0, 0, s, s);
  return rgbaToHost(g.getImageData(0, 0, s, s).data, s, s);
}

export interface SynthFaceSpec {
  /** Identity (skin, hair, face shape) of the generator's subject. */
  subject: number;
  /** Action-unit activations 0..1.2 in AU_CODES order. */
  aus: Float32Array;
  size?: number;
}

/** A frontal face on a plain background with exactly the given action units. */
export function synthFace(spec: SynthFaceSpec): HostImage {
  const S = spec.size ?? 112;
  const scene: Scene = {
    size: S,
    pose: { roll: 0, yaw: 0, pitch: 0, scale: S * 0.72, shiftX: 0, shiftY: 0 },
    bgA: [200, 205, 215], bgB: [150, 160, 175], bgAngle: 1.2, clutter: 0,
    lightX: 0, lightY: -1, lightStrength: 0, brightness: 1, contrast: 1, tint: [1, 1, 1],
    blur: 0, noiseStd: 0, occluder: false,
  };
  const face = buildFace(makeIdentity(1, spec.subject), spec.aus, { gazeX: 0, gazeY: 0 });
  return renderFace(face, scene, new Rng(1, spec.subject)).image;
}

/** The action units of an expression at full intensity (the generator's prototype, no jitter). */
export function prototypeAus(cls: number, subject: number): Float32Array {
  return sampleActionUnits(cls, 1, new Rng(7, subject, cls), { jitter: 0, spurious: 0 });
}

/** A face of the generator's test split, as training data looks (pose, lighting, clutter). */
export function datasetFace(index: number, size = 112): { image: HostImage; aus: Float32Array; cleanLabel: number } {
  const s = generateSample(synthConfig({ size }), 'test', index);
  return { image: s.image, aus: s.aus, cleanLabel: s.cleanLabel };
}
