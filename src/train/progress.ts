// Terminal progress for an epoch. On a TTY: one line redrawn in place (carriage return),
// throttled so a fast loop does not spend its time printing. Elsewhere (CI logs, files,
// browsers): occasional plain lines, because \r in a log file is just noise.
// Browser-safe: it writes to any sink with write(text); nothing here imports Node.

export interface ProgressSink {
  write(text: string): unknown;
  /** True when the sink is an interactive terminal (process.stderr has this). */
  isTTY?: boolean;
}

export interface ProgressOptions {
  total: number;
  label?: string;
  /** Where to write; defaults to process.stderr where it exists, else console.log lines. */
  stream?: ProgressSink;
  /** Overrides stream.isTTY (e.g. force plain lines). */
  isTTY?: boolean;
  /** Millisecond clock, injectable for tests. */
  now?: () => number;
  /** Characters inside the brackets. */
  barWidth?: number;
  /** Minimum gap between TTY redraws (default 100 ms, i.e. ≤ 10 redraws/s). */
  minIntervalMs?: number;
  /** Plain mode prints when progress crosses a multiple of this fraction (default 0.1)… */
  plainEveryFraction?: number;
  /** …or when this long has passed since the last line (default 30 s). */
  plainEveryMs?: number;
}

export interface TickStats {
  loss?: number;
  imagesPerSec?: number;
  /** Further values shown as "key value" after the loss. */
  extra?: Record<string, number | string>;
}

function defaultSink(): ProgressSink {
  // Looked up at runtime (not imported) so this module also loads in a browser.
  const proc = (globalThis as { process?: { stderr?: ProgressSink } }).process;
  if (proc?.stderr) return proc.stderr;
  return { write: (t: string) => console.log(t.replace(/\n$/, '')), isTTY: false };
}

/** 42 → "0:42"; 3725 → "1:02:05". */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const t = Math.round(seconds);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = String(t % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Four significant digits without exponent noise for the usual loss range. */
function formatValue(v: number | string): string {
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a < 1e-3) return v.toExponential(2);
  return a >= 1e4 ? v.toFixed(0) : v.toPrecision(4);
}

export class Progress {
  readonly total: number;
  readonly label: string;
  private readonly sink: ProgressSink;
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly barWidth: number;
  private readonly minInterval: number;
  private readonly everyFraction: number;
  private readonly everyMs: number;
  private readonly start: number;
  private current = 0;
  private stats: TickStats = {};
  private lastDraw = -Infinity;
  private lastLen = 0;
  private lastBucket = 0;
  private lastPrintedAt = -1;
  private lastPrintedTime: number;
  private finished = false;

  constructor(o: ProgressOptions) {
    if (!(o.total >= 0)) throw new RangeError(`Progress: total must be >= 0, got ${o.total}`);
    this.total = o.total;
    this.label = o.label ?? '';
    this.sink = o.stream ?? defaultSink();
    this.tty = o.isTTY ?? this.sink.isTTY === true;
    this.now = o.now ?? (() => performance.now());
    this.barWidth = o.barWidth ?? 30;
    this.minInterval = o.minIntervalMs ?? 100;
    this.everyFraction = o.plainEveryFraction ?? 0.1;
    this.everyMs = o.plainEveryMs ?? 30_000;
    this.start = this.now();
    this.lastPrintedTime = this.start;
  }

  /** Advances by n (e.g. images in the batch) and records the latest stats (they persist). */
  tick(n = 1, stats?: TickStats): void {
    this.update(this.current + n, stats);
  }

  /** Sets the absolute position. */
  update(current: number, stats?: TickStats): void {
    if (this.finished) return;
    this.current = current;
    if (stats) this.stats = { ...this.stats, ...stats, extra: { ...this.stats.extra, ...stats.extra } };
    const t = this.now();
    if (this.tty) {
      // Throttled, except the final position, which must always be shown.
      if (t - this.lastDraw >= this.minInterval || current >= this.total) this.drawTty(t);
      return;
    }
    const bucket = Math.floor(this.fraction() / this.everyFraction + 1e-9);
    if (bucket > this.lastBucket || t - this.lastPrintedTime >= this.everyMs) {
      this.lastBucket = Math.max(this.lastBucket, bucket);
      this.printLine(t);
    }
  }

  /** Final draw; ends the TTY line. Further ticks are ignored. */
  done(stats?: TickStats): void {
    if (this.finished) return;
    if (stats) this.stats = { ...this.stats, ...stats, extra: { ...this.stats.extra, ...stats.extra } };
    const t = this.now();
    if (this.tty) {
      this.drawTty(t);
      this.sink.write('\n');
    } else if (this.lastPrintedAt !== this.current) {
      this.printLine(t);
    }
    this.finished = true;
  }

  private fraction(): number {
    return this.total > 0 ? Math.min(1, Math.max(0, this.current / this.total)) : 1;
  }

  /** The current status text; `bar` adds the [===>   ] part used on terminals. */
  render(bar = this.tty, t = this.now()): string {
    const f = this.fraction();
    const parts: string[] = [];
    if (this.label) parts.push(this.label);
    if (bar) {
      const filled = Math.floor(f * this.barWidth);
      const body = filled >= this.barWidth ? '='.repeat(this.barWidth) : '='.repeat(filled) + '>' + ' '.repeat(this.barWidth - filled - 1);
      parts.push(`[${body}]`);
    }
    parts.push(`${String(Math.floor(f * 100)).padStart(3)}%`);
    parts.push(`${this.current}/${this.total}`);
    const s = this.stats;
    if (s.imagesPerSec !== undefined) parts.push(`img/s ${s.imagesPerSec.toFixed(1)}`);
    if (s.loss !== undefined) parts.push(`loss ${formatValue(s.loss)}`);
    for (const [k, v] of Object.entries(s.extra ?? {})) parts.push(`${k} ${formatValue(v)}`);
    const elapsed = (t - this.start) / 1000;
    if (this.current >= this.total) parts.push(`in ${formatEta(elapsed)}`);
    else parts.push(`ETA ${this.current > 0 ? formatEta((elapsed / this.current) * (this.total - this.current)) : '--:--'}`);
    return parts.join(' ');
  }

  private drawTty(t: number): void {
    const line = this.render(true, t);
    // Pad over the previous line's tail instead of an ANSI erase, so dumb terminals cope too.
    const pad = this.lastLen > line.length ? ' '.repeat(this.lastLen - line.length) : '';
    this.sink.write(`\r${line}${pad}`);
    this.lastLen = line.length;
    this.lastDraw = t;
  }

  private printLine(t: number): void {
    this.sink.write(this.render(false, t) + '\n');
    this.lastPrintedAt = this.current;
    this.lastPrintedTime = t;
  }
}
