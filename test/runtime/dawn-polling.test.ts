/**
 * Waiting for the GPU must not busy-poll a core (src/runtime/device-node.ts): Dawn's binding
 * reschedules a native callback with setImmediate while work is pending; the engine moves those
 * polls to a timer after the first half millisecond. Counted here around a wait of a few hundred
 * milliseconds: back to back it is tens of thousands of polls, throttled about one per ms.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { runtime } from '../../src/runtime/runtime.js';
import { engine } from '../helpers/engine.js';

beforeAll(engine);

const isNative = (f: unknown): boolean => typeof f === 'function' && Function.prototype.toString.call(f).endsWith('{ [native code] }');

describe('waiting for the GPU', () => {
  it('polls on a timer, not back to back, and leaves JS setImmediate callbacks alone', async () => {
    const installed = globalThis.setImmediate;
    let nativePolls = 0;
    const counting = function (cb: (...a: unknown[]) => void, ...args: unknown[]) {
      if (isNative(cb)) nativePolls++;
      return installed(cb, ...args);
    };
    globalThis.setImmediate = Object.assign(counting, installed) as unknown as typeof setImmediate;
    try {
      const a = E.randn([384, 384]), b = E.randn([384, 384]);
      const warm = E.matmul(a, b);
      await runtime().sync();
      warm.dispose();
      nativePolls = 0;
      const t0 = performance.now();
      const outs = Array.from({ length: 12 }, () => E.matmul(a, b));
      await runtime().sync();
      const ms = performance.now() - t0;
      for (const t of [a, b, ...outs]) t.dispose();
      // ~1 poll per timer tick plus the first 0.5 ms back to back; spinning gives ~70 per ms.
      expect(nativePolls, `${nativePolls} polls in ${ms.toFixed(0)} ms`).toBeLessThan(2 * ms + 200);
      expect(ms, 'the wait should be long enough to tell the two apart').toBeGreaterThan(20);
    } finally {
      globalThis.setImmediate = installed;
    }
    // A JS callback still runs as an immediate: before a timer queued ahead of it.
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      setTimeout(() => { order.push('timer'); resolve(); }, 5);
      setImmediate(() => order.push('immediate'));
    });
    expect(order).toEqual(['immediate', 'timer']);
  });
});
