// The fast variant of scripts/reliability/kill-resume.ts: two SIGKILLs (at a random moment or
// inside a checkpoint save), each followed by --resume; the final weights, optimizer moments,
// best checkpoint and log must equal an uninterrupted run's. The script exits 1 on any mismatch.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

describe('kill -9 and resume', () => {
  it('two kills, two resumes, bit-identical result', async () => {
    // Async (not spawnSync) so the test worker keeps answering vitest meanwhile.
    const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const c = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../../scripts/reliability/kill-resume.ts'), '--kills', '2', '--per-trial', '2', '--epochs', '3', '--seed', '3']);
      let stdout = '', stderr = '';
      c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      c.on('exit', (status) => resolve({ status, stdout, stderr }));
    });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/2 kills .* every run resumed and matched bit for bit/);
  }, 900_000);
});
