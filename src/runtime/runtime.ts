/**
 * The GPU runtime: one device, its limits, the buffer pool, the pipeline cache and the command
 * batching. Everything above this layer dispatches through `Runtime.dispatch` and reads back
 * through `Runtime.read`; nothing here knows about tensors or ops.
 *
 * Dispatches are recorded into one open compute pass and submitted in batches (at readback, or
 * every `maxDispatchesPerSubmit`), which keeps the per-op host overhead low.
 */
import { BindGroupCache, type UniformBinding } from './bind-groups.js';
import { BufferPool, type PoolLimits, type PoolStats } from './pool.js';
import { GpuError } from './errors.js';
import { PipelineWarmer, type WarmSpec } from './warmup.js';
import { computeStage } from './specialise.js';
import { GpuProfiler, type ProfileRow } from './profiler.js';
import type { Params } from './params.js';

export const STORAGE_USAGE = 0x80 | 0x4 | 0x8; // STORAGE | COPY_SRC | COPY_DST
const UNIFORM_USAGE = 0x40 | 0x8; // UNIFORM | COPY_DST
/** Uniform blocks are packed into one arena per submit at this alignment (WebGPU's minimum). */
const UNIFORM_SLOT = 256;
const READ_USAGE = 0x1 | 0x8; // MAP_READ | COPY_DST
const MAP_READ = 0x1;

export interface DispatchSpec {
  /** Name of the op, used in labels and error messages. */
  op: string;
  /** File name in shaders/ without `.wgsl`. */
  shader: string;
  entry: string;
  /** Pipeline-overridable constants; part of the pipeline cache key. */
  constants?: Record<string, number>;
  /** Bound at @binding(0) when present. */
  params?: Params;
  /** Bound at @binding(1), @binding(2), ... in order; null skips a binding the entry point does not use. */
  buffers: (GPUBuffer | null)[];
  workgroups: [number, number?, number?];
}

/** A pipeline as a dispatch used it: enough to compile and warm it up again without the op. */
export type PipelineSpec = WarmSpec;

/** Time spent making one pipeline ready: creation on the host, then its first (1-workgroup) run. */
export interface PipelineTiming {
  key: string;
  op: string;
  createMs: number;
  firstRunMs: number;
}

export interface Limits {
  maxStorageBuffersPerShaderStage: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupsPerDimension: number;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

/**
 * One GPU device with its buffer pool, pipeline cache and command batching. Users mostly need
 * `memory()`, `trim()`, `resetPeak()`, `setPoolLimits()`, `sync()`, `limits` and `adapterInfo`.
 */
export class Runtime {
  readonly pool: BufferPool;
  readonly limits: Limits;
  readonly features: ReadonlySet<string>;
  /** Dispatches recorded so far (for tests and benchmarks). */
  dispatchCount = 0;
  maxDispatchesPerSubmit = 256;
  /** Wraps every dispatch in an error scope so failures name the exact op (slow; for debugging). */
  debugErrors = false;

  /**
   * While true, `dispatch` only records the pipeline it would use (see `trace`): nothing is
   * compiled, encoded or run, so the outputs of the traced code are garbage.
   */
  private tracing: Map<string, PipelineSpec> | null = null;
  /** Pipelines that have run at least once (a software adapter compiles them then). */
  private warm = new Set<string>();
  /** How long `warmup` took for each pipeline it prepared (for benchmarks). */
  readonly pipelineTimings: PipelineTiming[] = [];
  private pipelines = new Map<string, GPUComputePipeline>();
  private modules = new Map<string, GPUShaderModule>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private inBatch = 0;
  private uniformArena: GPUBuffer | null = null;
  private uniformHost = new Uint8Array(0);
  private uniformUsed = 0;
  private pendingError: GpuError | null = null;
  private lostError: GpuError | null = null;
  private lastOp = '(none)';
  /** Reused bind groups (see bind-groups.ts); `hits`/`misses` count lookups. */
  readonly bindGroups: BindGroupCache;

  constructor(readonly device: GPUDevice, readonly adapterInfo: string, readonly adapter?: GPUAdapter, poolLimits: Partial<PoolLimits> = {}) {
    this.bindGroups = new BindGroupCache(device);
    this.pool = new BufferPool(device, poolLimits, (buf) => this.bindGroups.forget(buf));
    const l = device.limits;
    this.limits = {
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
    };
    this.features = new Set(device.features as unknown as Iterable<string>);
    device.addEventListener('uncapturederror', (ev) => {
      const msg = (ev as GPUUncapturedErrorEvent).error.message;
      this.pendingError ??= new GpuError(`GPU error after op '${this.lastOp}': ${msg}`);
    });
    void device.lost.then((info) => {
      this.lostError = new GpuError(`GPU device lost (${info.reason}) after op '${this.lastOp}': ${info.message}`);
    });
  }

