/**
 * PReLU: y = x for x > 0, α·x otherwise, with one α per channel (axis 1) or one shared α
 * (PyTorch nn.PReLU). Kernels: shaders/prelu.wgsl; backward gives dx elementwise and dα as a
 * per-channel reduction.
 */
import { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { grid } from '../runtime/grid.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { record } from '../autograd/graph.js';
import { reductionLanes } from '../runtime/tuner.js';

/** x: any rank (channels on axis 1 when rank >= 2); alpha: [C] or [1]. */
export function prelu(x: Tensor, alpha: Tensor): Tensor {
  if (x.dtype !== 'f32' || alpha.dtype !== 'f32') throw new ShapeError(`prelu: expected f32 tensors, got ${x.describe()} and alpha ${alpha.describe()}`);
  const channels = x.rank >= 2 ? x.shape[1]! : 1;
  if (alpha.rank !== 1 || (alpha.shape[0] !== 1 && alpha.shape[0] !== channels)) {
    throw new ShapeError(`prelu: alpha must be [1] or [${channels}] (the channels of input ${fmtShape(x.shape)}), got ${fmtShape(alpha.shape)}`);
  }
  const c = alpha.shape[0]!;
  const inner = c === 1 ? Math.max(x.size, 1) : x.shape.slice(2).reduce((a, b) => a * b, 1);
  const outer = c === 1 ? 1 : x.shape[0]!;
  const params = new Params().u32(x.size, c, inner, outer);
  // Q adjacent elements per thread when they always share a channel (shaders/prelu.wgsl).
  const Q = inner % 4 === 0 ? 4 : 1;
  const constants = { Q };
  const elements = grid(x.size / Q, 256);
  const y = new Tensor(x.shape, 'f32');
  runtime().dispatch({
    op: 'prelu', shader: 'prelu', entry: 'fwd', constants, params,
    buffers: [x.buffer, alpha.buffer, y.buffer], workgroups: elements,
  });
  return record(y, 'prelu', [x, alpha], (g) => {
    let dx: Tensor | null = null, da: Tensor | null = null;
    if (x.requiresGrad) {
      dx = new Tensor(x.shape, 'f32');
      runtime().dispatch({
        op: 'prelu.bwdDx', shader: 'prelu', entry: 'bwd_dx', constants, params,
        buffers: [x.buffer, alpha.buffer, dx.buffer, g.buffer], workgroups: elements,
      });
    }
    if (alpha.requiresGrad) {
      da = new Tensor([c], 'f32');
      runtime().dispatch({
        op: 'prelu.bwdAlpha', shader: 'prelu', entry: 'bwd_alpha', constants: { WGR: reductionLanes() }, params,
        buffers: [x.buffer, null, da.buffer, g.buffer], workgroups: grid(c, 1),
      });
    }
    return [dx, da];
  });
}
