/**
 * TF layouts → modules: a small network is given TF-named, TF-laid-out weights (HWIO conv with
 * 'same' stride 2, DepthwiseConv2D with a multiplier, SeparableConv2D, BatchNorm, a *square*
 * dense layer) and, after `loadTfjsInto`, must reproduce a float64 forward written in TF's own
 * terms (NHWC, HWIO filters, x·K dense) from those same weights.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { engine } from '../helpers/engine.js';
import { expectClose } from '../helpers/gradcheck.js';
import { Rng } from '../helpers/random.js';
import {
  Module, Conv2d, SeparableConv2d, BatchNorm2d, Linear, tensor, tidy, mean, reshape,
  loadTfjsInto, tfjsToStateDict, tfNameToTorch, tfToTorchLayout, TfjsConvertError, type HostTensor, type Tensor,
} from '../../src/index.js';

beforeAll(async () => {
  await engine();
});

class Net extends Module {
  readonly conv = this.child('conv', new Conv2d(3, 4, 3, 2, 'same'));
  readonly dw = this.child('dw', new Conv2d(4, 8, 3, { groups: 4, padding: 'same' }));
  readonly sep = this.child('sep', new SeparableConv2d(8, 6, 3, { padding: 'same' }));
  readonly bn = this.child('bn', new BatchNorm2d(6, 1e-3));
  readonly fc = this.child('fc', new Linear(6, 6));
  forward(x: Tensor): Tensor {
    const y = this.bn.forward(this.sep.forward(this.dw.forward(this.conv.forward(x))));
    return this.fc.forward(reshape(mean(y, [2, 3]), [x.shape[0]!, 6]));
  }
}

// ---- float64 TF semantics (NHWC) -----------------------------------------------------------------
interface T4 { h: number; w: number; c: number; d: Float64Array } // one image, HWC

function samePads(size: number, k: number, s: number): [number, number] {
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + k - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** tf.nn.conv2d / depthwise_conv2d with padding 'SAME'. */
function tfConv(x: T4, k: HostTensor, bias: HostTensor | null, s: number, depthwise: boolean): T4 {
  const [kh, kw, ci, m] = k.shape as [number, number, number, number];
  const co = depthwise ? ci * m : m;
  const ho = Math.ceil(x.h / s), wo = Math.ceil(x.w / s);
  const [pt] = samePads(x.h, kh, s), [pl] = samePads(x.w, kw, s);
  const out = new Float64Array(ho * wo * co);
  for (let oy = 0; oy < ho; oy++) for (let ox = 0; ox < wo; ox++) for (let o = 0; o < co; o++) {
    let acc = bias ? bias.data[o]! : 0;
    for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
      const iy = oy * s - pt + ky, ix = ox * s - pl + kx;
      if (iy < 0 || ix < 0 || iy >= x.h || ix >= x.w) continue;
      if (depthwise) {
        const c = Math.floor(o / m), j = o % m;
        acc += x.d[(iy * x.w + ix) * x.c + c]! * k.data[((ky * kw + kx) * ci + c) * m + j]!;
      } else {
        for (let c = 0; c < ci; c++) acc += x.d[(iy * x.w + ix) * x.c + c]! * k.data[((ky * kw + kx) * ci + c) * m + o]!;
      }
    }
    out[(oy * wo + ox) * co + o] = acc;
  }
  return { h: ho, w: wo, c: co, d: out };
}

function tfForward(img: T4, W: Map<string, HostTensor>): number[] {
  const g = (n: string): HostTensor => W.get(n)!;
  let y = tfConv(img, g('conv/kernel'), g('conv/bias'), 2, false);
  y = tfConv(y, g('dw/depthwise_kernel'), g('dw/bias'), 1, true);
  y = tfConv(y, g('sep/depthwise_kernel'), null, 1, true);
  y = tfConv(y, g('sep/pointwise_kernel'), g('sep/bias'), 1, false);
  const [ga, be, mu, va] = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((n) => g(`bn/${n}`).data);
  const pooled = Array.from({ length: y.c }, (_, c) => {
    let s = 0;
    for (let p = 0; p < y.h * y.w; p++) s += ((y.d[p * y.c + c]! - mu![c]!) / Math.sqrt(va![c]! + 1e-3)) * ga![c]! + be![c]!;
    return s / (y.h * y.w);
  });
  const K = g('fc/kernel'), b = g('fc/bias');
  return Array.from({ length: 6 }, (_, o) => pooled.reduce((s, v, i) => s + v * K.data[i * 6 + o]!, b.data[o]!));
}

