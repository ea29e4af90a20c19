// FERPlus: ten crowd votes per FER2013 image over (neutral, happiness, surprise, sadness, anger,
// disgust, fear, contempt, unknown, NF). Two layouts exist:
//  - csv: fer2013new.csv (Usage, Image name, votes…) aligned row by row with fer2013.csv, which
//    holds the pixels; rows with an empty image name were removed by the FERPlus authors;
//  - folders: FER2013Train / FER2013Valid / FER2013Test, each with PNG images and a header-less
//    label.csv: "fer0000000.png,(0, 0, 48, 48),v0,…,v9".
// Labels are the majority vote or the vote distribution (soft labels).
import { DataError, guard } from '../errors.js';
import { CONTEMPT, FERPLUS_COLUMNS, FERPLUS_TO_CANONICAL, invertTable } from '../labels.js';
import type { NumClasses } from '../labels.js';
import { resizeImage, toGray } from '../image.js';
import type { Sample } from '../source.js';
import type { Split } from '../synth/split.js';
import type { FileSink, FileTree } from './files.js';
import { joinPath, readText } from './files.js';
import type { CsvRow } from './csv.js';
import { formatCsv, intCell, parseCsv, requireColumns } from './csv.js';
import { FER_SIZE, SPLIT_TO_USAGE, ferEmotion, findFer2013Csv, parsePixels, pixelsString, readFer2013Csv, usageToSplit } from './fer2013.js';
import type { ImageEncoders, LoadOptions, LoadedDataset, WritableSample } from './types.js';
import { SplitCollector, loadImage } from './types.js';

export const FERPLUS_CSV = 'fer2013new.csv';
export const FERPLUS_FOLDERS: Record<Split, string> = { train: 'FER2013Train', val: 'FER2013Valid', test: 'FER2013Test' };

export function hasFerplusFolders(tree: FileTree): boolean {
  return Object.values(FERPLUS_FOLDERS).some((d) => tree.has(`${d}/label.csv`));
}

/** Votes → label (and soft label), or undefined when the FERPlus policy drops the image. */
export function labelFromVotes(votes: readonly number[], numClasses: NumClasses, mode: 'majority' | 'probability'): { label: number; soft?: Float32Array } | undefined {
  const dist = new Float32Array(numClasses);
  let max = -1;
  let arg = -1;
  let ties = 0;
  let total = 0;
  for (let k = 0; k < FERPLUS_COLUMNS.length; k++) {
    const v = votes[k] ?? 0;
    const c = FERPLUS_TO_CANONICAL[k] as number;
    const counted = c >= 0 && c < numClasses;
    if (counted) {
      dist[c] = v;
      total += v;
    }
    if (v > max) {
      max = v;
      arg = counted ? c : -1;
      ties = 0;
    } else if (v === max) ties++;
  }
  // Majority: an image whose top vote is unknown / not-a-face / an excluded class, or is tied, is dropped.
  if (max <= 0 || total <= 0) return undefined;
  if (mode === 'majority') {
    if (arg < 0 || ties > 0) return undefined;
    return { label: arg };
  }
  for (let c = 0; c < numClasses; c++) dist[c] = (dist[c] as number) / total;
  let best = 0;
  for (let c = 1; c < numClasses; c++) if ((dist[c] as number) > (dist[best] as number)) best = c;
  return { label: best, soft: dist };
}

function parseVotes(row: CsvRow, first: number, file: string): number[] {
  const votes: number[] = [];
  for (let k = 0; k < FERPLUS_COLUMNS.length; k++) {
    const v = intCell(row, first + k, file, FERPLUS_COLUMNS[k] as string);
    if (v < 0) throw new DataError(file, row.line, `column ${FERPLUS_COLUMNS[k]}: negative vote count ${v}`);
    votes.push(v);
  }
  return votes;
}

function makeSample(image: Sample['image'], lab: { label: number; soft?: Float32Array }): Sample {
  const s: Sample = { image, label: lab.label, cleanLabel: lab.label };
  if (lab.soft) s.softLabel = lab.soft;
  return s;
}

