import { describe, expect, it } from 'vitest';
import {
  AFFECTNET_TO_CANONICAL, CANONICAL_CLASSES, FER2013_TO_CANONICAL, FERPLUS_TO_CANONICAL, RAF_TO_CANONICAL, classFromName,
} from '../../src/data/labels.js';
import { Rng } from '../../src/data/rng.js';

// Native orders as written in the issue; canonical order 0 neutral … 6 anger, 7 contempt.
const canon = (name: string): number => ['neutral', 'happy', 'sad', 'surprise', 'fear', 'disgust', 'anger', 'contempt'].indexOf(name);

describe('label maps', () => {
  it('canonical order', () => {
    expect(CANONICAL_CLASSES.slice(0, 7)).toEqual(['neutral', 'happy', 'sad', 'surprise', 'fear', 'disgust', 'anger']);
  });
  it('FER2013: angry, disgust, fear, happy, sad, surprise, neutral', () => {
    expect(FER2013_TO_CANONICAL).toEqual(['anger', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'].map(canon));
  });
  it('RAF-DB 1..7: surprise, fear, disgust, happiness, sadness, anger, neutral', () => {
    expect(RAF_TO_CANONICAL).toEqual(['surprise', 'fear', 'disgust', 'happy', 'sad', 'anger', 'neutral'].map(canon));
  });
  it('FERPlus votes: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF', () => {
    expect(FERPLUS_TO_CANONICAL).toEqual([...['neutral', 'happy', 'surprise', 'sad', 'anger', 'disgust', 'fear', 'contempt'].map(canon), -1, -1]);
  });
  it('AffectNet: neutral … contempt, then none/uncertain/non-face dropped', () => {
    expect(AFFECTNET_TO_CANONICAL).toEqual([...['neutral', 'happy', 'sad', 'surprise', 'fear', 'disgust', 'anger', 'contempt'].map(canon), -1, -1, -1]);
  });
  it('folder synonyms', () => {
    const cases: [string, string][] = [
      ['Happy', 'happy'], ['happiness', 'happy'], ['joy', 'happy'], ['angry', 'anger'], ['Anger', 'anger'], ['sadness', 'sad'],
      ['surprised', 'surprise'], ['fearful', 'fear'], ['afraid', 'fear'], ['disgusted', 'disgust'], ['calm', 'neutral'],
      ['contempt', 'contempt'], ['3_happy', 'happy'],
    ];
    for (const [name, want] of cases) expect(classFromName(name), name).toBe(canon(want));
    expect(classFromName('train')).toBe(-1);
    expect(classFromName('bored')).toBe(-1);
  });
});

describe('Rng', () => {
  it('fillSum3 equals three next() calls per entry, bit for bit, and leaves the same state', () => {
    for (const seed of [1, 7, 123456]) {
      const a = new Rng(seed, 5), b = new Rng(seed, 5);
      const out = new Float64Array(1000);
      a.fillSum3(out, 999);
      for (let i = 0; i < 999; i++) expect(out[i]).toBe(b.next() + b.next() + b.next());
      expect(out[999]).toBe(0);
      expect(a.next()).toBe(b.next());
    }
  });

  it('is deterministic per key and differs across keys', () => {
    const a = new Rng(1, 2, 3);
    const b = new Rng(1, 2, 3);
    const c = new Rng(1, 2, 4);
    const sa = Array.from({ length: 50 }, () => a.u32());
    expect(Array.from({ length: 50 }, () => b.u32())).toEqual(sa);
    expect(Array.from({ length: 50 }, () => c.u32())).not.toEqual(sa);
  });
  it('has roughly uniform and normal moments', () => {
    const r = new Rng(9);
    let s = 0, s2 = 0, n = 20000, g = 0, g2 = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      s += u; s2 += u * u;
      const z = r.normal();
      g += z; g2 += z * z;
    }
    expect(s / n).toBeCloseTo(0.5, 1);
    expect(s2 / n - (s / n) ** 2).toBeCloseTo(1 / 12, 2);
    expect(g / n).toBeCloseTo(0, 1);
    expect(g2 / n).toBeCloseTo(1, 1);
  });
});