function tfWeights(rng: Rng): Map<string, HostTensor> {
  const h = (shape: number[], lo = -0.5, hi = 0.5): HostTensor => ({ shape, data: Float32Array.from(rng.array(shape.reduce((a, b) => a * b, 1), lo, hi)) });
  return new Map([
    ['conv/kernel', h([3, 3, 3, 4])], ['conv/bias', h([4])],
    ['dw/depthwise_kernel', h([3, 3, 4, 2])], ['dw/bias', h([8])],
    ['sep/depthwise_kernel', h([3, 3, 8, 1])], ['sep/pointwise_kernel', h([1, 1, 8, 6])], ['sep/bias', h([6])],
    ['bn/gamma', h([6], 0.5, 1.5)], ['bn/beta', h([6])], ['bn/moving_mean', h([6])], ['bn/moving_variance', h([6], 0.5, 2)],
    ['fc/kernel', h([6, 6])], ['fc/bias', h([6])],
  ]);
}

describe('TF.js weights → PyTorch-style modules', () => {
  it('a converted network reproduces the float64 TF forward (same padding, depthwise, separable, BN, square dense)', async () => {
    const rng = new Rng(3);
    const W = tfWeights(rng);
    const net = new Net().eval();
    const report = loadTfjsInto(net, W);
    expect(report.loaded.length).toBe(13);
    const [N, H, Wd] = [2, 7, 6]; // odd height, even width: the stride-2 'same' conv pads asymmetrically in W
    const x = Float32Array.from(rng.array(N * 3 * H * Wd));
    const got = await tidy(() => net.forward(tensor(x, [N, 3, H, Wd]))).toArray();
    const want: number[] = [];
    for (let n = 0; n < N; n++) {
      const img: T4 = { h: H, w: Wd, c: 3, d: new Float64Array(H * Wd * 3) };
      for (let c = 0; c < 3; c++) for (let p = 0; p < H * Wd; p++) img.d[p * 3 + c] = x[(n * 3 + c) * H * Wd + p]!;
      want.push(...tfForward(img, W));
    }
    expectClose(got, want, 1e-5, 'network output');
  });

  it('names: / → ., TF suffixes → PyTorch names, :0 dropped', () => {
    expect(tfNameToTorch('block1/conv/kernel:0')).toBe('block1.conv.weight');
    expect(tfNameToTorch('bn/moving_variance')).toBe('bn.running_var');
    expect(tfNameToTorch('dense0/conv1/pointwise_filter')).toBe('dense0.conv1.pointwise.weight');
    expect(tfNameToTorch('fc/weights')).toBe('fc.weight');
  });

  it('layouts: HWIO, depthwise and dense move each element where the definition says', () => {
    const k: HostTensor = { shape: [2, 1, 3, 2], data: Float32Array.from({ length: 12 }, (_, i) => i) };
    const o = tfToTorchLayout(k, 'hwio');
    expect(o.shape).toEqual([2, 3, 2, 1]);
    // torch[o][i][y][x] = tf[y][x][i][o]: torch[1][2][1][0] = tf[1][0][2][1] = ((1·1+0)·3+2)·2+1 = 11
    expect(o.data[((1 * 3 + 2) * 2 + 1) * 1 + 0]).toBe(11);
    const d = tfToTorchLayout(k, 'depthwise');
    expect(d.shape).toEqual([6, 1, 2, 1]);
    // channel c = 2, multiplier j = 1 → output channel 5; tf[1][0][2][1] = 11
    expect(d.data[(5 * 2 + 1) * 1]).toBe(11);
    const dense = tfToTorchLayout({ shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }, 'dense');
    expect(Array.from(dense.data)).toEqual([1, 3, 2, 4]);
  });

  it('bad weights: clear errors naming the TF weight, the target and both shapes; nothing loaded', async () => {
    const rng = new Rng(4);
    const net = new Net();
    const before = await net.fc.weight.toArray();
    const W = tfWeights(rng);
    W.set('conv/kernel', { shape: [3, 3, 4, 3], data: new Float32Array(108) });
    expect(() => loadTfjsInto(net, W)).toThrow(/TF weight 'conv\/kernel' \[3, 3, 4, 3\] \(hwio\) becomes \[3, 4, 3, 3\], but 'conv\.weight' is \[4, 3, 3, 3\]/);
    expect(Array.from(await net.fc.weight.toArray())).toEqual(Array.from(before));
    const extra = tfWeights(rng);
    extra.set('head/kernel', { shape: [2, 2], data: new Float32Array(4) });
    extra.delete('fc/bias');
    const err = (() => {
      try {
        tfjsToStateDict(net, extra);
      } catch (e) {
        return e as Error;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(TfjsConvertError);
    expect(err!.message).toMatch(/no target in the module for 1 TF weight\(s\): head\/kernel \(→ head\.weight\)/);
    expect(err!.message).toMatch(/1 module tensor\(s\) not given by the TF weights: fc\.bias/);
    // Not strict: the rest loads; a rename maps foreign names.
    const part = tfjsToStateDict(net, extra, { strict: false, rename: (n) => (n.startsWith('head/') ? null : tfNameToTorch(n)) });
    expect(part.has('fc.weight') && !part.has('fc.bias')).toBe(true);
  });
});
