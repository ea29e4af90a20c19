import { describe, expect, it } from 'vitest';
import { nodeCodec } from '../../src/io/image/codec-node.js';
import { MemoryFiles, readText } from '../../src/data/formats/files.js';
import { detectFormat, loadDataset } from '../../src/data/formats/detect.js';
import { writeDataset, NATIVE_SIZE } from '../../src/data/formats/write.js';
import type { FormatName, LoadOptions, WritableSample } from '../../src/data/formats/types.js';
import { generateSample, synthConfig } from '../../src/data/synth/generator.js';
import { parseNoise } from '../../src/data/synth/label-noise.js';
import { resizeImage, toGray } from '../../src/data/image.js';
import type { HostImage } from '../../src/data/image.js';
import type { Split } from '../../src/data/synth/split.js';
import { CANONICAL_CLASSES } from '../../src/data/labels.js';

const opts: LoadOptions = { decode: nodeCodec.decode };

function samples(format: FormatName, n = 28): WritableSample[] {
  const cfg = synthConfig({ seed: 3, size: NATIVE_SIZE[format], noise: parseNoise('sym:0.3') });
  const out: WritableSample[] = [];
  const splits: Split[] = ['train', 'val', 'test'];
  for (let i = 0; i < n; i++) {
    const split = splits[i % 3]!;
    out.push({ split, sample: generateSample(cfg, split, i) });
  }
  return out;
}

function meanAbsDiff(a: HostImage, b: HostImage): number {
  expect([a.width, a.height, a.channels]).toEqual([b.width, b.height, b.channels]);
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += Math.abs(a.data[i]! - b.data[i]!);
  return s / a.data.length;
}

/** Which loaded split each written split ends up in, per format. */
const SPLIT_MAP: Record<FormatName, Record<Split, Split>> = {
  raf: { train: 'train', val: 'test', test: 'test' },
  fer2013: { train: 'train', val: 'val', test: 'test' },
  ferplus: { train: 'train', val: 'val', test: 'test' },
  affectnet: { train: 'train', val: 'val', test: 'val' },
  folder: { train: 'train', val: 'val', test: 'test' },
};

function roundTrip(format: FormatName, load: Partial<LoadOptions> = {}, tolerance = 4) {
  const written = samples(format);
  const files = new MemoryFiles();
  writeDataset(format, written, files, nodeCodec, 1);
  expect(detectFormat(files)).toBe(format);
  const ds = loadDataset(files, { ...opts, ...load });
  expect(ds.format).toBe(format);
  expect(ds.summary.skipped).toBe(0);
  expect(ds.summary.loaded).toBe(written.length);
  // Writers keep order within a split.
  const bySplit: Record<Split, WritableSample[]> = { train: [], val: [], test: [] };
  for (const w of written) bySplit[SPLIT_MAP[format][w.split]].push(w);
  if (format === 'folder') {
    // The folder loader lists files in path order: class name, then file number.
    const key = (w: WritableSample): string => `${CANONICAL_CLASSES[w.sample.label]}/${String(written.indexOf(w)).padStart(6, '0')}`;
    for (const k of ['train', 'val', 'test'] as const) bySplit[k].sort((a, b) => (key(a) < key(b) ? -1 : 1));
  }
  for (const split of ['train', 'val', 'test'] as const) {
    const want = bySplit[split];
    const got = ds.splits[split];
    if (want.length === 0) { expect(got).toBeUndefined(); continue; }
    expect(got!.length).toBe(want.length);
    want.forEach((w, i) => {
      const s = got!.get(i);
      expect(s.label, `${split} ${i}`).toBe(w.sample.label);
      const ref = format === 'fer2013' || format === 'ferplus' ? resizeImage(toGray(w.sample.image), 48, 48) : w.sample.image;
      expect(meanAbsDiff(s.image, ref)).toBeLessThanOrEqual(tolerance);
    });
  }
  return { written, files, ds };
}

