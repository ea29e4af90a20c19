import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d } from '../../src/ops/pool.js';
import { resize2d } from '../../src/ops/resize.js';
import { engine } from '../helpers/engine.js';
import { expectClose, gradcheck } from '../helpers/gradcheck.js';
import * as R from '../reference/pool.js';

beforeAll(engine);

type P2 = [number, number];
const cfgs: { name: string; x: number[]; k: P2; s: P2; p: P2 }[] = [
  { name: '2x2 s2 even', x: [2, 3, 8, 6], k: [2, 2], s: [2, 2], p: [0, 0] },
  { name: '3x3 s2 p1 odd (overlapping windows)', x: [1, 2, 9, 7], k: [3, 3], s: [2, 2], p: [1, 1] },
  { name: '3x2 s1 p(1,0) primes', x: [2, 1, 11, 13], k: [3, 2], s: [1, 1], p: [1, 0] },
  { name: '1x1 s2 (IR shortcut)', x: [1, 3, 7, 7], k: [1, 1], s: [2, 2], p: [0, 0] },
  { name: '1x1 s(2,3) even rows', x: [2, 2, 8, 16], k: [1, 1], s: [2, 3], p: [0, 0] },
  { name: 'size 1', x: [1, 1, 1, 1], k: [1, 1], s: [1, 1], p: [0, 0] },
];

describe('maxPool2d / avgPool2d vs float64 reference', () => {
  for (const c of cfgs) {
    const opts = { kernel: c.k, stride: c.s, padding: c.p };
    it(`max ${c.name}`, async () => {
      await gradcheck({
        inputs: [{ shape: c.x }],
        engine: ([x]) => maxPool2d(x!, opts),
        reference: ([x]) => R.maxPool2d(x!, { k: c.k, s: c.s, p: c.p }),
        h: 1e-6, samples: 48,
      });
    });
    for (const cip of [true, false]) {
      it(`avg ${c.name} countIncludePad=${cip}`, async () => {
        await gradcheck({
          inputs: [{ shape: c.x }],
          engine: ([x]) => avgPool2d(x!, { ...opts, countIncludePad: cip }),
          reference: ([x]) => R.avgPool2d(x!, { k: c.k, s: c.s, p: c.p }, cip),
          samples: 48,
        });
      });
    }
  }

  it('max pool gradient goes to the argmax only (ties: first element)', async () => {
    const x = E.tensor([1, 5, 5, 2, 0, 3, 7, 7, 1], [1, 1, 3, 3]).requireGrad();
    const y = maxPool2d(x, { kernel: 2, stride: 1 });
    expect(Array.from(await y.toArray())).toEqual([5, 5, 7, 7]);
    E.backward(y, E.tensor([1, 10, 100, 1000], [1, 1, 2, 2]));
    expect(Array.from(await x.grad!.toArray())).toEqual([0, 11, 0, 0, 0, 0, 100, 1000, 0]);
  });
});

describe('adaptiveAvgPool2d vs float64 reference', () => {
  const shapes: [number[], P2][] = [
    [[2, 3, 7, 7], [1, 1]],
    [[1, 2, 10, 7], [3, 4]], // uneven, overlapping cells
    [[1, 1, 5, 6], [5, 6]], // identity
    [[1, 2, 3, 2], [7, 5]], // more cells than pixels
  ];
  for (const [xs, size] of shapes) {
    it(`[${xs}] → ${size.join('x')}`, async () => {
      await gradcheck({
        inputs: [{ shape: xs }],
        engine: ([x]) => adaptiveAvgPool2d(x!, size),
        reference: ([x]) => R.adaptiveAvgPool2d(x!, size[0], size[1]),
        samples: 48,
      });
    });
  }
});

describe('resize2d vs float64 reference (PyTorch semantics)', () => {
  const shapes: [number[], P2][] = [
    [[1, 2, 5, 4], [8, 11]], // upsample, odd factors
    [[2, 1, 9, 13], [4, 5]], // downsample
    [[1, 1, 7, 7], [14, 14]], // ×2
    [[1, 1, 1, 3], [3, 1]], // size 1
    [[1, 1, 6, 5], [6, 5]], // identity
  ];
  for (const [xs, size] of shapes) {
    for (const [mode, align] of [['nearest', false], ['bilinear', false], ['bilinear', true]] as const) {
      it(`[${xs}] → ${size.join('x')} ${mode}${align ? ' alignCorners' : ''}`, async () => {
        await gradcheck({
          inputs: [{ shape: xs }],
          engine: ([x]) => resize2d(x!, size, mode, { alignCorners: align }),
          reference: ([x]) => R.resize2d(x!, size[0], size[1], mode, align),
          fwdTol: 1e-5, samples: 48,
        });
      });
    }
  }

  it('matches known PyTorch values (bilinear 2→4, half-pixel and align corners)', async () => {
    const x = E.tensor([0, 1, 2, 3], [1, 1, 2, 2]);
    // torch.nn.functional.interpolate(x, size=(4,4), mode='bilinear', align_corners=False)[0,0,0]
    expectClose(Array.from(await resize2d(x, [4, 4], 'bilinear').toArray()).slice(0, 4), [0, 0.25, 0.75, 1], 1e-6, 'half-pixel');
    expectClose(Array.from(await resize2d(x, [4, 4], 'bilinear', { alignCorners: true }).toArray()).slice(0, 4), [0, 1 / 3, 2 / 3, 1], 1e-6, 'align');
    expectClose(Array.from(await resize2d(x, [3, 3], 'nearest').toArray()), [0, 0, 1, 0, 0, 1, 2, 2, 3], 0, 'nearest');
  });
});

describe('pool / resize validation', () => {
  it('names the shapes', () => {
    expect(() => maxPool2d(E.zeros([3, 4, 4]), { kernel: 2 })).toThrow(/input must be \[N, C, H, W\], got \[3, 4, 4\]/);
    expect(() => maxPool2d(E.zeros([1, 1, 2, 2]), { kernel: 3 })).toThrow(/kernel 3x3 is larger than the padded input 2x2 of \[1, 1, 2, 2\]/);
    expect(() => avgPool2d(E.zeros([1, 1, 4, 4]), { kernel: 2, padding: 2 })).toThrow(/padding 2x2 must be at most half the kernel 2x2/);
    expect(() => resize2d(E.zeros([1, 4, 4]), [2, 2], 'nearest')).toThrow(/got \[1, 4, 4\]/);
    expect(() => resize2d(E.zeros([1, 1, 4, 4]), [0, 2], 'bilinear')).toThrow(/output size must be an integer >= 1/);
    expect(() => adaptiveAvgPool2d(E.zeros([1, 1, 4, 4]), [2, 0])).toThrow(/output size/);
  });
});
