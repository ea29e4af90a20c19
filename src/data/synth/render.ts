// Puts a FaceDrawing into an image: pose (roll, pseudo-yaw, pitch, scale, shift), background,
// occluders, lighting, blur and sensor noise. The same pose function moves the landmarks, so
// they stay exact.
import type { Rng } from '../rng.js';
import type { HostImage } from '../image.js';
import type { FaceDrawing, Paint } from './face-model.js';
import type { Rgb } from './identity.js';
import { Path, Raster } from './raster.js';
import { ellipse } from './shapes.js';

export interface Pose {
  roll: number;
  yaw: number;
  pitch: number;
  /** Pixels per face unit. */
  scale: number;
  shiftX: number;
  shiftY: number;
}

export interface Scene {
  size: number;
  pose: Pose;
  bgA: Rgb;
  bgB: Rgb;
  bgAngle: number;
  /** Random background shapes behind the face. */
  clutter: number;
  /** Light direction (image plane) and strength of the gradient it casts. */
  lightX: number;
  lightY: number;
  lightStrength: number;
  brightness: number;
  contrast: number;
  tint: Rgb;
  /** 0 = sharp; weights of a [w, 1-2w, w] kernel, applied twice above 0.2. */
  blur: number;
  noiseStd: number;
  occluder: boolean;
}

/** Face-unit point → pixel, shared by shapes and landmarks. */
function makeProjector(p: Pose, size: number): (x: number, y: number, relief: number, out: Float64Array, at: number) => void {
  const cy = Math.cos(p.yaw);
  const sy = Math.sin(p.yaw);
  const cp = Math.cos(p.pitch);
  const sp = Math.sin(p.pitch);
  const cr = Math.cos(p.roll);
  const sr = Math.sin(p.roll);
  const ox = size / 2 + p.shiftX;
  const oy = size / 2 + p.shiftY;
  const scale = p.scale;
  return (x, y, relief, out, at) => {
    // Depth of a rounded head: zero at the silhouette, so the outline only compresses under yaw
    // while features in front slide towards the turned side.
    const q = 1 - (x / 0.56) ** 2 - ((y - 0.05) / 0.95) ** 2;
    const z = (q > 0 ? 0.42 * Math.sqrt(q) : 0) + relief;
    const x1 = x * cy + z * sy;
    const y1 = (y - 0.08) * cp + z * sp;
    out[at] = ox + (x1 * cr - y1 * sr) * scale;
    out[at + 1] = oy + (x1 * sr + y1 * cr) * scale;
  };
}

/** The paint's contours in pixels, written into `path`. */
function project(paint: Paint, proj: ReturnType<typeof makeProjector>, path: Path): Path {
  path.clear();
  for (const c of paint.contours) {
    const at = path.reserve(c.length);
    const out = path.points;
    for (let i = 0; i < c.length; i += 2) proj(c[i] as number, c[i + 1] as number, paint.relief, out, at + i);
    path.close();
  }
  return path;
}

export interface Rendered {
  image: HostImage;
  /** 68 × (x, y) in pixels. */
  landmarks: Float32Array;
}

// One raster per image size, reused from face to face (the background pass overwrites every pixel,
// and fill leaves its coverage buffer cleared), and one path for every shape, so rendering
// allocates no scratch buffers.
const rasters = new Map<number, Raster>();
const path = new Path();
/** Landmarks in pixels at full precision (the occluder is placed on them). */
const lm64 = new Float64Array(136);

function rasterFor(size: number): Raster {
  let r = rasters.get(size);
  if (!r) {
    r = new Raster(size, size);
    rasters.set(size, r);
  }
  return r;
}

/**
 * base + (c - size / 2) * step for each column c: the per-column half of the gradients below,
 * computed once per image. Adding the row's term afterwards keeps the expressions' evaluation
 * order, so the values are bit-identical to evaluating the whole expression per pixel.
 */
function columnTerms(out: Float64Array, size: number, base: number, step: number): Float64Array {
  for (let x = 0; x < size; x++) out[x] = base + (x - size / 2) * step;
  return out;
}

let colScratch = new Float64Array(128);

function colBuffer(size: number): Float64Array {
  if (colScratch.length < size) colScratch = new Float64Array(size);
  return colScratch;
}

