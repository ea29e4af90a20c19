/**
 * TF.js models over HTTP (browsers, or any host with `fetch`): reads `model.json` and its weight
 * shards, which the manifest names relative to the model.json URL (as tfjs does).
 */
import type { HostTensor } from '../nn/host-tensor.js';
import { loadTfjsWeights, TfjsManifestError } from './tfjs-manifest.js';

export type FetchLike = (url: string) => Promise<{ ok: boolean; status: number; statusText?: string; text(): Promise<string>; arrayBuffer(): Promise<ArrayBuffer> }>;

/** Loads every weight of the TF.js model at `modelJsonUrl` (decoded to host arrays). */
export async function loadTfjsModelFromUrl(modelJsonUrl: string, fetchImpl?: FetchLike): Promise<Map<string, HostTensor>> {
  const get: FetchLike = fetchImpl ?? ((u) => (globalThis as unknown as { fetch: FetchLike }).fetch(u));
  const base = new URL(modelJsonUrl, (globalThis as { location?: { href: string } }).location?.href);
  const fetchOk = async (url: string, what: string) => {
    const res = await get(url).catch((e: Error) => {
      throw new TfjsManifestError(`${modelJsonUrl}: cannot fetch ${what} ${url}: ${e.message}`);
    });
    if (!res.ok) throw new TfjsManifestError(`${modelJsonUrl}: fetching ${what} ${url} failed: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
    return res;
  };
  const text = await (await fetchOk(base.href, 'model.json')).text();
  const read = async (p: string): Promise<Uint8Array> => new Uint8Array(await (await fetchOk(new URL(p, base).href, 'shard')).arrayBuffer());
  return loadTfjsWeights(text, read, modelJsonUrl);
}
