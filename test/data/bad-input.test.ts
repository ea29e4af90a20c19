import { describe, expect, it } from 'vitest';
import { nodeCodec } from '../../src/io/image/codec-node.js';
import { MemoryFiles, readText } from '../../src/data/formats/files.js';
import { loadDataset } from '../../src/data/formats/detect.js';
import { writeDataset } from '../../src/data/formats/write.js';
import type { LoadOptions, WritableSample } from '../../src/data/formats/types.js';
import { DataError } from '../../src/data/errors.js';
import { generateSample, synthConfig } from '../../src/data/synth/generator.js';

const opts: LoadOptions = { decode: nodeCodec.decode };

function written(format: 'raf' | 'folder' | 'fer2013' | 'affectnet', n = 6): MemoryFiles {
  const cfg = synthConfig({ seed: 8, size: format === 'fer2013' ? 48 : 40 });
  const s: WritableSample[] = Array.from({ length: n }, (_, i) => ({ split: 'train' as const, sample: generateSample(cfg, 'train', i) }));
  const files = new MemoryFiles();
  writeDataset(format, s, files, nodeCodec);
  return files;
}

function expectError(fn: () => unknown, pattern: RegExp): DataError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    expect((e as Error).message).toMatch(pattern);
    return e as DataError;
  }
  throw new Error('expected a DataError');
}

describe('bad input', () => {
  it('truncated JPEG: error names the image; skipBad counts it', () => {
    const files = written('raf');
    const path = 'Image/aligned/train_00003_aligned.jpg';
    const bytes = files.read(path);
    files.write(path, bytes.slice(0, bytes.length >> 1));
    expectError(() => loadDataset(files, opts), /train_00003_aligned\.jpg.*truncated JPEG/);
    const ds = loadDataset(files, { ...opts, skipBad: true });
    expect(ds.summary).toMatchObject({ loaded: 5, skipped: 1 });
    expect(ds.summary.reasons[0]!.file).toBe(path);
  });

  it('corrupt PNG in a class folder', () => {
    const files = written('folder');
    const path = files.list().find((p) => p.endsWith('.png'))!;
    const bytes = files.read(path).slice();
    for (let i = 33; i < bytes.length; i++) bytes[i] = 0x41;
    files.write(path, bytes);
    expectError(() => loadDataset(files, opts), new RegExp(`${path.replace(/[./]/g, '\\$&')}.*PNG`));
    expect(loadDataset(files, { ...opts, skipBad: true }).summary).toMatchObject({ loaded: 5, skipped: 1 });
  });

  it('missing image: error names the list file, line and missing path', () => {
    const files = written('raf');
    files.delete('Image/aligned/train_00002_aligned.jpg');
    const e = expectError(() => loadDataset(files, opts), /list_patition_label\.txt:2: missing image file Image\/aligned\/train_00002_aligned\.jpg/);
    expect(e.line).toBe(2);
    const ds = loadDataset(files, { ...opts, skipBad: true });
    expect(ds.summary).toMatchObject({ loaded: 5, skipped: 1 });
    expect(ds.summary.reasons[0]!.line).toBe(2);
  });

  it('unknown labels: RAF label 9, FER2013 emotion 7, unknown class folder', () => {
    const raf = written('raf');
    const list = readText(raf, 'EmoLabel/list_patition_label.txt').split('\n');
    list[3] = 'train_00004.jpg 9';
    raf.write('EmoLabel/list_patition_label.txt', list.join('\n'));
    expectError(() => loadDataset(raf, opts), /list_patition_label\.txt:4: unknown label "9" \(expected 1\.\.7\)/);
    expect(loadDataset(raf, { ...opts, skipBad: true }).summary.skipped).toBe(1);

    const fer = written('fer2013');
    const rows = readText(fer, 'fer2013.csv').split('\n');
    rows[2] = '7' + rows[2]!.slice(1);
    fer.write('fer2013.csv', rows.join('\n'));
    expectError(() => loadDataset(fer, opts), /fer2013\.csv:3: unknown emotion 7/);
    expect(loadDataset(fer, { ...opts, skipBad: true }).summary).toMatchObject({ loaded: 5, skipped: 1 });

    const folder = new MemoryFiles();
    const png = nodeCodec.encodePng({ width: 2, height: 2, channels: 1, data: new Uint8Array(4) });
    folder.write('train/happy/a.png', png);
    folder.write('train/bored/b.png', png);
    expectError(() => loadDataset(folder, opts), /train\/bored\/b\.png: unknown class folder "bored"/);
    expect(loadDataset(folder, { ...opts, skipBad: true }).summary).toMatchObject({ loaded: 1, skipped: 1 });
  });

  it('wrong CSV columns name the file, line 1 and what was expected', () => {
    const fer = new MemoryFiles();
    fer.write('fer2013.csv', 'emotion,pixels,Usage\n0,1 2 3 4,Training\n');
    const ferplus = new MemoryFiles();
    ferplus.write('fer2013.csv', 'emotion,pixels,Usage\n0,1 2 3 4,Training\n');
    ferplus.write('fer2013new.csv', 'Usage,Image name,neutral,happy\nTraining,fer0.png,1,9\n');
    expectError(() => loadDataset(ferplus, opts), /fer2013new\.csv:1: wrong CSV columns: missing happiness.*expected Usage, Image name, neutral, happiness/);
    const aff = written('affectnet', 2);
    const text = readText(aff, 'training.csv').replace('facial_landmarks', 'landmarks');
    aff.write('training.csv', text);
    expectError(() => loadDataset(aff, opts), /training\.csv:1: wrong CSV columns: missing facial_landmarks/);
    // Wrong value shapes inside rows name the line too.
    const short = new MemoryFiles();
    short.write('fer2013.csv', 'emotion,pixels,Usage\n0,1 2 3,Training\nx,1 2 3 4,Training\n');
    expectError(() => loadDataset(short, opts), /fer2013\.csv:2: column pixels: expected 2304/);
    const ds = loadDataset(short, { ...opts, skipBad: true });
    expect(ds.summary.skipped).toBe(2);
    expect(ds.summary.reasons.map((r) => r.line)).toEqual([2, 3]);
    expect(ds.summary.reasons[1]!.message).toMatch(/column emotion: expected an integer, got "x"/);
    void fer;
  });

  it('unrecognised layout', () => {
    const files = new MemoryFiles();
    files.write('notes.txt', 'hello');
    expectError(() => loadDataset(files, opts), /unrecognised dataset layout/);
  });
});
