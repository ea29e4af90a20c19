/**
 * Bind-group reuse (src/runtime/bind-groups.ts) and the pool's deterministic reuse order that makes
 * it hit: a repeated step creates no bind groups, reads the data its buffers hold now (not what
 * they held when the group was made), and groups of destroyed buffers are dropped.
 */
import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../src/runtime/pool.js';
import { engine } from '../helpers/engine.js';
import { add, mul, noGrad, tensor, tidy, backward, sum, Linear, manualSeed, randn } from '../../src/index.js';

function fakeDevice(): GPUDevice {
  let id = 0;
  return {
    createBuffer: ({ size, usage }: GPUBufferDescriptor) => ({ size, usage, destroy: () => {}, id: ++id }) as unknown as GPUBuffer,
  } as unknown as GPUDevice;
}
const idOf = (b: GPUBuffer): number => (b as unknown as { id: number }).id;

describe('BufferPool reuse order', () => {
  it('hands out the oldest idle buffer of a bucket, whatever order they came back in', () => {
    const pool = new BufferPool(fakeDevice());
    const [a, b, c] = [0, 1, 2].map(() => pool.acquire(1024, 0x80, 'x'));
    for (const buf of [c!, a!, b!]) pool.release(buf); // pending (same encoder)
    expect([0, 1, 2].map(() => idOf(pool.acquire(1024, 0x80, 'x')))).toEqual([1, 2, 3]);
  });

  it('a step that repeats the previous one gets the same buffers in the same places', () => {
    const pool = new BufferPool(fakeDevice());
    const step = (): number[] => {
      // Lifetimes that overlap differently from their creation order (as in forward + backward).
      const t1 = pool.acquire(4096, 0x80, 'x');
      const t2 = pool.acquire(4096, 0x80, 'x');
      pool.release(t1);
      const t3 = pool.acquire(4096, 0x80, 'x');
      const t4 = pool.acquire(4096, 0x80, 'x');
      pool.release(t3);
      pool.onSubmitted();
      pool.release(t4);
      pool.release(t2);
      pool.onSubmitted();
      return [t1, t2, t3, t4].map(idOf);
    };
    step();
    const second = step();
    for (let i = 0; i < 5; i++) expect(step()).toEqual(second);
  });
});

describe('bind-group cache', () => {
  it('a repeated training step creates no bind groups after the first steps, and its numbers do not change', async () => {
    const rt = await engine();
    manualSeed(3);
    const layer = new Linear(5, 3);
    const x = randn([4, 5]);
    const step = async (): Promise<number[]> => {
      tidy(() => backward(sum(mul(layer.forward(x), layer.forward(x)))));
      const g = await layer.weight.grad!.toArray();
      for (const p of layer.parameters()) {
        p.grad?.dispose();
        p.grad = null;
      }
      return Array.from(g);
    };
    const first = await step();
    // The pool settles within a few steps (buffers created in step 0 find their places).
    for (let i = 0; i < 5; i++) await step();
    const misses = rt.bindGroups.misses;
    const hits = rt.bindGroups.hits;
    for (let i = 0; i < 3; i++) expect(await step()).toEqual(first);
    expect(rt.bindGroups.misses).toBe(misses);
    expect(rt.bindGroups.hits).toBeGreaterThan(hits);
  });

  it('a cached group reads what its buffers hold now', async () => {
    const rt = await engine();
    const a = tensor([1, 2, 3], [3]);
    const b = tensor([10, 20, 30], [3]);
    const run = async (): Promise<number[]> => {
      const y = noGrad(() => add(a, b));
      const out = Array.from(await y.toArray());
      y.dispose();
      return out;
    };
    expect(await run()).toEqual([11, 22, 33]);
    expect(await run()).toEqual([11, 22, 33]);
    rt.write(a.buffer, new Float32Array([5, 6, 7]));
    const misses = rt.bindGroups.misses;
    expect(await run()).toEqual([15, 26, 37]);
    expect(rt.bindGroups.misses).toBe(misses); // same buffers, same group, new data
    a.dispose();
    b.dispose();
  });

  it('trim() destroys idle buffers and drops their groups; later work creates fresh ones and runs', async () => {
    const rt = await engine();
    const x = tensor([1, 2, 3, 4], [4]);
    const once = async (): Promise<void> => {
      const y = noGrad(() => tidy(() => mul(add(x, x), x)));
      expect(Array.from(await y.toArray())).toEqual([2, 8, 18, 32]);
      y.dispose();
    };
    await once();
    await once();
    const before = rt.bindGroups.size;
    rt.trim();
    expect(rt.bindGroups.size).toBeLessThan(before);
    const misses = rt.bindGroups.misses;
    await once(); // would fail validation if a group of a destroyed buffer were reused
    expect(rt.bindGroups.misses).toBeGreaterThan(misses);
    rt.checkErrors();
    x.dispose();
  });

  it('disabled, every dispatch makes its own group and the results are the same', async () => {
    const rt = await engine();
    const x = tensor([1, -2, 3], [3]);
    rt.bindGroups.enabled = false;
    try {
      const misses = rt.bindGroups.misses;
      const y = noGrad(() => tidy(() => add(x, x)));
      expect(Array.from(await y.toArray())).toEqual([2, -4, 6]);
      expect(rt.bindGroups.misses).toBe(misses + 1);
      y.dispose();
    } finally {
      rt.bindGroups.enabled = true;
      x.dispose();
    }
  });
});
