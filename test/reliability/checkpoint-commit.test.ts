// The checkpoint save protocol under a crash at every stage: the files a kill leaves behind are
// recreated from two complete saves A (older) and B (newer), and the reader must find A before the
// JSON commit and B after it; recoverCheckpoint must then leave exactly one clean checkpoint.
// Also: cutting the JSON-lines log back to a checkpoint.
import { beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Linear } from '../../src/nn/index.js';
import { Adam } from '../../src/optim/adam.js';
import { assign, tensor } from '../../src/tensor/create.js';
import { saveCheckpoint, loadCheckpoint, recoverCheckpoint, checkpointPaths, CheckpointError } from '../../src/train/checkpoint-node.js';
import { cutLog } from '../../src/train/log-node.js';
import { engine } from '../helpers/engine.js';

beforeAll(engine);

async function weightsOf(m: Linear): Promise<number[]> {
  return Array.from(await m.weight.toArray());
}

describe('checkpoint commit protocol', () => {
  it('a kill at any stage of a save leaves the old or the new checkpoint, never a mix', async () => {
    const root = mkdtempSync(join(tmpdir(), 'arbex-commit-'));
    try {
      const m = new Linear(3, 2);
      const opt = new Adam(m.parameters(), { lr: 0.1 });
      const A = join(root, 'A'), B = join(root, 'B');
      mkdirSync(A);
      mkdirSync(B);
      assign(m.weight, tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]));
      await saveCheckpoint(A, 'last', m, opt, { epoch: 1 });
      const wA = await weightsOf(m);
      assign(m.weight, tensor(new Float32Array([-1, -2, -3, -4, -5, -6]), [2, 3]));
      await saveCheckpoint(B, 'last', m, opt, { epoch: 2 });
      const wB = await weightsOf(m);
      const pa = checkpointPaths(A, 'last'), pb = checkpointPaths(B, 'last');
      // [name, files copied from B over a complete A, the state a reader must see]
      const stages: [string, [string, string][], number][] = [
        ['weights .next written', [[pb.weights, 'last.safetensors.next']], 1],
        ['both .next written', [[pb.weights, 'last.safetensors.next'], [pb.optim, 'last.optim.safetensors.next']], 1],
        ['JSON committed', [[pb.weights, 'last.safetensors.next'], [pb.optim, 'last.optim.safetensors.next'], [pb.meta, 'last.json']], 2],
        ['weights renamed', [[pb.weights, 'last.safetensors'], [pb.optim, 'last.optim.safetensors.next'], [pb.meta, 'last.json']], 2],
        ['a temp file of an atomic write', [[pb.weights, '.last.safetensors.next.123.abc.tmp']], 1],
      ];
      for (const [name, copies, epoch] of stages) {
        const d = join(root, name.replace(/\W+/g, '-'));
        mkdirSync(d);
        for (const f of [pa.weights, pa.optim, pa.meta]) copyFileSync(f, join(d, f.slice(A.length + 1)));
        for (const [from, to] of copies) copyFileSync(from, join(d, to));
        const probe = new Linear(3, 2);
        const meta = await loadCheckpoint<{ epoch: number }>(d, 'last', probe, new Adam(probe.parameters(), { lr: 0.1 }));
        expect(meta.state.epoch, name).toBe(epoch);
        expect(await weightsOf(probe), name).toEqual(epoch === 1 ? wA : wB);
        await recoverCheckpoint(d, 'last');
        expect(readdirSync(d).sort(), name).toEqual(['last.json', 'last.optim.safetensors', 'last.safetensors']);
        const src = epoch === 1 ? pa : pb;
        for (const k of ['weights', 'optim', 'meta'] as const) expect(Buffer.compare(readFileSync(join(d, src[k].slice(src[k].lastIndexOf('/') + 1))), readFileSync(src[k])), `${name}: ${k}`).toBe(0);
      }
      // Tensor files that belong to no save of this JSON are refused, naming the file.
      const d = join(root, 'mixed');
      mkdirSync(d);
      copyFileSync(pa.meta, join(d, 'last.json'));
      copyFileSync(pb.weights, join(d, 'last.safetensors'));
      copyFileSync(pa.optim, join(d, 'last.optim.safetensors'));
      const probe = new Linear(3, 2);
      await expect(loadCheckpoint(d, 'last', probe, null)).rejects.toThrow(CheckpointError);
      await expect(loadCheckpoint(d, 'last', probe, null)).rejects.toThrow(/last\.safetensors does not belong to this checkpoint/);
      // Same weights → same files, byte for byte (ids are content hashes, not time stamps).
      const C = join(root, 'C');
      mkdirSync(C);
      await saveCheckpoint(C, 'last', m, opt, { epoch: 2 });
      expect(Buffer.compare(readFileSync(pb.weights), readFileSync(checkpointPaths(C, 'last').weights))).toBe(0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('cutLog', () => {
  it('keeps the lines before the checkpoint, drops later ones and a torn last line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arbex-cut-'));
    try {
      const p = join(dir, 'train-log.jsonl');
      const lines = [{ epoch: 1, step: 0 }, { epoch: 1, step: 1 }, { epoch: 1, val_acc: 0.2 }, { epoch: 2, step: 2 }, { epoch: 2, step: 3 }, { epoch: 2, val_acc: 0.3 }, { epoch: 3, step: 4 }];
      writeFileSync(p, lines.map((l) => JSON.stringify(l) + '\n').join('') + '{"epoch":3,"st');
      const keep = (step: number, epoch: number) => (l: Record<string, unknown>): boolean => (typeof l.step === 'number' ? l.step < step : (l.epoch as number) <= epoch);
      expect(cutLog(p, keep(4, 2))).toBe(2);
      expect(readFileSync(p, 'utf8')).toBe(lines.slice(0, 6).map((l) => JSON.stringify(l) + '\n').join(''));
      expect(cutLog(p, keep(4, 2))).toBe(0); // idempotent
      expect(cutLog(p, keep(0, 0))).toBe(6); // a fresh run starts an empty log
      expect(readFileSync(p, 'utf8')).toBe('');
      expect(cutLog(join(dir, 'missing.jsonl'), keep(0, 0))).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
