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
