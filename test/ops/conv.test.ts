import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { conv2d, conv2dRoute, type Conv2dOptions, type ConvRoute } from '../../src/ops/conv.js';
import { engine } from '../helpers/engine.js';
import { expectClose, gradcheck } from '../helpers/gradcheck.js';
import { Rng } from '../helpers/random.js';
import * as R from '../reference/conv.js';
import { nd, type Nd } from '../reference/nd.js';

beforeAll(engine);

interface Case {
  name: string;
  x: number[];
  w: number[];
  opts: R.ConvOpts;
  bias?: boolean;
}

const cases: Case[] = [
  { name: '1x1x1x1 * 1x1x1x1', x: [1, 1, 1, 1], w: [1, 1, 1, 1], opts: {} },
  { name: '3x3 pad 1, odd sizes', x: [2, 3, 7, 5], w: [5, 3, 3, 3], opts: { padding: 1 }, bias: true },
  { name: 'primes, stride 2', x: [1, 5, 11, 13], w: [7, 5, 3, 3], opts: { stride: 2, padding: 1 } },
  { name: 'dilation 2, asymmetric', x: [2, 2, 9, 8], w: [3, 2, 3, 2], opts: { dilation: 2, padding: [2, 1] }, bias: true },
  { name: 'groups 2', x: [2, 4, 6, 7], w: [6, 2, 3, 3], opts: { groups: 2, padding: 1, stride: [1, 2] }, bias: true },
  { name: 'depthwise 3x3 s2', x: [2, 5, 9, 7], w: [5, 1, 3, 3], opts: { groups: 5, padding: 1, stride: 2 }, bias: true },
  { name: 'depthwise dilated', x: [1, 3, 8, 8], w: [3, 1, 3, 3], opts: { groups: 3, padding: 2, dilation: 2 } },
  { name: '1x1 (matmul route)', x: [2, 6, 5, 3], w: [4, 6, 1, 1], opts: {}, bias: true },
  { name: '1x1 stride 2 (general)', x: [2, 6, 5, 5], w: [4, 6, 1, 1], opts: { stride: 2 } },
  { name: 'more than one tile (O 67, C 19, K > 16)', x: [2, 19, 9, 9], w: [67, 19, 3, 3], opts: { padding: 1, stride: 1 } },
  { name: 'kernel = padded input', x: [1, 2, 3, 4], w: [2, 2, 5, 6], opts: { padding: 1 } },
  // Paths of the broadcast / register-blocked kernels and their fallbacks:
  { name: 'padding beyond the kernel (negative dX padding)', x: [2, 3, 5, 6], w: [4, 3, 1, 2], opts: { padding: [1, 2] }, bias: true },
  { name: 'O 260: two blocks of 64 lanes', x: [1, 3, 4, 5], w: [260, 3, 3, 3], opts: { padding: 1 }, bias: true },
  { name: 'groups 3, stride 1', x: [2, 6, 5, 6], w: [9, 2, 3, 3], opts: { groups: 3, padding: 1 }, bias: true },
  { name: 'stride 5 (span too wide: implicit-GEMM fwd; dX through input-dilated dY)', x: [1, 2, 13, 17], w: [3, 2, 3, 3], opts: { stride: 5, padding: 1 } },
  { name: 'stride 2, dilation 13 (dX span too wide: implicit-GEMM dgrad)', x: [1, 2, 5, 29], w: [2, 2, 1, 3], opts: { stride: 2, dilation: [1, 13] }, bias: true },
  { name: 'stride [2, 3], groups 2, ragged (input-dilated dX)', x: [2, 4, 10, 11], w: [6, 2, 3, 2], opts: { stride: [2, 3], padding: [1, 0], groups: 2 }, bias: true },
  { name: 'depthwise s1, ragged 4x4 blocks, batch 3', x: [3, 4, 7, 9], w: [4, 1, 3, 3], opts: { groups: 4, padding: 1 }, bias: true },
  { name: 'depthwise stride 5 (fallback kernels)', x: [1, 2, 11, 12], w: [2, 1, 3, 3], opts: { groups: 2, stride: 5 } },
  { name: 'depthwise 7x5 (35 taps: fallback dW)', x: [1, 2, 9, 8], w: [2, 1, 7, 5], opts: { groups: 2, padding: [3, 2] } },
  // Maps narrower than a run (fwd_f: runs over the flattened (n, oy, ox) order):
  { name: 'narrow map 2x2, batch 3 (runs span images, ragged last run)', x: [3, 5, 2, 2], w: [6, 5, 3, 3], opts: { padding: 1 }, bias: true },
  { name: 'narrow map: stride 2 to 4x3, O 37 (two channel blocks)', x: [2, 3, 7, 6], w: [37, 3, 3, 3], opts: { stride: 2, padding: 1 }, bias: true },
  { name: 'narrow map: kernel 2x2, dilation 2, uneven padding', x: [2, 4, 6, 5], w: [5, 4, 2, 2], opts: { dilation: 2, padding: [1, 0] } },
  { name: 'narrow map: 1x1 stride 2, groups 2', x: [2, 4, 5, 5], w: [6, 2, 1, 1], opts: { stride: 2, groups: 2 }, bias: true },
  { name: 'narrow map: kernel 5 wide (wider than fwd_f takes)', x: [1, 2, 6, 6], w: [3, 2, 5, 5], opts: { padding: 2 } },
  { name: 'narrow map 1x1 output', x: [4, 3, 3, 3], w: [5, 3, 3, 3], opts: {} },
  // Strided dX on fwd_f, pixel classes (oy mod s, ox mod s): odd sizes (classes of unequal size),
  // padding that shifts which taps are real, a class with no pixel (input 1 high, stride 2).
  { name: 'strided dX classes: stride 2, odd 9x7, pad 1', x: [2, 3, 9, 7], w: [5, 3, 3, 3], opts: { stride: 2, padding: 1 }, bias: true },
  { name: 'strided dX classes: stride [3, 2], kernel 2x3, dilation [2, 1], pad 0', x: [2, 4, 10, 9], w: [3, 4, 2, 3], opts: { stride: [3, 2], dilation: [2, 1] } },
  { name: 'strided dX classes: input 1 high, stride 2', x: [3, 2, 1, 6], w: [4, 2, 1, 3], opts: { stride: 2, padding: [0, 1] } },
];