  /** Throws a GPU error recorded since the last check. */
  checkErrors(): void {
    if (this.lostError) throw this.lostError;
    const e = this.pendingError;
    if (e) {
      this.pendingError = null;
      throw e;
    }
  }

  private dummy: GPUBuffer | null = null;

  /**
   * A 16-byte placeholder for bindings an entry point declares but a variant does not read
   * (e.g. the bias of a matmul without bias): WGSL counts override-gated accesses as uses.
   */
  placeholder(): GPUBuffer {
    this.dummy ??= this.device.createBuffer({ size: 16, usage: STORAGE_USAGE, label: 'placeholder' });
    return this.dummy;
  }

  /** `upload`: the caller will writeBuffer into it, so it must not be in use by open work. */
  createBuffer(bytes: number, label: string, upload = false): GPUBuffer {
    if (bytes > this.limits.maxStorageBufferBindingSize) {
      throw new GpuError(
        `${label}: ${bytes} bytes exceeds this adapter's maxStorageBufferBindingSize (${this.limits.maxStorageBufferBindingSize})`,
      );
    }
    return this.pool.acquire(bytes, STORAGE_USAGE, label, upload);
  }

  releaseBuffer(buf: GPUBuffer): void {
    this.pool.release(buf);
  }

  /** Uploads host data. Safe at any time: pooled buffers are only reused after a submit. */
  write(buf: GPUBuffer, data: ArrayBufferView, offsetBytes = 0): void {
    // While tracing nothing may change real buffers (e.g. BatchNorm's step counter, SAM's restore).
    if (this.tracing) return;
    this.device.queue.writeBuffer(buf, offsetBytes, data.buffer, data.byteOffset, data.byteLength);
  }

  private static key(spec: { shader: string; entry: string; constants?: Record<string, number> }): string {
    const c = spec.constants;
    return `${spec.shader}|${spec.entry}|${c ? Object.entries(c).map(([k, v]) => `${k}=${v}`).join(',') : ''}`;
  }

  private pipelineDescriptor(spec: Omit<DispatchSpec, 'buffers' | 'workgroups'>, key: string): GPUComputePipelineDescriptor {
    return { label: `${spec.op}:${key}`, layout: 'auto', compute: computeStage(this.device, this.modules, spec) };
  }

  private pipeline(spec: Omit<DispatchSpec, 'buffers' | 'workgroups'>, key = Runtime.key(spec)): GPUComputePipeline {
    let p = this.pipelines.get(key);
    if (p) return p;
    p = this.device.createComputePipeline(this.pipelineDescriptor(spec, key));
    this.pipelines.set(key, p);
    return p;
  }

  dispatch(spec: DispatchSpec): void {
    this.checkErrors();
    const [x, y = 1, z = 1] = spec.workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    const maxWg = this.limits.maxComputeWorkgroupsPerDimension;
    if (x > maxWg || y > maxWg || z > maxWg) {
      throw new GpuError(`op '${spec.op}': dispatch [${x}, ${y}, ${z}] exceeds ${maxWg} workgroups per dimension`);
    }
    if (this.tracing) {
      const key = Runtime.key(spec);
      if (!this.tracing.has(key)) {
        this.tracing.set(key, {
          key, op: spec.op, shader: spec.shader, entry: spec.entry, constants: spec.constants,
          paramBytes: spec.params ? spec.params.bytes().byteLength : 0, slots: spec.buffers.map((b) => b !== null),
        });
      }
      return;
    }
    this.lastOp = spec.op;
    const key = Runtime.key(spec);
    const pipeline = this.pipeline(spec, key);
    this.warm.add(key);
    let uniform: UniformBinding | null = null;
    if (spec.params) {
      // Uniforms go to this submit's slice of the arena, uploaded once at flush. The upload is
      // queued after the previous submit, which has therefore finished reading the arena.
      const bytes = spec.params.bytes();
      const slot = Math.ceil(bytes.byteLength / UNIFORM_SLOT) * UNIFORM_SLOT;
      if (this.uniformUsed + slot > this.uniformHost.byteLength) this.growUniforms(slot);
      this.uniformHost.set(bytes, this.uniformUsed);
      uniform = { buffer: this.uniformArena!, offset: this.uniformUsed, size: slot };
      this.uniformUsed += slot;
    }
    if (this.debugErrors) this.device.pushErrorScope('validation');
    const bindGroup = this.bindGroups.get(pipeline, key, uniform, spec.buffers);
    if (this.profiler) {
      this.endPass();
      this.encoder ??= this.device.createCommandEncoder();
      this.pass = this.profiler.beginPass(this.encoder, spec.op, key, [x, y, z]);
    } else if (!this.pass) {
      this.encoder ??= this.device.createCommandEncoder();
      this.pass = this.encoder.beginComputePass();
    }
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(x, y, z);
    if (this.profiler) this.endPass();
    if (this.debugErrors) {
      const op = spec.op;
      void this.device.popErrorScope().then((err) => {
        if (err) this.pendingError ??= new GpuError(`GPU validation error in op '${op}': ${err.message}`);
      });
    }
    this.dispatchCount++;
    if (++this.inBatch >= this.maxDispatchesPerSubmit) this.flush();
  }

