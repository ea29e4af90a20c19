/**
 * Node-only: creates a Dawn-backed WebGPU device through the `webgpu` npm package. The engine
 * core never imports this file; Node entry points (CLI, tests, benchmarks) do.
 */
import { initEngine, type EngineOptions } from './device.js';
import type { Runtime } from './runtime.js';
import { configureTuner } from './tuner.js';
import { FileTunerStore } from './tuner-store-node.js';

const INSTALL_HINT =
  'On Linux without a GPU install Mesa lavapipe >= 23 (Debian 12: apt-get install -t bookworm-backports ' +
  'mesa-vulkan-drivers libvulkan1; the stock 22.3 is rejected by Dawn) or run scripts/setup-system.sh as root.';

let pending: Promise<Runtime> | null = null;
// Dawn destroys its instance when the JS `GPU` object is garbage-collected, even while a device
// made from it is in use (a crash in ProcessEvents). Keep it reachable for the process lifetime.
let dawnInstance: GPU | null = null;

/** Initialises the engine on Dawn once per process; later calls return the same runtime. */
export function initNodeEngine(opts: EngineOptions & { dawnFlags?: string[] } = {}): Promise<Runtime> {
  pending ??= (async () => {
    const webgpu = (await import('webgpu')) as { create: (flags: string[]) => GPU; globals: object };
    if (process.env['ARBEX_DAWN_POLL'] !== 'spin') throttleDawnPolling();
    Object.assign(globalThis, webgpu.globals);
    const gpu = webgpu.create(opts.dawnFlags ?? []);
    dawnInstance = gpu;
    // Kernel tuning: measured winners persist per adapter under the user's cache directory;
    // ARBEX_KERNELS forces variants, ARBEX_TUNE=1|0 turns measuring on/off (see runtime/tuner.ts).
    const tune = process.env['ARBEX_TUNE'];
    configureTuner({ store: new FileTunerStore() });
    return initEngine({
      ...opts, gpu, installHint: INSTALL_HINT,
      kernels: opts.kernels ?? process.env['ARBEX_KERNELS'] ?? '',
      tuneKernels: opts.tuneKernels ?? (tune === '1' ? true : tune === '0' ? false : undefined),
    });
  })();
  return pending;
}

/** The Dawn instance behind the Node engine (null before initNodeEngine). */
export function dawnGpu(): GPU | null {
  return dawnInstance;
}

/** How long a wait for the GPU may poll back-to-back before polling moves to a 1-ms timer. */
const SPIN_MS = 0.5;
let throttled = false;

/**
 * Dawn's Node binding learns that GPU work finished (onSubmittedWorkDone, mapAsync, async
 * pipeline creation) by polling: while such a promise is pending it reschedules a native callback
 * with `globalThis.setImmediate`, back to back — ~60,000 polls during a 0.7-s wait, one whole
 * core. On a software adapter that core is taken from the driver's own worker threads (lavapipe
 * runs the kernels on the CPU), so every wait slowed the work it waited for. Here a wait polls
 * back to back for its first SPIN_MS (short waits keep their µs latency), then once per timer
 * tick (~1 ms). Only native callbacks (the binding's) are affected; JS callbacks keep the real
 * setImmediate. ARBEX_DAWN_POLL=spin restores the binding's own loop.
 */
function throttleDawnPolling(): void {
  if (throttled) return;
  throttled = true;
  const original = globalThis.setImmediate;
  const fnToString = Function.prototype.toString;
  let waitStart = 0, lastPoll = -Infinity;
  const polite = function (this: unknown, cb: (...a: unknown[]) => void, ...args: unknown[]) {
    if (typeof cb === 'function' && fnToString.call(cb).endsWith('{ [native code] }')) {
      const now = performance.now();
      // A gap longer than a timer tick means the previous wait ended: this poll starts a new one.
      if (now - lastPoll > 3) waitStart = now;
      lastPoll = now;
      if (now - waitStart > SPIN_MS) return setTimeout(cb, 0, ...args);
    }
    return original(cb, ...args);
  };
  globalThis.setImmediate = Object.assign(polite, original) as unknown as typeof setImmediate;
}
