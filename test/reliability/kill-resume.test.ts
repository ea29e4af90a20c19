// The fast variant of scripts/reliability/kill-resume.ts: two SIGKILLs (at a random moment or
// inside a checkpoint save), each followed by --resume; the final weights, optimizer moments,
// best checkpoint and log must equal an uninterrupted run's. The script exits 1 on any mismatch.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

describe('kill -9 and resume', () => {
  it('two kills, two resumes, bit-identical result', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '../../scripts/reliability/kill-resume.ts'), '--kills', '2', '--per-trial', '2', '--epochs', '3', '--seed', '3'], {
      encoding: 'utf8',
      timeout: 900_000,
    });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/2 kills .* every run resumed and matched bit for bit/);
  }, 900_000);
});
