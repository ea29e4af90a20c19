/**
 * tensor() and host data: typed arrays the engine does not store are converted by value under
 * documented rules, or rejected with an error naming the index and value — never reinterpreted.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { engine } from '../helpers/engine.js';
import { tensor, ShapeError } from '../../src/index.js';
import { hostData } from '../../src/tensor/host-data.js';
import { dtypeOf } from '../../src/tensor/dtype.js';

beforeAll(async () => {
  await engine();
});

describe('host data → tensors', () => {
  it('Uint8Array keeps its values (i32 by default, f32 on request), on the GPU too', async () => {
    const u8 = Uint8Array.from([0, 1, 200, 255]);
    const t = tensor(u8);
    expect(t.dtype).toBe('i32');
    expect(Array.from(await t.toArray())).toEqual([0, 1, 200, 255]);
    const f = tensor(u8, [2, 2], 'f32');
    expect(f.dtype).toBe('f32');
    expect(Array.from(await f.toArray())).toEqual([0, 1, 200, 255]);
    t.dispose();
    f.dispose();
  });

  it('Float64Array → f32 rounded to the nearest float', async () => {
    const t = tensor(Float64Array.from([0.1, -2.5, 1e-40, 3]));
    expect(t.dtype).toBe('f32');
    expect(Array.from(await t.toArray())).toEqual([Math.fround(0.1), -2.5, Math.fround(1e-40), 3]);
    t.dispose();
  });

  it('every integer array type converts exactly; BigInt64 must fit', () => {
    const cases: [ArrayBufferView, number[]][] = [
      [Int8Array.from([-128, 127]), [-128, 127]],
      [Uint8ClampedArray.from([0, 255]), [0, 255]],
      [Int16Array.from([-32768, 32767]), [-32768, 32767]],
      [Uint16Array.from([0, 65535]), [0, 65535]],
      [BigInt64Array.from([-5n, 7n]), [-5, 7]],
      [BigUint64Array.from([9n]), [9]],
    ];
    for (const [data, want] of cases) {
      const h = hostData(data, undefined);
      expect(dtypeOf(h.array), data.constructor.name).toBe('i32');
      expect(Array.from(h.array)).toEqual(want);
    }
    expect(() => hostData(BigInt64Array.from([2n ** 40n]), undefined)).toThrow(/BigInt64Array value 1099511627776 at index 0 is not an integer in the i32 range/);
  });

  it('an explicit dtype converts any input by value, checked for integers', () => {
    expect(Array.from(hostData(Int32Array.from([-3, 4]), 'f32').array)).toEqual([-3, 4]);
    expect(Array.from(hostData(Float32Array.from([2, 5]), 'u32').array)).toEqual([2, 5]);
    expect(Array.from(hostData(Uint32Array.from([7]), 'i32').array)).toEqual([7]);
    expect(() => hostData([0, 1.5], 'i32')).toThrow(/array value 1.5 at index 1 is not an integer in the i32 range \(dtype 'i32'\)/);
    expect(() => hostData(Int32Array.from([3, -1]), 'u32')).toThrow(/Int32Array value -1 at index 1 is not a non-negative integer in the u32 range/);
    expect(() => hostData(Uint32Array.from([4294967295]), 'i32')).toThrow(/Uint32Array value 4294967295 at index 0/);
    expect(() => hostData(Float64Array.from([NaN]), 'i32')).toThrow(/value NaN at index 0/);
  });

  it('the engine dtypes pass through without a copy', () => {
    const f = new Float32Array(3);
    expect(hostData(f, undefined).array).toBe(f);
    expect(hostData(f, 'f32').array).toBe(f);
  });

  it('nested arrays give their shape; ragged or non-numeric ones are rejected', async () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(Array.from(await t.toArray())).toEqual([1, 2, 3, 4, 5, 6]);
    t.dispose();
    expect(hostData([[[1], [2]], [[3], [4]]], 'i32').shape).toEqual([2, 2, 1]);
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged: element \[1\] has length 1, expected an array of length 2 \(inferred shape \[2, 2\]\)/);
    expect(() => tensor([[1, 2], [3, '4' as unknown as number]])).toThrow(/element \[1\]\[1\] is string, expected a number/);
    expect(() => tensor([1, null as unknown as number])).toThrow(/element \[1\] is null, expected a number/);
  });

  it('other data is rejected with what was given', () => {
    expect(() => tensor(new DataView(new ArrayBuffer(8)))).toThrow(/cannot make a tensor from a DataView/);
    expect(() => tensor({ length: 2 } as unknown as number[])).toThrow(ShapeError);
    expect(() => tensor('12' as unknown as number[])).toThrow(/data must be a typed array or a \(nested\) number array, got string/);
    expect(() => tensor(new Float32Array(6), [4])).toThrow(/6 values do not fill shape \[4\]/);
    expect(() => dtypeOf(new Uint8Array(2) as unknown as Float32Array)).toThrow(/no engine dtype for Uint8Array/);
  });
});
