// A synthetic subject: everything about a face that does not change with expression. Derived only
// from (seed, subject id), so the same subject looks the same in every sample and split.
import { Rng } from '../rng.js';
import { NUM_AUS, AU1, AU15, AU4, AU12, AU7 } from './action-units.js';

export type Rgb = readonly [number, number, number];

export interface Identity {
  subject: number;
  /** Half face width and vertical extents in face units (y down, 0 at the cheekbone line). */
  halfWidth: number;
  topHeight: number;
  chinY: number;
  jawTaper: number;
  eyeY: number;
  eyeHalfSep: number;
  eyeHalfWidth: number;
  eyeOpen: number;
  eyeLower: number;
  eyeTilt: number;
  irisRadius: number;
  browGap: number;
  browThick: number;
  browArch: number;
  browLen: number;
  noseTipY: number;
  noseHalfWidth: number;
  mouthY: number;
  mouthHalfWidth: number;
  upperLip: number;
  lowerLip: number;
  skin: Rgb;
  lip: Rgb;
  iris: Rgb;
  hair: Rgb;
  brow: Rgb;
  /** 0 bald, 1 short, 2 long, 3 fringe, 4 bun/curly volume. */
  hairStyle: number;
  hairline: number;
  glasses: boolean;
  glassesRound: boolean;
  glassesColor: Rgb;
  beard: boolean;
  moustache: boolean;
  age: number;
  /** Resting-face bias added to every sample's AU vector (a naturally sad- or stern-looking person). */
  restAus: Float32Array;
}

const SKIN: Rgb[] = [
  [255, 224, 196], [241, 194, 160], [224, 172, 130], [198, 140, 100], [161, 110, 75], [120, 80, 55], [90, 60, 42], [236, 200, 175],
];
const HAIR: Rgb[] = [[25, 20, 18], [60, 40, 25], [110, 75, 40], [170, 130, 80], [220, 190, 130], [140, 60, 30], [150, 150, 150], [235, 235, 230]];
const IRIS: Rgb[] = [[70, 45, 25], [40, 25, 15], [90, 120, 160], [80, 110, 70], [110, 90, 60]];

function jitterColor(c: Rgb, rng: Rng, amount: number): Rgb {
  const k = 1 + rng.gauss(0, amount);
  return [c[0] * k + rng.gauss(0, 6), c[1] * k + rng.gauss(0, 6), c[2] * k + rng.gauss(0, 6)];
}

export function makeIdentity(seed: number, subject: number): Identity {
  const rng = new Rng(seed, 0x1d, subject);
  const skin = jitterColor(rng.pick(SKIN), rng, 0.05);
  const hair = jitterColor(rng.pick(HAIR), rng, 0.08);
  const male = rng.chance(0.5);
  const restAus = new Float32Array(NUM_AUS);
  // Some people look sad, stern or smiley at rest: this is what makes weak expressions ambiguous.
  if (rng.chance(0.25)) restAus[AU15] = rng.range(0.05, 0.3);
  if (rng.chance(0.2)) restAus[AU1] = rng.range(0.05, 0.3);
  if (rng.chance(0.2)) restAus[AU4] = rng.range(0.05, 0.3);
  if (rng.chance(0.15)) restAus[AU12] = rng.range(0.05, 0.25);
  if (rng.chance(0.15)) restAus[AU7] = rng.range(0.05, 0.3);
  const browDark = 0.55 + 0.3 * rng.next();
  return {
    subject,
    halfWidth: rng.range(0.46, 0.54),
    topHeight: rng.range(0.72, 0.86),
    chinY: rng.range(0.58, 0.7),
    jawTaper: rng.range(0.2, 0.45),
    eyeY: rng.range(-0.1, -0.05),
    eyeHalfSep: rng.range(0.18, 0.21),
    eyeHalfWidth: rng.range(0.08, 0.1),
    eyeOpen: rng.range(0.035, 0.055),
    eyeLower: rng.range(0.022, 0.034),
    eyeTilt: rng.range(-0.015, 0.02),
    irisRadius: rng.range(0.036, 0.044),
    browGap: rng.range(0.09, 0.13),
    browThick: rng.range(0.018, male ? 0.04 : 0.03),
    browArch: rng.range(0.008, 0.035),
    browLen: rng.range(0.19, 0.24),
    noseTipY: rng.range(0.13, 0.19),
    noseHalfWidth: rng.range(0.07, 0.1),
    mouthY: rng.range(0.32, 0.38),
    mouthHalfWidth: rng.range(0.15, 0.2),
    upperLip: rng.range(0.022, 0.04),
    lowerLip: rng.range(0.03, 0.05),
    skin,
    lip: [skin[0] * 0.85 + 25, skin[1] * 0.6, skin[2] * 0.6 + 5],
    iris: jitterColor(rng.pick(IRIS), rng, 0.1),
    hair,
    brow: [hair[0] * browDark, hair[1] * browDark, hair[2] * browDark],
    hairStyle: rng.categorical(male ? [0.12, 0.55, 0.08, 0.15, 0.1] : [0.02, 0.2, 0.45, 0.2, 0.13]),
    hairline: rng.range(-0.48, -0.36),
    glasses: rng.chance(0.2),
    glassesRound: rng.chance(0.5),
    glassesColor: rng.pick<Rgb>([[20, 20, 20], [90, 60, 30], [160, 160, 170], [120, 20, 20]]),
    beard: male && rng.chance(0.2),
    moustache: male && rng.chance(0.25),
    age: rng.next() ** 2,
    restAus,
  };
}
