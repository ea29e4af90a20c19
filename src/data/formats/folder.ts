// Class-named folders: [split/]class/image.{png,jpg}. Split folders (train, val, test and their
// usual spellings) are optional; class folders accept the usual synonyms (see labels.ts).
import { DataError, guard } from '../errors.js';
import { CANONICAL_CLASSES, classFromName } from '../labels.js';
import type { Split } from '../synth/split.js';
import type { FileSink, FileTree } from './files.js';
import { isImagePath } from './files.js';
import type { ImageEncoders, LoadOptions, LoadedDataset, WritableSample } from './types.js';
import { SplitCollector, loadImage } from './types.js';

const SPLIT_NAMES: Record<string, Split> = {
  train: 'train', training: 'train',
  val: 'val', valid: 'val', validation: 'val', publictest: 'val', dev: 'val',
  test: 'test', testing: 'test', privatetest: 'test',
};

export function splitFromName(name: string): Split | undefined {
  return SPLIT_NAMES[name.toLowerCase().replace(/[^a-z]/g, '')];
}

/** True when some image sits in a folder whose name is an expression class. */
export function looksLikeClassFolders(tree: FileTree): boolean {
  return tree.list().some((p) => {
    const parts = p.split('/');
    return isImagePath(p) && parts.length >= 2 && classFromName(parts[parts.length - 2] as string) >= 0;
  });
}

export function loadFolder(tree: FileTree, opt: LoadOptions): LoadedDataset {
  const numClasses = opt.numClasses ?? 7;
  const out = new SplitCollector('folder', numClasses);
  for (const path of tree.list()) {
    // Images at the root (such as inspect's own contact sheet) belong to no class.
    if (!isImagePath(path) || !path.includes('/')) continue;
    guard(out.summary, !!opt.skipBad, () => {
      const parts = path.split('/');
      const folder = parts[parts.length - 2] as string;
      const label = classFromName(folder);
      if (label < 0) {
        throw new DataError(path, undefined, `unknown class folder "${folder}" (expected one of ${CANONICAL_CLASSES.join(', ')} or a synonym)`);
      }
      if (label >= numClasses) {
        out.summary.dropped++;
        return;
      }
      let split: Split = 'train';
      for (let i = parts.length - 3; i >= 0; i--) {
        const s = splitFromName(parts[i] as string);
        if (s) {
          split = s;
          break;
        }
      }
      const image = loadImage(tree, path, opt.decode);
      out.add(split, { image, label, cleanLabel: label });
    });
  }
  return out.result();
}

/** Writes split/class/NNNNNN.png (lossless, so loaders see exactly what was generated). */
export function writeFolder(samples: readonly WritableSample[], sink: FileSink, enc: ImageEncoders): number {
  samples.forEach(({ split, sample }, i) => {
    sink.write(`${split}/${CANONICAL_CLASSES[sample.label]}/${String(i).padStart(6, '0')}.png`, enc.encodePng(sample.image));
  });
  return samples.length;
}
