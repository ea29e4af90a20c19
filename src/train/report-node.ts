// Writes a built report to a directory: figures first, report.md last, each atomically, so the
// markdown never links to a figure that is missing or half-written.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-node.js';
import { writePng } from './png-node.js';
import { buildReport, type ReportInput } from './report.js';
import type { Summary } from './metrics.js';

export interface WrittenReport {
  markdownPath: string;
  /** Paths of the PNGs (dir joined with the file name), in report order. */
  figurePaths: string[];
  summary?: Summary;
}

/** Renders the report and writes report.md plus loss/accuracy/confusion/embeddings PNGs into dir (created if needed). */
export function writeReport(dir: string, input: ReportInput): WrittenReport {
  const built = buildReport(input);
  mkdirSync(dir, { recursive: true });
  const figurePaths = built.figures.map((f) => {
    const p = join(dir, f.file);
    writePng(p, f.image);
    return p;
  });
  const markdownPath = join(dir, 'report.md');
  writeFileAtomic(markdownPath, built.markdown);
  return { markdownPath, figurePaths, summary: built.summary };
}
