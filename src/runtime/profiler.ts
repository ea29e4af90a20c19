/**
 * GPU time per op, from timestamp queries: while profiling, every dispatch runs in a compute pass
 * of its own whose beginning and end the device stamps. Separate passes cost a little (on
 * lavapipe ~0.05 ms each), so profile to find where time goes, not to time a step.
 * Needs the adapter feature 'timestamp-query' (the engine requests it when offered).
 */
const QUERY_RESOLVE = 0x200;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const MAP_READ = 0x1;

/** Totals for one op name. */
export interface ProfileRow {
  /** The op name (grouped by op), `op pipeline-key` (by pipeline) or `op pipeline-key x×y×z` (by grid). */
  op: string;
  /** Dispatches recorded under this op. */
  calls: number;
  /** Summed device time, ms. */
  ms: number;
  /** Distinct pipelines (shader, entry, constants) this op used. */
  pipelines: number;
}

export class GpuProfiler {
  private readonly capacity: number;
  private querySet: GPUQuerySet;
  private resolveBuf: GPUBuffer;
  private labels: { op: string; key: string }[] = [];
  private pending: Promise<void>[] = [];
  private rows = new Map<string, { calls: number; ns: number; keys: Set<string> }>();

  /** `capacity`: dispatches per submit (the runtime flushes at its batch size). */
  constructor(private device: GPUDevice, capacity: number, private by: 'op' | 'pipeline' | 'grid' = 'op') {
    this.capacity = capacity;
    this.querySet = device.createQuerySet({ type: 'timestamp', count: 2 * capacity });
    this.resolveBuf = device.createBuffer({ size: 16 * capacity, usage: QUERY_RESOLVE | COPY_SRC, label: 'profiler resolve' });
  }

  /** Opens a pass whose start and end are stamped under `op`. */
  beginPass(encoder: GPUCommandEncoder, op: string, key: string, grid: readonly [number, number, number]): GPUComputePassEncoder {
    const i = this.labels.length;
    if (i >= this.capacity) throw new Error(`GpuProfiler: more than ${this.capacity} dispatches in one submit`);
    this.labels.push({ op, key: this.by === 'grid' ? `${key} ${grid.join('×')}` : key });
    return encoder.beginComputePass({ timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
  }

  /** Before a submit: copies this batch's stamps out; they are read once the batch has run. */
  resolve(encoder: GPUCommandEncoder): void {
    const n = this.labels.length;
    if (n === 0) return;
    const readback = this.device.createBuffer({ size: 16 * n, usage: MAP_READ | COPY_DST, label: 'profiler readback' });
    encoder.resolveQuerySet(this.querySet, 0, 2 * n, this.resolveBuf, 0);
    encoder.copyBufferToBuffer(this.resolveBuf, 0, readback, 0, 16 * n);
    const labels = this.labels;
    this.labels = [];
    // Mapping waits for the submit that carries the copy (the caller submits right after this).
    queueMicrotask(() => {
      this.pending.push(readback.mapAsync(MAP_READ).then(() => {
        const t = new BigInt64Array(readback.getMappedRange());
        labels.forEach(({ op, key }, j) => {
          const name = this.by === 'op' ? op : `${op} ${key}`;
          const r = this.rows.get(name) ?? { calls: 0, ns: 0, keys: new Set<string>() };
          r.calls++;
          r.ns += Math.max(0, Number(t[2 * j + 1]! - t[2 * j]!));
          r.keys.add(key);
          this.rows.set(name, r);
        });
        readback.unmap();
        readback.destroy();
      }));
    });
  }

  /** Waits for outstanding stamps; rows sorted by time, largest first. */
  async report(): Promise<ProfileRow[]> {
    await new Promise<void>((r) => queueMicrotask(r));
    await Promise.all(this.pending);
    this.pending = [];
    return [...this.rows].map(([op, r]) => ({ op, calls: r.calls, ms: r.ns / 1e6, pipelines: r.keys.size })).sort((a, b) => b.ms - a.ms);
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolveBuf.destroy();
  }
}