export function renderFace(face: FaceDrawing, scene: Scene, rng: Rng): Rendered {
  const S = scene.size;
  const r = rasterFor(S);
  const d = r.data;
  // Background: linear gradient between two colours.
  const gx = Math.cos(scene.bgAngle) / S;
  const gy = Math.sin(scene.bgAngle) / S;
  const [ar, ag, ab] = scene.bgA;
  const [br, bg, bb] = scene.bgB;
  const dr = br - ar;
  const dg = bg - ag;
  const db = bb - ab;
  const col = columnTerms(colBuffer(S), S, 0.5, gx);
  for (let y = 0, p = 0; y < S; y++) {
    const rowTerm = (y - S / 2) * gy;
    for (let x = 0; x < S; x++, p += 3) {
      let t = (col[x] as number) + rowTerm;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      d[p] = ar + dr * t;
      d[p + 1] = ag + dg * t;
      d[p + 2] = ab + db * t;
    }
  }
  for (let k = 0; k < scene.clutter; k++) {
    const c: Rgb = [rng.range(20, 235), rng.range(20, 235), rng.range(20, 235)];
    const shape = ellipse(rng.range(0, S), rng.range(0, S), rng.range(S * 0.05, S * 0.3), rng.range(S * 0.05, S * 0.3), rng.range(0, 3), 12);
    r.fill(path.clear().add(shape), c[0], c[1], c[2], rng.range(0.3, 0.9));
  }

  const proj = makeProjector(scene.pose, S);
  for (const paint of face.paints) {
    r.fill(project(paint, proj, path), paint.color[0], paint.color[1], paint.color[2], paint.alpha);
  }
  for (let i = 0; i < 68; i++) {
    proj(face.landmarks[2 * i] as number, face.landmarks[2 * i + 1] as number, face.landmarkRelief[i] as number, lm64, 2 * i);
  }

  if (scene.occluder) drawOccluder(r, lm64, rng);
  const out = finish(r, scene, rng);
  return { image: { width: S, height: S, channels: 3, data: out }, landmarks: new Float32Array(lm64) };
}

/** A hand, a sheet of paper or a cup over part of the face, anchored on a random landmark. */
function drawOccluder(r: Raster, lm: Float64Array, rng: Rng): void {
  const S = r.width;
  const anchor = rng.pick([30, 57, 36, 45, 8, 48, 54]);
  const ax = (lm[2 * anchor] as number) + rng.gauss(0, S * 0.05);
  const ay = (lm[2 * anchor + 1] as number) + rng.gauss(0, S * 0.05);
  const kind = rng.int(3);
  if (kind === 0) {
    // Hand: palm and fingers in a skin tone.
    const tone = rng.range(0.45, 1);
    const c: Rgb = [235 * tone, 185 * tone, 150 * tone];
    const rot = rng.range(-1, 1);
    r.fill(path.clear().add(ellipse(ax, ay, S * 0.13, S * 0.1, rot, 16)), c[0], c[1], c[2], 1);
    for (let f = 0; f < 4; f++) {
      const fx = ax + Math.cos(rot - 0.6 + 0.4 * f) * S * 0.14;
      const fy = ay + Math.sin(rot - 0.6 + 0.4 * f) * S * 0.14 - S * 0.04;
      r.fill(path.clear().add(ellipse(fx, fy, S * 0.025, S * 0.07, rot - 0.6 + 0.4 * f + Math.PI / 2, 10)), c[0] * 0.97, c[1] * 0.97, c[2] * 0.97, 1);
    }
  } else {
    const w = rng.range(S * 0.12, S * 0.3);
    const h = rng.range(S * 0.1, S * 0.25);
    const rot = rng.range(-0.6, 0.6);
    const c = Math.cos(rot);
    const s = Math.sin(rot);
    const corners = [-w / 2, -h / 2, w / 2, -h / 2, w / 2, h / 2, -w / 2, h / 2];
    const pts = new Float64Array(8);
    for (let i = 0; i < 8; i += 2) {
      const x = corners[i] as number;
      const y = corners[i + 1] as number;
      pts[i] = ax + x * c - y * s;
      pts[i + 1] = ay + x * s + y * c;
    }
    const shape = kind === 1 ? pts : ellipse(ax, ay, w / 2, h / 2, rot, 16);
    r.fill(path.clear().add(shape), rng.range(0, 255), rng.range(0, 255), rng.range(0, 255), 1);
  }
}

