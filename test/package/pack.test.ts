/**
 * The package as a user gets it: `npm pack` (which builds dist/ through `prepack`), `npm install`
 * of the tarball into an empty project, then — by package name, through public names only —
 * (a) in Node: a Linear + Adam training step against a float64 reference, both subpath exports,
 *     the `arbex` bin on compiled JS, the README's example, and a TypeScript consumer type-checked
 *     against the shipped .d.ts;
 * (b) in a browser: the package's browser export bundled with esbuild (no Node module may be
 *     reached) and the same step run in headless Chromium.
 *
 * Offline: the tarball's dependencies are given to npm as `file:` links to this checkout's
 * node_modules, so nothing is downloaded.
 */
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { servePage, type PageServer } from '../browser/server.js';
import { expectClose } from '../helpers/gradcheck.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; dependencies: Record<string, string> };
const CHROMIUM = process.env.ARBEX_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

let dir = '';
let proj = '';

function run(cmd: string, args: string[], cwd: string, timeout = 60_000): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

// ---- the float64 reference: Linear → MSE → backward → one Adam step ---------------------------

interface StepInput { n: number; inF: number; outF: number; lr: number; x: number[]; y: number[]; w: number[]; b: number[] }

function makeInput(): StepInput {
  const n = 3, inF = 5, outF = 2;
  let s = 12345;
  const r = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const v = (k: number): number[] => Array.from({ length: k }, r);
  return { n, inF, outF, lr: 0.05, x: v(n * inF), y: v(n * outF), w: v(outF * inF), b: v(outF) };
}

function reference(i: StepInput): { loss: number; w: number[]; b: number[] } {
  const { n, inF, outF } = i;
  const d = new Float64Array(n * outF);
  let loss = 0;
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < outF; o++) {
      let p = i.b[o]!;
      for (let k = 0; k < inF; k++) p += i.x[r * inF + k]! * i.w[o * inF + k]!;
      const e = p - i.y[r * outF + o]!;
      loss += e * e;
      d[r * outF + o] = (2 * e) / (n * outF);
    }
  }
  const gw = new Float64Array(outF * inF), gb = new Float64Array(outF);
  for (let r = 0; r < n; r++) for (let o = 0; o < outF; o++) {
    gb[o]! += d[r * outF + o]!;
    for (let k = 0; k < inF; k++) gw[o * inF + k]! += d[r * outF + o]! * i.x[r * inF + k]!;
  }
  // Adam's first step: m̂ = g, v̂ = g², so p ← p − lr·g / (|g| + ε).
  const adam = (p: number, g: number): number => p - (i.lr * g) / (Math.abs(g) + 1e-8);
  return { loss: loss / (n * outF), w: i.w.map((p, k) => adam(p, gw[k]!)), b: i.b.map((p, k) => adam(p, gb[k]!)) };
}

