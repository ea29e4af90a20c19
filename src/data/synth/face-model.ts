// The parametric face: from an identity and an action-unit vector to a list of filled shapes and
// the 68 iBUG landmarks, all in "face units" (x right, y down, origin on the cheekbone line,
// face width about 1). Landmarks are read off the very curves that are filled, so they are exact.
//
// iBUG 68 layout: 0-16 jaw (image left to right), 17-21 brow on the image left (outer→inner),
// 22-26 brow on the image right (inner→outer), 27-30 nose bridge (top→tip), 31-35 nostril base
// (left→right), 36-41 eye on the image left (outer corner, upper lid ×2, inner corner, lower ×2),
// 42-47 eye on the image right (inner corner, upper ×2, outer corner, lower ×2), 48-59 outer lip
// (left corner, upper lip to right corner, lower lip back), 60-67 inner lip likewise.
import type { Identity, Rgb } from './identity.js';
import {
  AU1, AU2, AU4, AU5, AU6, AU7, AU9, AU10, AU12, AU14, AU15, AU17, AU20, AU23, AU24, AU25, AU26,
} from './action-units.js';
import { ellipse, joinReversed, quad, sampleCurve, stroke } from './shapes.js';

export interface Paint {
  contours: number[][];
  color: Rgb;
  alpha: number;
  /** Height above the head surface, used by the pseudo-yaw (nose and lips stand out). */
  relief: number;
}

export interface FaceDrawing {
  /** Shapes behind the head (long hair, neck, clothes) and on it, in paint order. */
  paints: Paint[];
  /** 68 × (x, y) in face units. */
  landmarks: Float64Array;
  /** Relief of each landmark, for the pseudo-yaw. */
  landmarkRelief: Float32Array;
}

export interface FaceOptions {
  /** Gaze offset of both irises, in units of iris radius (-1..1). */
  gazeX: number;
  gazeY: number;
}

function shade(c: Rgb, k: number, add = 0): Rgb {
  return [c[0] * k + add, c[1] * k + add, c[2] * k + add];
}

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/**
 * Cache a pure function of one number by its exact argument. The curve profiles below are
 * fractional powers (~50 ns each in V8) that every face evaluates at the same few parameters (the
 * sampling grids and the landmark positions); a cached value is the very number f returns.
 */
function memo(f: (x: number) => number): (x: number) => number {
  const cache = new Map<number, number>();
  return (x) => {
    let v = cache.get(x);
    if (v === undefined) {
      v = f(x);
      // Bounded in case a caller ever passes free-running values.
      if (cache.size >= 4096) cache.clear();
      cache.set(x, v);
    }
    return v;
  };
}

/** Jaw taper profile over the lower head's angle (0 at the cheeks, 1 at the chin). */
const jawProfile = memo((theta) => Math.max(0, Math.sin(theta)) ** 2.2);
/** Inner brow raise profile, s = 0 at the inner end, 1 at the outer end. */
const innerRaiseProfile = memo((s) => (1 - s) ** 1.3);
/** Lid opening profile, s = 0 at the inner corner, 1 at the outer corner. */
const lidProfile = memo((s) => Math.sin(Math.PI * s ** 0.9) ** 0.8);
/** Lip opening profile and the lip thickness profile (its 0.6 power), t = 0 .. 1 corner to corner. */
const lipBump = memo((t) => Math.sin(Math.PI * t) ** 0.7);
const lipThickness = memo((t) => lipBump(t) ** 0.6);
/** Superellipse radius factor of a cosine or sine (glasses frames). */
const squarish = memo((c) => Math.abs(c) ** 0.4);