describe('format round trips (write → detect → load)', () => {
  it('RAF-DB', () => {
    const { written, files } = roundTrip('raf');
    // Native label text: RAF's 1..7 order is surprise, fear, disgust, happiness, sadness, anger, neutral.
    const rafCode = [7, 4, 5, 1, 2, 3, 6];
    const lines = readText(files, 'EmoLabel/list_patition_label.txt').trim().split('\n');
    expect(lines[0]).toBe(`train_00001.jpg ${rafCode[written[0]!.sample.label]}`);
    expect(files.has('Image/aligned/train_00001_aligned.jpg')).toBe(true);
  });

  it('FER2013 (exact pixels), and the icml variant with spaces in the header', () => {
    const { written, files } = roundTrip('fer2013', {}, 0);
    const text = readText(files, 'fer2013.csv');
    const ferCode = [6, 3, 4, 5, 2, 1, 0]; // canonical → angry, disgust, fear, happy, sad, surprise, neutral
    const first = text.split('\n')[1]!.split(',');
    expect(Number(first[0])).toBe(ferCode[written[0]!.sample.label]);
    expect(first[2]).toBe('Training');
    // Re-order the columns as "emotion, Usage, pixels" (icml_face_data.csv).
    const rows = text.trim().split('\n').slice(1).map((l) => l.split(','));
    const variant = new MemoryFiles();
    variant.write('icml_face_data.csv', 'emotion, Usage, pixels\n' + rows.map((r) => `${r[0]}, ${r[2]},${r[1]}`).join('\n') + '\n');
    const ds = loadDataset(variant, opts);
    expect(ds.format).toBe('fer2013');
    expect(ds.summary.loaded).toBe(written.length);
    expect(ds.splits.train!.get(0).label).toBe(written[0]!.sample.label);
  });

  it('FERPlus csv layout, majority and probability modes', () => {
    const { written, files } = roundTrip('ferplus', { ferplusLayout: 'csv' }, 0);
    const prob = loadDataset(files, { ...opts, ferplusLayout: 'csv', ferplusMode: 'probability' });
    const s = prob.splits.train!.get(0);
    expect(s.softLabel).toBeDefined();
    let sum = 0;
    for (const v of s.softLabel!) sum += v;
    expect(sum).toBeCloseTo(1, 5);
    expect(s.label).toBe(written[0]!.sample.label);
    expect(s.softLabel![s.label]).toBeGreaterThan(0.5);
    // The votes file names the happiness column second: a happy sample's majority is there.
    const header = readText(files, 'fer2013new.csv').split('\n')[0];
    expect(header).toBe('Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF');
  });

  it('FERPlus folder layout (label.csv per split)', () => {
    const { files } = roundTrip('ferplus', { ferplusLayout: 'folders' }, 0);
    expect(files.has('FER2013Train/label.csv')).toBe(true);
    expect(readText(files, 'FER2013Train/label.csv').split('\n')[0]).toMatch(/^fer0000000\.png,"\(0, 0, 48, 48\)",(\d+,){9}\d+$/);
    // Folders alone are detected too.
    for (const p of ['fer2013.csv', 'fer2013new.csv']) files.delete(p);
    expect(detectFormat(files)).toBe('ferplus');
    expect(loadDataset(files, opts).summary.loaded).toBe(28);
  });

  it('AffectNet: face box crop and landmarks', () => {
    const { written, ds, files } = roundTrip('affectnet');
    const w = written[0]!.sample;
    const s = ds.splits.train!.get(0);
    for (let k = 0; k < 136; k++) expect(Math.abs(s.landmarks![k]! - w.landmarks![k]!)).toBeLessThan(0.01);
    const header = readText(files, 'training.csv').split('\n')[0];
    expect(header).toBe('subDirectory_filePath,face_x,face_y,face_width,face_height,facial_landmarks,expression,valence,arousal');
  });

  it('AffectNet drops none/uncertain/non-face and contempt (7 classes)', () => {
    const files = new MemoryFiles();
    writeDataset('affectnet', samples('affectnet', 4).map((x) => ({ ...x, split: 'train' as const })), files, nodeCodec);
    const lines = readText(files, 'training.csv').trim().split('\n');
    // Replace the expression of rows 2..4 with 8 (none), 10 (non-face) and 7 (contempt).
    const patched = lines.map((l, i) => {
      if (i < 2) return l;
      const cells = l.split(',');
      cells[6] = ['8', '10', '7'][i - 2]!;
      return cells.join(',');
    });
    files.write('training.csv', patched.join('\n') + '\n');
    const ds7 = loadDataset(files, opts);
    expect(ds7.summary.loaded).toBe(1);
    expect(ds7.summary.dropped).toBe(3);
    const ds8 = loadDataset(files, { ...opts, numClasses: 8 });
    expect(ds8.summary.loaded).toBe(2);
    expect(ds8.splits.train!.get(1).label).toBe(7);
  });

  it('class folders (PNG, lossless) and synonyms', () => {
    roundTrip('folder', {}, 0);
    const img = nodeCodec.encodePng({ width: 4, height: 4, channels: 3, data: new Uint8Array(48).fill(90) });
    const files = new MemoryFiles();
    const names: [string, number][] = [['Happiness', 1], ['angry', 6], ['surprised', 3], ['afraid', 4], ['disgusted', 5], ['calm', 0], ['sadness', 2]];
    for (const [n] of names) files.write(`Training/${n}/a.png`, img);
    files.write('PrivateTest/joy/b.png', img);
    const ds = loadDataset(files, opts);
    expect(ds.format).toBe('folder');
    expect(Array.from(ds.splits.train!.labels()).sort()).toEqual(names.map((x) => x[1]).sort());
    expect(Array.from(ds.splits.test!.labels())).toEqual([1]);
  });
});
