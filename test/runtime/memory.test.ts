import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { engine } from '../helpers/engine.js';
import { bucketSize } from '../../src/runtime/pool.js';

beforeAll(engine);

describe('memory', () => {
  it('buckets sizes with bounded waste', () => {
    for (const b of [1, 255, 256, 257, 1000, 1 << 20, (1 << 20) + 1, 3_000_001, 50_000_000]) {
      const s = bucketSize(b);
      expect(s).toBeGreaterThanOrEqual(b);
      if (b > 256) expect(s / b).toBeLessThan(b <= 1 << 20 ? 2 : 1.126);
    }
  });

  it('200 MLP training steps keep live tensors and GPU buffers constant', async () => {
    E.manualSeed(5);
    const w1 = E.mulScalar(E.randn([16, 32]), 0.3).requireGrad();
    const b1 = E.zeros([32]).requireGrad();
    const w2 = E.mulScalar(E.randn([32, 4]), 0.3).requireGrad();
    const params = [w1, b1, w2];
    const x = E.randn([24, 16]);
    const labels = Int32Array.from({ length: 24 }, (_, i) => i % 4);
    const y = E.tensor(labels);
    const rt = E.runtime();
    let live0 = 0, created0 = 0, first = 0, last = 0;
    for (let step = 0; step < 200; step++) {
      const loss = E.tidy(() => {
        const h = E.relu(E.matmul(x, w1, { bias: b1 }));
        const l = E.crossEntropy(E.matmul(h, w2), y);
        E.backward(l);
        for (const p of params) {
          E.assign(p, E.sub(p, E.mulScalar(p.grad!, 0.1)));
          p.grad!.dispose();
          p.grad = null;
        }
        return l;
      });
      if (step === 0) first = await loss.item();
      if (step === 199) last = await loss.item();
      loss.dispose();
      if (step === 9) {
        await rt.sync();
        live0 = E.liveTensorCount();
        created0 = rt.stats().buffersCreated;
      }
    }
    await rt.sync();
    expect(E.liveTensorCount()).toBe(live0);
    expect(rt.stats().buffersCreated).toBe(created0);
    expect(last).toBeLessThan(first * 0.5); // and it actually trained
  });

  it('reports use after dispose', () => {
    const t = E.zeros([3]);
    t.dispose();
    expect(() => E.exp(t)).toThrow(/used after dispose/);
  });
});
