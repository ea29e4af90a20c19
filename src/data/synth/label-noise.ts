// Label noise for robustness experiments. The clean label is always kept next to the noisy one.
import type { Rng } from '../rng.js';
import { ANGER, DISGUST, FEAR, NEUTRAL, SAD, SURPRISE } from '../labels.js';

export type NoiseSpec =
  | { kind: 'none' }
  /** With probability rate, a uniformly chosen other class. */
  | { kind: 'symmetric'; rate: number }
  /** With probability rate, the class it is most confused with. */
  | { kind: 'asymmetric'; rate: number }
  /** Flip probability rate·2·(1 − intensity), to a confusable class: weak expressions get mislabelled. */
  | { kind: 'intensity'; rate: number };

/**
 * The class each class is most confused with, in canonical order: neutral→sad, happy→neutral,
 * sad→neutral, surprise↔fear, disgust↔anger, contempt→neutral.
 */
export const CONFUSABLE: readonly number[] = [SAD, NEUTRAL, NEUTRAL, FEAR, SURPRISE, ANGER, DISGUST, NEUTRAL];

export function applyLabelNoise(clean: number, intensity: number, numClasses: number, spec: NoiseSpec, rng: Rng): number {
  switch (spec.kind) {
    case 'none':
      return clean;
    case 'symmetric': {
      if (!rng.chance(spec.rate)) return clean;
      const other = rng.int(numClasses - 1);
      return other >= clean ? other + 1 : other;
    }
    case 'asymmetric':
      return rng.chance(spec.rate) ? (CONFUSABLE[clean] as number) : clean;
    case 'intensity': {
      const p = Math.min(1, spec.rate * 2 * (1 - intensity));
      return rng.chance(p) ? (CONFUSABLE[clean] as number) : clean;
    }
  }
}

/** Parse "none", "sym:0.2", "asym:0.2", "intensity:0.3" (long names accepted too). */
export function parseNoise(text: string): NoiseSpec {
  const [name, arg] = text.split(/[:=]/, 2);
  if (name === 'none' || name === '') return { kind: 'none' };
  const rate = Number(arg);
  if (!Number.isFinite(rate) || rate < 0 || rate > 1) throw new Error(`--noise ${name}:RATE needs a rate in [0, 1], got "${arg}"`);
  if (name === 'sym' || name === 'symmetric') return { kind: 'symmetric', rate };
  if (name === 'asym' || name === 'asymmetric') return { kind: 'asymmetric', rate };
  if (name === 'intensity') return { kind: 'intensity', rate };
  throw new Error(`unknown noise "${text}" (expected none, sym:R, asym:R or intensity:R)`);
}
