// Atomic file replacement: readers (and a crash mid-write) see either the old file or the
// complete new one, never a truncated mix. Write a temp file in the same directory (rename is
// only atomic within one filesystem), fsync it, then rename over the target.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Bytes or text in one piece, or chunks produced lazily (a failure mid-stream is handled too). */
export type FileData = string | Uint8Array | Iterable<string | Uint8Array>;

let counter = 0;

function tempPathFor(path: string): string {
  // pid + counter + random keeps concurrent writers (threads, processes) off each other's temp.
  const tag = `${process.pid}.${counter++}.${Math.random().toString(36).slice(2, 8)}`;
  return join(dirname(path), `.${basename(path)}.${tag}.tmp`);
}

function writeAll(fd: number, chunk: string | Uint8Array): void {
  const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
  let off = 0;
  while (off < buf.byteLength) off += writeSync(fd, buf, off, buf.byteLength - off);
}

/** Flush the directory entry so the rename itself survives a power cut (best effort: not on Windows). */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms cannot open or fsync directories; the data file itself is already synced.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Replaces `path` with `data` atomically. The directory must exist (a missing directory is
 * usually a wrong path, so it is not created silently). On any failure the temp file is
 * removed, the target is left as it was, and the error is rethrown.
 */
export function writeFileAtomic(path: string, data: FileData): void {
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, 'wx', 0o644); // 'wx': never clobber someone else's temp
  let closed = false;
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) writeAll(fd, data);
    else for (const chunk of data) writeAll(fd, chunk);
    fsyncSync(fd);
    closeSync(fd);
    closed = true;
    renameSync(tmp, path);
  } catch (e) {
    if (!closed) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the original error is the one worth reporting
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // the temp may not exist (e.g. rename succeeded partially on exotic filesystems)
    }
    throw e;
  }
  fsyncDir(dirname(path));
}

/**
 * JSON to `path` atomically. Serialises before touching the disk, so a value that cannot be
 * serialised (a BigInt, a cycle, a throwing toJSON) leaves no trace.
 */
export function writeJsonAtomic(path: string, value: unknown, indent = 2): void {
  const text = JSON.stringify(value, null, indent);
  if (text === undefined) throw new TypeError(`writeJsonAtomic: value for ${path} is not JSON-serialisable`);
  writeFileAtomic(path, text + '\n');
}
