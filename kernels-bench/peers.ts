/**
 * Loading the peer libraries for side-by-side runs, and small helpers that cases share.
 *
 * - tfjs-backend-webgpu gets the engine's own Dawn `GPU` object as `navigator.gpu`, so it asks the
 *   same Dawn instance for the same adapter (it creates its own device). The backend registers at
 *   import time only if `navigator.gpu` exists, hence the order below.
 * - onnxruntime-node's WebGPU execution provider ships its own Dawn inside libonnxruntime: it runs
 *   on the same physical adapter (the system's Vulkan driver) but through a separate instance.
 * Either peer may be missing or fail; the runner then reports why and goes on without it.
 */
import type * as Tfjs from '@tensorflow/tfjs-core';
import type * as Ort from 'onnxruntime-node';
import { createRequire } from 'node:module';
import { onnxModel } from './onnx.js';

export type TfjsModule = typeof Tfjs;
export type OrtModule = typeof Ort;

function message(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0]! : String(e);
}

export type Loaded<T> = { ok: true; mod: T; info: string } | { ok: false; why: string };

export async function loadTfjs(gpu: GPU): Promise<Loaded<TfjsModule>> {
  try {
    const g = globalThis as { navigator?: { gpu?: GPU } };
    if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    const tf = (await import('@tensorflow/tfjs-core')) as TfjsModule;
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) return { ok: false, why: 'tf.setBackend("webgpu") returned false' };
    await tf.ready();
    return { ok: true, mod: tf, info: `@tensorflow/tfjs-backend-webgpu ${tf.version_core}` };
  } catch (e) {
    return { ok: false, why: message(e) };
  }
}

export async function loadOrt(): Promise<Loaded<OrtModule>> {
  try {
    // onnxruntime-node is CommonJS with a native binding; require keeps its exports intact.
    const ort = createRequire(import.meta.url)('onnxruntime-node') as OrtModule;
    // Probe the WebGPU EP once so a missing/broken EP is reported up front, not per case.
    await ortGpu(ort).sync();
    return { ok: true, mod: ort, info: `onnxruntime-node ${ort.env.versions.common ?? ''} (webgpu EP)` };
  } catch (e) {
    return { ok: false, why: message(e) };
  }
}

const syncInputs = new WeakMap<object, Tfjs.Tensor>();

/**
 * Waits until tfjs's queue is idle: a small op is computed on the GPU and read back, which
 * submits everything pending and maps after it. The input is large enough (> the backend's
 * 1000-element CPU hand-off threshold) that the op is not forwarded to the CPU.
 */
export async function tfjsSync(tf: TfjsModule): Promise<void> {
  let x = syncInputs.get(tf);
  if (!x) syncInputs.set(tf, (x = tf.zeros([2048])));
  const t = tf.add(x, 1);
  await t.data();
  t.dispose();
}

export interface OrtGpu {
  /** A WebGPU-EP session whose outputs stay on the GPU ('gpu-buffer'). */
  session(model: Uint8Array): Promise<Ort.InferenceSession>;
  /** Uploads host data once, returning a GPU-resident tensor usable as a feed. */
  upload(data: Float32Array, dims: readonly number[]): Promise<Ort.Tensor>;
  /** Waits for all queued ORT WebGPU work (a tiny session whose output is read to the host). */
  sync(): Promise<void>;
}

const cache = new WeakMap<object, OrtGpu>();

/**
 * ORT WebGPU with inputs and outputs kept on the device. onnxruntime-node 1.30 cannot read a
 * 'gpu-buffer' output back (getData aborts the process), so data goes up through an Identity
 * session and synchronisation is a separate one-element session with a host output: all
 * sessions share ORT's WebGPU context and queue, so its readback waits for earlier work.
 */
export function ortGpu(ort: OrtModule): OrtGpu {
  const hit = cache.get(ort);
  if (hit) return hit;
  const opts = { executionProviders: ['webgpu'], preferredOutputLocation: 'gpu-buffer' } as const;
  const uploaders = new Map<string, Promise<Ort.InferenceSession>>();
  let syncer: Promise<Ort.InferenceSession> | null = null;
  const one = (op: string, dims: readonly number[]) =>
    onnxModel([{ op, inputs: ['X'], outputs: ['Y'] }], [{ name: 'X', shape: dims }], [{ name: 'Y', shape: dims }]);
  const g: OrtGpu = {
    session: (model) => ort.InferenceSession.create(model, opts),
    async upload(data, dims) {
      const key = dims.join('x');
      let s = uploaders.get(key);
      if (!s) uploaders.set(key, (s = ort.InferenceSession.create(one('Identity', dims), opts)));
      const out = await (await s).run({ X: new ort.Tensor('float32', data, dims) });
      return out['Y']!;
    },
    async sync() {
      syncer ??= ort.InferenceSession.create(one('Neg', [4]), { executionProviders: ['webgpu'] });
      const out = await (await syncer).run({ X: new ort.Tensor('float32', new Float32Array(4), [4]) });
      out['Y']!.dispose();
    },
  };
  cache.set(ort, g);
  return g;
}

/** Deterministic pseudo-random f32 data in [-1, 1) for benchmark inputs. */
export function benchData(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = (s >>> 0) / 2 ** 31 - 1;
  }
  return out;
}
