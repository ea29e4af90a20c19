// FER2013: one CSV with columns emotion (0..6: angry, disgust, fear, happy, sad, surprise,
// neutral), pixels (48×48 grey, space-separated) and Usage (Training / PublicTest / PrivateTest).
// The "icml_face_data.csv" variant has the header "emotion, Usage, pixels" with spaces, which the
// column lookup tolerates.
import { DataError, guard } from '../errors.js';
import { FER2013_TO_CANONICAL, invertTable } from '../labels.js';
import type { HostImage } from '../image.js';
import { resizeImage, toGray } from '../image.js';
import type { Split } from '../synth/split.js';
import type { FileSink, FileTree } from './files.js';
import { readText } from './files.js';
import type { Csv, CsvRow } from './csv.js';
import { formatCsv, intCell, optionalColumn, parseCsv, requireColumns } from './csv.js';
import type { LoadOptions, LoadedDataset, WritableSample } from './types.js';
import { SplitCollector, mapLabel } from './types.js';

export const FER_SIZE = 48;

/** CSV files at the root whose header has emotion and pixels. */
export function findFer2013Csv(tree: FileTree): string | undefined {
  const candidates = tree.list().filter((p) => !p.includes('/') && /\.csv$/i.test(p));
  const preferred = ['fer2013.csv', 'icml_face_data.csv'];
  candidates.sort((a, b) => (preferred.includes(b) ? 1 : 0) - (preferred.includes(a) ? 1 : 0));
  for (const p of candidates) {
    const head = new TextDecoder().decode(tree.read(p).subarray(0, 256)).split(/\r?\n/)[0] ?? '';
    const cols = head.split(',').map((c) => c.trim().toLowerCase());
    if (cols.includes('emotion') && cols.includes('pixels')) return p;
  }
  return undefined;
}

export function usageToSplit(usage: string): Split | undefined {
  const u = usage.trim().toLowerCase();
  if (u === 'training' || u === 'train') return 'train';
  if (u === 'publictest' || u === 'valid' || u === 'validation' || u === 'val') return 'val';
  if (u === 'privatetest' || u === 'test') return 'test';
  return undefined;
}

/** Parse one "pixels" cell into a 48×48 grey image. */
export function parsePixels(row: CsvRow, col: number, file: string): HostImage {
  const raw = (row.cells[col] ?? '').trim();
  const parts = raw.length ? raw.split(/\s+/) : [];
  // Every FER2013 face is 48×48; any other count (a square one included) means a damaged or
  // shifted row, which must not become a silently smaller image.
  const side = FER_SIZE;
  if (parts.length !== side * side) {
    throw new DataError(file, row.line, `column pixels: expected ${FER_SIZE * FER_SIZE} space-separated values (48×48 grey), got ${parts.length}`);
  }
  const data = new Uint8Array(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const v = Number(parts[i]);
    if (!(v >= 0 && v <= 255) || !Number.isInteger(v)) throw new DataError(file, row.line, `column pixels: value ${i + 1} is "${parts[i]}", expected an integer 0..255`);
    data[i] = v;
  }
  return { width: side, height: side, channels: 1, data };
}

export interface Fer2013Rows {
  csv: Csv;
  emotion: number;
  pixels: number;
  usage: number;
}

export function readFer2013Csv(tree: FileTree, file: string): Fer2013Rows {
  const csv = parseCsv(readText(tree, file), file);
  const [emotion, pixels] = requireColumns(csv, file, ['emotion', 'pixels']) as [number, number];
  return { csv, emotion, pixels, usage: optionalColumn(csv, 'Usage') };
}

export function loadFer2013(tree: FileTree, opt: LoadOptions, file = findFer2013Csv(tree)): LoadedDataset {
  const numClasses = opt.numClasses ?? 7;
  const out = new SplitCollector('fer2013', numClasses);
  if (!file) throw new DataError('fer2013.csv', undefined, 'no CSV with columns emotion, pixels found');
  const { csv, emotion, pixels, usage } = readFer2013Csv(tree, file);
  for (const row of csv.rows) {
    guard(out.summary, !!opt.skipBad, () => {
      const native = intCell(row, emotion, file, 'emotion');
      const label = mapLabel(FER2013_TO_CANONICAL, native, numClasses);
      if (label === undefined) throw new DataError(file, row.line, `unknown emotion ${native} (expected 0..6)`);
      const split = usage >= 0 ? usageToSplit(row.cells[usage] ?? '') : 'train';
      if (!split) throw new DataError(file, row.line, `unknown Usage "${row.cells[usage]}" (expected Training, PublicTest or PrivateTest)`);
      out.add(split, { image: parsePixels(row, pixels, file), label, cleanLabel: label });
    });
  }
  return out.result();
}

const CANONICAL_TO_FER = invertTable(FER2013_TO_CANONICAL);
export const SPLIT_TO_USAGE: Record<Split, string> = { train: 'Training', val: 'PublicTest', test: 'PrivateTest' };

/** 48×48 grey pixel string of an image. */
export function pixelsString(img: HostImage): string {
  const g = resizeImage(toGray(img), FER_SIZE, FER_SIZE);
  return Array.from(g.data).join(' ');
}

/** FER2013 emotion code for a canonical label (contempt, absent from FER2013, becomes neutral). */
export function ferEmotion(label: number): number {
  const n = CANONICAL_TO_FER[label];
  return n === undefined || n < 0 ? (CANONICAL_TO_FER[0] as number) : n;
}

export function writeFer2013(samples: readonly WritableSample[], sink: FileSink, file = 'fer2013.csv'): number {
  const rows = samples.map(({ split, sample }) => [ferEmotion(sample.label), pixelsString(sample.image), SPLIT_TO_USAGE[split]]);
  sink.write(file, formatCsv(['emotion', 'pixels', 'Usage'], rows));
  return rows.length;
}
