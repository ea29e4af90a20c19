import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { generateSample, synthConfig } from '../../src/data/synth/generator.js';
import { encodePng } from '../../src/io/image/png-node.js';

let dir = '';
const logs: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'arbex-cli-'));
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void logs.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void logs.push(a.join(' ')));
  const code = await main(['train', '--epochs', '1', '--batch', '8', '--train-size', '16', '--val-size', '8', '--test-size', '8', '--out', join(dir, 'run'), '--quiet']);
  expect(code).toBe(0);
}, 300_000);

afterAll(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

describe('arbex commands', () => {
  it('train wrote checkpoints, the JSON-lines log and the report', () => {
    for (const f of ['best.safetensors', 'best.json', 'last.safetensors', 'last.optim.safetensors', 'train-log.jsonl', 'report.md', 'loss.png', 'confusion.png']) {
      expect(existsSync(join(dir, 'run', f)), f).toBe(true);
    }
    expect(readFileSync(join(dir, 'run', 'report.md'), 'utf8')).toMatch(/accuracy/i);
  });

  it('eval prints accuracy and per-class metrics; --json is machine-readable', async () => {
    logs.length = 0;
    expect(await main(['eval', '--checkpoint', join(dir, 'run'), '--json'])).toBe(0);
    const r = JSON.parse(logs.find((l) => l.startsWith('{'))!) as { n: number; accuracy: number; perClass: unknown[] };
    expect(r.n).toBe(8);
    expect(r.accuracy).toBeGreaterThanOrEqual(0);
    expect(r.perClass).toHaveLength(7);
  }, 120_000);

  it('predict gives top-3 with probabilities and writes the --explain picture', async () => {
    const s = generateSample(synthConfig({ size: 64, seed: 5 }), 'test', 0);
    const img = s.image;
    const png = join(dir, 'face.png');
    writeFileSync(png, encodePng(img));
    logs.length = 0;
    expect(await main(['predict', '--checkpoint', join(dir, 'run'), '--json', '--explain', png])).toBe(0);
    const r = JSON.parse(logs.find((l) => l.startsWith('{'))!) as { top: { class: string; probability: number }[]; confidence: number };
    expect(r.top).toHaveLength(3);
    expect(r.top[0]!.probability).toBeGreaterThanOrEqual(r.top[1]!.probability);
    // Under the run directory by default, never next to the input image (the user's dataset).
    expect(existsSync(join(dir, 'run', 'explain', 'face.explain.png'))).toBe(true);
    expect(existsSync(join(dir, 'face.explain.png'))).toBe(false);
    // --out puts it where the user says; two inputs with one base name get two files.
    mkdirSync(join(dir, 'other'));
    writeFileSync(join(dir, 'other', 'face.png'), encodePng(img));
    expect(await main(['predict', '--checkpoint', join(dir, 'run'), '--explain', '--out', join(dir, 'explained'), png, join(dir, 'other', 'face.png')])).toBe(0);
    expect(readdirSync(join(dir, 'explained')).sort()).toEqual(['face-2.explain.png', 'face.explain.png']);
    expect(readdirSync(join(dir, 'other'))).toEqual(['face.png']);
  }, 120_000);

  it('bad input: clear errors naming the file or option, non-zero exit', async () => {
    logs.length = 0;
    expect(await main(['predict', '--checkpoint', join(dir, 'run'), join(dir, 'missing.png')])).toBe(1);
    expect(logs.join('\n')).toMatch(/missing\.png: cannot read/);
    expect(await main(['eval'])).toBe(1);
    expect(logs.join('\n')).toMatch(/--checkpoint is required/);
    expect(await main(['train', '--epochs', 'x'])).toBe(1);
    expect(logs.join('\n')).toMatch(/--epochs expects a number/);
    expect(await main(['train', '--lambda-primary', '-1'])).toBe(1);
    expect(logs.join('\n')).toMatch(/--lambda-primary -1: expected a weight >= 0/);
    expect(await main(['train', '--anchor-space', 'cube'])).toBe(1);
    expect(logs.join('\n')).toMatch(/--anchor-space cube: expected one of euclidean, sphere/);
    expect(await main(['train', '--schedule', 'linear'])).toBe(1);
    expect(logs.join('\n')).toMatch(/--schedule linear: expected one of plateau, exponential, cosine, none/);
    expect(await main(['train', '--warmup', '10'])).toBe(1);
    expect(logs.join('\n')).toMatch(/--warmup 10: only with --schedule cosine/);
    expect(await main(['train', '--schedule', 'cosine', '--warmup', '2.5'])).toBe(1);
    expect(logs.join('\n')).toMatch(/--warmup 2.5: expected an integer number of steps >= 0/);
    expect(await main(['train', '--readout', 'mean'])).toBe(1);
    expect(logs.join('\n')).toMatch(/--readout mean: expected one of cls, flatten/);
    expect(await main(['train', '--optimizer', 'lbfgs'])).toBe(1);
    expect(logs.join('\n')).toMatch(/expected one of adam, adamw, sam/);
    expect(await main(['eval', '--checkpoint', join(dir, 'nowhere')])).toBe(1);
    expect(logs.join('\n')).toMatch(/no best\.json or last\.json/);
    expect(await main(['nope'])).toBe(2);
  }, 60_000);

  it('summary --json has the parameter and MAC totals', async () => {
    logs.length = 0;
    expect(await main(['summary', '--json'])).toBe(0);
    const s = JSON.parse(logs.find((l) => l.startsWith('{'))!) as Record<string, number>;
    expect(s.params_feature_extractor).toBeGreaterThan(0);
    expect(s.params_total).toBeGreaterThan(s.params_feature_extractor!);
    expect(s.macs).toBeGreaterThan(0);
  }, 60_000);
});
