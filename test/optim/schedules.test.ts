import { describe, expect, it } from 'vitest';
import { StepLR, ExponentialLR, CosineWarmupLR, ReduceLROnPlateau, type HasParamGroups } from '../../src/optim/schedules.js';
import * as R from '../reference/optim.js';

// Schedules only touch `paramGroups[i].lr`, so a plain object stands in for an optimizer.
const fakeOpt = (...lrs: number[]): HasParamGroups => ({ paramGroups: lrs.map((lr) => ({ lr })) });

function expectLrs(actual: number[], expected: number[], what: string): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]!), `${what} [${i}]: ${a} vs ${expected[i]}`).toBeLessThanOrEqual(1e-15 + 1e-12 * Math.abs(expected[i]!)));
}

describe('closed-form schedules', () => {
  it('StepLR', () => {
    const opt = fakeOpt(0.1, 0.02);
    const s = new StepLR(opt, 3, 0.5);
    for (let e = 0; e < 12; e++) {
      expectLrs(s.lrs, [R.stepLr(0.1, e, 3, 0.5), R.stepLr(0.02, e, 3, 0.5)], `epoch ${e}`);
      s.step();
    }
  });

  it('ExponentialLR (0.98 per epoch, as POSTER++)', () => {
    const opt = fakeOpt(3.5e-5);
    const s = new ExponentialLR(opt, 0.98);
    for (let e = 0; e < 200; e++) {
      expectLrs(s.lrs, [R.exponentialLr(3.5e-5, e, 0.98)], `epoch ${e}`);
      s.step();
    }
  });

  it('cosine with linear warm-up', () => {
    const opt = fakeOpt(1e-3, 5e-4);
    const s = new CosineWarmupLR(opt, { warmupSteps: 10, totalSteps: 50, minLr: 1e-5, startFactor: 0.1 });
    for (let t = 0; t < 60; t++) {
      expectLrs(s.lrs, [R.cosineWarmupLr(1e-3, t, 10, 50, 1e-5, 0.1), R.cosineWarmupLr(5e-4, t, 10, 50, 1e-5, 0.1)], `step ${t}`);
      s.step();
    }
    // Spot values that do not depend on the reference: peak at the end of warm-up, floor at the end.
    const t = new CosineWarmupLR(fakeOpt(1), { warmupSteps: 4, totalSteps: 8 });
    const seen: number[] = [];
    for (let i = 0; i <= 9; i++, t.step()) seen.push(t.lrs[0]!);
    expectLrs(seen, [0, 0.25, 0.5, 0.75, 1, (1 + Math.cos(Math.PI / 4)) / 2, 0.5, (1 + Math.cos((3 * Math.PI) / 4)) / 2, 0, 0], 'spot values');
  });

  it('state dict round trip', () => {
    const a = new StepLR(fakeOpt(1), 2, 0.1);
    for (let i = 0; i < 5; i++) a.step();
    const opt = fakeOpt(1);
    const b = new StepLR(opt, 2, 0.1);
    b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())));
    expectLrs(b.lrs, a.lrs, 'restored');
    b.step();
    expectLrs(b.lrs, [R.stepLr(1, 6, 2, 0.1)], 'after restore');
  });
});

describe('ReduceLROnPlateau', () => {
  it('min mode, relative threshold, patience, cooldown, floor (hand-traced)', () => {
    const opt = fakeOpt(0.1);
    const s = new ReduceLROnPlateau(opt, { mode: 'min', factor: 0.5, patience: 2, threshold: 0.1, cooldown: 1, minLr: 0.02 });
    const metrics = [1.0, 0.95, 0.85, 0.9, 0.8, 0.8, 0.9, 0.9, 0.9, 0.9, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5];
    // best=1; 0.95 !< 0.9 (bad 1); 0.85 best; bad 1, 2, 3 → halve at epoch 6 (cooldown 1 swallows
    // epoch 7); bad 1, 2, 3 → halve at epoch 10; 0.5 best (cooldown); bad 1, 2, 3 → floor 0.02 at
    // epoch 14; later reductions would go below the floor and change nothing.
    const expected = [0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02, 0.02];
    const got = metrics.map((m) => (s.step(m), s.lrs[0]!));
    expectLrs(got, expected, 'trace');
  });

  it('max mode with an absolute threshold and zero patience', () => {
    const opt = fakeOpt(0.1, 1);
    const s = new ReduceLROnPlateau(opt, { mode: 'max', factor: 0.1, patience: 0, threshold: 0.01, thresholdMode: 'abs', minLr: [0, 0.5] });
    const got = [0.5, 0.505, 0.52].map((m) => (s.step(m), [...s.lrs]));
    expectLrs(got.flat(), [0.1, 1, 0.01, 0.5, 0.01, 0.5], 'trace');
    expect(s.best).toBe(0.52);
  });

  it('state survives JSON (Infinity best before the first step)', () => {
    const s = new ReduceLROnPlateau(fakeOpt(1));
    const t = new ReduceLROnPlateau(fakeOpt(1));
    t.loadStateDict(JSON.parse(JSON.stringify(s.stateDict())));
    expect(t.best).toBe(Infinity);
  });
});
