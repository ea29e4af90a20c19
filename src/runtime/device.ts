/**
 * Creates the engine's device from any `GPU` object (navigator.gpu in a browser, Dawn's in Node),
 * asking for the adapter's best limits so large tensors and 16 KiB+ workgroup memory are usable.
 */
import { NoAdapterError } from './errors.js';
import { Runtime, setRuntime } from './runtime.js';
import type { PoolLimits } from './pool.js';
import { configureTuner } from './tuner.js';
import { LocalStorageTunerStore } from './tuner-store-web.js';

export interface EngineOptions {
  powerPreference?: GPUPowerPreference;
  /** Extra hint appended to the no-adapter error (Node adds what to install). */
  installHint?: string;
  /** Bound on idle pooled GPU memory (default 64 MiB; buffers unused for 64 submits and 5 s go); see `Runtime.setPoolLimits`. */
  pool?: Partial<PoolLimits>;
  /**
   * Kernel variants forced per family, `family:variant,...` (e.g. 'matmul:tiled'); see
   * src/runtime/tuner.ts. Default: none (measured winner or the adapter class's prior).
   */
  kernels?: string;
  /** Time candidate kernel variants on first use (default: on for GPUs, off for CPU adapters). */
  tuneKernels?: boolean;
}

const WANTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupsPerDimension',
] as const;

const WANTED_FEATURES = ['timestamp-query', 'subgroups', 'shader-f16'] as const;

/** Makes a runtime on `gpu` without installing it (most code calls `initEngine` / `initNodeEngine`). */
export async function createRuntime(gpu: GPU, opts: EngineOptions = {}): Promise<Runtime> {
  const adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
  if (!adapter) {
    throw new NoAdapterError(`no WebGPU adapter found.${opts.installHint ? ' ' + opts.installHint : ''}`);
  }
  const requiredLimits: Record<string, number> = {};
  for (const k of WANTED_LIMITS) requiredLimits[k] = adapter.limits[k];
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const info = adapter.info;
  const desc = [info?.vendor, info?.architecture, info?.device, info?.description].filter(Boolean).join(' ') || 'unknown adapter';
  const rt = new Runtime(device, desc, adapter, opts.pool);
  // Warm-up lanes (Runtime.warmup): a fresh adapter per device, since an adapter makes only one.
  rt.spawnDevice = async () => {
    const a = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
    if (!a) throw new NoAdapterError('no WebGPU adapter for a warm-up device');
    return a.requestDevice({ requiredLimits, requiredFeatures });
  };
  return rt;
}

/** Browser (or any host that provides `navigator.gpu`): initialises and installs the runtime. */
export async function initEngine(opts: EngineOptions & { gpu?: GPU } = {}): Promise<Runtime> {
  const gpu = opts.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) throw new NoAdapterError('WebGPU is not available here (navigator.gpu is undefined).' + (opts.installHint ? ' ' + opts.installHint : ''));
  // Node passes its file store (via configureTuner) before calling here; a page uses localStorage.
  configureTuner({ overrides: opts.kernels, measuring: opts.tuneKernels ?? null });
  if (!opts.gpu) configureTuner({ store: LocalStorageTunerStore.available() });
  const rt = await createRuntime(gpu, opts);
  setRuntime(rt);
  return rt;
}
