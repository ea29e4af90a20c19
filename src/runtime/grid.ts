import { runtime } from './runtime.js';

/** Workgroup counts for `n` items at `perGroup` items per workgroup, split over x and y. */
export function grid(n: number, perGroup: number): [number, number] {
  const groups = Math.max(1, Math.ceil(n / perGroup));
  const max = runtime().limits.maxComputeWorkgroupsPerDimension;
  if (groups <= max) return [groups, 1];
  const y = Math.ceil(groups / max);
  return [Math.ceil(groups / y), y];
}
