/**
 * Seeded mutation fuzzing of every file reader (see fuzz-targets.ts for targets, mutations and
 * outcome classes). Each target runs in a worker thread with a heap limit and a watchdog, so a
 * hang or an out-of-memory is recorded against the case that caused it and the run continues.
 *
 *   npx tsx scripts/reliability/fuzz.ts [--cases 3000] [--seed 1] [--targets png,jpeg] [--json out.json]
 *
 * Exit status 1 when any case ends in a failure class (crash, hang, oom, slow, silent-wrong,
 * error-unnamed); the first examples of each are printed.
 */
import { Worker } from 'node:worker_threads';
import { writeFileSync } from 'node:fs';
import { BAD_OUTCOMES, TARGET_NAMES, type CaseResult, type Outcome, type TargetName } from './fuzz-targets.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const CASES = Number(flag('cases', '3000'));
const SEED = Number(flag('seed', '1'));
const TARGETS = flag('targets', TARGET_NAMES.join(',')).split(',') as TargetName[];
const JSON_OUT = flag('json', '');
const WATCHDOG_MS = 20_000;
const HEAP_MB = 1024;

for (const t of TARGETS) if (!TARGET_NAMES.includes(t)) throw new Error(`--targets: unknown target '${t}' (${TARGET_NAMES.join(', ')})`);

function runTarget(name: TargetName): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  return new Promise((resolve) => {
    const start = (from: number): void => {
      if (from >= CASES) return resolve(results);
      let current = from;
      let finished = false;
      const w = new Worker(new URL('./fuzz-worker.mjs', import.meta.url), {
        workerData: { target: name, from, to: CASES, seed: SEED },
        resourceLimits: { maxOldGenerationSizeMb: HEAP_MB },
      });
      // Building a target's seeds (rendering faces, encoding images) may take a while on a busy machine.
      let timer = setTimeout(() => void onStall(), 10 * WATCHDOG_MS);
      let started = false;
      const restartAfter = (outcome: Outcome, detail: string): void => {
        if (finished) return;
        if (!started) throw new Error(`fuzz worker for ${name} failed before its first case: ${detail}`);
        finished = true;
        clearTimeout(timer);
        results.push({ target: name, index: current, kind: '?', outcome, ms: NaN, detail });
        void w.terminate();
        start(current + 1);
      };
      const onStall = (): void => restartAfter('hang', `no progress for ${WATCHDOG_MS / 1000} s`);
      w.on('message', (m: { type: string; index?: number; result?: CaseResult }) => {
        clearTimeout(timer);
        timer = setTimeout(onStall, WATCHDOG_MS);
        if (m.type === 'start') {
          current = m.index!;
          started = true;
        }
        else if (m.type === 'result') results.push(m.result!);
        else if (m.type === 'done') {
          finished = true;
          clearTimeout(timer);
          resolve(results);
        }
      });
      w.on('error', (e: Error & { code?: string }) => restartAfter(e.code === 'ERR_WORKER_OUT_OF_MEMORY' || /memory/i.test(e.message) ? 'oom' : 'crash', `worker: ${e.message}`));
      w.on('exit', (code) => {
        if (!finished && code !== 0) restartAfter('crash', `worker exited with ${code}`);
      });
    };
    start(0);
  });
}

const ORDER: Outcome[] = ['error', 'accepted-same', 'accepted-changed', ...BAD_OUTCOMES];
const summary: Record<string, Record<string, number>> = {};
const examples: string[] = [];
let bad = 0;
const t0 = performance.now();
for (const name of TARGETS) {
  const ts = performance.now();
  const results = await runTarget(name);
  const counts: Record<string, number> = Object.fromEntries(ORDER.map((o) => [o, 0]));
  for (const r of results) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  counts.cases = results.length;
  counts.seconds = Math.round((performance.now() - ts) / 100) / 10;
  summary[name] = counts;
  for (const o of BAD_OUTCOMES) {
    const xs = results.filter((r) => r.outcome === o);
    bad += xs.length;
    for (const r of xs.slice(0, 3)) examples.push(`${name} #${r.index} ${r.kind} → ${o}: ${r.detail?.slice(0, 400)}`);
  }
  console.log(`${name.padEnd(24)} ${ORDER.map((o) => `${o} ${counts[o]}`).join('  ')}  (${counts.seconds} s)`);
}
const total = Object.values(summary).reduce((s, c) => s + c.cases!, 0);
console.log(`\n${total} cases over ${TARGETS.length} readers in ${((performance.now() - t0) / 1000).toFixed(0)} s, seed ${SEED}: ${bad} in failure classes`);
for (const e of examples) console.log('  ' + e);
if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ seed: SEED, casesPerReader: CASES, summary, failures: examples }, null, 2) + '\n');
process.exit(bad > 0 ? 1 : 0);
