// Subject-disjoint splits: each split owns its own range of subject ids, so no identity seen in
// training appears in validation or test.

export type Split = 'train' | 'val' | 'test';
export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

export interface SubjectRange {
  first: number;
  count: number;
}

/** 80 / 10 / 10 of `numSubjects` consecutive ids (at least one subject per split). */
export function subjectRange(split: Split, numSubjects: number): SubjectRange {
  const nVal = Math.max(1, Math.round(numSubjects * 0.1));
  const nTest = nVal;
  const nTrain = Math.max(1, numSubjects - nVal - nTest);
  if (split === 'train') return { first: 0, count: nTrain };
  if (split === 'val') return { first: nTrain, count: nVal };
  return { first: nTrain + nVal, count: nTest };
}

export function splitIndex(split: Split): number {
  return SPLITS.indexOf(split);
}