/** Lighting gradient, brightness/contrast/tint and blur in place, then noise and rounding to bytes. */
function finish(r: Raster, sc: Scene, rng: Rng): Uint8Array {
  const S = r.width;
  const d = r.data;
  const lx = (sc.lightX * sc.lightStrength * 2) / S;
  const ly = (sc.lightY * sc.lightStrength * 2) / S;
  const [tr, tg, tb] = sc.tint;
  const k = sc.brightness;
  const ct = sc.contrast;
  const col = columnTerms(colBuffer(S), S, 1, lx);
  for (let y = 0, p = 0; y < S; y++) {
    const rowTerm = (y - S / 2) * ly;
    for (let x = 0; x < S; x++, p += 3) {
      const l = k * ((col[x] as number) + rowTerm);
      d[p] = ((d[p] as number) * l * tr - 128) * ct + 128;
      d[p + 1] = ((d[p + 1] as number) * l * tg - 128) * ct + 128;
      d[p + 2] = ((d[p + 2] as number) * l * tb - 128) * ct + 128;
    }
  }
  if (sc.blur > 0) {
    blur3(d, S, Math.min(0.33, sc.blur));
    if (sc.blur > 0.2) blur3(d, S, Math.min(0.33, sc.blur - 0.2));
  }
  return toBytes(d, sc.noiseStd, rng);
}

const NOISE_CHUNK = 1024;
const noiseSums = new Float64Array(NOISE_CHUNK);

/** Round and clamp 0..255. */
const toByte = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0);

/**
 * The image as bytes, with sensor noise of standard deviation sd added first (three uniforms per
 * value, drawn in chunks to batch the rng). The noisy value goes through Math.fround because it
 * used to be stored back into the float32 image before rounding.
 */
function toBytes(d: Float32Array, sd: number, rng: Rng): Uint8Array {
  const out = new Uint8Array(d.length);
  if (!(sd > 0)) {
    for (let i = 0; i < d.length; i++) out[i] = toByte(d[i] as number);
    return out;
  }
  const sums = noiseSums;
  for (let i0 = 0; i0 < d.length; i0 += NOISE_CHUNK) {
    const m = Math.min(NOISE_CHUNK, d.length - i0);
    // Sum of three uniforms: close enough to Gaussian for sensor noise, and far cheaper.
    rng.fillSum3(sums, m);
    for (let j = 0; j < m; j++) {
      const n = ((sums[j] as number) - 1.5) * 2;
      out[i0 + j] = toByte(Math.fround((d[i0 + j] as number) + n * sd));
    }
  }
  return out;
}

let blurLine = new Float32Array(3 * 128);

/**
 * Separable [w, 1-2w, w] blur with clamped borders, in place. Each pass keeps the unblurred
 * neighbours it still needs (in locals along a row, in one line buffer down the image) and reads
 * memory in order.
 */
function blur3(d: Float32Array, S: number, w: number): void {
  const c = 1 - 2 * w;
  const L = S * 3;
  for (let base = 0; base < S * L; base += L) {
    // l*, m*, r*: unblurred RGB at x - 1, x, x + 1 (the left end is its own left neighbour).
    let m0 = d[base] as number;
    let m1 = d[base + 1] as number;
    let m2 = d[base + 2] as number;
    let l0 = m0;
    let l1 = m1;
    let l2 = m2;
    const last = base + L - 3;
    for (let p = base; p < last; p += 3) {
      const r0 = d[p + 3] as number;
      const r1 = d[p + 4] as number;
      const r2 = d[p + 5] as number;
      d[p] = c * m0 + w * (l0 + r0);
      d[p + 1] = c * m1 + w * (l1 + r1);
      d[p + 2] = c * m2 + w * (l2 + r2);
      l0 = m0;
      l1 = m1;
      l2 = m2;
      m0 = r0;
      m1 = r1;
      m2 = r2;
    }
    // The right end is its own right neighbour.
    d[last] = c * m0 + w * (l0 + m0);
    d[last + 1] = c * m1 + w * (l1 + m1);
    d[last + 2] = c * m2 + w * (l2 + m2);
  }
  if (blurLine.length < L) blurLine = new Float32Array(L);
  // above holds the unblurred row y - 1 (row 0 again at the top); row y + 1 is still intact in d.
  const above = blurLine;
  for (let i = 0; i < L; i++) above[i] = d[i] as number;
  for (let base = 0; base < S * L; base += L) {
    // The bottom row is its own lower neighbour; each value is read before it is overwritten.
    const down = base + L < S * L ? base + L : base;
    for (let i = 0; i < L; i++) {
      const mid = d[base + i] as number;
      d[base + i] = c * mid + w * ((above[i] as number) + (d[down + i] as number));
      above[i] = mid;
    }
  }
}
