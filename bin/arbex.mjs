#!/usr/bin/env node
// The `arbex` command. Runs the compiled CLI in dist/ (`npm run build`; the npm package ships it).
// In a source checkout whose dist/ is missing or older than src/, it runs the TypeScript sources
// through tsx instead (a dev dependency), so an edit is never shadowed by a stale build.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const compiled = path.join(root, 'dist/cli/main.js');
const sources = path.join(root, 'src');

function newestSourceMs() {
  let newest = 0;
  for (const f of readdirSync(sources, { recursive: true })) {
    if (String(f).endsWith('.ts')) newest = Math.max(newest, statSync(path.join(sources, String(f))).mtimeMs);
  }
  return newest;
}

async function loadMain() {
  const checkout = existsSync(path.join(sources, 'cli/main.ts'));
  if (checkout && (!existsSync(compiled) || newestSourceMs() > statSync(compiled).mtimeMs)) {
    const { register } = await import('tsx/esm/api').catch(() => {
      throw new Error(`${compiled} is missing or older than src/: run \`npm run build\` (or install the dev dependencies for tsx)`);
    });
    register();
    return import(pathToFileURL(path.join(sources, 'cli/main.ts')).href);
  }
  return import(pathToFileURL(compiled).href);
}

const { main } = await loadMain();
const code = await main(process.argv.slice(2));
// Dawn keeps native handles alive; exit explicitly once output is flushed.
process.stdout.write('', () => process.exit(code));