const input = makeInput();
const want = reference(input);

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'arbex-pack-'));
  run('npm', ['pack', '--silent', '--pack-destination', dir], root, 120_000);
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`npm pack wrote no tarball into ${dir}`);
  proj = path.join(dir, 'project');
  run('mkdir', ['-p', proj], dir);
  // The runtime dependencies, linked from this checkout (npm would download them otherwise).
  const deps = Object.fromEntries(Object.keys(pkg.dependencies).map((d) => [d, `file:${realpathSync(path.join(root, 'node_modules', d))}`]));
  writeFileSync(path.join(proj, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: deps }));
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', '--omit=optional', path.join(dir, tgz)], proj, 120_000);
}, 240_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('ships compiled JS and declarations, not the TypeScript sources', () => {
    const installed = path.join(proj, 'node_modules', pkg.name);
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/node.js', 'dist/node.d.ts', 'dist/cli/main.js', 'bin/arbex.mjs', 'package.json']) {
      expect(existsSync(path.join(installed, f)), f).toBe(true);
    }
    expect(existsSync(path.join(installed, 'src'))).toBe(false);
    // WGSL is embedded in the JS (no shader files to fetch at run time).
    expect(readFileSync(path.join(installed, 'dist/runtime/shaders.gen.js'), 'utf8')).toMatch(/@compute/);
  });

  it('Node: import by name, Linear + Adam training step matches float64', () => {
    copyFileSync(path.join(here, 'fixtures/step.mjs'), path.join(proj, 'step.mjs'));
    const out = run('node', ['step.mjs', JSON.stringify(input)], proj);
    const r = JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!) as { loss: number; w: number[]; b: number[]; memory: { bytesInUse: number }; browserHasNodeInit: boolean; nodeHasNodeInit: boolean };
    expectClose([r.loss], [want.loss], 1e-5, 'loss');
    expectClose(r.w, want.w, 1e-5, 'weight after one Adam step');
    expectClose(r.b, want.b, 1e-5, 'bias after one Adam step');
    expect(r.memory.bytesInUse).toBeGreaterThan(0);
    expect(r.browserHasNodeInit, "'arbex-webgpu/browser' must not carry the Node device").toBe(false);
    expect(r.nodeHasNodeInit).toBe(true);
  }, 60_000);

  it('the arbex bin runs the compiled CLI', () => {
    const out = run(path.join(proj, 'node_modules/.bin/arbex'), ['summary', '--config', 'tiny'], proj);
    expect(out).toMatch(/total parameters: [\d,]+/);
  }, 60_000);

  it("the README's training example runs against the installed package", () => {
    const example = readFileSync(path.join(root, 'examples/train-cnn.mjs'), 'utf8');
    // The README shows this file verbatim (after its three-line header comment).
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const body = example.split('\n').slice(3).join('\n').trim();
    expect(readme.includes(body), 'README.md must contain examples/train-cnn.mjs (after its header comment) verbatim').toBe(true);
    writeFileSync(path.join(proj, 'train-cnn.mjs'), example);
    const out = run('node', ['train-cnn.mjs'], proj, 120_000);
    const losses = [...out.matchAll(/mean training loss ([\d.]+)/g)].map((m) => Number(m[1]));
    expect(losses).toHaveLength(4);
    expect(losses[3]!).toBeLessThan(losses[0]! / 2);
    const acc = Number(/test accuracy ([\d.]+) %/.exec(out)?.[1]);
    expect(acc, out).toBeGreaterThan(80);
  }, 120_000);

  // skipLibCheck off: the shipped .d.ts themselves must check (WebGPU types come from lib DOM).
  it('TypeScript: a consumer type-checks against the shipped declarations', () => {
    copyFileSync(path.join(here, 'fixtures/consumer.ts'), path.join(proj, 'consumer.ts'));
    writeFileSync(path.join(proj, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, lib: ['ES2022', 'DOM'], types: [], skipLibCheck: false },
      files: ['consumer.ts'],
    }));
    run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', '.'], proj);
  }, 60_000);

  describe('browser', () => {
    let server: PageServer | null = null;
    afterAll(async () => {
      await server?.close();
    });

    it('the browser export bundles with esbuild without any Node module and trains in headless Chromium', async (ctx: TestContext) => {
      copyFileSync(path.join(here, 'fixtures/page-entry.mjs'), path.join(proj, 'page-entry.mjs'));
      const result = await build({
        entryPoints: [path.join(proj, 'page-entry.mjs')], absWorkingDir: proj, bundle: true, platform: 'browser', format: 'esm',
        target: 'es2022', write: false, metafile: true, logLevel: 'silent',
      });
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs.some((p) => p.includes(`${pkg.name}/dist/index.js`)), inputs.join('\n')).toBe(true);
      expect(inputs.filter((p) => /(^|\/)node\.js$|-node\.js$|node_modules\/webgpu\//.test(p))).toEqual([]);
      if (!existsSync(CHROMIUM)) {
        if (process.env.CI === 'true') throw new Error(`${CHROMIUM} not found (CI=true: a missing browser is a failure)`);
        console.warn(`SKIPPED: ${CHROMIUM} not found: install chromium (scripts/setup-system.sh) for the browser half`);
        ctx.skip();
      }
      const files = new Map<string, [string, string]>([
        ['/', ['text/html', '<!doctype html><meta charset="utf-8"><script type="module" src="/bundle.js"></script>']],
        ['/bundle.js', ['text/javascript', result.outputFiles[0]!.text]],
      ]);
      server = await servePage(files);
      const profile = mkdtempSync(path.join(tmpdir(), 'arbex-pack-chromium-'));
      const browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30_000 });
      const log: string[] = [];
      try {
        const page = browser.pages()[0] ?? (await browser.newPage());
        page.on('console', (m) => log.push(`console.${m.type()}: ${m.text()}`));
        page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
        await page.goto(server.url);
        await page.waitForFunction(() => (window as unknown as { __ready?: boolean }).__ready === true, undefined, { timeout: 20_000 });
        const r = await page.evaluate((inp) => (window as unknown as { __run: (i: unknown) => Promise<unknown> }).__run(inp), input) as
          { ok: true; loss: number; w: number[]; b: number[] } | { ok: false; error: string };
        if (!r.ok) throw new Error(`in the page: ${r.error}\n${log.join('\n')}`);
        expectClose([r.loss], [want.loss], 1e-4, 'browser loss');
        expectClose(r.w, want.w, 1e-4, 'browser weight after one Adam step');
        expectClose(r.b, want.b, 1e-4, 'browser bias after one Adam step');
      } finally {
        await browser.close();
        rmSync(profile, { recursive: true, force: true });
      }
    }, 90_000);
  });
});
