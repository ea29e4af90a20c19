/**
 * kill -9 at any point: trains a small ARBEx-tiny job once without interruption, then again
 * while SIGKILLing it at random moments — some at random times, some while a checkpoint is being
 * written (the trainer is run with ARBEX_FAULT_CHECKPOINT_PAUSE_MS so each save stage lasts long
 * enough to be hit) — resuming with --resume after every kill. Checks that every resume starts,
 * that the final weights, optimizer moments and best checkpoint equal the uninterrupted run's
 * bit for bit, and that train-log.jsonl equals the uninterrupted log (timing fields aside).
 *
 *   npx tsx scripts/reliability/kill-resume.ts [--kills 20] [--per-trial 4] [--epochs 6] [--seed 1] [--json out.json]
 *
 * The job: 16 synthetic training faces in class-balanced batches of 8 (one step per epoch, so a
 * checkpoint after every step), 8 validation and 8 test faces. Exit status 1 on any mismatch.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors } from '../../src/io/safetensors.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const KILLS = Number(flag('kills', '20'));
const PER_TRIAL = Number(flag('per-trial', '4'));
const EPOCHS = Number(flag('epochs', '6'));
const SEED = Number(flag('seed', '1'));
const JSON_OUT = flag('json', '');
const PAUSE_MS = 150;

const BIN = new URL('../../bin/arbex.mjs', import.meta.url).pathname;
const trainArgs = (out: string, resume: boolean): string[] => [
  BIN, 'train', '--epochs', String(EPOCHS), '--batch', '8', '--train-size', '16', '--val-size', '8', '--test-size', '8', '--seed', '1', '--out', out, '--quiet',
  ...(resume ? ['--resume'] : []),
];

let rngState = SEED >>> 0 || 1;
const rand = (): number => {
  let t = (rngState = (rngState + 0x6d2b79f5) >>> 0);
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

interface Run {
  code: number | null;
  signal: string | null;
  ms: number;
  stderr: string;
  killedIn?: string;
}

/** Runs the trainer; `killAt` decides when to SIGKILL it (polled every 5 ms), or never. */
function runTrainer(out: string, resume: boolean, killAt?: (elapsed: number) => string | null, pause = false): Promise<Run> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, trainArgs(out, resume), {
      env: { ...process.env, ...(pause ? { ARBEX_FAULT_CHECKPOINT_PAUSE_MS: String(PAUSE_MS) } : {}) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let killedIn: string | undefined;
    const poll = killAt
      ? setInterval(() => {
          const why = killAt(performance.now() - t0);
          if (why !== null && killedIn === undefined) {
            killedIn = why;
            child.kill('SIGKILL');
          }
        }, 5)
      : null;
    child.on('exit', (code, signal) => {
      if (poll) clearInterval(poll);
      resolve({ code, signal, ms: performance.now() - t0, stderr, killedIn });
    });
  });
}

/** What the run directory shows of a checkpoint save in progress. */
function savePhase(dir: string): string | null {
  if (!existsSync(dir)) return null;
  const files = readdirSync(dir);
  if (files.some((f) => f.endsWith('.next'))) return 'checkpoint (.next written, before or after the JSON commit)';
  if (files.some((f) => f.endsWith('.tmp'))) return 'checkpoint (atomic write in flight)';
  return null;
}

