/**
 * Opt-in test profile (ARBEX_TEST_PROFILE=FILE, see vitest.config.ts): one JSON line per test with
 * its wall and CPU time (the whole test process: lavapipe compiles on the dispatching thread and
 * its own threads) and the pipelines it created first in this process. On a software adapter a
 * cold suite is mostly pipeline compilation, so this names which tests pay for which kernels.
 * `maxBlockMs`: the longest the process's event loop was blocked during the test (vitest's RPC
 * to its workers times out after 60 s of that).
 */
import { afterAll, afterEach, beforeEach, expect } from 'vitest';
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { runtime } from '../../src/runtime/runtime.js';

const out = process.env.ARBEX_TEST_PROFILE;

function pipelineKeys(): string[] {
  try {
    // The cache is private; reading its keys is a diagnostic, not an API.
    const map = (runtime() as unknown as { pipelines: Map<string, unknown> }).pipelines;
    return [...map.keys()];
  } catch {
    return []; // engine not initialised in this process (yet)
  }
}

let start = { wall: 0, cpu: 0, keys: new Set<string>() };
const loop = monitorEventLoopDelay({ resolution: 20 });
const fileLoop = monitorEventLoopDelay({ resolution: 20 }); // whole file, hooks included

if (out) {
  loop.enable();
  fileLoop.enable();
  afterAll(() => {
    const file = (expect.getState().testPath ?? '?').replace(/^.*\/test\//, 'test/');
    appendFileSync(out, JSON.stringify({ file, name: '(whole file, hooks included)', wallMs: 0, cpuMs: 0, maxBlockMs: Math.round(fileLoop.max / 1e6), pipelines: 0, keys: [] }) + '\n');
  });
  beforeEach(() => {
    loop.reset();
    const c = process.cpuUsage();
    start = { wall: performance.now(), cpu: (c.user + c.system) / 1000, keys: new Set(pipelineKeys()) };
  });
  afterEach(() => {
    const c = process.cpuUsage();
    const name = expect.getState().currentTestName ?? '?';
    const file = expect.getState().testPath ?? '?';
    const created = pipelineKeys().filter((k) => !start.keys.has(k));
    appendFileSync(out, JSON.stringify({
      file: file.replace(/^.*\/test\//, 'test/'), name,
      wallMs: Math.round(performance.now() - start.wall), cpuMs: Math.round((c.user + c.system) / 1000 - start.cpu),
      maxBlockMs: Math.round(loop.max / 1e6), pipelines: created.length, keys: created,
    }) + '\n');
  });
}
