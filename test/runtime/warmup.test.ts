import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { engine } from '../helpers/engine.js';

beforeAll(engine);

describe('pipeline trace and warm-up', () => {
  it('trace records the pipelines a computation uses and runs nothing', async () => {
    const rt = E.runtime();
    const x = E.tensor(Float32Array.from([1, -2, 3, -4, 5, -6]), [2, 3]);
    const y = E.tensor(new Float32Array(6).fill(7), [2, 3]);
    const dispatches = rt.dispatchCount;
    const specs = await rt.trace(() => {
      E.assign(y, E.softmax(E.relu(x), -1));
    });
    expect(rt.dispatchCount).toBe(dispatches);
    // Nothing ran and nothing was copied: y (written by assign, a buffer copy) keeps its values.
    expect(Array.from(await y.toArray())).toEqual([7, 7, 7, 7, 7, 7]);
    const ops = specs.map((s) => s.op);
    expect(ops).toContain('relu');
    expect(ops).toContain('softmax');
    expect(new Set(specs.map((s) => s.key)).size).toBe(specs.length);
    for (const s of specs) expect(s.slots.length).toBeGreaterThan(0);
    // Warm-up prepares each once; a second call has nothing left to do; real runs still compute.
    const t = await rt.warmup(specs);
    expect(t.map((x) => x.key).sort()).toEqual(specs.map((s) => s.key).sort());
    expect(await rt.warmup(specs)).toEqual([]);
    E.assign(y, E.softmax(E.relu(x), -1));
    const got = Array.from(await y.toArray());
    // relu(x) = [[1, 0, 3], [0, 5, 0]], softmax per row.
    const z0 = Math.exp(1) + 1 + Math.exp(3), z1 = 2 + Math.exp(5);
    [Math.exp(1) / z0, 1 / z0, Math.exp(3) / z0, 1 / z1, Math.exp(5) / z1, 1 / z1]
      .forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    x.dispose();
    y.dispose();
  });

  it('host state a trace advances (the global random stream) is put back with setRandomState', async () => {
    E.manualSeed(9);
    const a = await E.rand([5]).toArray();
    E.manualSeed(9);
    await E.runtime().trace(() => {
      E.rand([5]).dispose();
      E.randn([3]).dispose();
    });
    // trace does not restore host state itself; prepareTrainingKernels does, as here.
    const afterTrace = await E.rand([5]).toArray();
    expect(Array.from(afterTrace)).not.toEqual(Array.from(a));
    E.manualSeed(9);
    const st = E.randomState();
    await E.runtime().trace(() => E.rand([5]).dispose());
    E.setRandomState(st);
    expect(Array.from(await E.rand([5]).toArray())).toEqual(Array.from(a));
  });

  it('trace refuses to nest', async () => {
    await expect(E.runtime().trace(() => E.runtime().trace(() => {}).then(() => {}))).rejects.toThrow(/already tracing/);
  });
});
