/**
 * The buffer pool's idle bound, on a fake device (pure bookkeeping), and the public memory API on
 * the real runtime.
 */
import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../src/runtime/pool.js';
import { engine } from '../helpers/engine.js';
import { tensor, zeros } from '../../src/index.js';

const MiB = 2 ** 20;

function fakeDevice(): { device: GPUDevice; destroyed: number[] } {
  const destroyed: number[] = [];
  let id = 0;
  const device = {
    createBuffer: ({ size, usage }: GPUBufferDescriptor) => {
      const me = ++id;
      return { size, usage, destroy: () => destroyed.push(me), id: me } as unknown as GPUBuffer;
    },
  } as unknown as GPUDevice;
  return { device, destroyed };
}

describe('BufferPool idle bound', () => {
  it('a loop that reuses its buffers every step never loses them, even far above the bound', () => {
    const { device, destroyed } = fakeDevice();
    const pool = new BufferPool(device, { maxIdleBytes: 1 * MiB, minIdleSubmits: 4, minIdleMs: 0 });
    for (let step = 0; step < 50; step++) {
      const bufs = [4, 4, 2].map((m) => pool.acquire(m * MiB, 0x80, 'x'));
      for (const b of bufs) pool.release(b);
      pool.onSubmitted();
    }
    expect(destroyed).toEqual([]);
    expect(pool.stats().buffersCreated).toBe(3);
    expect(pool.stats().bytesPooled).toBe(10 * MiB);
  });

  it('buffers idle for minIdleSubmits go, oldest first, down to the bound; recent ones stay', () => {
    const { device, destroyed } = fakeDevice();
    const pool = new BufferPool(device, { maxIdleBytes: 3 * MiB, minIdleSubmits: 2, minIdleMs: 0 });
    // An "evaluation" leaves 8 × 1 MiB idle (ids 1..8), released one submit apart: 1 oldest.
    const evalBufs = Array.from({ length: 8 }, () => pool.acquire(MiB, 0x80, 'eval'));
    for (const b of evalBufs) {
      pool.release(b);
      pool.onSubmitted();
    }
    // Ids 1..6 had been idle ≥ 2 submits when the pool went over 3 MiB; each submit drops what is old enough.
    expect(pool.stats().bytesPooled).toBeLessThanOrEqual(3 * MiB);
    expect(destroyed.slice(0, 3)).toEqual([1, 2, 3]);
    expect(destroyed).not.toContain(8);
    // "Training" at another size keeps working; the remaining old eval buffers go over the next submits.
    for (let step = 0; step < 5; step++) {
      const t = pool.acquire(2 * MiB, 0x80, 'train');
      pool.release(t);
      pool.onSubmitted();
    }
    expect(pool.stats().bytesPooled).toBeLessThanOrEqual(3 * MiB);
    expect(pool.stats().buffersPooled).toBeGreaterThanOrEqual(1);
    expect(pool.stats().buffersReleased).toBe(destroyed.length);
  });

  it('both ages must pass: buffers idle for many submits but less than minIdleMs stay', () => {
    const { device, destroyed } = fakeDevice();
    const pool = new BufferPool(device, { maxIdleBytes: 0, minIdleSubmits: 1, minIdleMs: 60_000 });
    pool.release(pool.acquire(MiB, 0x80, 'x'));
    for (let i = 0; i < 100; i++) pool.onSubmitted();
    expect(destroyed).toEqual([]);
    pool.setLimits({ minIdleMs: 0 });
    pool.onSubmitted();
    expect(destroyed).toEqual([1]);
  });

  it('trim releases all idle buffers; limits are validated', () => {
    const { device, destroyed } = fakeDevice();
    const pool = new BufferPool(device);
    const b = pool.acquire(1000, 0x80, 'x');
    const c = pool.acquire(1000, 0x80, 'x');
    pool.release(b);
    pool.onSubmitted();
    pool.trim();
    expect(destroyed).toHaveLength(1);
    expect(pool.stats()).toMatchObject({ buffersInUse: 1, buffersPooled: 0, bytesPooled: 0 });
    pool.release(c);
    expect(() => pool.setLimits({ maxIdleBytes: -1 })).toThrow(/maxIdleBytes must be a number >= 0, got -1/);
    expect(pool.getLimits()).toEqual({ maxIdleBytes: 64 * MiB, minIdleSubmits: 64, minIdleMs: 5000 });
  });
});

describe('runtime memory API', () => {
  it('memory() reports use and peak; resetPeak() and trim() do what they say', async () => {
    const rt = await engine();
    await rt.sync();
    rt.trim();
    rt.resetPeak();
    const base = rt.memory();
    const a = zeros([1024, 256]); // 1 MiB
    const mid = rt.memory();
    expect(mid.bytesInUse - base.bytesInUse).toBe(MiB);
    a.dispose();
    await rt.sync();
    const after = rt.memory();
    expect(after.bytesInUse).toBe(base.bytesInUse);
    expect(after.peakBytesInUse).toBeGreaterThanOrEqual(base.bytesInUse + MiB);
    expect(after.bytesPooled).toBeGreaterThanOrEqual(MiB);
    rt.trim();
    expect(rt.memory().bytesPooled).toBe(0);
    rt.resetPeak();
    expect(rt.memory().peakBytesInUse).toBe(rt.memory().bytesInUse);
    const prev = rt.setPoolLimits({ maxIdleBytes: 8 * MiB });
    expect(prev.maxIdleBytes).toBe(8 * MiB);
    rt.setPoolLimits({ maxIdleBytes: 64 * MiB });
    tensor([1]).dispose();
  });
});
