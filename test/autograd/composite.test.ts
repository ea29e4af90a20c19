/**
 * Ops composed from other ops release their intermediates when no graph is recorded: inference
 * code can call `op(x).dispose()` without a tidy and leak nothing. While recording, the
 * intermediates stay for backward, and a tidy around the step releases them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { engine } from '../helpers/engine.js';

beforeAll(engine);

type Op = [name: string, run: () => E.Tensor];

function ops(): { cases: Op[]; inputs: E.Tensor[] } {
  E.manualSeed(5);
  const x4 = E.randn([2, 3, 5, 5]);
  const w1 = E.randn([4, 3, 1, 1]);
  const b4 = E.randn([4]);
  const logits = E.randn([4, 7]);
  const logp = E.logSoftmax(logits, -1);
  const soft = E.softmax(E.randn([4, 7]), -1);
  const q = E.randn([1, 2, 5, 6]);
  const map = E.randn([2, 4, 4, 3]);
  const windows = E.randn([8, 4, 3]);
  const table = E.randn([9, 2]);
  const cls = E.randn([1, 1, 3]);
  const tokens = E.randn([2, 5, 3]);
  const inputs = [x4, w1, b4, logits, logp, soft, q, map, windows, table, cls, tokens];
  const cases: Op[] = [
    ['conv2d 1×1 (matmul route)', () => E.conv2d(x4, w1)],
    ['conv2d 1×1 with bias', () => E.conv2d(x4, w1, { bias: b4 })],
    ['crossEntropy (array labels)', () => E.crossEntropy(logits, [1, 2, 0, 6])],
    ['crossEntropy with class weights', () => E.crossEntropy(logits, [1, 2, 0, 6], { weights: [1, 2, 1, 1, 1, 1, 3] })],
    ['nllLoss', () => E.nllLoss(logp, [0, 1, 2, 3], { reduction: 'sum' })],
    ['softCrossEntropy', () => E.softCrossEntropy(logits, soft)],
    ['mseLoss', () => E.mseLoss(logits, soft)],
    ['attention with head dim 6 (padded to 8)', () => E.attention(q, q, q)],
    ['windowPartition', () => E.windowPartition(map, 2)],
    ['windowReverse', () => E.windowReverse(windows, 2, 4, 4)],
    ['relativePositionBias', () => E.relativePositionBias(table, 2)],
    ['prependToken', () => E.prependToken(cls, tokens)],
  ];
  return { cases, inputs };
}

describe('composite ops', () => {
  it('leave no tensor behind under noGrad once their result is disposed', async () => {
    const { cases, inputs } = ops();
    const rt = await engine();
    for (const [name, run] of cases) {
      const before = E.liveTensorCount();
      const bytes = rt.memory().bytesInUse;
      E.noGrad(run).dispose();
      expect(E.liveTensorCount(), name).toBe(before);
      expect(rt.memory().bytesInUse, name).toBe(bytes);
    }
    for (const t of inputs) t.dispose();
  });

  it('leave none either when no input needs a gradient, and keep what backward needs when one does', async () => {
    const { cases, inputs } = ops();
    for (const [name, run] of cases) {
      const before = E.liveTensorCount();
      run().dispose();
      expect(E.liveTensorCount(), name).toBe(before);
    }
    // Recording: mseLoss's intermediates (the difference) must outlive the call for backward.
    const pred = E.randn([3, 4]);
    pred.requiresGrad = true;
    const target = E.randn([3, 4]);
    const before = E.liveTensorCount();
    E.tidy(() => E.backward(E.mseLoss(pred, target)));
    const g = await pred.grad!.toArray();
    const [p, t] = await Promise.all([pred.toArray(), target.toArray()]);
    g.forEach((v, i) => expect(v).toBeCloseTo((2 * (p[i]! - t[i]!)) / 12, 5));
    expect(E.liveTensorCount()).toBe(before + 1); // the gradient
    for (const x of [pred.grad!, pred, target, ...inputs]) x.dispose();
  });
});
