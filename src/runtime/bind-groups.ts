/**
 * Bind groups reused across dispatches.
 *
 * Why: creating a bind group is the dearest host call of a dispatch — 34–44 µs in Dawn's Node
 * binding on lavapipe, against 3.5–5 µs for setPipeline + setBindGroup + dispatchWorkgroups
 * (`npx tsx kernels-bench/host-overhead.ts`; recording an op 46 → 12 µs with the cache) — and a training step asks for the same combinations every
 * step: its ops run in the same order, the pool hands back the same buffers in the same order,
 * and the uniform arena restarts at offset 0 at every submit. So the key is the pipeline, the
 * uniform slot and the identities of the bound buffers.
 *
 * A key names buffer identities that are never reused, so a cached group can only be asked for
 * while all its buffers are alive. `forget(buffer)` (called when a buffer is destroyed) drops the
 * groups that hold it so they do not keep it alive; past `capacity` entries the cache starts over.
 */
export interface UniformBinding {
  buffer: GPUBuffer;
  offset: number;
  size: number;
}

export class BindGroupCache {
  private ids = new WeakMap<GPUBuffer, number>();
  private nextId = 1;
  private groups = new Map<string, GPUBindGroup>();
  private keysByBuffer = new Map<number, string[]>();
  /** Entries of keysByBuffer, stale ones included: bounds them when buffers keep changing. */
  private links = 0;
  hits = 0;
  misses = 0;
  /** false: every lookup creates a fresh group (for A/B measurements). */
  enabled = true;

  constructor(private readonly device: GPUDevice, readonly capacity = 16384) {}

  get size(): number {
    return this.groups.size;
  }

  private id(buf: GPUBuffer): number {
    let id = this.ids.get(buf);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(buf, id);
    }
    return id;
  }

  /** The bind group for @binding(0) = `uniform` (when given) and @binding(i+1) = `buffers[i]`. */
  get(pipeline: GPUComputePipeline, pipelineKey: string, uniform: UniformBinding | null, buffers: readonly (GPUBuffer | null)[]): GPUBindGroup {
    const ids: number[] = [];
    let key = pipelineKey;
    if (uniform) {
      const u = this.id(uniform.buffer);
      ids.push(u);
      key += `#${u}@${uniform.offset}:${uniform.size}`;
    }
    key += '#';
    for (const b of buffers) {
      if (b) {
        const id = this.id(b);
        ids.push(id);
        key += `${id},`;
      } else key += '-,';
    }
    const hit = this.enabled ? this.groups.get(key) : undefined;
    if (hit) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const entries: GPUBindGroupEntry[] = [];
    if (uniform) entries.push({ binding: 0, resource: { buffer: uniform.buffer, offset: uniform.offset, size: uniform.size } });
    buffers.forEach((buffer, i) => {
      if (buffer) entries.push({ binding: i + 1, resource: { buffer } });
    });
    const group = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    if (this.groups.size >= this.capacity || this.links >= 4 * this.capacity) this.clear();
    this.groups.set(key, group);
    this.links += ids.length;
    for (const id of ids) {
      const keys = this.keysByBuffer.get(id);
      if (keys) keys.push(key);
      else this.keysByBuffer.set(id, [key]);
    }
    return group;
  }

  /** Drops every group that binds `buf` (call when it is destroyed). */
  forget(buf: GPUBuffer): void {
    const id = this.ids.get(buf);
    if (id === undefined) return;
    const keys = this.keysByBuffer.get(id);
    if (keys) for (const k of keys) this.groups.delete(k);
    this.keysByBuffer.delete(id);
  }

  clear(): void {
    this.groups.clear();
    this.keysByBuffer.clear();
    this.links = 0;
  }
}
