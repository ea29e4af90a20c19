/**
 * PyTorch-style positional arguments for modules (or a clear error), TF 'same' padding for
 * Conv2d (asymmetric where TF pads asymmetrically), and SeparableConv2d — against float64
 * references with explicit, asymmetric zero padding.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { engine } from '../helpers/engine.js';
import { expectClose, gradcheck } from '../helpers/gradcheck.js';
import { nd, type Nd } from '../reference/nd.js';
import * as R from '../reference/conv.js';
import * as P from '../reference/pool.js';
import {
  Conv2d, SeparableConv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Linear, BatchNorm2d, LayerNorm, tensor, ones, tidy, ShapeError,
} from '../../src/index.js';
import { samePadding } from '../../src/nn/padding.js';
import { Rng } from '../helpers/random.js';

beforeAll(async () => {
  await engine();
});

/** Zero-pads NCHW by [top, bottom, left, right] (float64). */
function padNd(x: Nd, t: number, b: number, l: number, r: number): Nd {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const out = nd([n, c, h + t + b, w + l + r]);
  for (let p = 0; p < n * c; p++) for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) {
    out.data[(p * (h + t + b) + y + t) * (w + l + r) + xx + l] = x.data[(p * h + y) * w + xx]!;
  }
  return out;
}

/** TF 'same' from its definition: ⌈in/s⌉ outputs, total padding split with the extra after. */
function tfSame(size: number, k: number, s: number, d: number): [number, number] {
  const out = Math.ceil(size / s);
  const total = Math.max(0, (out - 1) * s + (k - 1) * d + 1 - size);
  return [Math.floor(total / 2), Math.ceil(total / 2)];
}

async function nd4(t: { toArray(): Promise<ArrayLike<number>>; shape: readonly number[] }): Promise<Nd> {
  return nd(t.shape, await t.toArray());
}

describe("Conv2d padding 'same' (TF semantics)", () => {
  it('3×3 stride 2 on a 4×4 input pads 0 before and 1 after (hand-computed on ones)', async () => {
    const conv = new Conv2d(1, 1, 3, 2, 'same', 1, 1, false);
    tidy(() => conv.weight.requireGrad(false));
    const y = tidy(() => {
      // Set the filter to ones through the public state dict.
      conv.loadStateDict(new Map([['weight', { shape: [1, 1, 3, 3], data: new Float32Array(9).fill(1) }]]));
      return conv.forward(ones([1, 1, 4, 4]));
    });
    expect(y.shape).toEqual([1, 1, 2, 2]);
    // Windows: rows/cols {0,1,2} and {2,3,(pad)}: 3·3, 3·2, 2·3, 2·2 ones. Symmetric padding 1 would give 4, 6, 6, 9.
    expect(Array.from(await y.toArray())).toEqual([9, 6, 6, 4]);
  });

  const cases = [
    { name: '7×6, k3 s2 (H symmetric, W asymmetric)', h: 7, w: 6, k: 3, s: 2, d: 1 },
    { name: '5×5, k4 s1 (even kernel: 1 before, 2 after)', h: 5, w: 5, k: 4, s: 1, d: 1 },
    { name: '5×5, k2 s2 (0 before, 1 after)', h: 5, w: 5, k: 2, s: 2, d: 1 },
    { name: '1×1, k3 s2', h: 1, w: 1, k: 3, s: 2, d: 1 },
  ];
  for (const c of cases) {
    it(`${c.name}: forward and input gradient match float64`, async () => {
      expect(samePadding(c.h, c.k, c.s, c.d)).toEqual(tfSame(c.h, c.k, c.s, c.d));
      const conv = new Conv2d(3, 2, c.k, { stride: c.s, padding: 'same', dilation: c.d });
      const w = await nd4(conv.weight), b = await nd4(conv.bias!);
      const [t, bo] = tfSame(c.h, c.k, c.s, c.d), [l, r] = tfSame(c.w, c.k, c.s, c.d);
      await gradcheck({
        inputs: [{ shape: [2, 3, c.h, c.w] }],
        engine: ([x]) => conv.forward(x!),
        reference: ([x]) => R.conv2d(padNd(x!, t, bo, l, r), w, b, { stride: c.s, dilation: c.d }),
      });
      const ho = Math.ceil(c.h / c.s), wo = Math.ceil(c.w / c.s);
      expect(tidy(() => conv.forward(ones([1, 3, c.h, c.w]))).shape).toEqual([1, 2, ho, wo]);
    });
  }
});

describe('SeparableConv2d', () => {
  it("depthwise (multiplier 2, stride 2, 'same') then pointwise with bias matches float64", async () => {
    const sep = new SeparableConv2d(3, 5, 3, { stride: 2, padding: 'same', depthMultiplier: 2 });
    expect(sep.depthwise.weight.shape).toEqual([6, 1, 3, 3]);
    expect(sep.pointwise.weight.shape).toEqual([5, 6, 1, 1]);
    expect(sep.depthwise.bias).toBeNull();
    const dw = await nd4(sep.depthwise.weight), pw = await nd4(sep.pointwise.weight), pb = await nd4(sep.pointwise.bias!);
    const [t, b] = tfSame(6, 3, 2, 1), [l, r] = tfSame(5, 3, 2, 1);
    await gradcheck({
      inputs: [{ shape: [1, 3, 6, 5] }],
      engine: ([x]) => sep.forward(x!),
      reference: ([x]) => R.conv2d(R.conv2d(padNd(x!, t, b, l, r), dw, null, { stride: 2, groups: 3 }), pw, pb),
    });
  });
});