export function loadFerplus(tree: FileTree, opt: LoadOptions): LoadedDataset {
  const numClasses = opt.numClasses ?? 7;
  const mode = opt.ferplusMode ?? 'majority';
  const out = new SplitCollector('ferplus', numClasses);
  const useFolders = opt.ferplusLayout === 'folders' || (opt.ferplusLayout !== 'csv' && !tree.has(FERPLUS_CSV));
  if (useFolders) {
    if (!hasFerplusFolders(tree)) throw new DataError(FERPLUS_CSV, undefined, 'missing FERPlus labels: expected fer2013new.csv (next to fer2013.csv) or FER2013Train|Valid|Test/label.csv');
    for (const split of ['train', 'val', 'test'] as const) {
      const dir = FERPLUS_FOLDERS[split];
      const file = `${dir}/label.csv`;
      if (!tree.has(file)) continue;
      const csv = parseCsv(readText(tree, file), file, false);
      for (const row of csv.rows) {
        guard(out.summary, !!opt.skipBad, () => {
          if (row.cells.length < 2 + FERPLUS_COLUMNS.length) {
            throw new DataError(file, row.line, `expected image name, face box and ${FERPLUS_COLUMNS.length} vote columns, got ${row.cells.length} columns`);
          }
          const votes = parseVotes(row, 2, file);
          const lab = labelFromVotes(votes, numClasses, mode);
          if (!lab) {
            out.summary.dropped++;
            return;
          }
          const image = loadImage(tree, joinPath(dir, (row.cells[0] ?? '').trim()), opt.decode, { file, line: row.line });
          out.add(split, makeSample(toGray(image), lab));
        });
      }
    }
    return out.result();
  }

  const ferFile = findFer2013Csv(tree);
  if (!ferFile) throw new DataError('fer2013.csv', undefined, 'FERPlus votes need fer2013.csv (the pixels) next to fer2013new.csv');
  const fer = readFer2013Csv(tree, ferFile);
  const csv = parseCsv(readText(tree, FERPLUS_CSV), FERPLUS_CSV);
  const cols = requireColumns(csv, FERPLUS_CSV, ['Usage', 'Image name', ...FERPLUS_COLUMNS]);
  const [usageCol, nameCol, firstVote] = cols as [number, number, number];
  if (csv.rows.length !== fer.csv.rows.length) {
    throw new DataError(FERPLUS_CSV, undefined, `has ${csv.rows.length} rows but ${ferFile} has ${fer.csv.rows.length}; they must align row by row`);
  }
  csv.rows.forEach((row, i) => {
    guard(out.summary, !!opt.skipBad, () => {
      if ((row.cells[nameCol] ?? '').trim() === '') {
        out.summary.dropped++; // removed by the FERPlus authors
        return;
      }
      const split = usageToSplit(row.cells[usageCol] ?? '');
      if (!split) throw new DataError(FERPLUS_CSV, row.line, `unknown Usage "${row.cells[usageCol]}" (expected Training, PublicTest or PrivateTest)`);
      const votes = parseVotes(row, firstVote, FERPLUS_CSV);
      const lab = labelFromVotes(votes, numClasses, mode);
      if (!lab) {
        out.summary.dropped++;
        return;
      }
      const ferRow = fer.csv.rows[i] as CsvRow;
      out.add(split, makeSample(parsePixels(ferRow, fer.pixels, ferFile), lab));
    });
  });
  return out.result();
}

const CANONICAL_TO_FERPLUS = invertTable(FERPLUS_TO_CANONICAL);

/**
 * Ten annotator votes whose strict majority is `label`; the minority votes go to the classes the
 * soft label favours (at most 4 of them, so the majority stays unambiguous).
 */
export function votesFor(sample: Sample): number[] {
  const votes = new Array<number>(FERPLUS_COLUMNS.length).fill(0);
  const label = sample.label;
  const soft = sample.softLabel;
  const others: number[] = [];
  if (soft) {
    for (let c = 0; c < soft.length; c++) if (c !== label) others.push(c);
    others.sort((a, b) => (soft[b] as number) - (soft[a] as number));
  }
  const minority = soft ? Math.min(4, Math.round(10 * (1 - (soft[label] ?? 1)))) : 0;
  const main = CANONICAL_TO_FERPLUS[label] as number;
  votes[main] = 10 - minority;
  for (let k = 0; k < minority; k++) {
    const c = others[k % 2] ?? CONTEMPT;
    const col = CANONICAL_TO_FERPLUS[c] as number;
    votes[col] = (votes[col] as number) + 1;
  }
  return votes;
}

export interface FerplusWriteOptions {
  layout?: 'csv' | 'folders' | 'both';
}

/** Writes fer2013.csv + fer2013new.csv and/or the FER2013Train/Valid/Test folders. */
export function writeFerplus(samples: readonly WritableSample[], sink: FileSink, enc: ImageEncoders, o: FerplusWriteOptions = {}): number {
  const layout = o.layout ?? 'both';
  if (layout !== 'folders') {
    const ferRows: (string | number)[][] = [];
    const newRows: (string | number)[][] = [];
    samples.forEach(({ split, sample }, i) => {
      ferRows.push([ferEmotion(sample.cleanLabel), pixelsString(sample.image), SPLIT_TO_USAGE[split]]);
      newRows.push([SPLIT_TO_USAGE[split], `fer${String(i).padStart(7, '0')}.png`, ...votesFor(sample)]);
    });
    sink.write('fer2013.csv', formatCsv(['emotion', 'pixels', 'Usage'], ferRows));
    sink.write(FERPLUS_CSV, formatCsv(['Usage', 'Image name', ...FERPLUS_COLUMNS], newRows));
  }
  if (layout !== 'csv') {
    const lines: Record<Split, (string | number)[][]> = { train: [], val: [], test: [] };
    samples.forEach(({ split, sample }, i) => {
      const name = `fer${String(i).padStart(7, '0')}.png`;
      const img = resizeImage(toGray(sample.image), FER_SIZE, FER_SIZE);
      sink.write(`${FERPLUS_FOLDERS[split]}/${name}`, enc.encodePng(img));
      lines[split].push([name, `(0, 0, ${img.width}, ${img.height})`, ...votesFor(sample)]);
    });
    for (const split of ['train', 'val', 'test'] as const) {
      if (lines[split].length > 0) sink.write(`${FERPLUS_FOLDERS[split]}/label.csv`, formatCsv(undefined, lines[split]));
    }
  }
  return samples.length;
}
