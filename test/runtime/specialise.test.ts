import { describe, expect, it } from 'vitest';
import { shaderCode, specialise } from '../../src/runtime/specialise.js';
import { SHADERS } from '../../src/runtime/shaders.gen.js';

describe('specialise: constants written into the shader text', () => {
  it('splits marked constants from overrides and keys the module by their values', () => {
    const s = specialise('attention', 'test', { WGF: 8, R: 8, MAXR: 8, MAXV: 6 });
    expect(s.text).toEqual({ MAXR: 8, MAXV: 6 });
    expect(s.overrides).toEqual({ WGF: 8, R: 8 });
    expect(s.moduleKey).toBe('attention|MAXR=8,MAXV=6');
    expect(specialise('attention', 'test', { MAXR: 2, MAXV: 6 }).moduleKey).not.toBe(s.moduleKey);
    expect(specialise('attention', 'test', { MAXR: 2, MAXV: 6 }).overrides).toBeUndefined();
  });

  it('leaves shaders without marked constants alone', () => {
    const s = specialise('matmul', 'test', { WG: 8 });
    expect(s).toEqual({ moduleKey: 'matmul', overrides: { WG: 8 }, text: {} });
  });

  it('rewrites exactly the marked lines', () => {
    const code = shaderCode('attention', 'test', { MAXR: 4, MAXV: 6 });
    expect(code).toContain('const MAXR: u32 = 4u;');
    expect(code).toContain('const MAXV: u32 = 6u;');
    expect(code).not.toContain('@specialised\nconst');
    const plain = shaderCode('attention', 'test');
    expect(plain.endsWith(SHADERS['attention']!)).toBe(true);
    expect(() => shaderCode('attention', 'test', { MAXR: 2.5 })).toThrow(/MAXR.*integer/);
    expect(() => specialise('nope', 'myop')).toThrow(/myop.*nope/);
  });
});