describe('positional arguments as in PyTorch', () => {
  it('MaxPool2d(2) is a 2×2 pool with stride 2, not an identity', async () => {
    const rng = new Rng(5);
    const x = nd([1, 2, 5, 4], rng.array(40));
    const y = tidy(() => new MaxPool2d(2).forward(tensor(Float32Array.from(x.data), x.shape)));
    expect(y.shape).toEqual([1, 2, 2, 2]);
    expectClose(await y.toArray(), P.maxPool2d(x, { k: [2, 2], s: [2, 2], p: [0, 0] }).data, 1e-6, 'MaxPool2d(2)');
    const y3 = tidy(() => new MaxPool2d(3, 2, 1).forward(tensor(Float32Array.from(x.data), x.shape)));
    expectClose(await y3.toArray(), P.maxPool2d(x, { k: [3, 3], s: [2, 2], p: [1, 1] }).data, 1e-6, 'MaxPool2d(3, 2, 1)');
    const a = tidy(() => new AvgPool2d(2, 1, 0, false).forward(tensor(Float32Array.from(x.data), x.shape)));
    expectClose(await a.toArray(), P.avgPool2d(x, { k: [2, 2], s: [1, 1], p: [0, 0] }, false).data, 1e-6, 'AvgPool2d(2, 1)');
    expect(new AdaptiveAvgPool2d(1).size).toEqual([1, 1]);
    expect(new MaxPool2d({ kernel: 3, stride: 2 }).opts).toEqual({ kernel: 3, stride: 2 });
  });

  it('Conv2d(in, out, k, stride, padding, dilation, groups, bias) and the options form agree', () => {
    const a = new Conv2d(4, 6, 3, 2, 1, 1, 2, false);
    expect([a.stride, a.padding, a.dilation, a.groups, a.bias]).toEqual([2, 1, 1, 2, null]);
    expect(a.weight.shape).toEqual([6, 2, 3, 3]);
    const b = new Conv2d(4, 6, [3, 1], { stride: [2, 1], padding: 'valid' });
    expect([b.kernel, b.stride, b.padding, b.groups]).toEqual([[3, 1], [2, 1], 'valid', 1]);
    expect(tidy(() => a.forward(ones([1, 4, 5, 5]))).shape).toEqual([1, 6, 3, 3]);
  });

  it('Linear(in, out, false), BatchNorm2d(C, eps, momentum), LayerNorm(d, eps)', () => {
    expect(new Linear(3, 2, false).bias).toBeNull();
    const bn = new BatchNorm2d(4, 1e-3, 0.2);
    expect([bn.eps, bn.momentum]).toEqual([1e-3, 0.2]);
    expect(new LayerNorm(8, 1e-6).eps).toBe(1e-6);
  });

  /** Calls a constructor with arguments its overloads reject (what plain JavaScript may do). */
  const loose = (C: unknown): new (...a: unknown[]) => unknown => C as new (...a: unknown[]) => unknown;

  it('anything else fails at the constructor with the expected forms', () => {
    const bad = (f: () => unknown, re: RegExp): void => expect(f).toThrow(re);
    bad(() => new MaxPool2d('2' as never), /MaxPool2d: kernel must be an integer >= 1 or a pair of them, got "2"/);
    bad(() => new (loose(MaxPool2d))({ kernel: 2 }, 2), /either positionally or in the options object/);
    bad(() => new MaxPool2d(0), /kernel must be an integer >= 1/);
    bad(() => new (loose(Conv2d))(1, 2, 3, { stride: 1 }, 1), /options object must be the last argument/);
    bad(() => new Conv2d(1, 2, 3, 1, 'full' as never), /padding must be a non-negative integer, a pair of them, 'same' or 'valid'; got "full"/);
    bad(() => new Conv2d(1, 2, 0), /kernel must be an integer >= 1/);
    bad(() => new Conv2d(1.5, 2, 3), /inChannels must be a positive integer/);
    bad(() => new Linear(3, 2, 'no' as never), /third argument must be the bias flag or \{ bias \}/);
    bad(() => new (loose(BatchNorm2d))(4, { eps: 1 }, 0.1), /options object must be the last argument/);
    bad(() => new AdaptiveAvgPool2d(0), /output size must be an integer >= 1/);
    expect(() => new MaxPool2d(-1)).toThrow(ShapeError);
  });

  it('a Conv2d fed the wrong channel count names itself', () => {
    const c = new Conv2d(3, 4, 3);
    expect(() => tidy(() => c.forward(ones([1, 2, 5, 5])))).toThrow(/Conv2d\(3 → 4\): input must be \[N, 3, H, W\], got \[1, 2, 5, 5\]/);
  });
});
