import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { init } from '../../src/nn/index.js';
import { engine } from '../helpers/engine.js';

beforeAll(engine);

async function stats(t: E.Tensor): Promise<{ mean: number; std: number; min: number; max: number }> {
  const d = (await t.toArray()) as Float32Array;
  let s = 0, q = 0, min = Infinity, max = -Infinity;
  for (const v of d) {
    s += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = s / d.length;
  for (const v of d) q += (v - mean) ** 2;
  return { mean, std: Math.sqrt(q / d.length), min, max };
}

describe('initialisers (torch.nn.init formulas)', () => {
  it('gains and fans', () => {
    expect(init.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 12);
    expect(init.calculateGain('tanh')).toBeCloseTo(5 / 3, 12);
    expect(init.calculateGain('leaky_relu', 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 12);
    expect(init.fans([64, 32, 3, 3])).toEqual({ fanIn: 288, fanOut: 576 });
    expect(() => init.fans([5])).toThrow(/rank >= 2/);
  });

  it('Kaiming normal, fan_in and fan_out', async () => {
    const w = E.zeros([128, 64, 3, 3]);
    init.kaimingNormal_(w, { mode: 'fan_out', nonlinearity: 'relu' });
    let s = await stats(w);
    expect(Math.abs(s.std / (Math.SQRT2 / Math.sqrt(128 * 9)) - 1)).toBeLessThan(0.02);
    expect(Math.abs(s.mean)).toBeLessThan(0.002);
    init.kaimingNormal_(w); // fan_in, leaky_relu(0) gain √2
    s = await stats(w);
    expect(Math.abs(s.std / (Math.SQRT2 / Math.sqrt(64 * 9)) - 1)).toBeLessThan(0.02);
  });

  it('Kaiming / Xavier uniform bounds and variance', async () => {
    const w = E.zeros([300, 200]);
    init.xavierUniform_(w, 1);
    const a = Math.sqrt(6 / 500);
    let s = await stats(w);
    expect(s.max).toBeLessThanOrEqual(a);
    expect(s.min).toBeGreaterThanOrEqual(-a);
    expect(Math.abs(s.std / (a / Math.sqrt(3)) - 1)).toBeLessThan(0.02);
    init.kaimingUniform_(w, { a: Math.sqrt(5) });
    const bound = 1 / Math.sqrt(200); // torch's default Linear init
    s = await stats(w);
    expect(s.max).toBeLessThanOrEqual(bound + 1e-7);
    expect(s.max).toBeGreaterThan(0.97 * bound);
    init.xavierNormal_(w, 2);
    s = await stats(w);
    expect(Math.abs(s.std / (2 * Math.sqrt(2 / 500)) - 1)).toBeLessThan(0.02);
  });

  it('truncated normal stays in [a, b] with the truncated distribution’s spread', async () => {
    const w = E.zeros([200_000]);
    init.truncNormal_(w, { std: 1, a: -2, b: 2 });
    const s = await stats(w);
    expect(s.min).toBeGreaterThanOrEqual(-2);
    expect(s.max).toBeLessThanOrEqual(2);
    // Var of N(0,1) truncated to ±2: 1 − 2·2·φ(2)/(Φ(2) − Φ(−2)) = 0.77374 → std 0.87962.
    expect(Math.abs(s.std - 0.87962)).toBeLessThan(0.005);
    expect(s.max).toBeGreaterThan(1.99);
    // One-sided, shifted bounds.
    init.truncNormal_(w, { mean: 1, std: 0.5, a: 0.8, b: 3 });
    const t = await stats(w);
    expect(t.min).toBeGreaterThanOrEqual(0.8);
    expect(t.max).toBeLessThanOrEqual(3);
    expect(() => init.truncNormal_(w, { a: 10, b: 11 })).toThrow(/would not finish/);
  });

  it('constants and seeded reproducibility', async () => {
    const w = E.zeros([4, 4]);
    init.constant_(w, 0.5);
    expect((await stats(w)).min).toBe(0.5);
    const a = E.zeros([50]), b = E.zeros([50]);
    init.truncNormal_(a, { std: 0.02, seed: 7 });
    init.truncNormal_(b, { std: 0.02, seed: 7 });
    expect(Array.from((await a.toArray()) as Float32Array)).toEqual(Array.from((await b.toArray()) as Float32Array));
    init.normal_(b, 0, 1, { seed: 8 });
    expect(Array.from((await a.toArray()) as Float32Array)).not.toEqual(Array.from((await b.toArray()) as Float32Array));
  });
});
