import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { engine } from '../helpers/engine.js';

beforeAll(engine);

describe('full / zeros / ones / arange', () => {
  // A fill thread writes 16 words 256 apart: sizes around one thread's and one workgroup's share.
  const sizes = [1, 7, 255, 256, 257, 4095, 4096, 4097, 65537];
  it.each(sizes)('full writes every one of %i elements (f32 and i32) of a reused buffer', async (n) => {
    // A larger tensor released just before hands its buffer back to the pool: stale values in
    // words the fill missed would show.
    const before = E.full([n + 1000], -9);
    await before.toArray();
    before.dispose();
    const f = E.full([n], 2.5);
    const i = E.full([n], -3, 'i32');
    const fv = await f.toArray();
    const iv = await i.toArray();
    expect(fv.length).toBe(n);
    expect(iv.length).toBe(n);
    expect(fv.every((v) => v === 2.5)).toBe(true);
    expect(Array.from(iv).every((v) => v === -3)).toBe(true);
    f.dispose();
    i.dispose();
  });

  it('zeros, ones and arange agree with their definitions', async () => {
    expect(Array.from(await E.zeros([3, 5]).toArray())).toEqual(new Array(15).fill(0));
    expect(Array.from(await E.ones([4097]).toArray()).every((v) => v === 1)).toBe(true);
    const a = await E.arange(0, 4097).toArray();
    expect(a.length).toBe(4097);
    expect(Array.from(a).every((v, k) => v === k)).toBe(true);
  });
});
