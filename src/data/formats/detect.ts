// Format auto-detection from the files present, and one entry point that loads any format.
import { DataError } from '../errors.js';
import type { FileTree } from './files.js';
import { loadAffectnet, AFFECTNET_FILES } from './affectnet.js';
import { findFer2013Csv, loadFer2013 } from './fer2013.js';
import { FERPLUS_CSV, hasFerplusFolders, loadFerplus } from './ferplus.js';
import { loadFolder, looksLikeClassFolders } from './folder.js';
import { loadRaf, rafListPath } from './raf.js';
import type { FormatName, LoadOptions, LoadedDataset } from './types.js';

/** Most specific first: FERPlus contains a FER2013 CSV, and any layout may hold class-like folder names. */
export function detectFormat(tree: FileTree): FormatName | undefined {
  if (rafListPath(tree)) return 'raf';
  if (tree.has(FERPLUS_CSV) || hasFerplusFolders(tree)) return 'ferplus';
  if (Object.values(AFFECTNET_FILES).some((f) => tree.has(f as string))) return 'affectnet';
  if (findFer2013Csv(tree)) return 'fer2013';
  if (looksLikeClassFolders(tree)) return 'folder';
  return undefined;
}

export function loadDataset(tree: FileTree, opt: LoadOptions, format: FormatName | undefined = detectFormat(tree)): LoadedDataset {
  switch (format) {
    case 'raf':
      return loadRaf(tree, opt);
    case 'fer2013':
      return loadFer2013(tree, opt);
    case 'ferplus':
      return loadFerplus(tree, opt);
    case 'affectnet':
      return loadAffectnet(tree, opt);
    case 'folder':
      return loadFolder(tree, opt);
    case undefined:
      throw new DataError('.', undefined, 'unrecognised dataset layout: expected RAF-DB (EmoLabel/list_patition_label.txt), FER2013 (csv with emotion,pixels), FERPlus (fer2013new.csv or FER2013Train/label.csv), AffectNet (training.csv / validation.csv) or class-named folders');
  }
}
