/**
 * Every kernel variant the tuner can choose, forced one at a time, against the float64
 * references and finite-difference gradients of test/reference (the same oracles as the op
 * tests). On lavapipe the tuner's default is today's kernels; these tests make sure the
 * GPU-class siblings (shaders/*-tiled.wgsl) are exact too, so whichever wins on a GPU is right.
 *
 * The variant an adapter class runs by default (its prior: 'broadcast' on CPU adapters such as
 * lavapipe) is not forced here: the op tests (matmul, conv, attention, layernorm .test.ts) run it
 * on every call, on these shapes and more, against the same oracles. Forcing it again repeated
 * those tests and, on an empty shader cache, their compilation (~90 s of CPU on lavapipe).
 */
import { afterEach, beforeAll, describe, it } from 'vitest';
import * as E from '../../src/index.js';
import { setKernelVariant, tuner } from '../../src/runtime/tuner.js';
import { setTiledLoopsRolled } from '../../src/runtime/loop-form.js';
import { MATMUL_VARIANTS } from '../../src/ops/matmul-tiled.js';
import { CONV_VARIANTS } from '../../src/ops/conv-tiled.js';
import { conv2d, type Conv2dOptions } from '../../src/ops/conv.js';
import * as RC from '../reference/conv.js';
import { ATTENTION_VARIANTS } from '../../src/ops/attention-tiled.js';
import { attention } from '../../src/ops/attention.js';
import * as RA from '../reference/attention.js';
import { LAYERNORM_VARIANTS } from '../../src/ops/layernorm-tiled.js';
import { layerNorm } from '../../src/ops/layernorm.js';
import * as RL from '../reference/layernorm.js';
import { engine } from '../helpers/engine.js';
import { expectClose, gradcheck } from '../helpers/gradcheck.js';
import { Rng } from '../helpers/random.js';
import * as R from '../reference/ops.js';
import { nd } from '../reference/nd.js';

beforeAll(engine);
await engine();

/** The variants of a family that the op tests do not already run by default on this adapter. */
function forced<V extends string>(variants: readonly V[]): V[][] {
  const prior = tuner().adapterClass === 'cpu' ? 'broadcast' : null;
  return variants.filter((v) => v !== prior).map((v) => [v]);
}
afterEach(() => {
  for (const f of ['matmul', 'conv', 'attention', 'layernorm']) setKernelVariant(f, null);
  setTiledLoopsRolled(null);
});

describe.each(forced(MATMUL_VARIANTS))('matmul variant %s', (variant) => {
  const shapes: [number[], number[], boolean, boolean][] = [
    [[1, 1], [1, 1], false, false],
    [[13, 7], [7, 11], false, false],
    [[65, 17], [17, 67], false, false], // crosses the 64-wide tile
    [[7, 13], [11, 7], true, true],
    [[5, 9], [5, 3], true, false],
    [[19, 9], [6, 9], false, true],
    [[2, 3, 4, 5], [5, 6], false, false], // batch broadcast of b
    [[4, 5], [3, 5, 2], false, false], // batch broadcast of a
    [[2, 1, 3, 4], [1, 3, 4, 2], false, false], // partial batch broadcast
  ];
  for (const [sa, sb, ta, tb] of shapes) {
    it(`[${sa}]${ta ? 'ᵀ' : ''} · [${sb}]${tb ? 'ᵀ' : ''}`, async () => {
      setKernelVariant('matmul', variant);
      await gradcheck({
        inputs: [{ shape: sa }, { shape: sb }],
        engine: ([a, b]) => E.matmul(a!, b!, { transA: ta, transB: tb }),
        reference: ([a, b]) => R.matmul(a!, b!, ta, tb),
        fwdTol: 1e-5,
        samples: 16,
      });
    });
  }

  it('bias epilogue and its gradient', async () => {
    setKernelVariant('matmul', variant);
    await gradcheck({
      inputs: [{ shape: [9, 10] }, { shape: [10, 70] }, { shape: [70] }],
      engine: ([a, b, c]) => E.matmul(a!, b!, { bias: c }),
      reference: ([a, b, c]) => R.zip(R.matmul(a!, b!), c!, (x, y) => x + y),
      samples: 12,
    });
  });

  it('shapes past one 128-tile, every layout (forward)', async () => {
    setKernelVariant('matmul', variant);
    const rng = new Rng(3);
    for (const [M, K, N, ta, tb] of [[131, 37, 257, false, false], [129, 40, 131, true, true], [3, 131, 130, false, true]] as const) {
      const a = nd(ta ? [K, M] : [M, K], rng.array(M * K).map(Math.fround));
      const b = nd(tb ? [N, K] : [K, N], rng.array(K * N).map(Math.fround));
      const c = E.matmul(E.tensor(Float32Array.from(a.data), a.shape), E.tensor(Float32Array.from(b.data), b.shape), { transA: ta, transB: tb });
      expectClose(await c.toArray(), R.matmul(a, b, ta, tb).data, 1e-5, `${M}x${K}x${N} ${ta} ${tb}`);
    }
  });
});

