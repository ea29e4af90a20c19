// Canonical expression classes and the native label orders of the public datasets.
//
// The project trains on one fixed order (see shared/ARBEX.md); every loader maps its dataset's
// native codes through the tables below so that class 3 means "surprise" everywhere.

export const CANONICAL_CLASSES = ['neutral', 'happy', 'sad', 'surprise', 'fear', 'disgust', 'anger', 'contempt'] as const;
export type ClassName = (typeof CANONICAL_CLASSES)[number];

export const NEUTRAL = 0;
export const HAPPY = 1;
export const SAD = 2;
export const SURPRISE = 3;
export const FEAR = 4;
export const DISGUST = 5;
export const ANGER = 6;
export const CONTEMPT = 7;

/** 7 basic expressions, or 8 with contempt. */
export type NumClasses = 7 | 8;

export function className(c: number): string {
  return CANONICAL_CLASSES[c] ?? `class${c}`;
}

/** FER2013 `emotion` column, 0..6. */
export const FER2013_TO_CANONICAL: readonly number[] = [ANGER, DISGUST, FEAR, HAPPY, SAD, SURPRISE, NEUTRAL];
/** RAF-DB basic labels 1..7, stored here at index label-1. */
export const RAF_TO_CANONICAL: readonly number[] = [SURPRISE, FEAR, DISGUST, HAPPY, SAD, ANGER, NEUTRAL];
/** FERPlus vote columns; -1 marks unknown and not-a-face. */
export const FERPLUS_COLUMNS = ['neutral', 'happiness', 'surprise', 'sadness', 'anger', 'disgust', 'fear', 'contempt', 'unknown', 'NF'] as const;
export const FERPLUS_TO_CANONICAL: readonly number[] = [NEUTRAL, HAPPY, SURPRISE, SAD, ANGER, DISGUST, FEAR, CONTEMPT, -1, -1];
/** AffectNet `expression` 0..10; 8 none, 9 uncertain, 10 non-face are dropped (-1). */
export const AFFECTNET_TO_CANONICAL: readonly number[] = [NEUTRAL, HAPPY, SAD, SURPRISE, FEAR, DISGUST, ANGER, CONTEMPT, -1, -1, -1];

/** Invert a native→canonical table (canonical → native code, -1 where absent). */
export function invertTable(table: readonly number[], size = 8): number[] {
  const out = new Array<number>(size).fill(-1);
  table.forEach((c, native) => {
    if (c >= 0 && c < size && out[c] === -1) out[c] = native;
  });
  return out;
}

/** Folder-name synonyms accepted by the class-folder loader (lower-case, without punctuation). */
const SYNONYMS: Record<string, number> = {
  neutral: NEUTRAL, calm: NEUTRAL, neutrality: NEUTRAL,
  happy: HAPPY, happiness: HAPPY, joy: HAPPY, joyful: HAPPY, smile: HAPPY, smiling: HAPPY,
  sad: SAD, sadness: SAD, unhappy: SAD, sorrow: SAD,
  surprise: SURPRISE, surprised: SURPRISE, suprise: SURPRISE,
  fear: FEAR, fearful: FEAR, afraid: FEAR, scared: FEAR,
  disgust: DISGUST, disgusted: DISGUST, disgusting: DISGUST,
  anger: ANGER, angry: ANGER, mad: ANGER,
  contempt: CONTEMPT, contemptuous: CONTEMPT,
};

/** Canonical class for a folder or label name, or -1 if it is not an expression name. */
export function classFromName(name: string): number {
  const key = name.toLowerCase().replace(/^\d+[_\-. ]*/, '').replace(/[^a-z]/g, '');
  return SYNONYMS[key] ?? -1;
}
