// JSON-lines log of a training run: one object per line, appended, so a crashed run still leaves
// every line written before the crash and tools can tail or parse it line by line.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from './atomic-node.js';

export class JsonlLogger {
  private fd: number | null;

  /** Opens `path` for appending, creating parent directories. */
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
  }

  /**
   * Appends one line. The line is serialised first (a throwing value writes nothing) and then
   * written with a synchronous write, so it is in the OS before log() returns; it is not fsynced
   * per line (that would cost milliseconds per step), only on close().
   * Non-finite numbers become null, as JSON has no NaN.
   */
  log(obj: Record<string, unknown>): void {
    if (this.fd === null) throw new Error(`JsonlLogger: ${this.path} is closed`);
    const line = JSON.stringify(obj);
    // Undefined when a toJSON() returns undefined; compact JSON never contains a raw newline.
    if (line === undefined) throw new TypeError('JsonlLogger: value does not serialise to JSON');
    const buf = Buffer.from(line + '\n', 'utf8');
    let off = 0;
    while (off < buf.byteLength) off += writeSync(this.fd, buf, off, buf.byteLength - off);
  }

  /** Flushes to disk and closes; safe to call twice. */
  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Cuts a JSON-lines log back to the lines `keep` accepts (atomically), before a resumed run
 * appends to it: the lines a killed run wrote after its last checkpoint would otherwise appear
 * twice. A final line without its newline (the process died inside the write) is dropped;
 * other lines that do not parse are kept as they are (they are not ours to judge). Returns the
 * number of lines removed; a missing file is left missing.
 */
export function cutLog(path: string, keep: (entry: Record<string, unknown>) => boolean): number {
  if (!existsSync(path)) return 0;
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const partial = lines.pop() ?? ''; // '' when the file ends with a newline
  const kept = lines.filter((l) => {
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch {
      return true;
    }
    return v === null || typeof v !== 'object' || Array.isArray(v) || keep(v as Record<string, unknown>);
  });
  const removed = lines.length - kept.length + (partial === '' ? 0 : 1);
  if (removed > 0) writeFileAtomic(path, kept.map((l) => l + '\n').join(''));
  return removed;
}
