// Puts a FaceDrawing into an image: pose (roll, pseudo-yaw, pitch, scale, shift), background,
// occluders, lighting, blur and sensor noise. The same pose function moves the landmarks, so
// they stay exact.
import type { Rng } from '../rng.js';
import type { HostImage } from '../image.js';
import type { FaceDrawing, Paint } from './face-model.js';
import type { Rgb } from './identity.js';
import { Raster } from './raster.js';
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
  return (x, y, relief, out, at) => {
    // Depth of a rounded head: zero at the silhouette, so the outline only compresses under yaw
    // while features in front slide towards the turned side.
    const q = 1 - (x / 0.56) ** 2 - ((y - 0.05) / 0.95) ** 2;
    const z = (q > 0 ? 0.42 * Math.sqrt(q) : 0) + relief;
    const x1 = x * cy + z * sy;
    const y1 = (y - 0.08) * cp + z * sp;
    out[at] = ox + (x1 * cr - y1 * sr) * p.scale;
    out[at + 1] = oy + (x1 * sr + y1 * cr) * p.scale;
  };
}

function project(paint: Paint, proj: ReturnType<typeof makeProjector>): Float64Array[] {
  return paint.contours.map((c) => {
    const out = new Float64Array(c.length);
    for (let i = 0; i < c.length; i += 2) proj(c[i] as number, c[i + 1] as number, paint.relief, out, i);
    return out;
  });
}

export interface Rendered {
  image: HostImage;
  /** 68 × (x, y) in pixels. */
  landmarks: Float32Array;
}

export function renderFace(face: FaceDrawing, scene: Scene, rng: Rng): Rendered {
  const S = scene.size;
  const r = new Raster(S, S);
  const d = r.data;
  // Background: linear gradient between two colours.
  const gx = Math.cos(scene.bgAngle) / S;
  const gy = Math.sin(scene.bgAngle) / S;
  const [ar, ag, ab] = scene.bgA;
  const [br, bg, bb] = scene.bgB;
  for (let y = 0, p = 0; y < S; y++) {
    for (let x = 0; x < S; x++, p += 3) {
      let t = 0.5 + (x - S / 2) * gx + (y - S / 2) * gy;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      d[p] = ar + (br - ar) * t;
      d[p + 1] = ag + (bg - ag) * t;
      d[p + 2] = ab + (bb - ab) * t;
    }
  }
  for (let k = 0; k < scene.clutter; k++) {
    const c: Rgb = [rng.range(20, 235), rng.range(20, 235), rng.range(20, 235)];
    const shape = ellipse(rng.range(0, S), rng.range(0, S), rng.range(S * 0.05, S * 0.3), rng.range(S * 0.05, S * 0.3), rng.range(0, 3), 12);
    r.fill([Float64Array.from(shape)], c[0], c[1], c[2], rng.range(0.3, 0.9));
  }

  const proj = makeProjector(scene.pose, S);
  for (const paint of face.paints) {
    r.fill(project(paint, proj), paint.color[0], paint.color[1], paint.color[2], paint.alpha);
  }
  const lm64 = new Float64Array(136);
  for (let i = 0; i < 68; i++) {
    proj(face.landmarks[2 * i] as number, face.landmarks[2 * i + 1] as number, face.landmarkRelief[i] as number, lm64, 2 * i);
  }

  if (scene.occluder) drawOccluder(r, lm64, rng);
  finish(r, scene, rng);

  const out = new Uint8Array(S * S * 3);
  for (let i = 0; i < out.length; i++) {
    const v = d[i] as number;
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0;
  }
  return { image: { width: S, height: S, channels: 3, data: out }, landmarks: Float32Array.from(lm64) };
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
    r.fill([Float64Array.from(ellipse(ax, ay, S * 0.13, S * 0.1, rot, 16))], c[0], c[1], c[2], 1);
    for (let f = 0; f < 4; f++) {
      const fx = ax + Math.cos(rot - 0.6 + 0.4 * f) * S * 0.14;
      const fy = ay + Math.sin(rot - 0.6 + 0.4 * f) * S * 0.14 - S * 0.04;
      r.fill([Float64Array.from(ellipse(fx, fy, S * 0.025, S * 0.07, rot - 0.6 + 0.4 * f + Math.PI / 2, 10))], c[0] * 0.97, c[1] * 0.97, c[2] * 0.97, 1);
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
    const shape = kind === 1 ? pts : Float64Array.from(ellipse(ax, ay, w / 2, h / 2, rot, 16));
    r.fill([shape], rng.range(0, 255), rng.range(0, 255), rng.range(0, 255), 1);
  }
}

/** Lighting gradient, brightness/contrast/tint, blur, noise — in place. */
function finish(r: Raster, sc: Scene, rng: Rng): void {
  const S = r.width;
  const d = r.data;
  const lx = (sc.lightX * sc.lightStrength * 2) / S;
  const ly = (sc.lightY * sc.lightStrength * 2) / S;
  const [tr, tg, tb] = sc.tint;
  const k = sc.brightness;
  const ct = sc.contrast;
  for (let y = 0, p = 0; y < S; y++) {
    for (let x = 0; x < S; x++, p += 3) {
      const l = k * (1 + (x - S / 2) * lx + (y - S / 2) * ly);
      d[p] = ((d[p] as number) * l * tr - 128) * ct + 128;
      d[p + 1] = ((d[p + 1] as number) * l * tg - 128) * ct + 128;
      d[p + 2] = ((d[p + 2] as number) * l * tb - 128) * ct + 128;
    }
  }
  if (sc.blur > 0) {
    blur3(d, S, Math.min(0.33, sc.blur));
    if (sc.blur > 0.2) blur3(d, S, Math.min(0.33, sc.blur - 0.2));
  }
  if (sc.noiseStd > 0) {
    const sd = sc.noiseStd;
    for (let i = 0; i < d.length; i++) {
      // Sum of three uniforms: close enough to Gaussian for sensor noise, and far cheaper.
      const n = (rng.next() + rng.next() + rng.next() - 1.5) * 2;
      d[i] = (d[i] as number) + n * sd;
    }
  }
}

/** Separable [w, 1-2w, w] blur with clamped borders. */
function blur3(d: Float32Array, S: number, w: number): void {
  const c = 1 - 2 * w;
  const row = new Float32Array(S * 3);
  for (let y = 0; y < S; y++) {
    const base = y * S * 3;
    row.set(d.subarray(base, base + S * 3));
    for (let x = 0; x < S; x++) {
      const xl = x > 0 ? x - 1 : 0;
      const xr = x < S - 1 ? x + 1 : S - 1;
      for (let ch = 0; ch < 3; ch++) {
        d[base + x * 3 + ch] = c * (row[x * 3 + ch] as number) + w * ((row[xl * 3 + ch] as number) + (row[xr * 3 + ch] as number));
      }
    }
  }
  const col = new Float32Array(S * 3);
  for (let x = 0; x < S; x++) {
    for (let y = 0; y < S; y++) for (let ch = 0; ch < 3; ch++) col[y * 3 + ch] = d[(y * S + x) * 3 + ch] as number;
    for (let y = 0; y < S; y++) {
      const yu = y > 0 ? y - 1 : 0;
      const yd = y < S - 1 ? y + 1 : S - 1;
      for (let ch = 0; ch < 3; ch++) {
        d[(y * S + x) * 3 + ch] = c * (col[y * 3 + ch] as number) + w * ((col[yu * 3 + ch] as number) + (col[yd * 3 + ch] as number));
      }
    }
  }
}
