/**
 * The GPU runtime: one device, its limits, the buffer pool, the pipeline cache and the command
 * batching. Everything above this layer dispatches through `Runtime.dispatch` and reads back
 * through `Runtime.read`; nothing here knows about tensors or ops.
 *
 * Dispatches are recorded into one open compute pass and submitted in batches (at readback, or
 * every `maxDispatchesPerSubmit`), which keeps the per-op host overhead low.
 */
import { BufferPool, type PoolLimits, type PoolStats } from './pool.js';
import { GpuError } from './errors.js';
import { SHADERS } from './shaders.gen.js';
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

  constructor(readonly device: GPUDevice, readonly adapterInfo: string, readonly adapter?: GPUAdapter, poolLimits: Partial<PoolLimits> = {}) {
    this.pool = new BufferPool(device, poolLimits);
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
    this.device.queue.writeBuffer(buf, offsetBytes, data.buffer, data.byteOffset, data.byteLength);
  }

  private pipeline(spec: DispatchSpec): GPUComputePipeline {
    const c = spec.constants;
    const key = `${spec.shader}|${spec.entry}|${c ? Object.entries(c).map(([k, v]) => `${k}=${v}`).join(',') : ''}`;
    let p = this.pipelines.get(key);
    if (p) return p;
    let module = this.modules.get(spec.shader);
    if (!module) {
      const src = SHADERS[spec.shader];
      if (src === undefined) throw new GpuError(`op '${spec.op}': no shader named '${spec.shader}' in shaders/`);
      module = this.device.createShaderModule({ code: (SHADERS['common'] ?? '') + '\n' + src, label: spec.shader });
      this.modules.set(spec.shader, module);
    }
    p = this.device.createComputePipeline({
      label: `${spec.op}:${key}`,
      layout: 'auto',
      compute: { module, entryPoint: spec.entry, constants: c },
    });
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
    this.lastOp = spec.op;
    const pipeline = this.pipeline(spec);
    const entries: GPUBindGroupEntry[] = [];
    if (spec.params) {
      // Uniforms go to this submit's slice of the arena, uploaded once at flush. The upload is
      // queued after the previous submit, which has therefore finished reading the arena.
      const bytes = spec.params.bytes();
      const slot = Math.ceil(bytes.byteLength / UNIFORM_SLOT) * UNIFORM_SLOT;
      if (this.uniformUsed + slot > this.uniformHost.byteLength) this.growUniforms(slot);
      this.uniformHost.set(bytes, this.uniformUsed);
      entries.push({ binding: 0, resource: { buffer: this.uniformArena!, offset: this.uniformUsed, size: slot } });
      this.uniformUsed += slot;
    }
    spec.buffers.forEach((buffer, i) => {
      if (buffer) entries.push({ binding: i + 1, resource: { buffer } });
    });
    if (this.debugErrors) this.device.pushErrorScope('validation');
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    if (!this.pass) {
      this.encoder ??= this.device.createCommandEncoder();
      this.pass = this.encoder.beginComputePass();
    }
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(x, y, z);
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
      this.uniformArena?.destroy();
      this.uniformArena = this.device.createBuffer({ size, usage: UNIFORM_USAGE, label: 'uniform arena' });
      this.uniformHost = new Uint8Array(size);
    }
  }

  /** Copies between buffers in stream order (ends the open compute pass). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
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

  /** Submits everything recorded so far. */
  flush(): void {
    this.endPass();
    if (this.uniformUsed > 0) {
      this.device.queue.writeBuffer(this.uniformArena!, 0, this.uniformHost.buffer, 0, this.uniformUsed);
      this.uniformUsed = 0;
    }
    if (this.encoder) {
      this.device.queue.submit([this.encoder.finish()]);
      this.encoder = null;
    }
    this.inBatch = 0;
    this.pool.onSubmitted();
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
