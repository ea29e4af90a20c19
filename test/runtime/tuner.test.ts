import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from '../../src/index.js';
import { classifyAdapter, parseOverrides, sizeClass, tuner, type TunerRecord, type TunerStore } from '../../src/runtime/tuner.js';
import { FileTunerStore, defaultCacheDir } from '../../src/runtime/tuner-store-node.js';
import { engine } from '../helpers/engine.js';

beforeAll(engine);

class MemoryStore implements TunerStore {
  saved = new Map<string, TunerRecord>();
  load(k: string): TunerRecord | null { return this.saved.get(k) ?? null; }
  save(k: string, r: TunerRecord): void { this.saved.set(k, JSON.parse(JSON.stringify(r)) as TunerRecord); }
  describe(k: string): string { return `memory:${k}`; }
}

afterEach(() => {
  const t = tuner();
  t.setOverrides('');
  t.measuring = t.adapterClass === 'gpu';
  t.setStore(null);
});

describe('kernel tuner', () => {
  it('classifies adapters from their info (no op ever sees this)', () => {
    expect(classifyAdapter({ vendor: 'mesa', architecture: 'software', description: 'llvmpipe (LLVM 15)' })).toBe('cpu');
    expect(classifyAdapter({ vendor: 'google', description: 'SwiftShader Device (Subzero)' })).toBe('cpu');
    expect(classifyAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' })).toBe('gpu');
    expect(classifyAdapter({ vendor: 'nvidia' }, true)).toBe('cpu');
    // This test process runs on lavapipe: today's kernels are the prior and nothing is timed.
    expect(tuner().adapterClass).toBe('cpu');
    expect(tuner().measuring).toBe(false);
  });

  it('buckets sizes and parses overrides, rejecting malformed ones with the spec in the message', () => {
    expect([1, 2, 3, 64, 65].map(sizeClass)).toEqual([1, 2, 4, 64, 128]);
    expect([...parseOverrides('matmul:tiled, conv:broadcast')]).toEqual([['matmul', 'tiled'], ['conv', 'broadcast']]);
    expect(() => parseOverrides('matmul=tiled')).toThrow(/matmul=tiled/);
  });

  it('picks the CPU prior (today\'s kernels) without timing, and honours overrides', () => {
    const t = tuner();
    const req = { family: 'fam', cls: 'c', candidates: ['broadcast', 'tiled'], prior: { cpu: 'broadcast', gpu: 'tiled' } };
    expect(t.pick(req)).toBe('broadcast');
    expect(t.pendingCount()).toBe(0);
    t.setOverrides('fam:tiled');
    expect(t.pick(req)).toBe('tiled');
    t.declareVariants('fam', ['broadcast', 'tiled']);
    t.setOverrides('fam:nosuch');
    expect(() => t.pick(req)).toThrow(/fam:nosuch/);
  });

  it('measures candidates when asked, keeps the winner, persists it per adapter, and reloads it', async () => {
    const t = tuner();
    const store = new MemoryStore();
    t.setStore(store);
    t.measuring = true;
    const a = E.tensor(new Float32Array(24 * 40).fill(0.5), [24, 40]);
    const b = E.tensor(new Float32Array(40 * 36).fill(0.25), [40, 36]);
    const c = E.matmul(a, b); // unknown class: runs the prior and queues a measurement
    expect(t.pendingCount()).toBe(1);
    expect(Array.from(await c.toArray()).every((v) => Math.abs(v - 5) < 1e-5)).toBe(true);
    const results = await E.tuneKernels({ trials: 1, targetMs: 1 });
    expect(results).toHaveLength(1);
    const r = results[0]!;
    expect(r.family).toBe('matmul');
    expect(Object.keys(r.choice.ms).sort()).toEqual(['broadcast', 'tiled', 'tiled128']);
    for (const ms of Object.values(r.choice.ms)) expect(ms).toBeGreaterThan(0);
    expect(r.choice.variant).toBe(Object.entries(r.choice.ms).sort((x, y) => x[1] - y[1])[0]![0]);
    expect(t.pendingCount()).toBe(0);
    // Saved under this adapter's key; a fresh load sees the same decision.
    const rec = store.load(t.adapterKey)!;
    expect(rec.adapter).toBe(t.adapterKey);
    expect(Object.values(rec.choices).map((x) => x.variant)).toContain(r.choice.variant);
    const c2 = E.matmul(a, b); // now decided: no new measurement, same numbers
    expect(t.pendingCount()).toBe(0);
    expect(Array.from(await c2.toArray()).every((v) => Math.abs(v - 5) < 1e-5)).toBe(true);
    for (const x of [a, b, c, c2]) x.dispose();
  });

  it('on this CPU adapter the default path dispatches only today\'s kernels (no *-tiled shader)', async () => {
    // Traced, not run: the pipelines each call would dispatch are recorded without compiling them
    // (compiling them cost ~18 s of CPU on an empty shader cache).
    const specs = await E.runtime().trace(() => {
      E.tidy(() => {
        const r = (s: number[]) => E.rand(s, { seed: s.length }).requireGrad();
        E.backward(E.sum(E.matmul(r([9, 70]), r([70, 67]), { bias: r([67]) })));
        E.backward(E.sum(E.conv2d(r([1, 3, 9, 9]), r([4, 3, 3, 3]), { padding: 1, stride: 2 })));
        E.backward(E.sum(E.attention(r([1, 2, 9, 8]), r([1, 2, 9, 8]), r([1, 2, 9, 8]), { bias: r([2, 9, 9]) })));
        E.backward(E.sum(E.layerNorm(r([5, 12]), r([12]), r([12]))));
      });
    });
    const seen = new Set(specs.map((s) => s.shader));
    expect([...seen].filter((s) => s.endsWith('-tiled'))).toEqual([]);
    expect(seen).toContain('matmul');
    expect(seen).toContain('conv');
    expect(seen).toContain('attention');
    expect(seen).toContain('layernorm');
  });

  it('the Node store writes one JSON file per adapter atomically under the cache dir', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arbex-tuner-'));
    const s = new FileTunerStore(dir);
    const rec: TunerRecord = { version: 1, adapter: 'A|x', choices: { 'matmul|nn m4': { variant: 'tiled', ms: { tiled: 1, broadcast: 2 } } } };
    expect(s.load('A|x')).toBeNull();
    s.save('A|x', rec);
    expect(s.load('A|x')).toEqual(rec);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(JSON.parse(readFileSync(s.describe('A|x'), 'utf8'))).toEqual(rec);
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/c' })).toBe('/c/arbex-webgpu');
    expect(defaultCacheDir({ ARBEX_CACHE_DIR: '/d', XDG_CACHE_HOME: '/c' })).toBe('/d');
  });
});
