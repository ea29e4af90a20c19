/**
 * Timing primitives for the runner.
 *
 * Ours: when the device has 'timestamp-query', a run of N iterations is bracketed by two empty
 * compute passes whose beginning/end timestamps are written by the GPU, so the figure is device
 * time (including gaps where the device waited for the host) and excludes the final readback
 * latency. Otherwise, and for the peers (whose devices we do not own), N iterations are bracketed
 * by device synchronisation on the host clock.
 */
import { runtime } from '../src/runtime/runtime.js';
import type { PeerRun } from './case.js';

const QUERY_RESOLVE = 0x200;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const MAP_READ = 0x1;
const STORAGE = 0x80;

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** GPU-side elapsed time between `begin()` and `end()` on one device's queue. */
export class GpuTimer {
  private querySet: GPUQuerySet;
  private resolve: GPUBuffer;
  private readback: GPUBuffer;

  constructor(private device: GPUDevice) {
    this.querySet = device.createQuerySet({ type: 'timestamp', count: 2 });
    this.resolve = device.createBuffer({ size: 16, usage: QUERY_RESOLVE | COPY_SRC });
    this.readback = device.createBuffer({ size: 16, usage: MAP_READ | COPY_DST });
  }

  static available(device: GPUDevice): boolean {
    return device.features.has('timestamp-query');
  }

  private mark(index: 0 | 1, extra?: (enc: GPUCommandEncoder) => void): void {
    const enc = this.device.createCommandEncoder();
    const writes: GPUComputePassTimestampWrites =
      index === 0 ? { querySet: this.querySet, beginningOfPassWriteIndex: 0 } : { querySet: this.querySet, endOfPassWriteIndex: 1 };
    enc.beginComputePass({ timestampWrites: writes }).end();
    extra?.(enc);
    this.device.queue.submit([enc.finish()]);
  }

  begin(): void {
    this.mark(0);
  }

  /** Milliseconds of device time since `begin()`. */
  async end(): Promise<number> {
    this.mark(1, (enc) => {
      enc.resolveQuerySet(this.querySet, 0, 2, this.resolve, 0);
      enc.copyBufferToBuffer(this.resolve, 0, this.readback, 0, 16);
    });
    await this.readback.mapAsync(MAP_READ);
    const t = new BigInt64Array(this.readback.getMappedRange().slice(0));
    this.readback.unmap();
    return Number(t[1]! - t[0]!) / 1e6;
  }
}

export interface Sample {
  /** Milliseconds per iteration (device time when `timer` was used, else host clock). */
  ms: number;
  /** Host-clock milliseconds per iteration, always measured. */
  wallMs: number;
}

/** Times `reps` iterations of our engine's run (dispatches batch in the runtime until flush). */
export async function timeOurs(r: PeerRun, reps: number, timer: GpuTimer | null): Promise<Sample> {
  const rt = runtime();
  await rt.sync();
  const t0 = performance.now();
  timer?.begin();
  for (let i = 0; i < reps; i++) await r.run();
  rt.flush();
  const gpuMs = timer ? await timer.end() : null;
  await r.sync();
  const wallMs = (performance.now() - t0) / reps;
  return { ms: gpuMs === null ? wallMs : gpuMs / reps, wallMs };
}

/** Times `reps` iterations of a peer on the host clock, bracketed by its own sync. */
export async function timeWall(r: PeerRun, reps: number): Promise<Sample> {
  await r.sync();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await r.run();
  await r.sync();
  const ms = (performance.now() - t0) / reps;
  return { ms, wallMs: ms };
}

/**
 * The memory roofline: GB/s of a large buffer-to-buffer copy on our device, counting bytes read
 * plus bytes written (2 × size per copy), median of `rounds`.
 */
export async function copyBandwidth(device: GPUDevice, bytes: number, reps: number, rounds: number): Promise<number> {
  const usage = STORAGE | COPY_SRC | COPY_DST;
  const src = device.createBuffer({ size: bytes, usage });
  const dst = device.createBuffer({ size: bytes, usage });
  const timer = GpuTimer.available(device) ? new GpuTimer(device) : null;
  const results: number[] = [];
  try {
    for (let r = 0; r <= rounds; r++) {
      await device.queue.onSubmittedWorkDone();
      const t0 = performance.now();
      timer?.begin();
      const enc = device.createCommandEncoder();
      for (let i = 0; i < reps; i++) enc.copyBufferToBuffer(src, 0, dst, 0, bytes);
      device.queue.submit([enc.finish()]);
      const gpuMs = timer ? await timer.end() : null;
      await device.queue.onSubmittedWorkDone();
      const ms = gpuMs ?? performance.now() - t0;
      if (r > 0) results.push((2 * bytes * reps) / (ms * 1e6)); // round 0 warms up
    }
  } finally {
    src.destroy();
    dst.destroy();
  }
  return median(results);
}
