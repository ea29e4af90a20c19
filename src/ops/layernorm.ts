/**
 * LayerNorm over the last axis with optional affine weight γ and bias β (shaders/layernorm.wgsl).
 * Forward saves only (mean, rstd) per row. Rows of a multiple of 4 take the vec4 path (one
 * invocation per row for y and dx; a column-owner kernel for the dγ/dβ chunk partials); other
 * rows the workgroup-per-row kernels. Both end with a small column reduction of the partials.
 */
import { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { grid } from '../runtime/grid.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { record } from '../autograd/graph.js';
import { layerNormBackwardDxTiled, layerNormForwardTiled, layerNormVariant, type LayerNormVariant } from './layernorm-tiled.js';

/** Rows per backward workgroup are chosen so there are at most this many chunks (partials). */
const MAX_CHUNKS = 64;
/** Rows (invocations) per workgroup of forward4/backward4 (override WGR). */
const ROWS_PER_WG = 64;

function chunking(rows: number, maxChunks: number): { perChunk: number; nChunks: number } {
  const perChunk = Math.ceil(rows / Math.min(rows, maxChunks));
  return { perChunk, nChunks: Math.ceil(rows / perChunk) };
}

function checkParam(t: Tensor | null, D: number, what: string, x: Tensor): void {
  if (!t) return;
  if (t.dtype !== 'f32' || t.rank !== 1 || t.shape[0] !== D) {
    throw new ShapeError(`layerNorm: ${what} must be an f32 tensor of shape [${D}] for input ${fmtShape(x.shape)}, got ${t.describe()}`);
  }
}

/**
 * y = (x − mean) / sqrt(var + eps) · weight + bias over the last axis (biased variance, as
 * PyTorch). x: [..., D]; weight, bias: [D] or null.
 */
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  if (x.dtype !== 'f32') throw new ShapeError(`layerNorm: expected an f32 tensor, got ${x.describe()}`);
  if (x.rank === 0) throw new ShapeError('layerNorm: input needs at least one axis');
  const D = x.shape[x.rank - 1]!;
  if (D === 0) throw new ShapeError(`layerNorm: cannot normalise an empty last axis of ${fmtShape(x.shape)}`);
  if (!(eps >= 0)) throw new ShapeError(`layerNorm: eps must be >= 0, got ${eps}`);
  checkParam(weight, D, 'weight', x);
  checkParam(bias, D, 'bias', x);
  const rows = x.size / D;
  const rt = runtime();
  const y = new Tensor(x.shape, 'f32');
  const stats = new Tensor([rows, 2], 'f32');
  const vec4 = D % 4 === 0;
  // Tuner hook (src/ops/layernorm-tiled.ts): the workgroup-per-row kernels, or today's below.
  const variant = layerNormVariant(rows, D, (v) => {
    const t = [new Tensor(x.shape, 'f32'), new Tensor(x.shape, 'f32'), new Tensor([rows, 2], 'f32')];
    if (v === 'tiled') layerNormForwardTiled(t[0]!, null, null, t[1]!, t[2]!, rows, D, eps);
    else rt.dispatch({
      op: 'layerNorm', shader: 'layernorm', entry: 'forward4', constants: { HAS_W: 0, HAS_B: 0, WGR: ROWS_PER_WG },
      params: new Params().u32(rows, D, 1, rows).f32(eps).u32(0, 0, 0),
      buffers: [t[0]!.buffer, t[0]!.buffer, t[0]!.buffer, t[1]!.buffer, t[2]!.buffer], workgroups: grid(rows, ROWS_PER_WG),
    });
    return t;
  });
  if (variant === 'tiled') layerNormForwardTiled(x, weight, bias, y, stats, rows, D, eps);
  else rt.dispatch({
    op: 'layerNorm', shader: 'layernorm', entry: vec4 ? 'forward4' : 'forward',
    constants: { HAS_W: weight ? 1 : 0, HAS_B: bias ? 1 : 0, ...(vec4 ? { WGR: ROWS_PER_WG } : {}) },
    params: new Params().u32(rows, D, 1, rows).f32(eps).u32(0, 0, 0),
    // Absent γ/β bind x (read-only, never read).
    buffers: [x.buffer, weight?.buffer ?? x.buffer, bias?.buffer ?? x.buffer, y.buffer, stats.buffer],
    workgroups: vec4 ? grid(rows, ROWS_PER_WG) : grid(rows, 1),
  });
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  record(y, 'layerNorm', inputs, (g) => layerNormBackward(x, weight, bias, stats, g, variant));
  if (!y.requiresGrad) stats.dispose();
  return y;
}

function layerNormBackward(x: Tensor, weight: Tensor | null, bias: Tensor | null, stats: Tensor, g: Tensor, variant: LayerNormVariant = 'broadcast'): (Tensor | null)[] {
  const rt = runtime();
  const D = x.shape[x.rank - 1]!;
  const rows = x.size / D;
  const partials = !!(weight?.requiresGrad || bias?.requiresGrad);
  const { perChunk, nChunks } = chunking(rows, MAX_CHUNKS);
  const dx = new Tensor(x.shape, 'f32');
  const part = partials ? new Tensor([nChunks, 2, D], 'f32') : null;
  const params = new Params().u32(rows, D, perChunk, nChunks).f32(0).u32(0, 0, 0);
  if (D % 4 === 0) {
    if (variant === 'tiled') layerNormBackwardDxTiled(x, weight, stats, g, dx, rows, D);
    else rt.dispatch({
      op: 'layerNorm.backward', shader: 'layernorm', entry: 'backward4',
      constants: { HAS_W: weight ? 1 : 0, WGR: ROWS_PER_WG },
      params,
      // An absent γ binds x (read-only, never read).
      buffers: [x.buffer, weight?.buffer ?? x.buffer, stats.buffer, g.buffer, dx.buffer],
      workgroups: grid(rows, ROWS_PER_WG),
    });
    if (part) {
      rt.dispatch({
        op: 'layerNorm.backward.partials', shader: 'layernorm', entry: 'dparams4', params,
        buffers: [x.buffer, null, stats.buffer, g.buffer, null, part.buffer], workgroups: [nChunks],
      });
    }
  } else rt.dispatch({
    op: 'layerNorm.backward', shader: 'layernorm', entry: 'backward',
    constants: { HAS_W: weight ? 1 : 0, PARTIALS: partials ? 1 : 0 },
    // An absent γ binds x (read-only, never read); the placeholder takes the one writable slot.
    params,
    // Absent γ/β bind x (read-only, never read): the placeholder is kept for the one writable slot.
    buffers: [x.buffer, weight?.buffer ?? x.buffer, stats.buffer, g.buffer, dx.buffer, part?.buffer ?? rt.placeholder()],
    workgroups: [nChunks],
  });
  let dw: Tensor | null = null, db: Tensor | null = null;
  if (part) {
    dw = new Tensor([D], 'f32');
    db = new Tensor([D], 'f32');
    rt.dispatch({
      op: 'layerNorm.backward.params', shader: 'layernorm', entry: 'reduce_partials', params,
      buffers: [part.buffer, dw.buffer, db.buffer], workgroups: [Math.ceil(D / 64)],
    });
    part.dispose();
    if (!weight?.requiresGrad) { dw.dispose(); dw = null; }
    if (!bias?.requiresGrad) { db.dispose(); db = null; }
  }
  const out: (Tensor | null)[] = [x.requiresGrad ? dx : null];
  if (!x.requiresGrad) dx.dispose();
  if (weight) out.push(dw);
  if (bias) out.push(db);
  return out;
}
