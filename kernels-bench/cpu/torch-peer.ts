/**
 * PyTorch on the CPU as a bench peer (the "torch" column of kernels-bench/run.ts): a
 * torch_server.py child process answers one request per line. Each `run` is one request for one
 * iteration (the pipe round trip, ~0.1 ms, is included — small next to these cases). On a software
 * adapter our kernels and PyTorch run on the same cores, never at the same time (the runner
 * interleaves), so the ratio says how far the WGSL kernels are from what the CPU can do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { PeerRun } from '../case.js';
import type { Loaded } from '../peers.js';

export interface TorchPeer {
  setup(req: Record<string, unknown>): Promise<PeerRun>;
  close(): void;
}

export async function loadTorch(python = '/usr/bin/python3'): Promise<Loaded<TorchPeer>> {
  let py: ChildProcess;
  try {
    py = spawn(python, [fileURLToPath(new URL('./torch_server.py', import.meta.url))], { stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    return { ok: false, why: e instanceof Error ? e.message : String(e) };
  }
  let stderr = '';
  py.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: py.stdout! })[Symbol.asyncIterator]();
  const exited = new Promise<void>((resolve) => py.once('exit', () => resolve()));
  py.once('error', () => undefined);
  const call = async (req: Record<string, unknown>): Promise<{ ms: number; torch: string; threads: number }> => {
    py.stdin!.write(JSON.stringify(req) + '\n');
    const r = await Promise.race([lines.next(), exited.then(() => ({ done: true as const, value: undefined }))]);
    if (r.done) throw new Error(`PyTorch helper exited: ${stderr.trim().split('\n').pop() ?? '(no output)'} (apt-get install python3-torch)`);
    return JSON.parse(r.value) as { ms: number; torch: string; threads: number };
  };
  try {
    const probe = await call({ kind: 'matmul', a: [8, 8], b: [8, 8], reps: 1 });
    const peer: TorchPeer = {
      async setup(req) {
        await call({ ...req, reps: 1 }); // builds the inputs once (cached by the server)
        return { run: async () => void (await call({ ...req, reps: 1 })), sync: async () => {} };
      },
      close: () => py.kill(),
    };
    return { ok: true, mod: peer, info: `PyTorch ${probe.torch} on the CPU, ${probe.threads} threads` };
  } catch (e) {
    py.kill();
    return { ok: false, why: e instanceof Error ? e.message : String(e) };
  }
}