  private growUniforms(slot: number): void {
    if (this.uniformUsed > 0) this.flush();
    const size = Math.max(slot, this.maxDispatchesPerSubmit * UNIFORM_SLOT);
    if (size > this.uniformHost.byteLength) {
      if (this.uniformArena) {
        this.bindGroups.forget(this.uniformArena);
        this.uniformArena.destroy();
      }
      this.uniformArena = this.device.createBuffer({ size, usage: UNIFORM_USAGE, label: 'uniform arena' });
      this.uniformHost = new Uint8Array(size);
    }
  }

  /** Copies between buffers in stream order (ends the open compute pass). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    if (this.tracing) return;
    this.endPass();
    this.encoder ??= this.device.createCommandEncoder();
    this.encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /**
   * Runs `fn` with dispatches recorded instead of executed and returns the pipelines it would use,
   * in first-use order. Uploads and buffer copies are dropped too, so no existing buffer changes.
   * Host-side work (allocation, shape checks, the autograd graph) still happens; GPU results are
   * garbage, so `fn` must not keep them. Callers restore any host state
   * `fn` advances (random keys, optimizer step counts).
   */
  async trace(fn: () => void | Promise<void>): Promise<PipelineSpec[]> {
    if (this.tracing) throw new GpuError('Runtime.trace: already tracing');
    this.flush();
    const seen = new Map<string, PipelineSpec>();
    this.tracing = seen;
    try {
      await fn();
    } finally {
      this.tracing = null;
    }
    return [...seen.values()];
  }

  /**
   * Extra devices for `warmup` (set by the engine's initialiser where it can make them): a
   * software adapter compiles on each device's own queue thread, so lanes compile in parallel.
   */
  spawnDevice: (() => Promise<GPUDevice>) | null = null;

  /**
   * Makes pipelines ready before they are needed: creates each and runs it once on one workgroup
   * with zeroed uniforms and placeholder buffers (see warmup.ts), reporting progress. With
   * `lanes` > 1 and `spawnDevice` set, extra devices take a share of the list in parallel; their
   * results reach this device through the driver's shader cache, so each such pipeline is then
   * run once here too (cheap when the cache hit). Pipelines already run are skipped.
   */
  async warmup(
    specs: readonly PipelineSpec[],
    onProgress?: (done: number, total: number, spec: PipelineSpec) => void,
    opts: { lanes?: number } = {},
  ): Promise<PipelineTiming[]> {
    const todo = specs.filter((s) => !this.warm.has(s.key));
    if (todo.length === 0) return [];
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    const main = new PipelineWarmer(this.device);
    const helpers: PipelineWarmer[] = [];
    const lanes = Math.max(1, Math.min(opts.lanes ?? 1, todo.length));
    if (lanes > 1 && this.spawnDevice) {
      for (let i = 1; i < lanes; i++) helpers.push(new PipelineWarmer(await this.spawnDevice()));
    }
    const out: PipelineTiming[] = [];
    const seeded: PipelineSpec[] = [];
    let next = 0, done = 0;
    const report = (spec: PipelineSpec, t0: number, t1: number): void => {
      const timing = { key: spec.key, op: spec.op, createMs: t1 - t0, firstRunMs: performance.now() - t1 };
      out.push(timing);
      this.pipelineTimings.push(timing);
      onProgress?.(++done, todo.length, spec);
    };
    const lane = async (w: PipelineWarmer, isMain: boolean): Promise<void> => {
      while (next < todo.length) {
        const spec = todo[next++]!;
        const t0 = performance.now();
        const pipeline = isMain ? await this.pipelineAsync(spec) : await w.create(spec);
        const t1 = performance.now();
        await w.runOnce(pipeline, spec);
        if (isMain) {
          this.checkErrors();
          this.warm.add(spec.key);
        } else {
          seeded.push(spec);
        }
        report(spec, t0, t1);
      }
    };
    try {
      await Promise.all([lane(main, true), ...helpers.map((h) => lane(h, false))]);
      for (const spec of seeded) {
        await main.runOnce(await this.pipelineAsync(spec), spec);
        this.checkErrors();
        this.warm.add(spec.key);
      }
    } finally {
      main.destroy();
      for (const h of helpers) {
        h.destroy();
        h.device.destroy();
      }
    }
    return out;
  }

