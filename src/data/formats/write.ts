// One entry point for writing samples in any of the supported formats.
import type { FileSink } from './files.js';
import { writeAffectnet } from './affectnet.js';
import { writeFer2013 } from './fer2013.js';
import { writeFerplus } from './ferplus.js';
import { writeFolder } from './folder.js';
import { writeRaf } from './raf.js';
import type { FormatName, ImageEncoders, WritableSample } from './types.js';

export function writeDataset(format: FormatName, samples: readonly WritableSample[], sink: FileSink, enc: ImageEncoders, seed = 1): number {
  switch (format) {
    case 'raf':
      return writeRaf(samples, sink, enc);
    case 'fer2013':
      return writeFer2013(samples, sink);
    case 'ferplus':
      return writeFerplus(samples, sink, enc);
    case 'affectnet':
      return writeAffectnet(samples, sink, enc, seed);
    case 'folder':
      return writeFolder(samples, sink, enc);
  }
}

/** The image side each format's real data uses (RAF-DB aligned 100, FER 48, AffectNet/folders 112 here). */
export const NATIVE_SIZE: Record<FormatName, number> = { raf: 100, fer2013: 48, ferplus: 48, affectnet: 112, folder: 112 };