describe.each(forced(CONV_VARIANTS))('conv2d variant %s (forward, dX, dW, dbias)', (variant) => {
  const cases: [string, number[], number[], RC.ConvOpts, boolean][] = [
    ['3x3 pad 1, odd sizes', [2, 3, 7, 5], [5, 3, 3, 3], { padding: 1 }, true],
    ['primes, stride 2', [1, 5, 11, 13], [7, 5, 3, 3], { stride: 2, padding: 1 }, false],
    ['dilation 2, asymmetric padding', [2, 2, 9, 8], [3, 2, 3, 2], { dilation: 2, padding: [2, 1] }, true],
    ['groups 2, stride [1, 2]', [2, 4, 6, 7], [6, 2, 3, 3], { groups: 2, padding: 1, stride: [1, 2] }, true],
    ['O 67, C 19: more than one tile and k step', [2, 19, 9, 9], [67, 19, 3, 3], { padding: 1 }, false],
    ['stride [2, 3], groups 2, ragged', [2, 4, 10, 11], [6, 2, 3, 2], { stride: [2, 3], padding: [1, 0], groups: 2 }, true],
    ['1x1 stride 2', [2, 6, 5, 5], [4, 6, 1, 1], { stride: 2 }, false],
  ];
  for (const [name, xs, ws, opts, hasBias] of cases) {
    it(name, async () => {
      setKernelVariant('conv', variant);
      await gradcheck({
        inputs: hasBias ? [{ shape: xs }, { shape: ws }, { shape: [ws[0]!] }] : [{ shape: xs }, { shape: ws }],
        engine: ([x, w, b]) => conv2d(x!, w!, { ...(opts as Conv2dOptions), bias: b }),
        reference: ([x, w, b]) => RC.conv2d(x!, w!, b ?? null, opts),
        samples: 12,
      });
    });
  }

  it('wgrad split over many output pixels (batch 3, 24x24)', async () => {
    setKernelVariant('conv', variant);
    await gradcheck({
      inputs: [{ shape: [3, 5, 24, 24] }, { shape: [6, 5, 3, 3] }],
      engine: ([x, w]) => conv2d(x!, w!, { padding: 1 }),
      reference: ([x, w]) => RC.conv2d(x!, w!, null, { padding: 1 }),
      samples: 8,
    });
  });
});

describe.each(forced(ATTENTION_VARIANTS))('attention variant %s (O, dQ, dK, dV, dBias)', (variant) => {
  const cases: [[number, number, number, number, number], boolean][] = [
    [[1, 1, 1, 1, 32], true],
    [[2, 3, 5, 7, 8], true], // batch > 1: dBias summed over the batch
    [[1, 2, 67, 13, 32], true], // Lq crosses the 64-row workgroup
    [[2, 1, 9, 70, 6], false], // Lk crosses several 16-key blocks; Dh not a multiple of 4
    // Dh 40: 10 vec4 chunks per row (the ViT's 96 is in attention.test.ts and the device check;
    // compiling both variants at 96 takes minutes on a loaded software adapter).
    [[1, 1, 7, 45, 40], true],
  ];
  for (const [[B, H, Lq, Lk, Dh], withBias] of cases) {
    it(`B${B} H${H} Lq${Lq} Lk${Lk} Dh${Dh}${withBias ? ' + bias' : ''}`, async () => {
      setKernelVariant('attention', variant);
      const scale = Dh ** -0.5;
      await gradcheck({
        inputs: [
          { shape: [B, H, Lq, Dh], lo: -1.5, hi: 1.5 },
          { shape: [B, H, Lk, Dh], lo: -1.5, hi: 1.5 },
          { shape: [B, H, Lk, Dh] },
          ...(withBias ? [{ shape: [H, Lq, Lk], lo: -2, hi: 2 }] : []),
        ],
        engine: ([q, k, v, b]) => attention(q!, k!, v!, { bias: b }),
        reference: ([q, k, v, b]) => RA.attention({ q: q!, k: k!, v: v!, bias: b ?? null, scale }),
        fwdTol: 2e-5,
        gradTol: 2e-3,
        samples: 12,
      });
    }, 600_000);
  }
});

