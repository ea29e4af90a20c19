import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTraining, DEFAULT_JOB, type TrainJobOptions } from '../../src/train/run-node.js';
import { TINY } from '../../src/models/arbex/config.js';

const job = (out: string, epochs: number, resume: boolean, stopAfter?: number, over: Partial<TrainJobOptions> = {}): TrainJobOptions => ({
  ...DEFAULT_JOB,
  config: structuredClone(TINY),
  data: { synth: {}, sizes: { train: 48, val: 16, test: 16 } },
  epochs,
  batchSize: 16,
  out,
  resume,
  stopAfter,
  quiet: true,
  report: false,
  ...over,
});

describe('checkpoints and resume', () => {
  it('stopping after epoch 1 and resuming gives exactly the numbers of an uninterrupted run', async () => {
    const a = mkdtempSync(join(tmpdir(), 'arbex-a-'));
    const b = mkdtempSync(join(tmpdir(), 'arbex-b-'));
    try {
      const straight = await runTraining(job(a, 2, false));
      await runTraining(job(b, 2, false, 1)); // interrupted after epoch 1
      const resumed = await runTraining(job(b, 2, true));
      expect(resumed.stepLosses).toEqual(straight.stepLosses);
      expect(resumed.history.map((h) => [h.trainLoss, h.valAcc])).toEqual(straight.history.map((h) => [h.trainLoss, h.valAcc]));
      // Final weights and optimizer moments are bit-identical.
      for (const f of ['last.safetensors', 'last.optim.safetensors']) {
        expect(Buffer.compare(readFileSync(join(a, f)), readFileSync(join(b, f))), f).toBe(0);
      }
      // Every file was written atomically: no temporary files are left behind.
      expect(readdirSync(b).filter((f) => f.includes('.tmp'))).toEqual([]);
      const log = readFileSync(join(b, 'train-log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(log.filter((l) => 'step' in l).length).toBe(straight.stepLosses.length);
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  }, 300_000);

  it('cosine schedule with warm-up: lr per step follows the closed form, and resume is exact', async () => {
    const a = mkdtempSync(join(tmpdir(), 'arbex-a-'));
    const b = mkdtempSync(join(tmpdir(), 'arbex-b-'));
    const cos = { schedule: 'cosine', warmupSteps: 2 } as const;
    try {
      const straight = await runTraining(job(a, 2, false, undefined, cos));
      await runTraining(job(b, 2, false, 1, cos));
      const resumed = await runTraining(job(b, 2, true, undefined, cos));
      expect(resumed.stepLosses).toEqual(straight.stepLosses);
      const lrs = (dir: string): number[] =>
        readFileSync(join(dir, 'train-log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step?: number; lr?: number }).filter((l) => l.step !== undefined).map((l) => l.lr!);
      // 48 faces, batch 16: 3 steps per epoch, 6 in all; linear warm-up over 2, cosine to 0 at step 6.
      const base = 1e-3;
      const expected = [0, 1, 2, 3, 4, 5].map((t) => (t < 2 ? (base * t) / 2 : (base * (1 + Math.cos((Math.PI * (t - 2)) / 4))) / 2));
      const got = lrs(a);
      expect(got).toHaveLength(6);
      got.forEach((lr, i) => expect(lr).toBeCloseTo(expected[i]!, 12));
      expect(lrs(b)).toEqual(got);
      expect(Buffer.compare(readFileSync(join(a, 'last.safetensors')), readFileSync(join(b, 'last.safetensors')))).toBe(0);
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  }, 300_000);
});
