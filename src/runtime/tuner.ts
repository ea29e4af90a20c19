/**
 * Kernel-variant selection, in one place. Several kernel families have more than one correct
 * implementation: today's kernels, written for SIMD-over-invocations CPU adapters (broadcast
 * loads, no workgroup memory, no barriers), and GPU-class siblings (workgroup-memory tiles,
 * coalesced loads, register tiles). Ops never look at the adapter; they ask the tuner which
 * variant to run for a family and a shape class, and the tuner answers with, in order:
 *   1. an override (`setKernelVariant`, or the host's `ARBEX_KERNELS=matmul:tiled,...`);
 *   2. the winner measured earlier for this adapter and shape class (in memory, and in the
 *      persistent store the host injected: a JSON file per adapter in Node, localStorage in a page);
 *   3. the family's prior for the adapter class (CPU adapters: today's kernels; GPUs: tiled),
 *      and, when measuring is on, the call is queued so that `tune()` times every candidate once
 *      (timestamp queries where the device has them, else host time around onSubmittedWorkDone)
 *      and records the fastest.
 * Measuring is on by default for GPU adapters and off for CPU adapters (where the prior is
 * today's kernels, which is what they were tuned for, and test runs must not pay for timing);
 * `setMeasuring` / the host's `ARBEX_TUNE=1|0` change that.
 */
import { runtime, type Runtime } from './runtime.js';
import { GpuError } from './errors.js';

export type AdapterClass = 'cpu' | 'gpu';

/** A measured decision: the winner and every candidate's milliseconds per run. */
export interface TunedChoice {
  variant: string;
  ms: Record<string, number>;
}

/** What the persistent store keeps per adapter. */
export interface TunerRecord {
  version: number;
  adapter: string;
  choices: Record<string, TunedChoice>;
}

/** Host-provided persistence (Node: a file per adapter; browser: localStorage). */
export interface TunerStore {
  load(adapterKey: string): TunerRecord | null;
  save(adapterKey: string, record: TunerRecord): void;
  /** Where the record lives, for messages. */
  describe(adapterKey: string): string;
}

/** One candidate run on scratch inputs of the call's shapes (values do not matter for timing). */
export interface TuneBench {
  run(variant: string): void;
  dispose(): void;
}

export interface PickRequest {
  family: string;
  /** Shape class: calls in one class share a decision (see `sizeClass`). */
  cls: string;
  /** Variants that apply to this call, each correct for it. */
  candidates: readonly string[];
  /** The variant to use, per adapter class, before (or without) measurement. */
  prior: Record<AdapterClass, string>;
  /** Builds scratch inputs for measuring; omitted when the call cannot be re-run cheaply. */
  bench?: () => TuneBench;
}

export interface TuneResult {
  family: string;
  cls: string;
  choice: TunedChoice;
  /** 'timestamp' (device time) or 'wall' (host clock around queue completion). */
  clock: 'timestamp' | 'wall';
}

/** Bumped when variants change, so stale measurements are not reused. */
export const TUNER_VERSION = 1;

const CPU_PATTERN = /\b(cpu|software)\b|llvmpipe|lavapipe|swiftshader|softpipe|warp/i;

/** Classifies an adapter from its info: CPU (software rasteriser / fallback adapter) or GPU. */
export function classifyAdapter(info: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean } | undefined,
  fallback?: boolean): AdapterClass {
  if (fallback || info?.isFallbackAdapter) return 'cpu';
  const text = [info?.vendor, info?.architecture, info?.device, info?.description].filter(Boolean).join(' ');
  return CPU_PATTERN.test(text) ? 'cpu' : 'gpu';
}

/** Power-of-two bucket of a size (1, 2, 4, ... rounded up): calls in one bucket share a decision. */
export function sizeClass(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n));
}

/** Parses `matmul:tiled,conv:broadcast` into a family → variant map. */
export function parseOverrides(spec: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([\w.-]+):([\w.-]+)$/.exec(part);
    if (!m) throw new GpuError(`kernel override '${part}' is not family:variant (e.g. ARBEX_KERNELS=matmul:tiled,conv:tiled)`);
    out.set(m[1]!, m[2]!);
  }
  return out;
}

const QUERY_RESOLVE = 0x200, COPY_SRC = 0x4, COPY_DST = 0x8, MAP_READ = 0x1;

export class Tuner {
  readonly adapterKey: string;
  readonly adapterClass: AdapterClass;
  measuring: boolean;
  private overrides = new Map<string, string>();
  private choices = new Map<string, TunedChoice>();
  private pending = new Map<string, PickRequest>();
  private store: TunerStore | null = null;

