/**
 * Learning-rate schedules with PyTorch's semantics: constructing a schedule records each group's
 * current lr as its base lr and applies epoch 0; every `step()` advances one epoch (or one
 * iteration — the caller decides what a step is) and sets `group.lr` from a closed form, so the
 * value never drifts by repeated multiplication. ReduceLROnPlateau reacts to a metric instead.
 */
import { ShapeError } from '../runtime/errors.js';

/** Anything with parameter groups: every optimizer, and SAM. */
export interface HasParamGroups {
  readonly paramGroups: { lr: number }[];
}

export interface SchedulerState {
  lastEpoch: number;
  baseLrs: number[];
  [key: string]: number | number[] | string | null;
}

export abstract class LRScheduler {
  lastEpoch = 0;
  readonly baseLrs: number[];

  constructor(readonly optimizer: HasParamGroups) {
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
  }

  /** Applies epoch 0; each subclass calls this at the end of its constructor (fields set). */
  protected start(): void {
    this.apply();
  }

  /** The lr of a group with base lr `base` at epoch `epoch`. */
  abstract lrAt(base: number, epoch: number): number;

  step(): void {
    this.lastEpoch++;
    this.apply();
  }

  /** Current learning rates of all groups. */
  get lrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  private apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.lrAt(this.baseLrs[i]!, this.lastEpoch)));
  }

  stateDict(): SchedulerState {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs] };
  }

  loadStateDict(s: SchedulerState): void {
    if (s.baseLrs.length !== this.baseLrs.length) throw new ShapeError(`scheduler state has ${s.baseLrs.length} groups, optimizer ${this.baseLrs.length}`);
    this.baseLrs.splice(0, this.baseLrs.length, ...s.baseLrs);
    this.lastEpoch = s.lastEpoch;
    this.apply();
  }
}

/** lr = base · γ^⌊epoch / stepSize⌋ (torch StepLR). */
export class StepLR extends LRScheduler {
  constructor(opt: HasParamGroups, readonly stepSize: number, readonly gamma = 0.1) {
    if (!(Number.isInteger(stepSize) && stepSize > 0)) throw new ShapeError(`StepLR: stepSize must be a positive integer, got ${stepSize}`);
    super(opt);
    this.start();
  }
  lrAt(base: number, epoch: number): number {
    return base * this.gamma ** Math.floor(epoch / this.stepSize);
  }
}

/** lr = base · γ^epoch (torch ExponentialLR; POSTER++ uses γ = 0.98 per epoch). */
export class ExponentialLR extends LRScheduler {
  constructor(opt: HasParamGroups, readonly gamma: number) {
    super(opt);
    this.start();
  }
  lrAt(base: number, epoch: number): number {
    return base * this.gamma ** epoch;
  }
}

export interface CosineWarmupOptions {
  /** Steps of linear warm-up (0: none). */
  warmupSteps: number;
  /** Step at which the cosine reaches minLr (it stays there afterwards). */
  totalSteps: number;
  /** Floor of the cosine (default 0). */
  minLr?: number;
  /** Warm-up starts at base · startFactor (default 0). */
  startFactor?: number;
}

/**
 * Linear warm-up from base·startFactor to base over `warmupSteps`, then cosine annealing to
 * minLr at `totalSteps`:
 *   t < W:  base · (s + (1 − s) · t / W)
 *   t ≥ W:  minLr + (base − minLr) · (1 + cos(π · min(1, (t − W) / (T − W)))) / 2
 */
export class CosineWarmupLR extends LRScheduler {
  readonly warmupSteps: number;
  readonly totalSteps: number;
  readonly minLr: number;
  readonly startFactor: number;

  constructor(opt: HasParamGroups, o: CosineWarmupOptions) {
    if (!(o.warmupSteps >= 0 && o.totalSteps > o.warmupSteps)) {
      throw new ShapeError(`CosineWarmupLR: need 0 <= warmupSteps (${o.warmupSteps}) < totalSteps (${o.totalSteps})`);
    }
    super(opt);
    this.warmupSteps = o.warmupSteps;
    this.totalSteps = o.totalSteps;
    this.minLr = o.minLr ?? 0;
    this.startFactor = o.startFactor ?? 0;
    this.start();
  }

  lrAt(base: number, t: number): number {
    const { warmupSteps: W, totalSteps: T, minLr, startFactor: s } = this;
    if (t < W) return base * (s + ((1 - s) * t) / W);
    const progress = Math.min(1, (t - W) / (T - W));
    return minLr + ((base - minLr) * (1 + Math.cos(Math.PI * progress))) / 2;
  }
}

export interface PlateauOptions {
  mode?: 'min' | 'max';
  /** lr ← lr · factor on a plateau (default 0.1; ARBEx uses 0.5). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (default 10). */
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again. */
  cooldown?: number;
  /** Floor per group (one value for all, or one per group). */
  minLr?: number | readonly number[];
  /** Reductions smaller than this are skipped. */
  eps?: number;
}

/** torch.optim.lr_scheduler.ReduceLROnPlateau: `step(metric)` once per evaluation. */
export class ReduceLROnPlateau {
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;

  constructor(readonly optimizer: HasParamGroups, o: PlateauOptions = {}) {
    this.mode = o.mode ?? 'min';
    this.factor = o.factor ?? 0.1;
    if (!(this.factor < 1 && this.factor >= 0)) throw new ShapeError(`ReduceLROnPlateau: factor must be in [0, 1), got ${this.factor}`);
    this.patience = o.patience ?? 10;
    this.threshold = o.threshold ?? 1e-4;
    this.thresholdMode = o.thresholdMode ?? 'rel';
    this.cooldown = o.cooldown ?? 0;
    const n = optimizer.paramGroups.length;
    const m = o.minLr ?? 0;
    this.minLrs = typeof m === 'number' ? new Array<number>(n).fill(m) : [...m];
    if (this.minLrs.length !== n) throw new ShapeError(`ReduceLROnPlateau: ${this.minLrs.length} minLr values for ${n} groups`);
    this.eps = o.eps ?? 1e-8;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(a: number): boolean {
    const b = this.best;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < b * (1 - this.threshold) : a < b - this.threshold;
    return this.thresholdMode === 'rel' ? a > b * (this.threshold + 1) : a > b + this.threshold;
  }

  /** Reports the metric of one epoch; returns true if the learning rates were reduced. */
  step(metric: number): boolean {
    this.lastEpoch++;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs <= this.patience) return false;
    this.optimizer.paramGroups.forEach((g, i) => {
      const next = Math.max(g.lr * this.factor, this.minLrs[i]!);
      if (g.lr - next > this.eps) g.lr = next;
    });
    this.cooldownCounter = this.cooldown;
    this.numBadEpochs = 0;
    return true;
  }

  get lrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): SchedulerState {
    return { lastEpoch: this.lastEpoch, baseLrs: [], best: this.best, numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter };
  }

  loadStateDict(s: SchedulerState): void {
    this.lastEpoch = s.lastEpoch;
    // JSON turns ±Infinity (no best value yet) into null.
    this.best = s['best'] === null || s['best'] === undefined ? (this.mode === 'min' ? Infinity : -Infinity) : Number(s['best']);
    this.numBadEpochs = Number(s['numBadEpochs']);
    this.cooldownCounter = Number(s['cooldownCounter']);
  }
}
