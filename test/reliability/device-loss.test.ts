// Device loss mid-step: the trainer (the real `arbex train`, in a child process) is made to
// destroy its GPU device right after step 1's work is queued (epoch 2; 16 faces in balanced
// batches of 8 give one step per epoch). It must
// stop with a clear message, leave the epoch-1 checkpoint intact, and `--resume` must finish the
// run with exactly the weights and log of an uninterrupted run.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpointMeta } from '../../src/train/checkpoint-node.js';
import { readSafetensorsFile } from '../../src/io/safetensors-node.js';

const BIN = join(__dirname, '../../bin/arbex.mjs');
// Async (not spawnSync) so the test worker keeps answering vitest while the trainer runs.
const train = (out: string, extra: string[] = [], env: Record<string, string> = {}): Promise<{ status: number | null; stderr: string }> =>
  new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, 'train', '--epochs', '3', '--batch', '8', '--train-size', '16', '--val-size', '8', '--test-size', '8', '--out', out, '--quiet', ...extra], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('exit', (status) => resolve({ status, stderr }));
  });

const TIMING = new Set(['ms_data', 'ms_step', 'seconds', 'ms_data_total', 'ms_step_total']);
const log = (dir: string): unknown[] =>
  readFileSync(join(dir, 'train-log.jsonl'), 'utf8').trim().split('\n').map((l) => Object.fromEntries(Object.entries(JSON.parse(l) as object).filter(([k]) => !TIMING.has(k))));

describe('GPU device lost mid-step', () => {
  it('stops with a clear message, keeps the last checkpoint, and --resume finishes exactly', async () => {
    const root = mkdtempSync(join(tmpdir(), 'arbex-lost-'));
    try {
      const ref = join(root, 'ref'), run = join(root, 'run');
      expect((await train(ref)).status).toBe(0);
      const lost = await train(run, [], { ARBEX_FAULT_DESTROY_DEVICE_AT_STEP: '1' });
      expect(lost.status).toBe(1);
      expect(lost.stderr).toMatch(/TrainingStoppedError: GPU device lost \(destroyed\)/);
      expect(lost.stderr).toMatch(/training stopped at step 1; the last checkpoint \(.*last\.json, after epoch 1, step 1\) is intact\. Run the same command with --resume/);
      // The checkpoint on disk is the complete epoch-1 one and reads back.
      expect(readCheckpointMeta<{ epoch: number; step: number }>(run, 'last').state).toMatchObject({ epoch: 1, step: 1 });
      expect((await readSafetensorsFile(join(run, 'last.safetensors'))).tensors.size).toBeGreaterThan(10);
      expect(readdirSync(run).filter((f) => f.endsWith('.next') || f.endsWith('.tmp'))).toEqual([]);
      const resumed = await train(run, ['--resume']);
      expect(resumed.status, resumed.stderr).toBe(0);
      for (const f of ['last.safetensors', 'last.optim.safetensors', 'best.safetensors']) {
        expect(Buffer.compare(readFileSync(join(ref, f)), readFileSync(join(run, f))), f).toBe(0);
      }
      expect(log(run)).toEqual(log(ref));
      expect(existsSync(join(run, 'report.md'))).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 900_000);
});
