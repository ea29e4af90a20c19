import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDataCommand } from '../../src/cli/data.js';
import type { CliIo } from '../../src/cli/data.js';
import { decodeImage } from '../../src/io/image/codec-node.js';
import { loadDirectory } from '../../src/data/dataset-node.js';

const root = mkdtempSync(join(tmpdir(), 'arbex-data-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function capture(): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l) };
}

describe('arbex data', () => {
  it('synth then inspect (fer2013, on disk)', async () => {
    const dir = join(root, 'fer');
    const io = capture();
    expect(await runDataCommand(['synth', '--out', dir, '--format', 'fer2013', '--n', '40', '--prior', 'raf', '--seed', '4'], io)).toBe(0);
    expect(io.lines.join('\n')).toMatch(/wrote 40 fer2013 samples \(32 train \/ 4 val \/ 4 test, 48px\)/);
    const ds = loadDirectory(dir);
    expect(ds.summary.loaded).toBe(40);
    // No temp files left behind by the atomic writes.
    expect(readdirSync(dir)).toEqual(['fer2013.csv']);

    const io2 = capture();
    expect(await runDataCommand(['inspect', dir, '--per-class', '3'], io2)).toBe(0);
    const text = io2.lines.join('\n');
    expect(text).toMatch(/format: fer2013/);
    const counts = new Array(7).fill(0);
    for (const split of ['train', 'val', 'test'] as const) for (const l of ds.splits[split]?.labels() ?? []) counts[l]++;
    const happyRow = io2.lines.find((l) => l.startsWith('1 happy'))!;
    expect(Number(happyRow.trim().split(/\s+/).pop())).toBe(counts[1]);
    expect(text).toMatch(/total\s+32\s+4\s+4\s+40/);
    const sheet = decodeImage(new Uint8Array(readFileSync(join(dir, 'contact-sheet.png'))), 'contact-sheet.png');
    expect(sheet.width).toBeGreaterThan(64);
  });

  it('synth is deterministic on disk (same seed → same bytes)', async () => {
    const a = join(root, 'fa'), b = join(root, 'fb');
    for (const d of [a, b]) expect(await runDataCommand(['synth', '--out', d, '--format', 'folder', '--n', '10', '--size', '32'], capture())).toBe(0);
    const files = (d: string): string[] => readdirSync(d, { recursive: true }).map(String).filter((f) => f.endsWith('.png')).sort();
    expect(files(a)).toEqual(files(b));
    for (const f of files(a)) expect(readFileSync(join(a, f)).equals(readFileSync(join(b, f)))).toBe(true);
  });

  it('inspect --landmarks on AffectNet and --skip-bad', async () => {
    const dir = join(root, 'aff');
    expect(await runDataCommand(['synth', '--out', dir, '--format', 'affectnet', '--n', '10', '--size', '48'], capture())).toBe(0);
    const io = capture();
    expect(await runDataCommand(['inspect', dir, '--landmarks', '--out', join(root, 'sheet.png')], io)).toBe(0);
    expect(existsSync(join(root, 'sheet.png'))).toBe(true);
    // Break one image: without --skip-bad inspect fails naming it, with it the summary counts it.
    const img = readdirSync(join(dir, 'Manually_Annotated_Images', '1'))[0]!;
    const p = join(dir, 'Manually_Annotated_Images', '1', img);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(p, Buffer.from('not an image'));
    const bad = capture();
    expect(await runDataCommand(['inspect', dir], bad)).toBe(1);
    expect(bad.errors.join('\n')).toMatch(new RegExp(`${img}.*not a PNG or JPEG`));
    const skip = capture();
    expect(await runDataCommand(['inspect', dir, '--skip-bad'], skip)).toBe(0);
    expect(skip.lines.join('\n')).toMatch(/loaded 9, skipped 1 bad/);
  });

  it('help and bad flags', async () => {
    const h = capture();
    expect(await runDataCommand(['--help'], h)).toBe(0);
    expect(h.lines.join('\n')).toMatch(/arbex data synth --out DIR --format FORMAT --n N/);
    const h2 = capture();
    expect(await runDataCommand(['synth', '--help'], h2)).toBe(0);
    const cases: [string[], RegExp][] = [
      [['synth', '--out', root, '--format', 'jpeg', '--n', '3'], /unknown --format "jpeg"/],
      [['synth', '--out', root, '--format', 'raf'], /--n N is required/],
      [['synth', '--out', root, '--format', 'raf', '--n', 'x'], /--n must be an integer/],
      [['synth', '--format', 'raf', '--n', '3'], /--out DIR is required/],
      [['synth', '--out', root, '--format', 'raf', '--n', '3', '--prior', 'zipf'], /unknown prior "zipf"/],
      [['synth', '--out', root, '--format', 'raf', '--n', '3', '--noise', 'sym:2'], /rate in \[0, 1\]/],
      [['synth', '--out', root, '--format', 'raf', '--n', '3', '--colour'], /unknown flag --colour/],
      [['inspect'], /needs a dataset folder/],
      [['inspect', join(root, 'nope')], /not a directory/],
      [['frobnicate'], /unknown data subcommand "frobnicate"/],
    ];
    for (const [args, pattern] of cases) {
      const io = capture();
      expect(await runDataCommand(args, io), args.join(' ')).toBe(2);
      expect(io.errors.join('\n')).toMatch(pattern);
    }
  });
});
