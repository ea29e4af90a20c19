#!/usr/bin/env node
/**
 * Bundles the engine core (src/index.ts) for browsers: one ESM file, platform 'browser'.
 *
 * The point is to prove that nothing reachable from src/index.ts needs Node. esbuild is told
 * that every Node built-in is off limits (a plugin turns any such import into a build error
 * naming the importer), and afterwards the metafile is checked so that no src/node.ts or
 * src/**\/*-node.ts file slipped in through some other path.
 *
 * Usage: node scripts/bundle-browser.mjs [outfile]   (default: out/browser/engine.js)
 * As a module: `bundleBrowser({ outfile?, write? })` returns { code, inputs }.
 */
import { build } from 'esbuild';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const NODE_MODULES = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
// Node-only packages the engine uses from its Node entry points; importing them from the core
// would also break browsers.
const NODE_ONLY_PACKAGES = new Set(['webgpu']);

/** Fails the build on any import of a Node built-in or Node-only package. */
const forbidNode = {
  name: 'forbid-node',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      const bare = args.path.startsWith('node:') ? args.path : args.path.split('/')[0];
      if (NODE_MODULES.has(args.path) || NODE_MODULES.has(bare) || NODE_ONLY_PACKAGES.has(bare)) {
        const from = path.relative(root, args.importer) || '(entry)';
        return { errors: [{ text: `browser bundle: '${from}' imports the Node module '${args.path}' (only src/node.ts and *-node.ts files may)` }] };
      }
      return undefined;
    });
  },
};

function isNodeOnlySource(rel) {
  return rel === 'src/node.ts' || /(^|\/)[^/]*-node\.ts$/.test(rel);
}

/**
 * @param {{ entry?: string, outfile?: string, write?: boolean, minify?: boolean }} [opts]
 * @returns {Promise<{ code: string, inputs: string[] }>}
 */
export async function bundleBrowser(opts = {}) {
  const write = opts.write ?? false;
  const outfile = opts.outfile ?? path.join(root, 'out/browser/engine.js');
  const result = await build({
    entryPoints: [opts.entry ?? path.join(root, 'src/index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile,
    write,
    metafile: true,
    sourcemap: false,
    minify: opts.minify ?? false,
    logLevel: 'silent',
    plugins: [forbidNode],
  });
  const inputs = Object.keys(result.metafile.inputs).map((p) => path.relative(root, path.resolve(root, p)));
  const bad = inputs.filter(isNodeOnlySource);
  if (bad.length) throw new Error(`browser bundle: Node-only sources ended up in the bundle: ${bad.join(', ')}`);
  const code = write ? '' : result.outputFiles[0].text;
  return { code, inputs };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outfile = path.resolve(process.argv[2] ?? path.join(root, 'out/browser/engine.js'));
  bundleBrowser({ outfile, write: true }).then(
    ({ inputs }) => console.log(`bundle-browser: ${path.relative(process.cwd(), outfile)} from ${inputs.length} sources`),
    (err) => {
      // esbuild's BuildFailure carries the plugin's messages; print each plainly.
      const errors = err && Array.isArray(err.errors) ? err.errors : null;
      if (errors) for (const e of errors) console.error(`error: ${e.text}${e.location ? ` (${e.location.file}:${e.location.line})` : ''}`);
      else console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
