#!/usr/bin/env node
/**
 * `npm run web`: bundles the web app (web/src/main.ts, with the engine core from src/) for the
 * browser and serves it on localhost together with the WGSL kernels (shaders/, linked from the
 * "Inside the model" view) and a demo checkpoint (runs/tiny by default, if it exists).
 *
 * Usage: node web/serve.mjs [--port 8080] [--host 127.0.0.1] [--checkpoint runs/tiny]
 * As a module: `startWebServer({ port?, host?, checkpoint? })` → { url, close() }.
 *
 * localhost is a secure context, so navigator.gpu is exposed there without HTTPS.
 */
import { createServer } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wgsl': 'text/plain; charset=utf-8',
  '.safetensors': 'application/octet-stream',
  '.png': 'image/png',
};

/** Bundles the app for browsers; scripts/bundle-browser.mjs fails on any Node import. */
export async function buildWebApp() {
  const { bundleBrowser } = await import(pathToFileURL(path.join(root, 'scripts/bundle-browser.mjs')).href);
  return bundleBrowser({ entry: path.join(here, 'src/main.ts'), write: false });
}

/** best, else last (as `arbex eval --checkpoint DIR` resolves a run directory). */
function resolveCheckpoint(dir) {
  if (!dir) return null;
  for (const tag of ['best', 'last']) {
    const meta = path.join(dir, `${tag}.json`);
    const weights = path.join(dir, `${tag}.safetensors`);
    if (existsSync(meta) && existsSync(weights)) return { dir, tag, meta, weights };
  }
  return null;
}

/**
 * @param {{ port?: number, host?: string, checkpoint?: string | null }} [opts]
 * @returns {Promise<{ url: string, close(): Promise<void>, inputs: string[] }>}
 */
export async function startWebServer(opts = {}) {
  const built = await buildWebApp();
  const appJs = built.code;
  const ckptDir = opts.checkpoint === undefined ? path.join(root, 'runs/tiny') : opts.checkpoint;
  const staticFiles = new Map([
    ['/', 'index.html'],
    ['/index.html', 'index.html'],
    ['/style.css', 'style.css'],
  ]);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname;
    const send = (status, type, body) => res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    try {
      if (staticFiles.has(p)) {
        const f = staticFiles.get(p);
        return send(200, TYPES[path.extname(f)], readFileSync(path.join(here, f)));
      }
      if (p === '/app.js') return send(200, TYPES['.js'], appJs);
      if (p === '/favicon.ico') return res.writeHead(204).end();
      const shader = /^\/shaders\/([a-z0-9_-]+\.wgsl)$/.exec(p);
      if (shader) {
        const f = path.join(root, 'shaders', shader[1]);
        if (existsSync(f)) return send(200, TYPES['.wgsl'], readFileSync(f));
      }
      if (p === '/checkpoint/info') {
        // A checkpoint is a directory; the page only learns whether one is served, and its name.
        const c = resolveCheckpoint(ckptDir);
        const info = c
          ? { available: true, name: path.relative(root, c.dir) || c.dir, tag: c.tag, bytes: statSync(c.weights).size }
          : { available: false, name: ckptDir ? path.relative(root, ckptDir) : null };
        return send(200, TYPES['.json'], JSON.stringify(info));
      }
      if (p === '/checkpoint/meta.json' || p === '/checkpoint/weights.safetensors') {
        const c = resolveCheckpoint(ckptDir);
        if (c) return send(200, TYPES[path.extname(p)], readFileSync(p.endsWith('.json') ? c.meta : c.weights));
      }
      send(404, 'text/plain; charset=utf-8', `not found: ${p}`);
    } catch (e) {
      send(500, 'text/plain; charset=utf-8', String(e instanceof Error ? e.message : e));
    }
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, resolve);
  });
  const { port } = server.address();
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/`,
    inputs: built.inputs,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function parseFlags(argv) {
  const out = { port: 8080, host: '127.0.0.1', checkpoint: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`web: ${a} needs a value`);
      return v;
    };
    if (a === '--port') {
      out.port = Number(val());
      if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535) throw new Error(`web: --port ${argv[i]}: expected 0..65535`);
    } else if (a === '--host') out.host = val();
    else if (a === '--checkpoint') out.checkpoint = path.resolve(val());
    else if (a === '--help' || a === '-h') {
      console.log('Usage: npm run web -- [--port 8080] [--host 127.0.0.1] [--checkpoint runs/tiny]');
      process.exit(0);
    } else throw new Error(`web: unknown argument '${a}' (see --help)`);
  }
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const flags = parseFlags(process.argv.slice(2));
    const s = await startWebServer(flags);
    const c = resolveCheckpoint(flags.checkpoint ?? path.join(root, 'runs/tiny'));
    console.log(`ARBEx web app: ${s.url}`);
    console.log(c ? `  serving checkpoint ${path.relative(root, c.dir)}/${c.tag}` : '  no checkpoint served (train one: bash scripts/train-demo.sh, or drop files on the page)');
    console.log('  Ctrl-C to stop');
  } catch (e) {
    const errors = e && Array.isArray(e.errors) ? e.errors : null;
    if (errors) for (const x of errors) console.error(`error: ${x.text}${x.location ? ` (${x.location.file}:${x.location.line})` : ''}`);
    else console.error(`error: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  }
}
