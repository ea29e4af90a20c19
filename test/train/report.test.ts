import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pngjs from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildReport, duration, flattenConfig, num, pct, type EpochRecord, type ReportInput } from '../../src/train/report.js';
import { writeReport } from '../../src/train/report-node.js';
import { Rng } from '../helpers/random.js';

const root = mkdtempSync(join(tmpdir(), 'report-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const classNames = ['neutral', 'happy', 'sad'];

function fabricate(): ReportInput {
  const history: EpochRecord[] = [1, 2, 3, 4].map((e) => ({
    epoch: e,
    trainLoss: 1.5 / e,
    trainAcc: 0.5 + 0.1 * e,
    valLoss: 1.6 / e + 0.05,
    valAcc: [0.55, 0.71, 0.68, 0.7][e - 1]!,
    valF1: [0.5, 0.6, 0.66, 0.64][e - 1]!,
    lr: 1e-3 / e,
    seconds: 30,
  }));
  const rng = new Rng(1);
  const dim = 16;
  const labels = Int32Array.from({ length: 90 }, (_, i) => i % 3);
  const data = new Float32Array(90 * dim);
  for (let i = 0; i < 90; i++) for (let d = 0; d < dim; d++) data[i * dim + d] = (d === labels[i]! ? 5 : 0) + 0.3 * rng.normal();
  const anchors = new Float32Array(3 * 2 * dim); // C = 3, K = 2
  for (let c = 0; c < 3; c++) for (let k = 0; k < 2; k++) anchors[(c * 2 + k) * dim + c] = 5;
  return {
    title: 'ARBEx tiny on synth',
    classNames,
    config: { model: { name: 'tiny', dim: 16 }, optim: { lr: 1e-3, betas: [0.9, 0.999] }, seed: 7, data: 'synth|v1' },
    history,
    stepLosses: Array.from({ length: 40 }, (_, i) => 1.6 * Math.exp(-i / 15) + 0.1 * rng.next()),
    datasetCounts: { train: [300, 200, 100], val: [30, 20, 10] },
    // The worked example from metrics.test.ts: accuracy 2/3, macro-F1 23/36, per-class 2/3, 1/2, 3/4.
    test: { pred: [0, 0, 1, 1, 2, 2, 2, 0, 2], truth: [0, 0, 0, 1, 1, 2, 2, 2, 2] },
    embeddings: { data, dim, labels },
    anchors,
    timing: { imagesSeen: 2400 },
    notes: { device: 'lavapipe', resumed: false },
    date: '2026-11-28',
  };
}

describe('formatting helpers', () => {
  it('formats percentages, numbers, durations and nested config', () => {
    expect(pct(2 / 3)).toBe('66.67%');
    expect(pct(null)).toBe('n/a');
    expect(pct(NaN)).toBe('n/a');
    expect(num(1.23456)).toBe('1.235');
    expect(num(0.0001)).toBe('1e-4');
    expect(num(3.3333e-4)).toBe('3.333e-4');
    expect(num(123456)).toBe('1.235e+5');
    expect(num(undefined)).toBe('n/a');
    expect(duration(12.34)).toBe('12.3s');
    expect(duration(245)).toBe('4m 05s');
    expect(duration(3723)).toBe('1h 02m 03s');
    expect(flattenConfig({ a: { b: 1, c: 'x' }, d: [1, 2], e: Int32Array.from([3]) })).toEqual([
      ['a.b', '1'],
      ['a.c', 'x'],
      ['d', '[1,2]'],
      ['e', '[3]'],
    ]);
  });
});

describe('report', () => {
  it('writes report.md with the numbers and links, and PNGs that decode', () => {
    const dir = join(root, 'full', 'nested');
    const out = writeReport(dir, fabricate());
    expect(out.markdownPath).toBe(join(dir, 'report.md'));
    expect(readdirSync(dir).sort()).toEqual(['accuracy.png', 'confusion.png', 'embeddings.png', 'loss.png', 'report.md']);
    const md = readFileSync(out.markdownPath, 'utf8');
    expect(md.startsWith('# ARBEx tiny on synth\n')).toBe(true);
    expect(md).toContain('| Test accuracy | 66.67% |');
    expect(md).toContain('| Test macro-F1 | 63.89% |'); // 23/36
    expect(md).toContain('| Final validation accuracy (epoch 4) | 70.00% |');
    expect(md).toContain('| Best validation accuracy (epoch 2) | 71.00% |');
    expect(md).toContain('| Best validation macro-F1 (epoch 3) | 66.00% |');
    expect(md).toContain('| Training time | 2m 00s |'); // 4 × 30 s
    expect(md).toContain('| Throughput | 20.0 img/s (2400 images) |');
    // Per-class table: support, accuracy, precision, recall, F1.
    expect(md).toContain('| neutral | 3 | 66.67% | 66.67% | 66.67% | 66.67% |');
    expect(md).toContain('| happy | 2 | 50.00% | 50.00% | 50.00% | 50.00% |');
    expect(md).toContain('| sad | 4 | 75.00% | 75.00% | 75.00% | 75.00% |');
    expect(md).toContain('| neutral | 2 | 1 | 0 |'); // confusion counts row
    // Dataset counts, with the test split derived from the labels.
    expect(md).toMatch(/\| Class \| train \| val \| test \|/);
    expect(md).toContain('| neutral | 300 | 30 | 3 |');
    expect(md).toContain('| **total** | 600 | 60 | 9 |');
    for (const f of ['loss.png', 'accuracy.png', 'confusion.png', 'embeddings.png']) expect(md).toMatch(new RegExp(`!\\[[^\\]]+\\]\\(${f.replace('.', '\\.')}\\)`));
    expect(md).toContain('| model.name | tiny |');
    expect(md).toContain('| optim.betas | [0.9,0.999] |');
    expect(md).toContain('| data | synth\\|v1 |'); // pipes escaped inside table cells
    expect(md).toContain('| device | lavapipe |');
    expect(md).toContain('| 2 | 0.75 | 70.00% | 0.85 | 71.00% | 60.00% | 5e-4 | 30.0s |');
    expect(md).not.toMatch(/NaN|undefined|null/);
    for (const p of out.figurePaths) {
      const png = pngjs.PNG.sync.read(readFileSync(p));
      expect(png.width).toBeGreaterThan(100);
      expect(png.height).toBeGreaterThan(100);
    }
    expect(out.summary?.accuracy).toBeCloseTo(2 / 3, 12);
  });

  it('leaves out what was not given and never prints NaN', () => {
    const input: ReportInput = {
      title: 'minimal',
      classNames,
      history: [{ epoch: 0, trainLoss: 1, trainAcc: 0.4, lr: 0.1, seconds: 5 }],
    };
    const dir = join(root, 'minimal');
    writeReport(dir, input);
    expect(readdirSync(dir).sort()).toEqual(['accuracy.png', 'loss.png', 'report.md']);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).not.toMatch(/validation|Per-class|Throughput|NaN/);
    expect(md).toContain('| 0 | 1 | 40.00% | n/a | n/a | n/a | 0.1 | 5.0s |');
  });

  it('rejects anchors that are not C·K rows and embeddings of the wrong size', () => {
    const bad = fabricate();
    bad.anchors = new Float32Array(16 * 4); // 4 rows for 3 classes
    expect(() => buildReport(bad)).toThrow(/C·K rows/);
    const bad2 = fabricate();
    bad2.embeddings = { data: new Float32Array(10), dim: 16, labels: [0] };
    expect(() => buildReport(bad2)).toThrow(/10 values for 1 labels/);
  });

  it('subsamples large embedding sets before PCA', () => {
    const input = fabricate();
    input.maxEmbeddingPoints = 30;
    const built = buildReport(input);
    const fig = built.figures.find((f) => f.file === 'embeddings.png');
    expect(fig?.caption).toBe('Embeddings (PCA, 30 of 90 points)');
    expect(existsSync(root)).toBe(true);
  });
});
