import { describe, expect, it } from 'vitest';
import { accuracy, confusionMatrix, formatMeanStd, macroF1, meanStd, perClassAccuracy, summarize } from '../../src/train/metrics.js';

// Worked 3-class example (rows = truth, columns = prediction):
//   truth = 0 0 0 1 1 2 2 2 2
//   pred  = 0 0 1 1 2 2 2 0 2
//   row 0: predicted 0,0,1   → [2, 1, 0]
//   row 1: predicted 1,2     → [0, 1, 1]
//   row 2: predicted 2,2,0,2 → [1, 0, 3]
// accuracy = (2 + 1 + 3) / 9 = 2/3
// support (row sums) = [3, 2, 4]; predicted (column sums) = [3, 2, 4]
// recall = precision = [2/3, 1/2, 3/4]; F1 = 2TP / (support + predicted) = [4/6, 2/4, 6/8]
// macro-F1 = (2/3 + 1/2 + 3/4) / 3 = 23/36
const truth3 = Int32Array.from([0, 0, 0, 1, 1, 2, 2, 2, 2]);
const pred3 = Int32Array.from([0, 0, 1, 1, 2, 2, 2, 0, 2]);

// A class only predicted (2) and a class never seen (3), numClasses = 4:
//   truth = 0 0 1 1, pred = 0 2 1 1
//   confusion rows: [1,0,1,0], [0,2,0,0], [0,0,0,0], [0,0,0,0]
//   support [2,2,0,0], predicted [1,2,1,0]
//   recall [1/2, 1, null, null]; precision [1, 1, 0, null]
//   F1: class 0 = 2/(2+1) = 2/3, class 1 = 4/4 = 1, class 2 = 0/(0+1) = 0, class 3 excluded
//   macro-F1 = (2/3 + 1 + 0) / 3 = 5/9
const truth4 = [0, 0, 1, 1];
const pred4 = [0, 2, 1, 1];

describe('confusion matrix and accuracy', () => {
  it('counts (truth, pred) pairs row-major', () => {
    expect(Array.from(confusionMatrix(pred3, truth3, 3))).toEqual([2, 1, 0, 0, 1, 1, 1, 0, 3]);
    expect(accuracy(pred3, truth3)).toBeCloseTo(2 / 3, 12);
    expect(accuracy(pred4, truth4)).toBe(0.75);
  });

  it('rejects mismatched lengths and labels outside the class range', () => {
    expect(() => confusionMatrix([0, 1], [0], 2)).toThrow(/2 predictions but 1 labels/);
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow(/prediction 3 at index 1/);
    expect(() => confusionMatrix([0, 1], [0, -1], 3)).toThrow(/label -1 at index 1/);
    expect(() => confusionMatrix([0.5], [0], 3)).toThrow(/prediction 0.5/);
  });

  it('empty input gives NaN accuracy, not a fake 0', () => {
    expect(accuracy([], [])).toBeNaN();
    expect(macroF1([], [], 3)).toBeNaN();
  });
});

describe('per-class metrics', () => {
  it('per-class accuracy is recall, null for classes absent from the truth', () => {
    const r = perClassAccuracy(pred3, truth3, 3);
    expect(r[0]).toBeCloseTo(2 / 3, 12);
    expect(r[1]).toBeCloseTo(1 / 2, 12);
    expect(r[2]).toBeCloseTo(3 / 4, 12);
    expect(perClassAccuracy(pred4, truth4, 4)).toEqual([0.5, 1, null, null]);
  });

  it('macro-F1 averages over classes in truth or prediction', () => {
    expect(macroF1(pred3, truth3, 3)).toBeCloseTo(23 / 36, 12);
    expect(macroF1(pred4, truth4, 4)).toBeCloseTo(5 / 9, 12);
    // All wrong: every present class has F1 0.
    expect(macroF1([1, 0], [0, 1], 2)).toBe(0);
  });

  it('summarize reports every per-class quantity without NaN', () => {
    const s = summarize(pred4, truth4, 4, ['a', 'b', 'c', 'd']);
    expect(s.accuracy).toBe(0.75);
    expect(s.macroF1).toBeCloseTo(5 / 9, 12);
    expect(s.perClass.map((m) => m.support)).toEqual([2, 2, 0, 0]);
    expect(s.perClass[0]).toMatchObject({ name: 'a', accuracy: 0.5, precision: 1, recall: 0.5 });
    expect(s.perClass[0]!.f1).toBeCloseTo(2 / 3, 12);
    expect(s.perClass[1]).toMatchObject({ accuracy: 1, precision: 1, recall: 1, f1: 1 });
    expect(s.perClass[2]).toMatchObject({ support: 0, accuracy: null, precision: 0, recall: null, f1: 0 });
    expect(s.perClass[3]).toMatchObject({ support: 0, accuracy: null, precision: null, recall: null, f1: null });
    expect(JSON.stringify(s.perClass)).not.toMatch(/NaN/);
    expect(Array.from(s.confusion)).toEqual([1, 0, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(() => summarize(pred4, truth4, 4, ['a'])).toThrow(/1 class names for 4 classes/);
  });
});

describe('meanStd', () => {
  it('uses the sample (n − 1) standard deviation', () => {
    // mean 2.5; squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5; std = sqrt(5 / 3)
    const m = meanStd([1, 2, 3, 4]);
    expect(m.mean).toBe(2.5);
    expect(m.std).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(m.n).toBe(4);
    // A large common offset must not destroy precision.
    expect(meanStd([1e9 + 1, 1e9 + 2, 1e9 + 3]).std).toBeCloseTo(1, 9);
  });

  it('is explicit about the undefined cases', () => {
    expect(meanStd([0.8]).std).toBeNaN();
    expect(meanStd([]).mean).toBeNaN();
    expect(() => meanStd([1, NaN])).toThrow(/non-finite/);
    expect(formatMeanStd(meanStd([0.85, 0.87]), 2, 100)).toBe('86.00 ± 1.41');
    expect(formatMeanStd(meanStd([0.85]), 1, 100)).toBe('85.0');
    expect(formatMeanStd(meanStd([]))).toBe('n/a');
  });
});
