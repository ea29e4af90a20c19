/**
 * resize2d: nearest / bilinear resampling of NCHW tensors with PyTorch F.interpolate semantics
 * (bilinear uses half-pixel centres unless alignCorners). Kernel: shaders/resize.wgsl; the
 * backward is a gather that re-evaluates the forward weights, so it needs no atomics.
 */
import { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { grid } from '../runtime/grid.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { record } from '../autograd/graph.js';
import { pair } from './conv.js';
import { checkPlanes } from './pool.js';

export type ResizeMode = 'nearest' | 'bilinear';

export interface ResizeOptions {
  /** Bilinear only: map corner pixel centres onto each other (PyTorch align_corners). */
  alignCorners?: boolean;
}

/** PyTorch's area_pixel_compute_scale, in f32 as PyTorch computes it. */
function scaleOf(nIn: number, nOut: number, align: boolean): number {
  if (align) return nOut > 1 ? Math.fround((nIn - 1) / (nOut - 1)) : 0;
  return Math.fround(nIn / nOut);
}

/** Outputs per forward thread (shaders/resize.wgsl RUN). */
const RESIZE_RUN = 8;

export function resize2d(x: Tensor, size: [number, number], mode: ResizeMode, opts: ResizeOptions = {}): Tensor {
  const [n, c, h, w] = checkPlanes(x, 'resize2d');
  const [ho, wo] = pair(size, 1, 'output size', 'resize2d', 1);
  if (mode !== 'nearest' && mode !== 'bilinear') throw new ShapeError(`resize2d: mode must be 'nearest' or 'bilinear', got '${String(mode)}'`);
  if (h === 0 || w === 0) throw new ShapeError(`resize2d: input ${fmtShape(x.shape)} has an empty plane`);
  const align = opts.alignCorners ?? false;
  if (align && mode === 'nearest') throw new ShapeError(`resize2d: alignCorners only applies to bilinear mode`);
  const MODE = mode === 'nearest' ? 0 : align ? 2 : 1;
  const params = (): Params =>
    new Params().u32(n * c, h, w, ho, wo).f32(scaleOf(h, ho, align), scaleOf(w, wo, align)).u32(0);
  const y = new Tensor([n, c, ho, wo], 'f32');
  runtime().dispatch({
    op: 'resize2d', shader: 'resize', entry: 'fwd', constants: { MODE },
    params: params(), buffers: [x.buffer, y.buffer], workgroups: grid(n * c * ho * Math.ceil(wo / RESIZE_RUN), 256),
  });
  return record(y, 'resize2d', [x], (dy) => {
    const dx = new Tensor(x.shape, 'f32');
    runtime().dispatch({
      op: 'resize2d.bwd', shader: 'resize', entry: 'bwd', constants: { MODE },
      params: params(), buffers: [dy.buffer, dx.buffer], workgroups: grid(dx.size, 256),
    });
    return [dx];
  });
}
