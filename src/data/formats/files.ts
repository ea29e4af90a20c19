// File access for format parsers and writers, kept abstract so the parsers run anywhere (the
// Node implementation is fs-node.ts; tests and browsers use MemoryFiles).
import { DataError } from '../errors.js';

export interface FileTree {
  /** Every file, as a relative '/'-separated path. */
  list(): readonly string[];
  has(path: string): boolean;
  /** Bytes of a file; throws DataError naming the path when it is missing. */
  read(path: string): Uint8Array;
}

export interface FileSink {
  write(path: string, data: Uint8Array | string): void;
}

const utf8 = new TextDecoder('utf-8');
const utf8Enc = new TextEncoder();

export function readText(tree: FileTree, path: string): string {
  return utf8.decode(tree.read(path));
}

/** An in-memory file tree, both readable and writable. */
export class MemoryFiles implements FileTree, FileSink {
  readonly files = new Map<string, Uint8Array>();

  write(path: string, data: Uint8Array | string): void {
    this.files.set(normalisePath(path), typeof data === 'string' ? utf8Enc.encode(data) : data);
  }

  list(): readonly string[] {
    return [...this.files.keys()].sort();
  }

  has(path: string): boolean {
    return this.files.has(normalisePath(path));
  }

  read(path: string): Uint8Array {
    const f = this.files.get(normalisePath(path));
    if (!f) throw new DataError(path, undefined, 'missing file');
    return f;
  }

  delete(path: string): void {
    this.files.delete(normalisePath(path));
  }
}

export function normalisePath(p: string): string {
  return p.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+/g, '/');
}

export function joinPath(...parts: string[]): string {
  return normalisePath(parts.filter((p) => p.length > 0).join('/'));
}

export function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

export function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

export function isImagePath(p: string): boolean {
  return /\.(png|jpe?g)$/i.test(p);
}