  private async pipelineAsync(spec: PipelineSpec): Promise<GPUComputePipeline> {
    let p = this.pipelines.get(spec.key);
    if (p) return p;
    p = await this.device.createComputePipelineAsync(this.pipelineDescriptor(spec, spec.key));
    this.pipelines.set(spec.key, p);
    return p;
  }

  /** Submits everything recorded so far. */
  flush(): void {
    this.endPass();
    if (this.uniformUsed > 0) {
      this.device.queue.writeBuffer(this.uniformArena!, 0, this.uniformHost.buffer, 0, this.uniformUsed);
      this.uniformUsed = 0;
    }
    if (this.encoder) {
      this.profiler?.resolve(this.encoder);
      this.device.queue.submit([this.encoder.finish()]);
      this.encoder = null;
    }
    this.inBatch = 0;
    this.pool.onSubmitted();
  }

  private profiler: GpuProfiler | null = null;

  /**
   * Device time per op (or per pipeline, `by: 'pipeline'`, or per pipeline and grid, `by: 'grid'`) while `fn` runs (timestamp queries,
   * each dispatch in a pass of its own): rows sorted by time, largest first. Needs the
   * 'timestamp-query' feature.
   */
  async profile(fn: () => void | Promise<void>, opts: { by?: 'op' | 'pipeline' | 'grid' } = {}): Promise<ProfileRow[]> {
    if (!this.features.has('timestamp-query')) throw new GpuError("Runtime.profile: this adapter has no 'timestamp-query' feature");
    if (this.profiler) throw new GpuError('Runtime.profile: already profiling');
    this.flush();
    const profiler = new GpuProfiler(this.device, this.maxDispatchesPerSubmit, opts.by);
    this.profiler = profiler;
    try {
      await fn();
      this.flush();
    } finally {
      this.profiler = null;
    }
    const rows = await profiler.report();
    profiler.destroy();
    return rows;
  }

  /** Waits until the GPU has finished all submitted work; surfaces GPU errors. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.checkErrors();
  }

  /** Reads `bytes` bytes of `buf` back to the host. */
  async read(buf: GPUBuffer, bytes: number, offset = 0): Promise<ArrayBuffer> {
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.pool.acquire(size, READ_USAGE, 'readback', true);
    this.copy(buf, offset, staging, 0, size);
    this.flush();
    try {
      await staging.mapAsync(MAP_READ, 0, size);
    } catch (e) {
      this.checkErrors();
      throw new GpuError(`readback failed after op '${this.lastOp}': ${(e as Error).message}`);
    }
    const out = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    this.pool.release(staging);
    this.checkErrors();
    return out;
  }

  stats(): PoolStats & { pipelines: number; dispatches: number } {
    return { ...this.pool.stats(), pipelines: this.pipelines.size, dispatches: this.dispatchCount };
  }

  /**
   * GPU memory held by tensors (`bytesInUse`, `peakBytesInUse` since `resetPeak()`) and kept idle
   * for reuse (`bytesPooled`), in bytes of allocated buffers.
   */
  memory(): PoolStats {
    return this.pool.stats();
  }

  /** Releases every idle pooled buffer now (memory held by live tensors is untouched). */
  trim(): void {
    this.flush();
    this.pool.trim();
  }

  /** Starts a new peak measurement from the current use (e.g. before one training step). */
  resetPeak(): void {
    this.pool.resetPeak();
  }

  /** Bounds the idle memory the pool keeps (see runtime/pool.ts); returns the limits now in force. */
  setPoolLimits(limits: Partial<PoolLimits>): PoolLimits {
    this.pool.setLimits(limits);
    return this.pool.getLimits();
  }
}

let current: Runtime | null = null;

/** The runtime ops dispatch to. Set by `initEngine` (browser) or `initNodeEngine` (Node). */
export function runtime(): Runtime {
  if (!current) throw new GpuError('engine not initialised: call initEngine() (browser) or initNodeEngine() (Node) first');
  return current;
}

export function setRuntime(rt: Runtime | null): void {
  current = rt;
}
