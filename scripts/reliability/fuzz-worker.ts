// Worker side of fuzz.ts: runs cases [from, to) of one target and reports each one, announcing
// a case before it starts so the parent can blame a hang or an out-of-memory on it.
import { parentPort, workerData } from 'node:worker_threads';
import { makeTarget, runCase, type TargetName } from './fuzz-targets.js';

const { target: name, from, to, seed } = workerData as { target: TargetName; from: number; to: number; seed: number };
const { target, cleanup } = makeTarget(name);
try {
  for (let i = from; i < to; i++) {
    parentPort!.postMessage({ type: 'start', index: i });
    parentPort!.postMessage({ type: 'result', result: await runCase(target, i, seed) });
  }
} finally {
  cleanup();
}
parentPort!.postMessage({ type: 'done' });