function withBias(o: R.ConvOpts, b: E.Tensor | undefined): Conv2dOptions {
  return { ...(o as Conv2dOptions), bias: b };
}

describe('conv2d vs float64 reference (forward + gradients)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const inputs = [{ shape: c.x }, { shape: c.w }, ...(c.bias ? [{ shape: [c.w[0]!] }] : [])];
      await gradcheck({
        inputs,
        engine: ([x, w, b]) => conv2d(x!, w!, withBias(c.opts, b)),
        reference: ([x, w, b]) => R.conv2d(x!, w!, b ?? null, c.opts),
        fwdTol: 1e-5,
        gradTol: 2e-3,
        samples: 24,
      });
    });
  }
});

async function run(route: ConvRoute, x: Nd, w: Nd, b: Nd | null, opts: R.ConvOpts, gy: Nd): Promise<Float32Array[]> {
  const tx = E.tensor(Float32Array.from(x.data), x.shape).requireGrad();
  const tw = E.tensor(Float32Array.from(w.data), w.shape).requireGrad();
  const tb = b ? E.tensor(Float32Array.from(b.data), b.shape).requireGrad() : undefined;
  const y = conv2dRoute(tx, tw, withBias(opts, tb), route);
  E.backward(y, E.tensor(Float32Array.from(gy.data), gy.shape));
  const out = [await y.toArray(), await tx.grad!.toArray(), await tw.grad!.toArray()] as Float32Array[];
  if (tb) out.push((await tb.grad!.toArray()) as Float32Array);
  for (const t of [tx, tw, tb, y]) {
    t?.grad?.dispose();
    t?.dispose();
  }
  return out;
}

describe('special routes vs the general implicit GEMM', () => {
  const rng = new Rng(11);
  const rand = (shape: number[]): Nd => nd(shape, rng.array(shape.reduce((a, b) => a * b, 1)).map(Math.fround));
  const specs: [string, number[], number[], R.ConvOpts][] = [
    ['depthwise 3x3 s2 p1', [2, 8, 13, 11], [8, 1, 3, 3], { groups: 8, stride: 2, padding: 1 }],
    ['depthwise 5x3 dilation 2', [1, 4, 10, 9], [4, 1, 5, 3], { groups: 4, padding: [4, 2], dilation: 2 }],
    ['1x1 matmul N=1', [1, 16, 7, 9], [12, 16, 1, 1], {}],
    ['1x1 matmul N=3', [3, 5, 4, 6], [70, 5, 1, 1], {}],
  ];
  for (const [name, xs, ws, opts] of specs) {
    it(name, async () => {
      const x = rand(xs), w = rand(ws), b = rand([ws[0]!]);
      const g = R.geometry(xs, ws, opts);
      const gy = rand([g.n, g.o, g.ho, g.wo]);
      const special = await run('auto', x, w, b, opts, gy);
      const general = await run('general', x, w, b, opts, gy);
      const what = ['forward', 'dX', 'dW', 'dbias'];
      special.forEach((s, i) => expectClose(s, general[i]!, 1e-5, `${name}: ${what[i]}`));
    });
  }
});

