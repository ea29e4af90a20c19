/**
 * The GPU-class matmul (shaders/matmul-tiled.wgsl) and the tuner hook that chooses between it and
 * today's kernel (shaders/matmul.wgsl, 'broadcast'). Variants:
 *   'broadcast' today's kernel (no workgroup memory; CPU adapters' prior);
 *   'tiled'     64 × 64 workgroup-memory tiles, 4 × 4 per invocation;
 *   'tiled128'  128 × 128 tiles, 8 × 8 per invocation (large M and N).
 * All are exact for every shape; the tuner picks by measurement per adapter and shape class.
 */
import { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { ShapeError } from '../runtime/errors.js';
import { sizeClass, tuner } from '../runtime/tuner.js';
import { tiledLoopsRolled } from '../runtime/loop-form.js';

export const MATMUL_VARIANTS = ['broadcast', 'tiled', 'tiled128'] as const;
export type MatmulVariant = (typeof MATMUL_VARIANTS)[number];

/** One launch as the kernels see it (a and b already at a common flattened batch, or 1). */
export interface MatmulLaunch {
  M: number; N: number; K: number; batch: number;
  sam: number; sak: number; sbk: number; sbn: number;
  aBatchStride: number; bBatchStride: number;
}

/**
 * Asks the tuner which variant runs this call. `rerun(variant, a, b)` launches the call on other
 * operands of the same shapes (the tuner's scratch copies) with a given variant.
 */
export function matmulVariant(a: Tensor, b: Tensor, transA: boolean, transB: boolean, L: MatmulLaunch, hasBias: boolean,
  rerun: (v: MatmulVariant, a: Tensor, b: Tensor, bias?: Tensor) => Tensor): MatmulVariant {
  const t = tuner();
  t.declareVariants('matmul', MATMUL_VARIANTS);
  const big = L.M >= 128 && L.N >= 128 && L.batch * Math.ceil(L.M / 128) * Math.ceil(L.N / 128) >= 64;
  return t.pick({
    family: 'matmul',
    cls: `${transA ? 't' : 'n'}${transB ? 't' : 'n'} m${sizeClass(L.M)} n${sizeClass(L.N)} k${sizeClass(L.K)} b${sizeClass(L.batch)}`,
    candidates: MATMUL_VARIANTS,
    prior: { cpu: 'broadcast', gpu: big ? 'tiled128' : 'tiled' },
    bench: () => {
      const sa = new Tensor(a.shape, 'f32'), sb = new Tensor(b.shape, 'f32');
      const sbias = hasBias ? new Tensor([L.N], 'f32') : undefined;
      return {
        run: (v) => rerun(v as MatmulVariant, sa, sb, sbias).dispose(),
        dispose: () => { sa.dispose(); sb.dispose(); sbias?.dispose(); },
      };
    },
  }) as MatmulVariant;
}

/** C = op(A)·op(B) (+bias) with the workgroup-memory kernel ('tiled' or 'tiled128'). */
export function launchMatmulTiled(variant: 'tiled' | 'tiled128', a: Tensor, b: Tensor, L: MatmulLaunch, out: Tensor, bias?: Tensor): Tensor {
  const tile = variant === 'tiled128' ? 128 : 64;
  const gx = Math.ceil(L.N / tile), gy = Math.ceil(L.M / tile);
  const maxWg = runtime().limits.maxComputeWorkgroupsPerDimension;
  if (gx > maxWg || gy > maxWg || L.batch > maxWg) {
    throw new ShapeError(`matmul: [${L.M}x${L.K}]·[${L.K}x${L.N}] × batch ${L.batch} exceeds the dispatch limit of the ${variant} kernel`);
  }
  runtime().dispatch({
    op: 'matmul', shader: 'matmul-tiled', entry: variant === 'tiled128' ? 'tile128' : 'tile64',
    constants: { HAS_BIAS: bias ? 1 : 0, A_KMAJOR: L.sak === 1 ? 1 : 0, B_NMAJOR: L.sbn === 1 ? 1 : 0, ROLLED: tiledLoopsRolled() ? 1 : 0 },
    params: new Params().u32(L.M, L.N, L.K, L.batch, L.sam, L.sak, L.sbk, L.sbn, L.aBatchStride, L.bBatchStride, 4, variant === 'tiled128' ? 8 : 16),
    buffers: [a.buffer, b.buffer, out.buffer, bias ? bias.buffer : runtime().placeholder()],
    workgroups: [gx, gy, L.batch],
  });
  return out;
}
