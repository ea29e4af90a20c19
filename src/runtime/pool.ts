/**
 * Size-bucketed GPU buffer pool.
 *
 * Buckets are powers of two from 256 bytes up to 1 MiB and then steps of 1/8 of the enclosing
 * power of two, so waste stays under 12.5 % for large tensors.
 *
 * A buffer released while the current command encoder is still open goes to `pending`. It may
 * be handed out again at once as a kernel *output*: dispatches run in recording order with
 * barriers between them, so a later kernel writing it cannot overtake earlier readers. It may
 * not be the target of `queue.writeBuffer` (an upload) until the encoder is submitted, because
 * uploads execute before the whole encoder; `clean` acquisitions therefore skip `pending`.
 *
 * Idle memory is bounded: when more than `maxIdleBytes` sit in the pool after a submit, buffers
 * that have been idle for both `minIdleSubmits` submits and `minIdleMs` milliseconds are
 * destroyed, least recently released first. A training loop reuses its buffers every step, and a
 * step stays under one of the two ages (ARBEx-tiny and -full: ~5–9 submits per step, however many
 * seconds it takes on a slow adapter; kernels-bench/pool-steps.ts), so steady-state training
 * creates no buffers; what a
 * different phase (e.g. evaluation at another batch size) left behind is released once the work
 * moves on. `trim()` releases all idle buffers at once.
 *
 * Reuse is deterministic: of the idle buffers of a bucket, the oldest-created goes out first. So a
 * step that repeats the previous one's acquisitions and releases gets the same buffers in the same
 * places, which is what lets the runtime reuse its bind groups (bind-groups.ts); handing out the
 * most recently released buffer instead permutes them from step to step.
 */
export interface PoolStats {
  /** GPUBuffers ever created by this pool. Constant in steady-state training. */
  buffersCreated: number;
  /** Buffers handed out and not yet released. */
  buffersInUse: number;
  bytesInUse: number;
  /** Highest bytesInUse since the last `resetPeak()` (peak memory of a training step). */
  peakBytesInUse: number;
  /** Buffers idle in the pool, ready for reuse. */
  buffersPooled: number;
  bytesPooled: number;
  /** Idle buffers destroyed so far (by `trim()` or the idle bound). */
  buffersReleased: number;
}

export interface PoolLimits {
  /** Idle bytes the pool may keep before it releases old buffers (default 64 MiB). */
  maxIdleBytes: number;
  /** Submits a buffer must have stayed unused before it may be released (default 64). */
  minIdleSubmits: number;
  /** ... and milliseconds (default 5000). */
  minIdleMs: number;
}

export const DEFAULT_POOL_LIMITS: Readonly<PoolLimits> = { maxIdleBytes: 64 * 2 ** 20, minIdleSubmits: 64, minIdleMs: 5000 };

interface IdleBuffer {
  buf: GPUBuffer;
  serial: number;
  /** Submit count and time (ms) when it became reusable. */
  since: number;
  sinceMs: number;
}

export function bucketSize(bytes: number): number {
  const b = Math.max(256, bytes);
  if (b <= 1 << 20) return 2 ** Math.ceil(Math.log2(b));
  const pow = 2 ** Math.floor(Math.log2(b));
  const step = pow / 8;
  return Math.ceil(b / step) * step;
}

export class BufferPool {
  private free = new Map<string, IdleBuffer[]>();
  /** Both kept sorted by creation serial, highest first, so `pop()` gives the oldest buffer. */
  private pending = new Map<string, GPUBuffer[]>();
  private pendingCount = 0;
  private inUse = new Map<GPUBuffer, number>();
  private created = 0;
  private pooledBytes = 0;
  private usedBytes = 0;
  private peakBytes = 0;
  private submits = 0;
  private released = 0;
  private limits: PoolLimits;
  private serials = new WeakMap<GPUBuffer, number>();

  /** `onDestroy` hears of every buffer the pool destroys (the runtime drops its bind groups). */
  constructor(private device: GPUDevice, limits: Partial<PoolLimits> = {}, private onDestroy: (buf: GPUBuffer) => void = () => {}) {
    this.limits = { ...DEFAULT_POOL_LIMITS };
    this.setLimits(limits);
  }

