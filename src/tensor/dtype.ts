/** Element types. f32 for values; i32/u32 for indices and labels. All are 4 bytes. */
export type DType = 'f32' | 'i32' | 'u32';

export type TypedArrayFor<D extends DType> = D extends 'f32' ? Float32Array : D extends 'i32' ? Int32Array : Uint32Array;
export type AnyTypedArray = Float32Array | Int32Array | Uint32Array;

export const BYTES_PER_ELEMENT = 4;

export function dtypeOf(a: AnyTypedArray): DType {
  if (a instanceof Float32Array) return 'f32';
  if (a instanceof Int32Array) return 'i32';
  if (a instanceof Uint32Array) return 'u32';
  // Reached only through casts that bypass the types; never reinterpret other arrays' bytes.
  throw new TypeError(`no engine dtype for ${(a as object).constructor?.name ?? typeof a} (f32, i32 and u32 are stored: convert with tensor(), see tensor/host-data.ts)`);
}

export function typedArray(dtype: DType, buf: ArrayBuffer): AnyTypedArray {
  return dtype === 'f32' ? new Float32Array(buf) : dtype === 'i32' ? new Int32Array(buf) : new Uint32Array(buf);
}
