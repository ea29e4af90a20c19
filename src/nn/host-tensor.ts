/**
 * Host-side tensor data (what weight files decode to) and the one place that copies host data or
 * another tensor into an existing GPU tensor. Loading state *into* existing tensors, instead of
 * swapping them, keeps every reference (optimizer state, tied weights) valid.
 */
import { Tensor } from '../tensor/tensor.js';
import { assign, cast } from '../tensor/create.js';
import type { DType } from '../tensor/dtype.js';
import { runtime } from '../runtime/runtime.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { sameShape } from '../tensor/shape.js';

/** Decoded weights on the host: f32 / i32 / u32 data, row-major. */
export interface HostTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array | Int32Array | Uint32Array;
}

export function isHostTensor(v: Tensor | HostTensor): v is HostTensor {
  return !(v instanceof Tensor);
}

/** f32 / i32 / u32 name of host data. */
export function hostDType(h: HostTensor): 'f32' | 'i32' | 'u32' {
  return h.data instanceof Float32Array ? 'f32' : h.data instanceof Int32Array ? 'i32' : 'u32';
}

/** Shapes are compared exactly, except that [] and [1] are interchangeable (scalars). */
export function shapesCompatible(a: readonly number[], b: readonly number[]): boolean {
  if (sameShape(a, b)) return true;
  const scalar = (s: readonly number[]): boolean => s.length === 0 || (s.length === 1 && s[0] === 1);
  return scalar(a) && scalar(b);
}

/** GPU tensors convert through `cast`; host data converts to anything on the host. */
export function canCopy(from: DType, to: DType): boolean {
  return from === to || (from === 'f32' && to === 'i32') || (from === 'i32' && to === 'f32') || (from === 'u32' && to === 'f32');
}

/**
 * Copies `src` into `dst` (same element count). Host data of another dtype is converted on the
 * host (e.g. a PyTorch int64 `num_batches_tracked` read as i32 into an f32 buffer); GPU tensors
 * of another dtype go through `cast` (see canCopy).
 */
export function copyInto(dst: Tensor, src: Tensor | HostTensor, what: string): void {
  if (!shapesCompatible(dst.shape, src.shape)) {
    throw new ShapeError(`${what}: shape ${fmtShape(src.shape)} does not match ${fmtShape(dst.shape)}`);
  }
  if (!isHostTensor(src)) {
    if (src.dtype === dst.dtype) {
      assign(dst, src);
      return;
    }
    const c = cast(src, dst.dtype);
    assign(dst, c);
    c.dispose();
    return;
  }
  if (src.data.length !== dst.size) throw new ShapeError(`${what}: ${src.data.length} values for ${dst.size} elements`);
  let data: Float32Array | Int32Array | Uint32Array = src.data;
  if (hostDType(src) !== dst.dtype) {
    data = dst.dtype === 'f32' ? Float32Array.from(src.data) : dst.dtype === 'i32' ? Int32Array.from(src.data) : Uint32Array.from(src.data);
  }
  if (!data.length) return;
  // queue.writeBuffer runs before work that is recorded but not yet submitted; submit that work
  // first so earlier reads of `dst` see the old values and later ones the new.
  runtime().flush();
  runtime().write(dst.buffer, data);
}
