/**
 * The inputs the page runs (deterministic, rounded to f32 so both sides see the same numbers)
 * and their float64 expectations. Matmul gradients are the closed forms for loss = Σ w∘C:
 * with C = A·B (A, B the effective, possibly transposed operands) dA = W·Bᵀ and dB = Aᵀ·W;
 * a transposed operand's stored gradient is the transpose of its effective one.
 */
import { Rng } from '../helpers/random.js';
import { matmul, permute } from '../reference/ops.js';
import { nd, type Nd } from '../reference/nd.js';
import type { MatmulCase, MlpCase, PageInput, VariantCases } from './protocol.js';
import * as RC from '../reference/conv.js';
import * as RL from '../reference/layernorm.js';

export interface MatmulExpected {
  c: Nd;
  da: Nd;
  db: Nd;
}

const f32s = (a: Float64Array): number[] => Array.from(a, (v) => Math.fround(v));
const t = (m: Nd): Nd => permute(m, [1, 0]);

function matmulCase(rng: Rng, name: string, aShape: [number, number], bShape: [number, number], transA: boolean, transB: boolean): MatmulCase {
  const M = transA ? aShape[1] : aShape[0];
  const N = transB ? bShape[0] : bShape[1];
  return {
    name, aShape, bShape, transA, transB,
    a: f32s(rng.array(aShape[0] * aShape[1])),
    b: f32s(rng.array(bShape[0] * bShape[1])),
    w: f32s(rng.array(M * N)),
  };
}

export function matmulExpected(c: MatmulCase): MatmulExpected {
  const as = nd(c.aShape, c.a), bs = nd(c.bShape, c.b);
  const a = c.transA ? t(as) : as;
  const b = c.transB ? t(bs) : bs;
  const C = matmul(a, b);
  const w = nd(C.shape, c.w);
  const da = matmul(w, t(b));
  const db = matmul(t(a), w);
  return { c: C, da: c.transA ? t(da) : da, db: c.transB ? t(db) : db };
}

function mlpCase(rng: Rng): MlpCase {
  const [B, D, H, C] = [6, 11, 9, 4];
  return {
    x: f32s(rng.array(B * D)), xShape: [B, D],
    w1: f32s(rng.array(D * H, -0.6, 0.6)), w1Shape: [D, H], b1: f32s(rng.array(H, -0.1, 0.1)),
    w2: f32s(rng.array(H * C, -0.6, 0.6)), w2Shape: [H, C], b2: f32s(rng.array(C, -0.1, 0.1)),
    labels: Array.from({ length: B }, () => rng.int(C)),
    lr: 0.5,
  };
}

export function makeInput(seed = 20240611): PageInput {
  const rng = new Rng(seed);
  return {
    matmuls: [
      matmulCase(rng, '[7,13]·[13,5]', [7, 13], [13, 5], false, false),
      matmulCase(rng, '[13,7]ᵀ·[5,13]ᵀ', [13, 7], [5, 13], true, true),
      // Odd sizes just past the 64-wide output tiles, so edge tiles are exercised.
      matmulCase(rng, '[9,70]ᵀ·[9,67]', [9, 70], [9, 67], true, false),
      matmulCase(rng, '[67,3]·[66,3]ᵀ', [67, 3], [66, 3], false, true),
    ],
    mlp: mlpCase(rng),
  };
}

/** The input plus every kernel variant to force in the page (a separate, slower test). */
export function makeVariantInput(seed = 20240611): PageInput {
  return { ...makeInput(seed), variants: variantCases(new Rng(seed + 1)) };
}

/** Variants forced in the page (names as in src/ops/*-tiled.ts) and their small inputs. */
function variantCases(rng: Rng): VariantCases {
  const xShape = [2, 3, 7, 6], wShape = [5, 3, 3, 3];
  const g = RC.geometry(xShape, wShape, { stride: 2, padding: 1 });
  const lnShape = [3, 68];
  return {
    matmul: ['broadcast', 'tiled', 'tiled128'],
    conv: ['broadcast', 'tiled'],
    layernorm: ['broadcast', 'tiled'],
    conv2d: {
      x: f32s(rng.array(2 * 3 * 7 * 6)), xShape, w: f32s(rng.array(5 * 3 * 9, -0.5, 0.5)), wShape,
      g: f32s(rng.array(g.n * g.o * g.ho * g.wo)), stride: 2, padding: 1,
    },
    layerNorm: { x: f32s(rng.array(3 * 68, -2, 2)), shape: lnShape, w: f32s(rng.array(68, 0.5, 1.5)), b: f32s(rng.array(68)), g: f32s(rng.array(3 * 68)) },
  };
}

/** float64 expectations of the conv case: [y, dx, dw]. */
export function convExpected(c: VariantCases['conv2d']): Float64Array[] {
  const opts = { stride: c.stride, padding: c.padding };
  const x = nd(c.xShape, c.x), w = nd(c.wShape, c.w);
  const g = RC.geometry(c.xShape, c.wShape, opts);
  const dy = nd([g.n, g.o, g.ho, g.wo], c.g);
  const dx = new Float64Array(x.data.length), dw = new Float64Array(w.data.length);
  let i = 0;
  for (let n = 0; n < g.n; n++) for (let ch = 0; ch < g.c; ch++) for (let iy = 0; iy < g.h; iy++) for (let ix = 0; ix < g.w; ix++) dx[i++] = RC.convDxAt(dy, w, g, n, ch, iy, ix);
  i = 0;
  for (let o = 0; o < g.o; o++) for (let ch = 0; ch < g.c; ch++) for (let ky = 0; ky < g.kh; ky++) for (let kx = 0; kx < g.kw; kx++) dw[i++] = RC.convDwAt(dy, x, g, o, ch, ky, kx);
  return [RC.conv2d(x, w, null, opts).data, dx, dw];
}

/** float64 expectations of the LayerNorm case: [y, dx, dw, db]. */
export function layerNormExpected(c: VariantCases['layerNorm']): Float64Array[] {
  const x = nd(c.shape, c.x), w = nd([c.w.length], c.w), b = nd([c.b.length], c.b);
  const r = RL.layerNormBackward(x, w, nd(c.shape, c.g), 1e-5);
  return [RL.layerNorm(x, w, b, 1e-5).data, r.dx.data, r.dw.data, r.db.data];
}
