/**
 * The same engine core, in a browser: bundles src/index.ts for the browser (failing on any Node
 * import), serves it from 127.0.0.1, and runs matmul + backward and one MLP training step in
 * headless Chromium — once on core WebGPU (SwiftShader) and once in compatibility mode (ANGLE's
 * OpenGL ES over Vulkan/lavapipe) — against float64 references computed here, then every kernel
 * variant the tuner can choose, forced one at a time, in the same browser session.
 *
 * Needs Debian's chromium (scripts/setup-system.sh). Without it the tests are skipped with a
 * message, except under CI=true, where they fail.
 */
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { expectClose } from '../helpers/gradcheck.js';
import type { Nd } from '../reference/nd.js';
import { buildPageFiles, bundleError } from './bundle.js';
import { servePage, type PageServer } from './server.js';
import { convExpected, layerNormExpected, makeVariantInput, matmulExpected } from './cases.js';
import { mlpReference } from './reference-mlp.js';
import type { PageInput, PageResult } from './protocol.js';

const CHROMIUM = process.env.ARBEX_CHROMIUM ?? '/usr/bin/chromium';
const IN_CI = process.env.CI === 'true';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const TOL = Number(process.env.ARBEX_BROWSER_TOL ?? 1e-4);

const CORE_FLAGS = [
  '--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
  // Unmasks GPUAdapterInfo (description, driver) so the report says which adapter ran.
  '--enable-webgpu-developer-features',
];
const COMPAT_FLAGS = [...CORE_FLAGS, '--use-angle=vulkan', '--use-webgpu-adapter=opengles', '--force-webgpu-compat'];

const browsers = new Set<BrowserContext>();
const profiles: string[] = [];
let server: PageServer | null = null;
let engineInputs: string[] = [];

/** Skips with a visible reason when chromium is missing; under CI that is a failure. */
function needChromium(ctx: TestContext): void {
  if (HAVE_CHROMIUM) return;
  const msg = `${CHROMIUM} not found: install Debian's chromium (scripts/setup-system.sh) to run the browser tests`;
  if (IN_CI) throw new Error(`${msg} (CI=true: a missing browser is a failure)`);
  console.warn(`SKIPPED: ${msg}`);
  ctx.skip(msg);
}