describe('ARBEx shapes at batch 1 (sampled elements)', () => {
  const rng = new Rng(5);
  const rand = (shape: number[], scale = 1): Nd => nd(shape, rng.array(shape.reduce((a, b) => a * b, 1), -scale, scale).map(Math.fround));
  const shapes: [string, number[], number[], R.ConvOpts][] = [
    ['IR-50 3x3 conv 64→64 @112 (s1 p1)', [1, 64, 112, 112], [64, 64, 3, 3], { padding: 1 }],
    ['IR-50 3x3 conv 64→64 @56 (s1 p1)', [1, 64, 56, 56], [64, 64, 3, 3], { padding: 1 }],
    ['MobileFaceNet depthwise 3x3 @56x56x64 s2', [1, 64, 56, 56], [64, 1, 3, 3], { padding: 1, stride: 2, groups: 64 }],
    // Strided dX reads dY through an input-dilated view (rows skipped, columns masked).
    ['strided 3x3 s2 p1 (input-dilated dX), odd sizes', [1, 24, 15, 13], [32, 24, 3, 3], { padding: 1, stride: 2 }],
    ['stride [3, 2], kernel 3x2, dilation [1, 2]', [2, 6, 17, 12], [5, 6, 3, 2], { stride: [3, 2], padding: [1, 2], dilation: [1, 2] }],
  ];
  for (const [name, xs, ws, opts] of shapes) {
    it(name, async () => {
      const x = rand(xs), w = rand(ws, 0.1);
      const g = R.geometry(xs, ws, opts);
      const gy = rand([g.n, g.o, g.ho, g.wo]);
      const tx = E.tensor(Float32Array.from(x.data), xs).requireGrad();
      const tw = E.tensor(Float32Array.from(w.data), ws).requireGrad();
      const y = conv2d(tx, tw, opts as Conv2dOptions);
      E.backward(y, E.tensor(Float32Array.from(gy.data), gy.shape));
      const [yv, dx, dw] = [await y.toArray(), await tx.grad!.toArray(), await tw.grad!.toArray()];
      const S = 200;
      const got: number[] = [], want: number[] = [];
      for (let s = 0; s < S; s++) {
        const n = 0, o = rng.int(g.o), oy = rng.int(g.ho), ox = rng.int(g.wo);
        got.push(yv[((n * g.o + o) * g.ho + oy) * g.wo + ox]!);
        want.push(R.convAt(x, w, null, g, n, o, oy, ox));
      }
      expectClose(got, want, 1e-4, `${name}: forward`);
      got.length = want.length = 0;
      for (let s = 0; s < S; s++) {
        const c = rng.int(g.c), iy = rng.int(g.h), ix = rng.int(g.w);
        got.push(dx[(c * g.h + iy) * g.w + ix]!);
        want.push(R.convDxAt(gy, w, g, 0, c, iy, ix));
      }
      expectClose(got, want, 1e-4, `${name}: dX`);
      got.length = want.length = 0;
      for (let s = 0; s < 48; s++) {
        const o = rng.int(g.o), c = rng.int(g.cg), ky = rng.int(g.kh), kx = rng.int(g.kw);
        got.push(dw[((o * g.cg + c) * g.kh + ky) * g.kw + kx]!);
        want.push(R.convDwAt(gy, x, g, o, c, ky, kx));
      }
      // dW sums ~N·Ho·Wo products: scale the tolerance by that magnitude.
      expectClose(got, want, 1e-4, `${name}: dW`);
      for (const t of [tx, tw, y]) {
        t.grad?.dispose();
        t.dispose();
      }
    });
  }
});

