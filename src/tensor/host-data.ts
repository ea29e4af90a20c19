/**
 * Host data → the typed array a tensor is uploaded from. The engine stores f32, i32 and u32 only,
 * so every other input is converted *by value* under these rules (never by reinterpreting bytes):
 *
 * | input                                          | default dtype | conversion                      |
 * | ---------------------------------------------- | ------------- | ------------------------------- |
 * | Float32Array / Int32Array / Uint32Array        | same          | none                            |
 * | Float64Array, Float16Array, numbers, nested [] | f32           | rounded to the nearest f32      |
 * | Int8/Uint8/Uint8Clamped/Int16/Uint16Array      | i32           | exact                           |
 * | BigInt64Array / BigUint64Array                 | i32           | exact; must fit                 |
 *
 * An explicit `dtype` converts any of them by value: to 'f32' rounds to the nearest f32 (exact for
 * integers up to 2²⁴); to 'i32' / 'u32' every value must be an integer in that type's range,
 * otherwise the error names the first offending index and value. Nested arrays must be
 * rectangular; their shape is inferred.
 */
import { ShapeError } from '../runtime/errors.js';
import type { AnyTypedArray, DType } from './dtype.js';

/** Anything `tensor()` accepts as data. */
export type TensorData = ArrayBufferView | NestedNumbers;

/** Numbers nested in arrays, e.g. `[[1, 2], [3, 4]]`. */
export type NestedNumbers = readonly (number | NestedNumbers)[];

export interface HostData {
  array: AnyTypedArray;
  /** Shape inferred from nesting (flat data: [length]). */
  shape: number[];
}

const RANGE: Record<'i32' | 'u32', [number, number]> = { i32: [-2147483648, 2147483647], u32: [0, 4294967295] };

function typeName(v: unknown): string {
  return v === null ? 'null' : typeof v === 'object' ? (v as object).constructor?.name ?? 'object' : typeof v;
}

/** Flattens rectangular nested arrays, inferring the shape. */
function flattenNested(data: readonly unknown[], where: string): { values: number[]; shape: number[] } {
  const shape: number[] = [];
  for (let level: unknown = data; Array.isArray(level); level = level[0]) shape.push(level.length);
  const values: number[] = [];
  const walk = (v: unknown, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number') throw new ShapeError(`${where}: element [${path.join('][')}] is ${typeName(v)}, expected a number`);
      values.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new ShapeError(`${where}: nested arrays are ragged: element [${path.join('][')}] has ${Array.isArray(v) ? `length ${v.length}` : typeName(v)}, expected an array of length ${shape[depth]} (inferred shape [${shape.join(', ')}])`);
    }
    v.forEach((x, i) => walk(x, depth + 1, [...path, i]));
  };
  walk(data, 0, []);
  return { values, shape };
}

function defaultDType(view: ArrayBufferView): DType | null {
  if (view instanceof Float32Array) return 'f32';
  if (view instanceof Int32Array) return 'i32';
  if (view instanceof Uint32Array) return 'u32';
  if (view instanceof Float64Array || view.constructor.name === 'Float16Array') return 'f32';
  if (view instanceof Int8Array || view instanceof Uint8Array || view instanceof Uint8ClampedArray || view instanceof Int16Array || view instanceof Uint16Array) return 'i32';
  if (view instanceof BigInt64Array || view instanceof BigUint64Array) return 'i32';
  return null;
}

function convert(values: ArrayLike<number | bigint>, dtype: DType, where: string, from: string): AnyTypedArray {
  const n = values.length;
  if (dtype === 'f32') {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = Number(values[i]);
    return out;
  }
  const [lo, hi] = RANGE[dtype];
  const out = dtype === 'i32' ? new Int32Array(n) : new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    const x = Number(v);
    if (!Number.isInteger(x) || x < lo || x > hi || (typeof v === 'bigint' && BigInt(x) !== v)) {
      throw new ShapeError(`${where}: ${from} value ${String(v)} at index ${i} is not ${dtype === 'i32' ? 'an integer in the i32 range' : 'a non-negative integer in the u32 range'} (dtype '${dtype}')`);
    }
    out[i] = x;
  }
  return out;
}

/** Converts `data` under the rules above; `where` prefixes error messages. */
export function hostData(data: TensorData, dtype: DType | undefined, where = 'tensor()'): HostData {
  if (ArrayBuffer.isView(data)) {
    const name = data.constructor.name;
    const natural = data instanceof DataView ? null : defaultDType(data);
    if (!natural) throw new ShapeError(`${where}: cannot make a tensor from a ${name}; pass a typed array of numbers or a (nested) number array`);
    const view = data as unknown as ArrayLike<number | bigint>;
    const target = dtype ?? natural;
    if ((data instanceof Float32Array && target === 'f32') || (data instanceof Int32Array && target === 'i32') || (data instanceof Uint32Array && target === 'u32')) {
      return { array: data, shape: [data.length] };
    }
    return { array: convert(view, target, where, name), shape: [view.length] };
  }
  if (Array.isArray(data)) {
    const nested = data.some((v) => Array.isArray(v));
    const { values, shape } = nested ? flattenNested(data, where) : { values: data as number[], shape: [data.length] };
    if (!nested) {
      const bad = values.findIndex((v) => typeof v !== 'number');
      if (bad >= 0) throw new ShapeError(`${where}: element [${bad}] is ${typeName(values[bad])}, expected a number`);
    }
    return { array: convert(values, dtype ?? 'f32', where, 'array'), shape };
  }
  throw new ShapeError(`${where}: data must be a typed array or a (nested) number array, got ${typeName(data)}`);
}
