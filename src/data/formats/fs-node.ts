// Node file-system implementations of FileTree and FileSink. Writes are atomic: each file is
// written to a temporary name in the same folder and renamed into place, so a crash never leaves
// a half-written image or CSV behind.
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { DataError } from '../errors.js';
import type { FileSink, FileTree } from './files.js';
import { normalisePath } from './files.js';

export class NodeFileTree implements FileTree {
  private listing: string[] | undefined;
  private readonly set = new Set<string>();

  constructor(readonly root: string) {
    if (!existsSync(root) || !statSync(root).isDirectory()) throw new DataError(root, undefined, 'not a directory');
  }

  list(): readonly string[] {
    if (!this.listing) {
      const out: string[] = [];
      const walk = (dir: string): void => {
        for (const e of readdirSync(dir, { withFileTypes: true })) {
          if (e.name.startsWith('.')) continue; // hidden files and our own temp files
          const full = join(dir, e.name);
          if (e.isDirectory()) walk(full);
          else if (e.isFile()) out.push(normalisePath(relative(this.root, full).split(sep).join('/')));
        }
      };
      walk(this.root);
      out.sort();
      this.listing = out;
      for (const p of out) this.set.add(p);
    }
    return this.listing;
  }

  has(path: string): boolean {
    this.list();
    return this.set.has(normalisePath(path));
  }

  read(path: string): Uint8Array {
    try {
      return new Uint8Array(readFileSync(join(this.root, normalisePath(path))));
    } catch {
      throw new DataError(path, undefined, 'missing file');
    }
  }
}

let tmpCounter = 0;

/** Write a file atomically (temp file in the same folder, then rename). */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${process.pid}.${tmpCounter++}.tmp`);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export class NodeFileSink implements FileSink {
  constructor(readonly root: string) {}
  write(path: string, data: Uint8Array | string): void {
    writeFileAtomic(join(this.root, normalisePath(path)), data);
  }
}