  constructor(private rt: Runtime) {
    const a = rt.adapter;
    const info = a?.info as (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | undefined;
    this.adapterClass = classifyAdapter(info, (a as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter);
    const l = rt.limits;
    this.adapterKey = [rt.adapterInfo, `wgmem${l.maxComputeWorkgroupStorageSize}`, `inv${l.maxComputeInvocationsPerWorkgroup}`,
      `sb${l.maxStorageBuffersPerShaderStage}`, rt.features.has('subgroups') ? 'subgroups' : ''].filter(Boolean).join('|');
    this.measuring = this.adapterClass === 'gpu';
  }

  /** Attaches persistent storage and loads this adapter's earlier measurements from it. */
  setStore(store: TunerStore | null): void {
    this.store = store;
    if (!store) return;
    const rec = store.load(this.adapterKey);
    if (rec && rec.version === TUNER_VERSION && rec.adapter === this.adapterKey) {
      for (const [k, v] of Object.entries(rec.choices)) this.choices.set(k, v);
    }
  }

  /** Forces `variant` for a family (null clears). Unknown variants fail at the first call that asks. */
  force(family: string, variant: string | null): void {
    if (variant === null) this.overrides.delete(family);
    else this.overrides.set(family, variant);
  }

  /** Applies `family:variant,...` (replacing earlier overrides); '' clears them all. */
  setOverrides(spec: string): void {
    this.overrides = parseOverrides(spec);
  }

  overridesNow(): ReadonlyMap<string, string> {
    return this.overrides;
  }

  /** The variant a call of this family and shape class runs. Synchronous: ops call it before dispatch. */
  pick(req: PickRequest): string {
    const forced = this.overrides.get(req.family);
    if (forced !== undefined) {
      if (req.candidates.includes(forced)) return forced;
      // A forced variant that cannot run this call (e.g. a shape past its limits): the prior.
      if (!this.knownVariant(req.family, forced)) {
        throw new GpuError(`kernel override ${req.family}:${forced}: no such variant (known: ${req.candidates.join(', ')})`);
      }
    }
    const key = `${req.family}|${req.cls}`;
    const tuned = this.choices.get(key);
    if (tuned && req.candidates.includes(tuned.variant)) return tuned.variant;
    const prior = req.candidates.includes(req.prior[this.adapterClass]) ? req.prior[this.adapterClass] : req.candidates[0]!;
    if (this.measuring && req.bench && req.candidates.length > 1 && !tuned) this.pending.set(key, req);
    return prior;
  }

  private known = new Map<string, Set<string>>();
  /** Ops declare their family's variants once so overrides can be checked. */
  declareVariants(family: string, variants: readonly string[]): void {
    if (!this.known.has(family)) this.known.set(family, new Set(variants));
  }
  private knownVariant(family: string, v: string): boolean {
    const s = this.known.get(family);
    return !s || s.has(v);
  }

  /** Shape classes waiting for `tune()`. */
  pendingCount(): number {
    return this.pending.size;
  }

  /** Measured decisions so far (family|class → choice). */
  decisions(): ReadonlyMap<string, TunedChoice> {
    return this.choices;
  }

  /**
   * Times every queued shape class's candidates (interleaved, best of `trials`) and records the
   * winners, saving them to the store. Cheap when nothing is queued.
   */
  async tune(opts: { trials?: number; targetMs?: number } = {}): Promise<TuneResult[]> {
    const trials = opts.trials ?? 3, targetMs = opts.targetMs ?? 4;
    const results: TuneResult[] = [];
    const jobs = [...this.pending.entries()];
    this.pending.clear();
    if (jobs.length === 0) return results;
    const clock = this.rt.features.has('timestamp-query') ? new StampClock(this.rt.device) : null;
    for (const [key, req] of jobs) {
      const bench = req.bench!();
      try {
        const ms: Record<string, number> = {};
        const reps: Record<string, number> = {};
        for (const v of req.candidates) {
          bench.run(v); // compiles the pipeline, warms caches
          await this.rt.sync();
          const once = await this.timeRuns(bench, v, 1, clock);
          reps[v] = Math.max(1, Math.min(50, Math.ceil(targetMs / Math.max(once, 1e-3))));
          ms[v] = once;
        }
        for (let t = 0; t < trials; t++) {
          for (const v of req.candidates) ms[v] = Math.min(ms[v]!, await this.timeRuns(bench, v, reps[v]!, clock));
        }
        const variant = req.candidates.reduce((a, b) => (ms[b]! < ms[a]! ? b : a));
        const choice: TunedChoice = { variant, ms };
        this.choices.set(key, choice);
        results.push({ family: req.family, cls: req.cls, choice, clock: clock ? 'timestamp' : 'wall' });
      } finally {
        bench.dispose();
      }
    }
    this.save();
    return results;
  }

  private async timeRuns(bench: TuneBench, v: string, reps: number, clock: StampClock | null): Promise<number> {
    await this.rt.sync();
    const t0 = performance.now();
    clock?.begin();
    for (let i = 0; i < reps; i++) bench.run(v);
    this.rt.flush();
    const dev = clock ? await clock.end() : null;
    await this.rt.sync();
    return (dev ?? performance.now() - t0) / reps;
  }

  private save(): void {
    if (!this.store) return;
    const rec: TunerRecord = { version: TUNER_VERSION, adapter: this.adapterKey, choices: Object.fromEntries(this.choices) };
    this.store.save(this.adapterKey, rec);
  }
}

/** Device time between two empty timestamped passes bracketing the work. */
class StampClock {
  private qs: GPUQuerySet;
  private resolve: GPUBuffer;
  private readback: GPUBuffer;
  constructor(private device: GPUDevice) {
    this.qs = device.createQuerySet({ type: 'timestamp', count: 2 });
    this.resolve = device.createBuffer({ size: 16, usage: QUERY_RESOLVE | COPY_SRC });
    this.readback = device.createBuffer({ size: 16, usage: MAP_READ | COPY_DST });
  }
  private mark(end: boolean): void {
    const enc = this.device.createCommandEncoder();
    enc.beginComputePass({
      timestampWrites: end ? { querySet: this.qs, endOfPassWriteIndex: 1 } : { querySet: this.qs, beginningOfPassWriteIndex: 0 },
    }).end();
    if (end) {
      enc.resolveQuerySet(this.qs, 0, 2, this.resolve, 0);
      enc.copyBufferToBuffer(this.resolve, 0, this.readback, 0, 16);
    }
    this.device.queue.submit([enc.finish()]);
  }
  begin(): void {
    this.mark(false);
  }
  async end(): Promise<number | null> {
    this.mark(true);
    await this.readback.mapAsync(MAP_READ);
    const t = new BigInt64Array(this.readback.getMappedRange().slice(0));
    this.readback.unmap();
    const ms = Number(t[1]! - t[0]!) / 1e6;
    // Some drivers report zeros or wrapped values; fall back to the host clock then.
    return ms > 0 && Number.isFinite(ms) ? ms : null;
  }
}

const tuners = new WeakMap<Runtime, Tuner>();
let defaults: { store: TunerStore | null; overrides: string; measuring: boolean | null } = { store: null, overrides: '', measuring: null };

/** The tuner of the current runtime (created on first use with the host's defaults). */
/**
 * Threads per workgroup of the one-workgroup-per-channel reductions (BatchNorm statistics and
 * gradients, PReLU's dα). A CPU adapter runs a workgroup on one core, so width buys no parallelism
 * there, and each barrier of the reduction tree switches every 8-lane coroutine: 8 lanes (one
 * coroutine) were 1.3–10× faster than 256 on ARBEx-tiny shapes (32×{16…128}×{32…2}², lavapipe,
 * per-op device time). GPUs keep 256.
 */
export function reductionLanes(): number {
  return forcedLanes ?? (tuner().adapterClass === 'cpu' ? 8 : 256);
}

let forcedLanes: number | null = null;

/** Forces reductionLanes() (a power of two ≤ 256; null: by adapter class). For tests, so both widths are checked on one adapter. */
export function setReductionLanes(lanes: number | null): void {
  if (lanes !== null && !(Number.isInteger(lanes) && lanes >= 1 && lanes <= 256 && (lanes & (lanes - 1)) === 0)) {
    throw new RangeError(`setReductionLanes: expected a power of two from 1 to 256, got ${lanes}`);
  }
  forcedLanes = lanes;
}

export function tuner(): Tuner {
  const rt = runtime();
  let t = tuners.get(rt);
  if (!t) {
    t = new Tuner(rt);
    if (defaults.measuring !== null) t.measuring = defaults.measuring;
    t.setOverrides(defaults.overrides);
    t.setStore(defaults.store);
    tuners.set(rt, t);
  }
  return t;
}

/** Host set-up (called by initEngine/initNodeEngine): store, overrides and measuring for new tuners. */
export function configureTuner(opts: { store?: TunerStore | null; overrides?: string; measuring?: boolean | null }): void {
  defaults = {
    store: opts.store !== undefined ? opts.store : defaults.store,
    overrides: opts.overrides ?? defaults.overrides,
    measuring: opts.measuring !== undefined ? opts.measuring : defaults.measuring,
  };
  parseOverrides(defaults.overrides); // fail at the call that got a bad spec
}

/** Forces a kernel variant for a family on the current engine (null: back to measurement/prior). */
export function setKernelVariant(family: string, variant: string | null): void {
  tuner().force(family, variant);
}

/** Times the candidates of every shape class seen since the last call (no-op when none are queued). */
export function tuneKernels(opts?: { trials?: number; targetMs?: number }): Promise<TuneResult[]> {
  return tuner().tune(opts);
}