export function buildFace(id: Identity, ausIn: Float32Array, opt: FaceOptions): FaceDrawing {
  // The identity's resting bias adds to the expression's units.
  const a = (u: number): number => Math.min(1.2, (ausIn[u] as number) + (id.restAus[u] as number));
  const paints: Paint[] = [];
  const lm = new Float64Array(136);
  const relief = new Float32Array(68);
  const put = (i: number, x: number, y: number, r = 0): void => {
    lm[2 * i] = x;
    lm[2 * i + 1] = y;
    relief[i] = r;
  };
  const paint = (contours: number[][], color: Rgb, alpha: number, rel = 0): void => {
    if (alpha > 0.003) paints.push({ contours, color, alpha, relief: rel });
  };
  const skin = id.skin;
  const dark = shade(skin, 0.62);
  const hw = id.halfWidth;

  // ---- Head outline. The jaw drop lengthens the lower face.
  const jawDrop = 0.09 * a(AU26);
  const chinY = id.chinY + jawDrop;
  const lowerHead = (theta: number): [number, number] => {
    // theta 0 at the image-left cheek, pi/2 at the chin, pi at the image-right cheek.
    const s = Math.sin(theta);
    const taper = 1 - id.jawTaper * jawProfile(theta);
    return [-hw * Math.cos(theta) * taper, chinY * s];
  };
  const upperHead = (theta: number): [number, number] => [hw * Math.cos(theta), -id.topHeight * Math.sin(theta)];
  const head = [...sampleCurve(lowerHead, 25, -0.05, Math.PI + 0.05), ...sampleCurve(upperHead, 25, 0.05, Math.PI - 0.05)];
  for (let i = 0; i < 17; i++) {
    const [x, y] = lowerHead(-0.22 + ((Math.PI + 0.44) * i) / 16);
    put(i, x, y);
  }

  // ---- Behind the head: long hair, neck and shoulders.
  if (id.hairStyle === 2) {
    paint([ellipse(0, 0.05, hw * 1.28, 0.95, 0, 28)], shade(id.hair, 0.85), 1);
  }
  const neckW = hw * 0.62;
  paint([[-neckW, 0.3, neckW, 0.3, neckW * 1.05, 1.3, -neckW * 1.05, 1.3]], shade(skin, 0.78), 1);
  paint([ellipse(0, 1.45, hw * 2.2, 0.55, 0, 28)], [60 + 40 * Math.sin(id.subject), 70 + 50 * Math.cos(id.subject * 1.7), 90 + 60 * Math.sin(id.subject * 0.9)], 1);
  if (id.hairStyle === 4) paint([ellipse(0, -0.62, hw * 0.9, 0.38, 0, 24)], id.hair, 1);

  // ---- Ears, then the face itself.
  for (const side of [-1, 1]) {
    paint([ellipse(side * hw * 0.98, id.eyeY + 0.08, 0.06, 0.12, 0, 14)], shade(skin, 0.9), 1);
  }
  paint([head], skin, 1);
  // Soft shading: darker temples and jaw sides, lighter forehead centre.
  paint([ellipse(0, -0.35, hw * 0.55, 0.25, 0, 18)], shade(skin, 1.06, 6), 0.35);
  for (const side of [-1, 1]) {
    paint([ellipse(side * hw * 0.9, 0.15, 0.07, 0.3, 0, 16)], shade(skin, 0.85), 0.15);
  }

  // ---- Brows.
  const browBase = id.eyeY - id.browGap;
  for (const side of [-1, 1]) {
    // s = 0 at the inner end, 1 at the outer end.
    const innerX = 0.06 + 0.02 * (id.eyeHalfSep - 0.18) * 10 - 0.025 * a(AU4);
    const browPt = (s: number): [number, number] => {
      const x = innerX + s * id.browLen;
      let y = browBase - id.browArch * Math.sin(Math.PI * Math.min(1, s * 1.15));
      y -= 0.07 * a(AU1) * innerRaiseProfile(s); // inner raise
      y -= 0.06 * a(AU2) * (0.3 + 0.7 * s); // outer raise
      y += 0.05 * a(AU4) * (1 - 0.6 * s); // lower and slant down inwards
      y += 0.025 * a(AU9) * (1 - s);
      y += 0.01 * a(AU7) * (1 - s);
      return [side * x, y];
    };
    const th = id.browThick;
    const upper = sampleCurve((s) => {
      const [x, y] = browPt(s);
      return [x, y - th * (0.6 - 0.25 * s)];
    }, 9);
    const lower = sampleCurve((s) => {
      const [x, y] = browPt(s);
      return [x, y + th * (0.6 - 0.35 * s)];
    }, 9);
    paint([joinReversed(upper, lower)], id.brow, 0.9);
    const first = side < 0 ? 17 : 22;
    for (let k = 0; k < 5; k++) {
      const s = side < 0 ? 1 - k / 4 : k / 4;
      const [x, y] = browPt(s);
      put(first + k, x, y - th * 0.35);
    }
  }

  // ---- Wrinkles driven by action units (and age).
  const wrinkle = shade(skin, 0.7);
  const foreheadLines = clamp01(0.9 * Math.max(a(AU1), a(AU2)) + 0.3 * id.age - 0.1);
  for (let k = 0; k < 3; k++) {
    const y = browBase - 0.12 - 0.05 * k;
    paint([stroke(sampleCurve(quad(-0.22, y + 0.01, 0, y - 0.02 + 0.02 * a(AU1), 0.22, y + 0.01), 7), 0.012)], wrinkle, 0.55 * foreheadLines);
  }
  const glabella = clamp01(1.1 * a(AU4) + 0.2 * id.age - 0.1);
  for (const side of [-1, 1]) {
    paint([stroke([side * 0.025, browBase - 0.03, side * 0.03, browBase + 0.05], 0.012)], wrinkle, 0.6 * glabella);
  }

  // ---- Eyes.
  for (const side of [-1, 1]) {
    const cx = side * id.eyeHalfSep;
    const cy = id.eyeY;
    const ew = id.eyeHalfWidth * (1 - 0.08 * a(AU6) - 0.05 * a(AU7));
    const up = Math.max(0.006, id.eyeOpen * (1 + 0.85 * a(AU5) - 0.55 * a(AU7) - 0.35 * a(AU6) - 0.15 * a(AU4)));
    const lo = Math.max(0.004, id.eyeLower * (1 + 0.3 * a(AU5) - 0.6 * a(AU7) - 0.6 * a(AU6)));
    // s = 0 inner corner, 1 outer corner; the outer corner sits id.eyeTilt higher.
    const xAt = (s: number): number => cx + side * ew * (2 * s - 1);
    const baseY = (s: number): number => cy - id.eyeTilt * (s - 0.5) * 2;
    const prof = lidProfile;
    const upperLid = (s: number): [number, number] => [xAt(s), baseY(s) - up * prof(s)];
    const lowerLid = (s: number): [number, number] => [xAt(s), baseY(s) + lo * prof(s)];
    // Socket shadow under the brow, cheek lift under the eye.
    paint([ellipse(cx, cy - 0.025, ew * 1.35, 0.06, 0, 16)], shade(skin, 0.8), 0.25);
    paint([ellipse(cx + side * 0.02, cy + 0.09 - 0.03 * a(AU6), 0.1, 0.045, 0, 16)], shade(skin, 1.07, 8), 0.35 * clamp01(a(AU6)) + 0.05);
    const upperPts = sampleCurve(upperLid, 11);
    const lowerPts = sampleCurve(lowerLid, 11);
    const opening = joinReversed(upperPts, lowerPts);
    paint([opening], [238, 236, 230], 1);
    const ix = cx + opt.gazeX * id.irisRadius * 0.6;
    const iy = cy + opt.gazeY * id.irisRadius * 0.3 - 0.002;
    paint([ellipse(ix, iy, id.irisRadius, id.irisRadius, 0, 18)], id.iris, 1);
    paint([ellipse(ix, iy, id.irisRadius * 0.45, id.irisRadius * 0.45, 0, 12)], [15, 12, 12], 1);
    paint([ellipse(ix + 0.012, iy - 0.012, 0.007, 0.007, 0, 8)], [250, 250, 250], 0.85);
    // Lid skin bands hide whatever of the iris lies outside the opening.
    const upperBand = sampleCurve((s) => {
      const [x, y] = upperLid(s);
      return [x + side * 0.012 * (2 * s - 1), y - 0.05 - 0.01 * prof(s)];
    }, 11);
    const lowerBand = sampleCurve((s) => {
      const [x, y] = lowerLid(s);
      return [x + side * 0.012 * (2 * s - 1), y + 0.045];
    }, 11);
    paint([joinReversed(upperPts, upperBand)], shade(skin, 0.93), 1);
    paint([joinReversed(lowerPts, lowerBand)], skin, 1);
    paint([stroke(upperPts, 0.013, 0.5)], [35, 25, 25], 0.9);
    paint([stroke(lowerPts, 0.007, 0.6)], shade(skin, 0.6), 0.55);
    const crease = sampleCurve((s) => {
      const [x, y] = upperLid(s);
      return [x, y - 0.022 - 0.008 * prof(s)];
    }, 9, 0.1, 0.95);
    paint([stroke(crease, 0.008)], shade(skin, 0.7), 0.45 * clamp01(1 - 0.9 * a(AU5)));
    // Crow's feet come with the cheek raiser (Duchenne smile) and with age.
    const crow = clamp01(0.9 * a(AU6) + 0.25 * id.age - 0.15);
    for (let k = -1; k <= 1; k++) {
      const x0 = cx + side * (ew + 0.015);
      paint([stroke([x0, cy + 0.01 * k, x0 + side * 0.05, cy + 0.025 * k], 0.009)], wrinkle, 0.5 * crow);
    }
    // Landmarks.
    if (side < 0) {
      put(36, ...lowerLid(1));
      put(37, ...upperLid(2 / 3));
      put(38, ...upperLid(1 / 3));
      put(39, ...lowerLid(0));
      put(40, ...lowerLid(1 / 3));
      put(41, ...lowerLid(2 / 3));
    } else {
      put(42, ...lowerLid(0));
      put(43, ...upperLid(1 / 3));
      put(44, ...upperLid(2 / 3));
      put(45, ...lowerLid(1));
      put(46, ...lowerLid(2 / 3));
      put(47, ...lowerLid(1 / 3));
    }
  }

  // ---- Nose.
  const noseRaise = 0.02 * a(AU9) + 0.008 * a(AU10);
  const tipY = id.noseTipY - noseRaise * 0.5;
  const baseY = tipY + 0.035 - noseRaise * 0.5;
  const nw = id.noseHalfWidth * (1 + 0.18 * a(AU9));
  const topY = id.eyeY - 0.005;
  for (let k = 0; k < 4; k++) put(27 + k, 0, topY + ((tipY - topY) * k) / 3, 0.04 + 0.035 * k);
  put(31, -nw, baseY - 0.012, 0.06);
  put(32, -nw * 0.5, baseY + 0.004, 0.08);
  put(33, 0, baseY + 0.01, 0.1);
  put(34, nw * 0.5, baseY + 0.004, 0.08);
  put(35, nw, baseY - 0.012, 0.06);
  for (const side of [-1, 1]) {
    paint([stroke([side * 0.045, topY + 0.02, side * 0.055, (topY + tipY) / 2, side * nw * 0.85, baseY - 0.03], 0.02, 0.7)], shade(skin, 0.82), 0.35, 0.05);
  }
  paint([ellipse(0, baseY + 0.005, nw * 0.9, 0.028, 0, 16)], shade(skin, 0.8), 0.45, 0.08);
  paint([ellipse(0, tipY - 0.005, nw * 0.55, 0.03, 0, 14)], shade(skin, 1.08, 10), 0.45, 0.14);
  for (const side of [-1, 1]) {
    paint([ellipse(side * nw * 0.5, baseY, nw * 0.28, 0.012, side * 0.25, 10)], shade(skin, 0.35), 0.85, 0.08);
    const wing = sampleCurve(quad(side * nw * 0.6, baseY - 0.035, side * nw * 1.25, baseY - 0.02, side * nw, baseY - 0.005), 6);
    paint([stroke(wing, 0.01, 0.5)], shade(skin, 0.65), 0.6, 0.06);
  }
  const noseWrinkle = clamp01(1.2 * a(AU9) - 0.1);
  for (let k = 0; k < 3; k++) {
    const y = topY + 0.04 + 0.025 * k;
    paint([stroke([-0.04, y + 0.006, 0, y - 0.004, 0.04, y + 0.006], 0.01)], wrinkle, 0.65 * noseWrinkle, 0.05);
  }

  // ---- Mouth. t = 0 at the image-left corner, 1 at the image-right corner.
  const spread = 0.035 * a(AU12) + 0.05 * a(AU20) - 0.03 * a(AU23) - 0.02 * a(AU24) - 0.01 * a(AU10);
  const cornerLift = 0.045 * a(AU12) - 0.045 * a(AU15) - 0.012 * a(AU20) + 0.01 * a(AU10);
  const contempt = a(AU14);
  const mw = id.mouthHalfWidth;
  const xl = -(mw + spread);
  const xr = mw + spread + 0.015 * contempt;
  const yl = id.mouthY - cornerLift;
  const yr = id.mouthY - cornerLift - 0.035 * contempt;
  const centreY = id.mouthY + 0.012 * a(AU15) - 0.006 * a(AU12) - 0.012 * a(AU17) - 0.01 * a(AU10);
  const sag = centreY - (yl + yr) / 2;
  const gap = Math.max(0, (0.012 * a(AU25) + 0.11 * a(AU26) + 0.02 * a(AU20) * a(AU25)) * (1 - 0.9 * clamp01(a(AU24))));
  const gapUp = 0.25 * gap + 0.03 * a(AU10);
  const gapDown = 0.75 * gap + jawDrop * 0.3;
  const press = Math.max(0.35, 1 - 0.45 * clamp01(a(AU24)) - 0.25 * clamp01(a(AU23)));
  const ut = id.upperLip * press * (1 - 0.25 * a(AU12));
  const lt = id.lowerLip * press * (1 - 0.2 * a(AU12)) * (1 + 0.2 * a(AU17));
  const bump = lipBump;
  const xAt = (t: number): number => xl + (xr - xl) * t;
  const mid = (t: number): number => yl + (yr - yl) * t + sag * (1 - (2 * t - 1) ** 2);
  // Cupid's bow: a dip in the upper lip's outline, never deeper than a third of the lip.
  const bow = (t: number): number => 0.3 * ut * Math.exp(-(((t - 0.5) / 0.06) ** 2));
  const upperInner = (t: number): [number, number] => [xAt(t), mid(t) - gapUp * bump(t)];
  const lowerInner = (t: number): [number, number] => [xAt(t), mid(t) + gapDown * bump(t)];
  const upperOuter = (t: number): [number, number] => [xAt(t), mid(t) - gapUp * bump(t) - ut * lipThickness(t) + bow(t)];
  const lowerOuter = (t: number): [number, number] => [xAt(t), mid(t) + gapDown * bump(t) + lt * lipThickness(t)];

  // Nasolabial folds deepen with smiling, sneering and the upper-lip raiser.
  const fold = clamp01(0.7 * a(AU12) + 0.3 * a(AU6) + 0.6 * a(AU9) + 0.6 * a(AU10) + 0.3 * id.age - 0.1);
  for (const side of [-1, 1]) {
    const cxm = side < 0 ? xl : xr;
    const cym = side < 0 ? yl : yr;
    const f = sampleCurve(quad(side * nw * 1.15, baseY - 0.03, side * (Math.abs(cxm) + 0.06), (baseY + cym) / 2, side * (Math.abs(cxm) + 0.03), cym + 0.05), 8);
    paint([stroke(f, 0.014)], wrinkle, 0.55 * fold, 0.02);
  }
  if (contempt > 0.05) {
    paint([stroke([xr + 0.012, yr - 0.01, xr + 0.02, yr + 0.015], 0.012)], wrinkle, 0.7 * clamp01(contempt), 0.03);
  }
  const chinWrinkle = clamp01(1.1 * a(AU17) + 0.4 * a(AU24) - 0.1);
  paint([ellipse(0, id.mouthY + 0.13 + jawDrop, 0.06, 0.025, 0, 12)], shade(skin, 0.85), 0.5 * chinWrinkle, 0.02);

  const lipsN = 17;
  paint([joinReversed(sampleCurve(upperOuter, lipsN), sampleCurve(lowerOuter, lipsN))], id.lip, 0.95, 0.04);
  // Lip highlights give the lips a bit of volume.
  paint([ellipse(0, mid(0.5) + gapDown + lt * 0.45, mw * 0.45, lt * 0.25, 0, 12)], shade(id.lip, 1.15, 10), 0.35, 0.04);
  if (gapUp + gapDown > 0.004) {
    const opening = joinReversed(sampleCurve(upperInner, lipsN), sampleCurve(lowerInner, lipsN));
    paint([opening], [70, 28, 30], 1, 0.03);
    // Upper teeth hang from the upper lip, never below the lower lip.
    const teethH = 0.035;
    const top = sampleCurve(upperInner, 13, 0.14, 0.86);
    const bottom = sampleCurve((t) => {
      const [x, yu] = upperInner(t);
      const [, yd] = lowerInner(t);
      return [x, Math.min(yu + teethH, yd)];
    }, 13, 0.14, 0.86);
    paint([joinReversed(top, bottom)], [236, 232, 220], 0.95, 0.03);
    if (gapDown > 0.04) {
      const lt0 = sampleCurve((t) => {
        const [x, yu] = upperInner(t);
        const [, yd] = lowerInner(t);
        return [x, Math.max(yd - 0.022, yu + teethH)];
      }, 9, 0.25, 0.75);
      const lt1 = sampleCurve(lowerInner, 9, 0.25, 0.75);
      paint([joinReversed(lt0, lt1)], [215, 210, 200], 0.8, 0.03);
    }
  } else {
    paint([stroke(sampleCurve(upperInner, lipsN), 0.009, 0.3)], shade(id.lip, 0.45), 0.8, 0.04);
  }
  const outerT = [0, 1 / 6, 2 / 6, 0.5, 4 / 6, 5 / 6, 1];
  outerT.forEach((t, k) => put(48 + k, ...upperOuter(t), 0.04));
  [5 / 6, 4 / 6, 0.5, 2 / 6, 1 / 6].forEach((t, k) => put(55 + k, ...lowerOuter(t), 0.04));
  put(60, ...upperInner(0.04), 0.04);
  [0.25, 0.5, 0.75].forEach((t, k) => put(61 + k, ...upperInner(t), 0.04));
  put(64, ...upperInner(0.96), 0.04);
  [0.75, 0.5, 0.25].forEach((t, k) => put(65 + k, ...lowerInner(t), 0.04));

  // ---- Facial hair.
  if (id.moustache) {
    const m = joinReversed(
      sampleCurve((t) => { const [x, y] = upperOuter(t); return [x * 1.1, y - 0.005]; }, 9),
      sampleCurve((t) => { const [x, y] = upperOuter(t); return [x * 1.05, Math.max(baseY + 0.015, y - 0.04)]; }, 9),
    );
    paint([m], shade(id.hair, 0.9), 0.85, 0.04);
  }
  if (id.beard) {
    const jaw = sampleCurve(lowerHead, 15, 0.35, Math.PI - 0.35);
    const inner = sampleCurve((t) => { const [x, y] = lowerOuter(t); return [x * 1.15, y + 0.03]; }, 9, 0, 1);
    // jaw runs image-left → chin → image-right, so the inner edge closes it right → left.
    paint([jaw.concat(reversePairs(inner))], shade(id.hair, 0.9), 0.8, 0.02);
  }

  // ---- Hair on top.
  if (id.hairStyle !== 0) {
    const fringe = id.hairStyle === 3;
    const hairline = fringe ? browBase - 0.06 : id.hairline;
    const outer = sampleCurve((th) => [hw * 1.07 * Math.cos(th), -id.topHeight * 1.08 * Math.sin(th)], 21, -0.08, Math.PI + 0.08);
    const inner = sampleCurve((t) => {
      const x = hw * 0.98 * (1 - 2 * t);
      const k = (x / hw) ** 4;
      return [x, hairline + (id.eyeY - 0.02 - hairline) * k];
    }, 13);
    // outer runs image-right → top → image-left; inner runs image-left → image-right.
    paint([outer.concat(reversePairs(inner))], id.hair, 1);
    paint([ellipse(-hw * 0.2, -id.topHeight * 0.85, hw * 0.35, 0.06, -0.3, 12)], shade(id.hair, 1.25, 12), 0.35);
  }

  // ---- Glasses.
  if (id.glasses) {
    const col = id.glassesColor;
    const r = id.eyeHalfWidth * 1.45;
    for (const side of [-1, 1]) {
      const cx = side * id.eyeHalfSep;
      const cy = id.eyeY + 0.005;
      const outerC = id.glassesRound ? ellipse(cx, cy, r, r * 0.8, 0, 22) : roundedRect(cx, cy, r * 1.05, r * 0.72);
      const innerC = id.glassesRound ? ellipse(cx, cy, r - 0.014, r * 0.8 - 0.014, 0, 22) : roundedRect(cx, cy, r * 1.05 - 0.014, r * 0.72 - 0.014);
      paint([innerC], [200, 215, 230], 0.12, 0.05);
      paint([outerC, innerC], col, 0.95, 0.05);
      paint([stroke([cx + side * r, cy - 0.01, side * hw * 1.0, cy - 0.02], 0.014, 0)], col, 0.9, 0.02);
    }
    paint([stroke(sampleCurve(quad(-id.eyeHalfSep + r * 0.95, id.eyeY - 0.01, 0, id.eyeY - 0.04, id.eyeHalfSep - r * 0.95, id.eyeY - 0.01), 5), 0.014, 0)], col, 0.95, 0.06);
  }

  return { paints, landmarks: lm, landmarkRelief: relief };
}

/** A flat point list with its (x, y) pairs in reverse order. */
function reversePairs(p: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = (p.length >> 1) - 1; i >= 0; i--) out.push(p[2 * i] as number, p[2 * i + 1] as number);
  return out;
}

function roundedRect(cx: number, cy: number, hx: number, hy: number): number[] {
  const out: number[] = [];
  const n = 24;
  for (let i = 0; i < n; i++) {
    const t = (2 * Math.PI * i) / n;
    const c = Math.cos(t);
    const s = Math.sin(t);
    // Superellipse: squarish with rounded corners.
    out.push(cx + hx * Math.sign(c) * squarish(c), cy + hy * Math.sign(s) * squarish(s));
  }
  return out;
}
