// "Nice" axis ticks (steps of 1, 2 or 5 × 10^k) and their labels, so axes read 0, 0.2, 0.4, …
// instead of 0, 0.173, 0.346, ….

export interface Ticks {
  /** The axis range, widened outward to whole steps. */
  min: number;
  max: number;
  step: number;
  ticks: number[];
  /** Decimals that show every tick exactly (same for all labels, so they line up). */
  decimals: number;
}

/** The nice step (1, 2 or 5 × 10^k) closest above span / target. */
function niceStep(span: number, target: number): number {
  const raw = span / Math.max(1, target);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / mag;
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nice * mag;
}

/**
 * Ticks covering [lo, hi] with about `target` intervals. A degenerate range (lo = hi, or no
 * finite data) is widened so the axis still has extent and the data sits in the middle.
 */
export function niceTicks(lo: number, hi: number, target = 5): Ticks {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = 0;
    hi = 1;
  }
  if (lo > hi) [lo, hi] = [hi, lo];
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(lo))) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, target);
  // Small epsilon so a value sitting exactly on a tick does not pull in an extra step.
  const min = Math.floor(lo / step + 1e-9) * step;
  const max = Math.ceil(hi / step - 1e-9) * step;
  const count = Math.round((max - min) / step);
  const ticks: number[] = [];
  for (let i = 0; i <= count; i++) {
    const v = min + i * step;
    // Snap away float noise (0.30000000000000004) and negative zero.
    const snapped = Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12));
    ticks.push(snapped);
  }
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return { min, max, step, ticks, decimals };
}

/** Tick label: fixed decimals; large magnitudes use k/M suffixes so labels stay narrow. */
export function formatTick(v: number, decimals: number): string {
  const a = Math.abs(v);
  if (decimals === 0 && a >= 1e6 && a % 1e5 === 0) return `${v / 1e6}M`;
  if (decimals === 0 && a >= 1e4 && a % 100 === 0) return `${v / 1e3}k`;
  return v.toFixed(decimals);
}