/** Launches Chromium with a fresh profile, runs the page once, and closes the browser. */
async function runInChromium(flags: string[], pageInput: PageInput): Promise<{ result: PageResult; log: string[] }> {
  if (!server) throw new Error('page server did not start (see beforeAll)');
  const profile = mkdtempSync(path.join(tmpdir(), 'arbex-chromium-'));
  profiles.push(profile);
  // Playwright refuses --user-data-dir in launch(); a persistent context on a fresh directory
  // is the same thing (one browser process, that profile).
  const browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: flags, timeout: 30_000 });
  browsers.add(browser);
  const log: string[] = [];
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    page.on('console', (m) => log.push(`console.${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
    await page.goto(server.url);
    await page.waitForFunction(() => (window as unknown as { __engineTestReady?: boolean }).__engineTestReady === true, undefined, { timeout: 20_000 });
    const result = await page.evaluate(
      (inp) => (window as unknown as { __runEngineTest: (i: PageInput) => Promise<PageResult> }).__runEngineTest(inp),
      pageInput,
    );
    return { result, log };
  } finally {
    browsers.delete(browser);
    await browser.close();
  }
}

function printAdapter(mode: string, result: PageResult): void {
  const a = result.adapter;
  if (!a) return;
  console.log(
    `[${mode}] adapter: ${a.summary}\n` +
      `  vendor='${a.vendor}' architecture='${a.architecture}' device='${a.device}' description='${a.description}' driver='${a.driver}'\n` +
      `  featureLevel=${a.featureLevel} fallback=${a.isFallbackAdapter} adapter maxStorageBuffersPerShaderStage=${a.adapterMaxStorageBuffersPerShaderStage}\n` +
      `  runtime().limits=${JSON.stringify(a.runtimeLimits)}\n` +
      `  device features=${a.features.join(',')}`,
  );
}

const nd = (x: Nd): Float64Array => x.data;

function checkResults(mode: string, result: Extract<PageResult, { ok: true }>, input: PageInput): void {
  expect(result.matmuls.map((m) => m.name)).toEqual(input.matmuls.map((m) => m.name));
  result.matmuls.forEach((got, i) => {
    const want = matmulExpected(input.matmuls[i]!);
    expectClose(got.c, nd(want.c), TOL, `${mode} ${got.name} C`);
    expectClose(got.da, nd(want.da), TOL, `${mode} ${got.name} dA`);
    expectClose(got.db, nd(want.db), TOL, `${mode} ${got.name} dB`);
  });
  // Every kernel variant, forced in the page, against the same float64 expectations.
  const v = input.variants ?? { matmul: [], conv: [], layernorm: [], conv2d: null!, layerNorm: null! };
  expect(result.variants.map((r) => `${r.family}:${r.variant}`)).toEqual([
    ...v.matmul.map((x) => `matmul:${x}`), ...v.conv.map((x) => `conv:${x}`), ...v.layernorm.map((x) => `layernorm:${x}`),
  ]);
  const convWant = v.conv.length ? convExpected(v.conv2d) : [], lnWant = v.layernorm.length ? layerNormExpected(v.layerNorm) : [];
  for (const r of result.variants) {
    const tag = `${mode} ${r.family}:${r.variant}`;
    if (r.family === 'matmul') {
      r.matmuls!.forEach((got, i) => {
        const want = matmulExpected(input.matmuls[i]!);
        expectClose(got.c, nd(want.c), TOL, `${tag} ${got.name} C`);
        expectClose(got.da, nd(want.da), TOL, `${tag} ${got.name} dA`);
        expectClose(got.db, nd(want.db), TOL, `${tag} ${got.name} dB`);
      });
    } else {
      const want = r.family === 'conv' ? convWant : lnWant;
      expect(r.values!.length, tag).toBe(want.length);
      r.values!.forEach((got, i) => expectClose(got, want[i]!, TOL, `${tag} output ${i}`));
    }
  }
  const ref = mlpReference(input.mlp);
  // Keep the inputs away from the relu kink, and make sure the step is a real descent step.
  expect(ref.minAbsPreActivation, 'mlp: a pre-activation sits on the relu kink; change the seed').toBeGreaterThan(1e-3);
  expect(ref.lossAfter).toBeLessThan(ref.loss);
  const m = result.mlp;
  expectClose([m.loss], [ref.loss], TOL, `${mode} mlp loss`);
  expectClose(m.gradW1, nd(ref.gradW1), TOL, `${mode} mlp dW1`);
  expectClose(m.gradB1, nd(ref.gradB1), TOL, `${mode} mlp db1`);
  expectClose(m.gradW2, nd(ref.gradW2), TOL, `${mode} mlp dW2`);
  expectClose(m.gradB2, nd(ref.gradB2), TOL, `${mode} mlp db2`);
  expectClose(m.newW1, nd(ref.newW1), TOL, `${mode} mlp W1 after step`);
  expectClose(m.newB1, nd(ref.newB1), TOL, `${mode} mlp b1 after step`);
  expectClose(m.newW2, nd(ref.newW2), TOL, `${mode} mlp W2 after step`);
  expectClose(m.newB2, nd(ref.newB2), TOL, `${mode} mlp b2 after step`);
  expectClose([m.lossAfter], [ref.lossAfter], TOL, `${mode} mlp loss after step`);
}

/**
 * Runs one mode. `optionalAdapter`: a mode that may lack an adapter on this machine; then the
 * test is skipped with the reason printed instead of failing.
 */
async function runMode(ctx: TestContext, mode: string, flags: string[], pageInput: PageInput, optionalAdapter: boolean): Promise<Record<string, number>> {
  needChromium(ctx);
  const { result, log } = await runInChromium(flags, pageInput);
  printAdapter(mode, result);
  if (!result.ok) {
    const detail = `${mode}: failed at ${result.stage}: ${result.errorName}: ${result.message}${log.length ? `\n  browser log:\n  ${log.join('\n  ')}` : ''}`;
    if (optionalAdapter && result.errorName === 'NoAdapterError' && result.stage === 'initEngine') {
      console.warn(`SKIPPED ${detail}`);
      ctx.skip(`${mode}: no WebGPU adapter: ${result.message}`);
    }
    throw new Error(detail);
  }
  console.log(`[${mode}] ok in ${result.ms.toFixed(0)} ms in the page`);
  checkResults(mode, result, pageInput);
  return result.adapter.runtimeLimits;
}

describe('engine core in headless Chromium', () => {
  // Bundling needs no browser: it runs (and can fail) even where chromium is missing.
  beforeAll(async () => {
    const built = await buildPageFiles();
    engineInputs = built.engineInputs;
    server = await servePage(built.files);
  }, 60_000);

  afterAll(async () => {
    // Browsers still open here belong to a test that timed out or threw mid-way.
    await Promise.allSettled([...browsers].map((b) => b.close()));
    browsers.clear();
    await server?.close();
    server = null;
    for (const p of profiles) rmSync(p, { recursive: true, force: true });
  }, 30_000);

  it('bundles src/index.ts without Node-only sources', () => {
    expect(engineInputs).toContain('src/index.ts');
    expect(engineInputs.filter((p) => p === 'src/node.ts' || p.endsWith('-node.ts'))).toEqual([]);
  });

  it('the browser bundler refuses Node built-ins and *-node.ts files', async () => {
    const fixture = (f: string): string => path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', f);
    expect(await bundleError(fixture('imports-node.ts'))).toMatch(/imports the Node module 'node:fs'/);
    expect(await bundleError(fixture('imports-node-entry.ts'))).toMatch(/Node module 'webgpu'|Node-only sources/);
  });

  // One browser session per mode: the variant input carries the plain matmul cases and the MLP
  // step too, so the page checks the tuner's own choices and then every kernel variant the tuner
  // can choose (src/ops/*-tiled.ts), forced one at a time — a strided conv with dX/dW and a
  // LayerNorm with its gradients besides the matmuls. (A browser launch costs ~6 s of one core
  // here, and the first compile of the shared kernels again, so the checks share sessions.)
  it('core features (SwiftShader): matmul + backward, an MLP step and every kernel variant match float64', async (ctx) => {
    await runMode(ctx, 'core', CORE_FLAGS, makeVariantInput(), false);
  }, 400_000);

  // Compatibility mode with the adapter's storage-buffer limit capped at 4 (WebGPU compat's
  // original minimum; this Chromium's compat adapter advertises that itself, and grants its
  // compat default, 8 in Chromium 156): no kernel may bind more, so capped is the stronger check
  // of the user's path, and one session covers it. Kernel choice does not depend on the limit.
  it('compatibility mode (ANGLE GLES over Vulkan), fewest storage buffers: same checks, every kernel variant', async (ctx) => {
    const limits = await runMode(ctx, 'compat/4-storage-buffers', COMPAT_FLAGS, { ...makeVariantInput(), capStorageBuffers: 4 }, true);
    expect(limits.maxStorageBuffersPerShaderStage, 'the capped device should have at most 8 storage buffers per stage').toBeLessThanOrEqual(8);
  }, 400_000);
});