describe.each(forced(LAYERNORM_VARIANTS))('layerNorm variant %s (rows of a multiple of 4)', (variant) => {
  // A row longer than the 256-wide workgroup (1028 = 4·257), one shorter than it, a single element vec4.
  for (const shape of [[3, 1028], [5, 64], [7, 4], [2, 3, 12]]) {
    const D = shape[shape.length - 1]!;
    it(`[${shape}] with weight and bias`, async () => {
      setKernelVariant('layernorm', variant);
      await gradcheck({
        inputs: [{ shape, lo: -2, hi: 2 }, { shape: [D], lo: 0.5, hi: 1.5 }, { shape: [D] }],
        engine: ([x, w, b]) => layerNorm(x!, w!, b!, 1e-5),
        reference: ([x, w, b]) => RL.layerNorm(x!, w!, b!, 1e-5),
        fwdTol: 2e-5,
        gradTol: 3e-3,
        samples: 12,
      });
    });
  }
  it('without affine parameters', async () => {
    setKernelVariant('layernorm', variant);
    await gradcheck({
      inputs: [{ shape: [4, 36] }],
      engine: ([x]) => layerNorm(x!, null, null, 1e-6),
      reference: ([x]) => RL.layerNorm(x!, null, null, 1e-6),
      fwdTol: 2e-5, gradTol: 3e-3,
    });
  });
});

// On a CPU-class adapter the tiled kernels run with their loops rolled (src/runtime/loop-form.ts),
// as everything above then checks; on a GPU everything above runs the unrolled form. The unrolled
// form differs only in its loop bounds (constants instead of uniforms of the same value). Here it
// is forced on a CPU adapter, one small case per kernel entry — opt-in (ARBEX_TEST_UNROLLED=1)
// because llvmpipe takes ~40 s of CPU to compile these 11 unrolled pipelines (and the implicit-GEMM
// conv fallbacks, which take the same ROLLED override), an eighth of the cold suite.
describe.runIf(process.env['ARBEX_TEST_UNROLLED'] === '1')('tiled kernels in their GPU loop form (unrolled)', () => {
  it('matmul tiled and tiled128 (forward, bias)', async () => {
    setTiledLoopsRolled(false);
    const rng = new Rng(5);
    for (const variant of ['tiled', 'tiled128'] as const) {
      setKernelVariant('matmul', variant);
      const [M, K, N] = [67, 19, 131];
      const a = nd([M, K], rng.array(M * K).map(Math.fround));
      const b = nd([K, N], rng.array(K * N).map(Math.fround));
      const c = nd([N], rng.array(N).map(Math.fround));
      const y = E.matmul(E.tensor(Float32Array.from(a.data), a.shape), E.tensor(Float32Array.from(b.data), b.shape), { bias: E.tensor(Float32Array.from(c.data), c.shape) });
      expectClose(await y.toArray(), R.zip(R.matmul(a, b), c, (u, v) => u + v).data, 1e-5, variant);
    }
  });

  it('conv2d tiled (forward, dX, dW, dbias)', async () => {
    setTiledLoopsRolled(false);
    setKernelVariant('conv', 'tiled');
    const opts: RC.ConvOpts = { stride: [2, 1], padding: 1, groups: 2 };
    await gradcheck({
      inputs: [{ shape: [2, 4, 7, 6] }, { shape: [6, 2, 3, 3] }, { shape: [6] }],
      engine: ([x, w, b]) => conv2d(x!, w!, { ...(opts as Conv2dOptions), bias: b }),
      reference: ([x, w, b]) => RC.conv2d(x!, w!, b!, opts),
      samples: 12,
    });
  });

  it('conv2d implicit-GEMM fallbacks (fwd at stride 5, dX at dilation 13)', async () => {
    setTiledLoopsRolled(false);
    setKernelVariant('conv', 'broadcast');
    for (const [xs, ws, opts] of [
      [[1, 2, 13, 17], [3, 2, 3, 3], { stride: 5, padding: 1 }],
      [[1, 2, 5, 29], [2, 2, 1, 3], { stride: 2, dilation: [1, 13] }],
    ] as [number[], number[], RC.ConvOpts][]) {
      await gradcheck({
        inputs: [{ shape: xs }, { shape: ws }],
        engine: ([x, w]) => conv2d(x!, w!, opts as Conv2dOptions),
        reference: ([x, w]) => RC.conv2d(x!, w!, null, opts),
        samples: 12,
      });
    }
  });

  it('attention tiled (O, dQ, dK, dV, dBias)', async () => {
    setTiledLoopsRolled(false);
    setKernelVariant('attention', 'tiled');
    const [B, H, Lq, Lk, Dh] = [2, 2, 5, 19, 6];
    await gradcheck({
      inputs: [
        { shape: [B, H, Lq, Dh], lo: -1.5, hi: 1.5 },
        { shape: [B, H, Lk, Dh], lo: -1.5, hi: 1.5 },
        { shape: [B, H, Lk, Dh] },
        { shape: [H, Lq, Lk], lo: -2, hi: 2 },
      ],
      engine: ([q, k, v, b]) => attention(q!, k!, v!, { bias: b }),
      reference: ([q, k, v, b]) => RA.attention({ q: q!, k: k!, v: v!, bias: b!, scale: Dh ** -0.5 }),
      fwdTol: 2e-5,
      gradTol: 2e-3,
      samples: 12,
    });
  });
});
