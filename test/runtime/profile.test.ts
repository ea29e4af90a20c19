import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { engine } from '../helpers/engine.js';

beforeAll(engine);

describe('Runtime.profile: device time per op', () => {
  it('counts every dispatch under its op and leaves results unchanged', async () => {
    const rt = E.runtime();
    if (!rt.features.has('timestamp-query')) {
      await expect(rt.profile(() => {})).rejects.toThrow(/timestamp-query/);
      return;
    }
    const x = E.tensor(Float32Array.from({ length: 37 }, (_, i) => i - 18), [37]);
    const plain = Array.from(await E.exp(E.relu(x)).toArray());
    const d0 = rt.dispatchCount;
    let y: E.Tensor | null = null;
    const rows = await rt.profile(() => {
      for (let i = 0; i < 3; i++) {
        y?.dispose();
        y = E.exp(E.relu(x));
      }
    });
    const dispatched = rt.dispatchCount - d0;
    expect(Array.from(await y!.toArray())).toEqual(plain);
    const byOp = new Map(rows.map((r) => [r.op, r]));
    expect(byOp.get('relu')?.calls).toBe(3);
    expect(byOp.get('exp')?.calls).toBe(3);
    expect(rows.reduce((a, r) => a + r.calls, 0)).toBe(dispatched);
    for (const r of rows) {
      expect(r.ms).toBeGreaterThanOrEqual(0);
      expect(r.pipelines).toBe(1);
    }
    // Sorted by time, largest first; by pipeline, the key follows the op name.
    for (let i = 1; i < rows.length; i++) expect(rows[i - 1]!.ms).toBeGreaterThanOrEqual(rows[i]!.ms);
    const per = await rt.profile(() => void E.relu(x).dispose(), { by: 'pipeline' });
    expect(per.map((r) => r.op)).toEqual([expect.stringMatching(/^relu elementwise\|/)]);
    await expect(rt.profile(async () => { await rt.profile(() => {}); })).rejects.toThrow(/already profiling/);
  });
});
