/** loadTfjsModelFromUrl: shard URLs resolve against model.json's URL; HTTP failures are named. */
import { describe, expect, it } from 'vitest';
import { loadTfjsModelFromUrl, type FetchLike } from '../../src/index.js';

function fakeFetch(files: Record<string, Uint8Array | string>, seen: string[]): FetchLike {
  return async (url) => {
    seen.push(url);
    const body = files[url];
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    return {
      ok: body !== undefined, status: body === undefined ? 404 : 200, statusText: body === undefined ? 'Not Found' : 'OK',
      text: async () => new TextDecoder().decode(bytes),
      arrayBuffer: async () => bytes!.slice().buffer,
    };
  };
}

describe('TF.js models over HTTP', () => {
  const manifest = JSON.stringify({ weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: [{ name: 'dense/kernel', shape: [2, 2], dtype: 'float32' }, { name: 'dense/bias', shape: [2], dtype: 'float32' }] }] });
  const shard = new Uint8Array(Float32Array.from([1, 2, 3, 4, -0.5, 0.25]).buffer);

  it('fetches model.json and its shards relative to its URL and decodes every weight', async () => {
    const seen: string[] = [];
    const w = await loadTfjsModelFromUrl('http://host/models/net/model.json', fakeFetch({ 'http://host/models/net/model.json': manifest, 'http://host/models/net/group1-shard1of1.bin': shard }, seen));
    expect(seen).toEqual(['http://host/models/net/model.json', 'http://host/models/net/group1-shard1of1.bin']);
    expect(Array.from(w.get('dense/kernel')!.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(w.get('dense/bias')!.data)).toEqual([-0.5, 0.25]);
  });

  it('a missing shard names the model, the URL and the HTTP status', async () => {
    await expect(loadTfjsModelFromUrl('http://host/m/model.json', fakeFetch({ 'http://host/m/model.json': manifest }, [])))
      .rejects.toThrow(/http:\/\/host\/m\/model\.json: fetching shard http:\/\/host\/m\/group1-shard1of1\.bin failed: HTTP 404 Not Found/);
  });
});
