/**
 * The GPU-class LayerNorm row reductions (shaders/reduce-tiled.wgsl: a workgroup of 256 per
 * row, coalesced vec4 loads, tree reductions) and the tuner hook that chooses between them and
 * today's one-row-per-invocation forward4/backward4 ('broadcast'). Rows whose length is not a
 * multiple of 4 keep today's workgroup-per-row kernels (the only candidate there).
 */
import { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { grid } from '../runtime/grid.js';
import { sizeClass, tuner } from '../runtime/tuner.js';

export const LAYERNORM_VARIANTS = ['broadcast', 'tiled'] as const;
export type LayerNormVariant = (typeof LAYERNORM_VARIANTS)[number];

/** Asks the tuner; `rerun(variant)` runs the forward on scratch tensors and returns them for disposal. */
export function layerNormVariant(rows: number, D: number, rerun: (v: LayerNormVariant) => Tensor[]): LayerNormVariant {
  if (D % 4 !== 0) return 'broadcast';
  const t = tuner();
  t.declareVariants('layernorm', LAYERNORM_VARIANTS);
  return t.pick({
    family: 'layernorm',
    cls: `rows${sizeClass(rows)} d${sizeClass(D)}`,
    candidates: LAYERNORM_VARIANTS,
    prior: { cpu: 'broadcast', gpu: 'tiled' },
    bench: () => ({ run: (v) => { for (const x of rerun(v as LayerNormVariant)) x.dispose(); }, dispose: () => {} }),
  }) as LayerNormVariant;
}

export function layerNormForwardTiled(x: Tensor, weight: Tensor | null, bias: Tensor | null, y: Tensor, stats: Tensor, rows: number, D: number, eps: number): void {
  runtime().dispatch({
    op: 'layerNorm', shader: 'reduce-tiled', entry: 'forward_t',
    constants: { HAS_W: weight ? 1 : 0, HAS_B: bias ? 1 : 0 },
    params: new Params().u32(rows, D, 1, rows).f32(eps).u32(0, 0, 0),
    // Absent γ/β bind x (read-only, never read).
    buffers: [x.buffer, weight?.buffer ?? x.buffer, bias?.buffer ?? x.buffer, y.buffer, stats.buffer],
    workgroups: grid(rows, 1),
  });
}

export function layerNormBackwardDxTiled(x: Tensor, weight: Tensor | null, stats: Tensor, g: Tensor, dx: Tensor, rows: number, D: number): void {
  runtime().dispatch({
    op: 'layerNorm.backward', shader: 'reduce-tiled', entry: 'backward_t',
    constants: { HAS_W: weight ? 1 : 0 },
    params: new Params().u32(rows, D, 1, rows).f32(0).u32(0, 0, 0),
    buffers: [x.buffer, weight?.buffer ?? x.buffer, stats.buffer, g.buffer, dx.buffer],
    workgroups: grid(rows, 1),
  });
}