describe('kernel choice for narrow maps', () => {
  /** The conv entry points one forward + backward dispatches. */
  function entries(xs: number[], ws: number[], opts: Conv2dOptions): string[] {
    const rt = E.runtime();
    const seen: string[] = [];
    const dispatch = rt.dispatch.bind(rt);
    rt.dispatch = (spec) => {
      if (spec.shader === 'conv') seen.push(`${spec.op}:${spec.entry}`);
      dispatch(spec);
    };
    try {
      E.tidy(() => {
        const x = E.randn(xs).requireGrad();
        const y = conv2d(x, E.randn(ws), opts);
        E.backward(y, E.randn(y.shape));
      });
    } finally {
      rt.dispatch = dispatch;
    }
    return seen.filter((e) => !e.includes('wpack'));
  }
  it('narrow maps, 1x1 filters and strided dX run on fwd_f; wide stride-1 maps on fwd_b', () => {
    expect(entries([2, 8, 2, 2], [16, 8, 3, 3], { padding: 1 })).toEqual(['conv2d.fwd_b:fwd_f', 'conv2d.dgrad_b:fwd_f']);
    expect(entries([2, 8, 8, 8], [16, 8, 3, 3], { padding: 1, stride: 2 })).toEqual(['conv2d.fwd_b:fwd_f', 'conv2d.dgrad_b:fwd_f']);
    expect(entries([2, 8, 20, 20], [16, 8, 3, 3], { padding: 1, stride: 2 })).toEqual(['conv2d.fwd_b:fwd_b', 'conv2d.dgrad_b:fwd_f']);
    expect(entries([2, 8, 8, 8], [16, 8, 3, 3], { padding: 1 })).toEqual(['conv2d.fwd_b:fwd_b', 'conv2d.dgrad_b:fwd_b']);
    expect(entries([2, 8, 9, 9], [16, 8, 1, 1], { stride: 2 })).toEqual(['conv2d.fwd_b:fwd_f', 'conv2d.dgrad_b:fwd_f']);
  });
});

describe('conv2d input validation', () => {
  const z = (s: number[]): E.Tensor => E.zeros(s);
  it('rejects bad ranks, channel/group mismatches, oversize kernels and bad bias', () => {
    expect(() => conv2d(z([3, 8, 8]), z([4, 3, 3, 3]))).toThrow(/input must be \[N, C, H, W\], got \[3, 8, 8\].*\[4, 3, 3, 3\]/);
    expect(() => conv2d(z([1, 3, 8, 8]), z([4, 3, 3]))).toThrow(/weight must be .*got \[4, 3, 3\].*\[1, 3, 8, 8\]/);
    expect(() => conv2d(z([1, 4, 8, 8]), z([4, 3, 3, 3]))).toThrow(/weight \[4, 3, 3, 3\] expects 3 input channels per group, but input \[1, 4, 8, 8\]/);
    expect(() => conv2d(z([1, 5, 8, 8]), z([4, 2, 3, 3]), { groups: 2 })).toThrow(/input channels 5 of \[1, 5, 8, 8\] are not divisible by groups=2/);
    expect(() => conv2d(z([1, 4, 8, 8]), z([3, 2, 3, 3]), { groups: 2 })).toThrow(/output channels 3 of weight \[3, 2, 3, 3\].*groups=2/);
    expect(() => conv2d(z([1, 4, 8, 8]), z([4, 4, 3, 3]), { groups: 2 })).toThrow(/weight \[4, 4, 3, 3\] expects 4 .*input \[1, 4, 8, 8\] with groups=2 has 2/);
    expect(() => conv2d(z([1, 1, 2, 2]), z([1, 1, 3, 3]))).toThrow(/kernel 3x3.*larger than the padded input 2x2 of \[1, 1, 2, 2\]/);
    expect(() => conv2d(z([1, 1, 4, 4]), z([1, 1, 3, 3]), { dilation: 2 })).toThrow(/dilated 5x5/);
    expect(() => conv2d(z([1, 2, 4, 4]), z([3, 2, 3, 3]), { bias: z([2]) })).toThrow(/bias must be \[3\] for weight \[3, 2, 3, 3\], got \[2\]/);
    expect(() => conv2d(z([1, 2, 4, 4]), z([3, 2, 3, 3]), { stride: 0 })).toThrow(/stride must be an integer >= 1/);
    expect(() => conv2d(z([1, 2, 4, 4]), z([3, 2, 3, 3]), { padding: -1 })).toThrow(/padding must be an integer >= 0/);
  });
});
