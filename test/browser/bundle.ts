/**
 * Builds what the browser page loads, in memory: the engine bundle (scripts/bundle-browser.mjs,
 * which fails on any Node import under src/) and page.ts, which must not pull in engine code
 * of its own.
 */
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

interface BundleBrowserModule {
  bundleBrowser(opts?: { entry?: string; write?: boolean }): Promise<{ code: string; inputs: string[] }>;
}

async function bundler(): Promise<BundleBrowserModule> {
  return (await import(pathToFileURL(path.join(root, 'scripts/bundle-browser.mjs')).href)) as BundleBrowserModule;
}

/** Bundles another entry the way src/index.ts is bundled; returns the error text, or null if it bundled. */
export async function bundleError(entry: string): Promise<string | null> {
  try {
    await (await bundler()).bundleBrowser({ entry, write: false });
    return null;
  } catch (e) {
    const errors = (e as { errors?: { text: string }[] }).errors;
    return errors?.length ? errors.map((x) => x.text).join('\n') : (e as Error).message;
  }
}

export interface PageFiles {
  /** URL path → [content type, body]. */
  files: Map<string, [string, string]>;
  /** Sources (relative to the repo root) that went into engine.js. */
  engineInputs: string[];
}

export async function buildPageFiles(): Promise<PageFiles> {
  const engine = await (await bundler()).bundleBrowser({ write: false });
  const page = await build({
    entryPoints: [path.join(here, 'page.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const pageInputs = Object.keys(page.metafile.inputs).map((p) => path.relative(root, path.resolve(root, p)));
  const leaked = pageInputs.filter((p) => p.startsWith('src/'));
  if (leaked.length) throw new Error(`page.ts must take the engine from engine.js only, but bundles ${leaked.join(', ')}`);
  const js = 'text/javascript; charset=utf-8';
  const files = new Map<string, [string, string]>([
    ['/', ['text/html; charset=utf-8', readFileSync(path.join(here, 'index.html'), 'utf8')]],
    ['/engine.js', [js, engine.code]],
    ['/page.js', [js, page.outputFiles[0]!.text]],
  ]);
  return { files, engineInputs: engine.inputs };
}
