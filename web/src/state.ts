/** What the views share: the engine's adapter, the current model and the current face. */
import type { HostImage } from '../../src/data/image.js';
import type { LoadedModel } from './checkpoint.js';
import type { Runtime } from '../../src/runtime/runtime.js';

type Listener = () => void;

export interface AppState {
  rt: Runtime | null;
  /** 'core' or 'compatibility' (the adapter's feature level). */
  featureLevel: string;
  model: LoadedModel | null;
  image: HostImage | null;
  imageName: string;
}

export const state: AppState = { rt: null, featureLevel: 'unknown', model: null, image: null, imageName: '' };

const listeners = new Set<Listener>();

export function onChange(f: Listener): void {
  listeners.add(f);
}

export function changed(): void {
  for (const f of listeners) f();
}

/** Errors go to the page (and the console), never silently. */
export function report(where: HTMLElement, e: unknown): void {
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  where.textContent = msg;
  where.classList.add('error');
  console.warn(msg);
}