  /** Changes the idle-memory bound (takes effect at the next submit). */
  setLimits(limits: Partial<PoolLimits>): void {
    const next = { ...this.limits, ...Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) };
    for (const [k, v] of Object.entries(next)) {
      if (!(typeof v === 'number' && v >= 0)) throw new RangeError(`BufferPool: ${k} must be a number >= 0, got ${JSON.stringify(v)}`);
    }
    this.limits = next;
  }

  getLimits(): PoolLimits {
    return { ...this.limits };
  }

  /** `clean`: the buffer will be uploaded to with writeBuffer (see class comment). */
  acquire(bytes: number, usage: GPUBufferUsageFlags, label: string, clean = false): GPUBuffer {
    const size = bucketSize(bytes);
    const key = `${usage}:${size}`;
    let buf = clean ? undefined : this.pending.get(key)?.pop();
    if (buf) this.pendingCount--;
    else buf = this.free.get(key)?.pop()?.buf;
    if (buf) {
      this.pooledBytes -= size;
    } else {
      buf = this.device.createBuffer({ size, usage, label });
      this.serials.set(buf, ++this.created);
    }
    this.inUse.set(buf, size);
    this.usedBytes += size;
    if (this.usedBytes > this.peakBytes) this.peakBytes = this.usedBytes;
    return buf;
  }

  /** Returns a buffer; it becomes reusable after the next submit (see class comment). */
  release(buf: GPUBuffer): void {
    const size = this.inUse.get(buf);
    if (size === undefined) throw new Error('BufferPool.release: buffer not from this pool or released twice');
    this.inUse.delete(buf);
    this.usedBytes -= size;
    const key = `${buf.usage}:${size}`;
    let list = this.pending.get(key);
    if (!list) this.pending.set(key, (list = []));
    const serial = this.serials.get(buf)!;
    let i = list.length;
    while (i > 0 && this.serials.get(list[i - 1]!)! < serial) i--;
    list.splice(i, 0, buf);
    this.pendingCount++;
    this.pooledBytes += size;
  }

  /** Called by the runtime right after `queue.submit`. */
  onSubmitted(): void {
    const now = performance.now();
    for (const [key, bufs] of this.pending) {
      let list = this.free.get(key);
      if (!list) this.free.set(key, (list = []));
      for (const buf of bufs) {
        const serial = this.serials.get(buf)!;
        let i = list.length;
        while (i > 0 && list[i - 1]!.serial < serial) i--;
        list.splice(i, 0, { buf, serial, since: this.submits, sinceMs: now });
      }
    }
    this.pending.clear();
    this.pendingCount = 0;
    this.submits++;
    if (this.pooledBytes > this.limits.maxIdleBytes) this.releaseIdle();
  }

  /** Destroys buffers idle for `minIdleSubmits` submits and `minIdleMs`, oldest first, until under the bound. */
  private releaseIdle(): void {
    const old: IdleBuffer[] = [];
    const now = performance.now();
    const { minIdleSubmits, minIdleMs } = this.limits;
    for (const list of this.free.values()) {
      for (const e of list) if (this.submits - e.since >= minIdleSubmits && now - e.sinceMs >= minIdleMs) old.push(e);
    }
    if (!old.length) return;
    old.sort((a, b) => a.since - b.since);
    const drop = new Set<GPUBuffer>();
    for (const e of old) {
      if (this.pooledBytes <= this.limits.maxIdleBytes) break;
      drop.add(e.buf);
      this.pooledBytes -= e.buf.size;
    }
    for (const [key, list] of this.free) {
      const kept = list.filter((e) => !drop.has(e.buf));
      if (kept.length) this.free.set(key, kept);
      else this.free.delete(key);
    }
    for (const b of drop) this.destroy(b);
    this.released += drop.size;
  }

  private destroy(buf: GPUBuffer): void {
    this.onDestroy(buf);
    buf.destroy();
  }

  /** Destroys idle buffers (e.g. between benchmark phases). */
  trim(): void {
    for (const list of this.free.values()) {
      for (const e of list) this.destroy(e.buf);
      this.released += list.length;
    }
    this.free.clear();
    this.pooledBytes = 0;
    for (const l of this.pending.values()) for (const b of l) this.pooledBytes += b.size;
  }

  resetPeak(): void {
    this.peakBytes = this.usedBytes;
  }

  stats(): PoolStats {
    let pooled = this.pendingCount;
    for (const l of this.free.values()) pooled += l.length;
    return {
      buffersCreated: this.created,
      buffersInUse: this.inUse.size,
      bytesInUse: this.usedBytes,
      peakBytesInUse: this.peakBytes,
      buffersPooled: pooled,
      bytesPooled: this.pooledBytes,
      buffersReleased: this.released,
    };
  }
}