const TIMING = new Set(['ms_data', 'ms_step', 'seconds', 'ms_data_total', 'ms_step_total']);
function logLines(dir: string): string[] {
  return readFileSync(join(dir, 'train-log.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(l) as Record<string, unknown>).filter(([k]) => !TIMING.has(k)))));
}

function compare(ref: string, dir: string): string[] {
  const problems: string[] = [];
  for (const f of ['last.safetensors', 'last.optim.safetensors', 'best.safetensors']) {
    const a = readFileSync(join(ref, f)), b = readFileSync(join(dir, f));
    if (Buffer.compare(a, b) !== 0) {
      // Say which tensor differs.
      const ta = decodeSafetensors(a).tensors, tb = decodeSafetensors(b).tensors;
      const diff = [...ta.keys()].filter((k) => !tb.has(k) || Buffer.compare(Buffer.from(ta.get(k)!.data.buffer), Buffer.from(tb.get(k)!.data.buffer)) !== 0);
      problems.push(`${f} differs from the uninterrupted run (${diff.length} tensors: ${diff.slice(0, 3).join(', ')})`);
    }
  }
  const la = logLines(ref), lb = logLines(dir);
  if (la.length !== lb.length) problems.push(`train-log.jsonl has ${lb.length} lines, the uninterrupted run ${la.length}`);
  else la.forEach((l, i) => l !== lb[i] && problems.push(`train-log.jsonl line ${i + 1}: ${lb[i]} vs ${l}`));
  const left = readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.endsWith('.next'));
  if (left.length) problems.push(`leftover files: ${left.join(', ')}`);
  return problems;
}

const root = mkdtempSync(join(tmpdir(), 'arbex-kill-'));
const ref = join(root, 'ref');
console.log(`uninterrupted run (${EPOCHS} epochs) …`);
const base = await runTrainer(ref, false);
if (base.code !== 0) throw new Error(`reference run failed (${base.code}): ${base.stderr}`);
console.log(`  ${(base.ms / 1000).toFixed(1)} s`);

let kills = 0, trials = 0, resumes = 0;
const killLog: { trial: number; at_ms: number; phase: string }[] = [];
const failures: string[] = [];
while (kills < KILLS) {
  trials++;
  const dir = join(root, `trial-${trials}`);
  let first = true;
  let trialKills = 0;
  for (;;) {
    const wantKill = trialKills < PER_TRIAL && kills < KILLS;
    // Half the kills wait for a checkpoint save to be in flight (with slowed saves), half land at
    // a uniformly random moment of a run's expected duration.
    const duringSave = wantKill && rand() < 0.5;
    const when = rand() * base.ms * 1.1;
    const delay = rand() * PAUSE_MS * 3;
    let seenAt = -1;
    const killAt = !wantKill
      ? undefined
      : duringSave
        ? (t: number): string | null => {
            const phase = savePhase(dir);
            if (phase && seenAt < 0) seenAt = t;
            return seenAt >= 0 && t >= seenAt + delay ? phase ?? 'checkpoint (just finished)' : null;
          }
        : (t: number): string | null => (t >= when ? savePhase(dir) ?? 'random moment' : null);
    const r = await runTrainer(dir, !first, killAt, duringSave);
    if (!first) resumes++;
    first = false;
    if (r.signal === 'SIGKILL') {
      kills++;
      trialKills++;
      killLog.push({ trial: trials, at_ms: Math.round(r.ms), phase: r.killedIn ?? '?' });
      console.log(`  trial ${trials}: kill ${kills} at ${(r.ms / 1000).toFixed(1)} s — ${r.killedIn}`);
      continue;
    }
    if (r.code !== 0) {
      failures.push(`trial ${trials}: the run after ${trialKills} kill(s) failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      break;
    }
    const problems = compare(ref, dir);
    console.log(`  trial ${trials}: finished after ${trialKills} kill(s): ${problems.length ? problems.join('; ') : 'weights, moments, best and log identical to the uninterrupted run'}`);
    failures.push(...problems.map((p) => `trial ${trials}: ${p}`));
    break;
  }
}
console.log(`\n${kills} kills (${killLog.filter((k) => k.phase.startsWith('checkpoint')).length} during a checkpoint save) over ${trials} runs, ${resumes} resumes: ${failures.length ? `${failures.length} FAILURES` : 'every run resumed and matched bit for bit'}`);
for (const f of failures) console.log('  ' + f);
if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ seed: SEED, epochs: EPOCHS, kills, trials, resumes, referenceSeconds: base.ms / 1000, killLog, failures }, null, 2) + '\n');
rmSync(root, { recursive: true, force: true });
process.exit(failures.length ? 1 : 0);
