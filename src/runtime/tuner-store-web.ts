/**
 * Browser persistence for the kernel tuner: one localStorage entry per adapter
 * (`arbex-webgpu:tuner:<adapter key>`). Absent or blocked storage (private mode, workers) makes
 * the tuner keep its decisions in memory only.
 */
import type { TunerRecord, TunerStore } from './tuner.js';

interface KeyValue {
  getItem(k: string): string | null;
  setItem(k: string, v: string): void;
}

export class LocalStorageTunerStore implements TunerStore {
  constructor(private storage: KeyValue) {}

  /** The page's localStorage, or null where there is none (or it throws on access). */
  static available(): LocalStorageTunerStore | null {
    try {
      const s = (globalThis as { localStorage?: KeyValue }).localStorage;
      return s ? new LocalStorageTunerStore(s) : null;
    } catch {
      return null;
    }
  }

  describe(adapterKey: string): string {
    return `localStorage['arbex-webgpu:tuner:${adapterKey}']`;
  }

  load(adapterKey: string): TunerRecord | null {
    try {
      const s = this.storage.getItem(`arbex-webgpu:tuner:${adapterKey}`);
      return s ? (JSON.parse(s) as TunerRecord) : null;
    } catch {
      return null;
    }
  }

  save(adapterKey: string, record: TunerRecord): void {
    try {
      this.storage.setItem(`arbex-webgpu:tuner:${adapterKey}`, JSON.stringify(record));
    } catch {
      /* quota or blocked storage: keep the decision in memory */
    }
  }
}
