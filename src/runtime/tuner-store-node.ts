/**
 * Node-only persistence for the kernel tuner: one JSON file per adapter under the user's cache
 * directory ($ARBEX_CACHE_DIR, else $XDG_CACHE_HOME/arbex-webgpu, else ~/.cache/arbex-webgpu),
 * named by a hash of the adapter key, written atomically (temp file + rename). A file that is
 * unreadable or from another tuner version is ignored (and replaced at the next save).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { TunerRecord, TunerStore } from './tuner.js';

export function defaultCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env['ARBEX_CACHE_DIR']) return env['ARBEX_CACHE_DIR'];
  const base = env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(base, 'arbex-webgpu');
}

export class FileTunerStore implements TunerStore {
  constructor(readonly dir: string = defaultCacheDir()) {}

  describe(adapterKey: string): string {
    return join(this.dir, `tuner-${createHash('sha256').update(adapterKey).digest('hex').slice(0, 16)}.json`);
  }

  load(adapterKey: string): TunerRecord | null {
    try {
      const rec = JSON.parse(readFileSync(this.describe(adapterKey), 'utf8')) as TunerRecord;
      return rec && typeof rec === 'object' && rec.choices ? rec : null;
    } catch {
      return null;
    }
  }

  save(adapterKey: string, record: TunerRecord): void {
    const file = this.describe(adapterKey);
    try {
      mkdirSync(this.dir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(record, null, 1) + '\n');
      renameSync(tmp, file);
    } catch (e) {
      // A read-only home must not stop training: the decision stays in memory for this process.
      console.warn(`arbex: could not save kernel tuning to ${file}: ${(e as Error).message}`);
    }
  }
}
