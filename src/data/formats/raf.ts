// RAF-DB basic: EmoLabel/list_patition_label.txt ("train_00001.jpg 5", labels 1..7 in the order
// surprise, fear, disgust, happiness, sadness, anger, neutral) and Image/aligned/*_aligned.jpg.
import { DataError, guard } from '../errors.js';
import { RAF_TO_CANONICAL, invertTable } from '../labels.js';
import { toRgb } from '../image.js';
import type { FileSink, FileTree } from './files.js';
import { readText } from './files.js';
import type { ImageEncoders, LoadOptions, LoadedDataset, WritableSample } from './types.js';
import { SplitCollector, loadImage, mapLabel } from './types.js';

export const RAF_LIST = 'EmoLabel/list_patition_label.txt';
/** The spelling fixed in some redistributions. */
const RAF_LIST_ALT = 'EmoLabel/list_partition_label.txt';

export function rafListPath(tree: FileTree): string | undefined {
  return tree.has(RAF_LIST) ? RAF_LIST : tree.has(RAF_LIST_ALT) ? RAF_LIST_ALT : undefined;
}

export function loadRaf(tree: FileTree, opt: LoadOptions): LoadedDataset {
  const numClasses = opt.numClasses ?? 7;
  const out = new SplitCollector('raf', numClasses);
  const list = rafListPath(tree);
  if (!list) throw new DataError(RAF_LIST, undefined, 'missing RAF-DB label list');
  const lines = readText(tree, list).split(/\r?\n/);
  lines.forEach((text, i) => {
    const line = i + 1;
    if (text.trim() === '') return;
    guard(out.summary, !!opt.skipBad, () => {
      const m = /^\s*(\S+)\s+(\S+)\s*$/.exec(text);
      if (!m) throw new DataError(list, line, `expected "<image name> <label 1-7>", got "${text.trim()}"`);
      const name = m[1] as string;
      const raw = m[2] as string;
      const native = /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!(native >= 1 && native <= 7)) throw new DataError(list, line, `unknown label "${raw}" (expected 1..7)`);
      const split = name.startsWith('train') ? 'train' : name.startsWith('test') ? 'test' : undefined;
      if (!split) throw new DataError(list, line, `image name "${name}" should start with train_ or test_`);
      const stem = name.replace(/\.[^.]+$/, '');
      const aligned = `Image/aligned/${stem}_aligned.jpg`;
      const original = `Image/original/${name}`;
      const path = tree.has(aligned) || !tree.has(original) ? aligned : original;
      const image = loadImage(tree, path, opt.decode, { file: list, line });
      const label = mapLabel(RAF_TO_CANONICAL, native - 1, numClasses) as number;
      out.add(split, { image, label, cleanLabel: label });
    });
  });
  return out.result();
}

const CANONICAL_TO_RAF = invertTable(RAF_TO_CANONICAL);

/** Writes train and test (validation samples go to test: RAF-DB has no validation split). */
export function writeRaf(samples: readonly WritableSample[], sink: FileSink, enc: ImageEncoders, quality = 95): number {
  const lines: string[] = [];
  const counters = { train: 0, test: 0 };
  let written = 0;
  for (const { split, sample } of samples) {
    const native = CANONICAL_TO_RAF[sample.label];
    if (native === undefined || native < 0) continue; // contempt is not a RAF-DB basic class
    const part = split === 'train' ? 'train' : 'test';
    counters[part]++;
    const name = part === 'train' ? `train_${String(counters.train).padStart(5, '0')}` : `test_${String(counters.test).padStart(4, '0')}`;
    sink.write(`Image/aligned/${name}_aligned.jpg`, enc.encodeJpeg(toRgb(sample.image), quality));
    lines.push(`${name}.jpg ${native + 1}`);
    written++;
  }
  sink.write(RAF_LIST, lines.join('\n') + '\n');
  return written;
}
