// Facial action units (FACS) driving the face model, and the EMFACS-style prototype of each
// expression. An expression sample = prototype × random intensity × per-unit jitter, plus a little
// activity in unrelated units, so that classes overlap where real faces overlap (fear vs surprise
// share brow raisers and jaw drop; anger vs disgust share the brow lowerer; weak sad ≈ neutral).
import type { Rng } from '../rng.js';
import { ANGER, CONTEMPT, DISGUST, FEAR, HAPPY, NEUTRAL, SAD, SURPRISE } from '../labels.js';

/** FACS numbers of the units the model implements, in vector order. */
export const AU_CODES = [1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 24, 25, 26] as const;
export const NUM_AUS = AU_CODES.length;

/** Index of a FACS unit in the AU vector. */
export function au(code: (typeof AU_CODES)[number]): number {
  return AU_CODES.indexOf(code);
}

export const AU1 = au(1); // inner brow raiser
export const AU2 = au(2); // outer brow raiser
export const AU4 = au(4); // brow lowerer
export const AU5 = au(5); // upper lid raiser
export const AU6 = au(6); // cheek raiser
export const AU7 = au(7); // lid tightener
export const AU9 = au(9); // nose wrinkler
export const AU10 = au(10); // upper lip raiser
export const AU12 = au(12); // lip corner puller
export const AU14 = au(14); // dimpler (one-sided here: contempt)
export const AU15 = au(15); // lip corner depressor
export const AU17 = au(17); // chin raiser
export const AU20 = au(20); // lip stretcher
export const AU23 = au(23); // lip tightener
export const AU24 = au(24); // lip pressor
export const AU25 = au(25); // lips part
export const AU26 = au(26); // jaw drop

/** [unit index, weight at full intensity, probability the unit takes part]. */
type Proto = ReadonlyArray<readonly [number, number, number]>;

const PROTOTYPES: Record<number, Proto> = {
  [NEUTRAL]: [],
  [HAPPY]: [[AU6, 0.8, 0.85], [AU12, 1.0, 1], [AU25, 0.6, 0.55], [AU26, 0.25, 0.25]],
  [SAD]: [[AU1, 0.9, 0.95], [AU4, 0.55, 0.8], [AU15, 0.9, 0.9], [AU17, 0.45, 0.5]],
  [SURPRISE]: [[AU1, 1.0, 1], [AU2, 1.0, 0.95], [AU5, 0.85, 0.85], [AU25, 0.8, 0.85], [AU26, 0.9, 0.8]],
  [FEAR]: [
    [AU1, 1.0, 1], [AU2, 0.6, 0.8], [AU4, 0.65, 0.85], [AU5, 0.9, 0.85], [AU7, 0.45, 0.5],
    [AU20, 0.9, 0.8], [AU25, 0.8, 0.85], [AU26, 0.5, 0.6],
  ],
  [DISGUST]: [[AU9, 1.0, 0.9], [AU10, 0.9, 0.9], [AU4, 0.4, 0.5], [AU15, 0.35, 0.4], [AU17, 0.35, 0.4], [AU25, 0.35, 0.4]],
  [ANGER]: [[AU4, 1.0, 1], [AU5, 0.45, 0.4], [AU7, 0.85, 0.85], [AU23, 0.75, 0.7], [AU24, 0.75, 0.6], [AU17, 0.3, 0.35], [AU9, 0.2, 0.2]],
  [CONTEMPT]: [[AU14, 0.9, 1], [AU12, 0.3, 0.5]],
};

export interface AuSampleOptions {
  /** Standard deviation of the multiplicative per-unit jitter (default 0.3). */
  jitter: number;
  /** Probability that an unrelated unit fires weakly (default 0.12 per unit). */
  spurious: number;
}

export const DEFAULT_AU_OPTIONS: AuSampleOptions = { jitter: 0.3, spurious: 0.12 };

/** AU activation vector (values 0..1.2) for class `cls` at expression intensity 0..1. */
export function sampleActionUnits(cls: number, intensity: number, rng: Rng, opt: AuSampleOptions = DEFAULT_AU_OPTIONS): Float32Array {
  const v = new Float32Array(NUM_AUS);
  const proto = PROTOTYPES[cls] ?? [];
  for (const [unit, weight, p] of proto) {
    if (!rng.chance(p)) continue;
    const jit = Math.max(0.2, 1 + opt.jitter * rng.normal());
    v[unit] = Math.min(1.2, weight * intensity * jit);
  }
  // Idiosyncratic activity: real faces are never a clean prototype.
  for (let u = 0; u < NUM_AUS; u++) {
    if (rng.chance(opt.spurious)) v[u] = Math.min(1.2, (v[u] as number) + rng.range(0, 0.3));
  }
  return v;
}
