/**
 * The GPU-class implicit-GEMM convolution (shaders/conv-tiled.wgsl) and the tuner hook that
 * chooses between it and today's kernels (shaders/conv.wgsl: broadcast kernels with their own
 * implicit-GEMM fallback), per kernel kind (fwd, dgrad, wgrad) and shape class. Variants:
 *   'broadcast' today's route (CPU adapters' prior);
 *   'tiled'     64 × 64 workgroup-memory tiles, 256 invocations, coalesced loads.
 * Depthwise and 1×1 convolutions keep their own routes (the latter runs on matmul, which the
 * tuner chooses separately).
 */
import { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { ShapeError } from '../runtime/errors.js';
import { sizeClass, tuner } from '../runtime/tuner.js';
import { tiledLoopsRolled } from '../runtime/loop-form.js';
import type { ConvGeometry } from './conv.js';

export const CONV_VARIANTS = ['broadcast', 'tiled'] as const;
export type ConvVariant = (typeof CONV_VARIANTS)[number];
export type ConvKind = 'fwd' | 'dgrad' | 'wgrad';

/**
 * Asks the tuner which variant runs this conv kernel. `shapes` are the two operands' shapes
 * (for scratch copies) and `rerun(variant, a, b)` runs the same kernel on such copies.
 */
export function convVariant(kind: ConvKind, g: ConvGeometry, shapes: [readonly number[], readonly number[]],
  rerun: (v: ConvVariant, a: Tensor, b: Tensor) => Tensor): ConvVariant {
  const t = tuner();
  t.declareVariants('conv', CONV_VARIANTS);
  const s = sizeClass;
  return t.pick({
    family: 'conv',
    cls: `${kind} n${s(g.n)} c${s(g.c)} o${s(g.o)} hw${s(g.h)}x${s(g.w)} k${g.kh}x${g.kw} s${g.sh}x${g.sw} d${g.dh}x${g.dw} g${s(g.groups)}`,
    candidates: CONV_VARIANTS,
    prior: { cpu: 'broadcast', gpu: 'tiled' },
    bench: () => {
      const a = new Tensor(shapes[0], 'f32'), b = new Tensor(shapes[1], 'f32');
      return { run: (v) => rerun(v as ConvVariant, a, b).dispose(), dispose: () => { a.dispose(); b.dispose(); } };
    },
  }) as ConvVariant;
}

function launch(kind: ConvKind, g: ConvGeometry, M: number, N: number, K: number, z: number, kchunk: number, splits: number,
  buffers: GPUBuffer[], hasBias: boolean): void {
  const gx = Math.ceil(N / 64), gy = Math.ceil(M / 64);
  const max = runtime().limits.maxComputeWorkgroupsPerDimension;
  if (gx > max || gy > max || z > max) {
    throw new ShapeError(`conv2d: ${kind} GEMM ${M}x${N}x${K} (z ${z}) exceeds the dispatch limit of the tiled kernel`);
  }
  runtime().dispatch({
    op: `conv2d.${kind}_tiled`, shader: 'conv-tiled', entry: 'gemm',
    constants: { MODE: kind === 'fwd' ? 0 : kind === 'dgrad' ? 1 : 2, HAS_BIAS: hasBias ? 1 : 0, ROLLED: tiledLoopsRolled() ? 1 : 0 },
    params: new Params().u32(g.n, g.c, g.h, g.w, g.o, g.ho, g.wo, g.groups, g.kh, g.kw, g.sh, g.sw)
      .i32(g.ph, g.pw).u32(g.dh, g.dw, M, N, K, kchunk, splits, 4, 16, 0),
    buffers, workgroups: [gx, gy, z],
  });
}

/** Y = conv(X, W) (+bias) with the tiled kernel. */
export function convForwardTiled(x: Tensor, w: Tensor, g: ConvGeometry, bias?: Tensor): Tensor {
  const y = new Tensor([g.n, g.o, g.ho, g.wo], 'f32');
  launch('fwd', g, g.o / g.groups, g.n * g.ho * g.wo, (g.c / g.groups) * g.kh * g.kw, g.groups, 0, 1,
    [w.buffer, x.buffer, y.buffer, bias ? bias.buffer : runtime().placeholder()], !!bias);
  return y;
}

/** dX from dY and W with the tiled kernel (any stride: non-hitting taps read 0). */
export function convBackwardDataTiled(dy: Tensor, w: Tensor, g: ConvGeometry): Tensor {
  const dx = new Tensor([g.n, g.c, g.h, g.w], 'f32');
  launch('dgrad', g, g.c / g.groups, g.n * g.h * g.w, (g.o / g.groups) * g.kh * g.kw, g.groups, 0, 1,
    [w.buffer, dy.buffer, dx.buffer, runtime().placeholder()], false);
  return dx;
}

/**
 * dW from dY and X with the tiled kernel, split-K over output pixels so that small filters still
 * fill a GPU (≥ 256 workgroups where K allows, ≥ 256 pixels per split); partials summed by `sum`.
 */
export function convBackwardWeightTiled(dy: Tensor, x: Tensor, g: ConvGeometry, sumFirst: (t: Tensor) => Tensor): Tensor {
  const og = g.o / g.groups, nj = (g.c / g.groups) * g.kh * g.kw, K = g.n * g.ho * g.wo;
  const tiles = Math.ceil(og / 64) * Math.ceil(nj / 64) * g.groups;
  const maxZ = Math.floor(runtime().limits.maxComputeWorkgroupsPerDimension / g.groups);
  let splits = Math.max(1, Math.min(Math.ceil(256 / tiles), Math.ceil(K / 256), maxZ));
  const kchunk = Math.ceil(K / splits / 16) * 16;
  splits = Math.ceil(K / kchunk);
  const part = new Tensor([splits, g.o, g.c / g.groups, g.kh, g.kw], 'f32');
  launch('wgrad', g, og, nj, K, g.groups * splits, kchunk, splits, [dy.buffer, x.buffer, part.buffer, runtime().placeholder()], false);
  if (splits === 1) {
    const dw = part.view([g.o, g.c / g.groups, g.kh, g.kw]);
    part.dispose();
    return dw;
  }
  const dw = sumFirst(part);
  part.dispose();
  return dw;
}
