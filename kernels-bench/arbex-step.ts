/**
 * What the ARBEx training-step benchmarks share (cold-start.ts, train-profile.ts): command-line
 * flags, an Adam spec, and a fixed synthetic batch (no data pipeline in the measurement).
 */
import type { ArbexConfig } from '../src/models/arbex/config.js';

/** `--name value` from the command line, or `dflt`. */
export function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}

export const ADAM_SPEC = { name: 'adam' as const, lr: { backbone: 1e-3, head: 1e-3, anchors: 1e-3, attention: 1e-3 }, weightDecay: 0, rho: 0.05 };

/** A deterministic batch of `size` images at the config's input size. */
export function syntheticBatch(cfg: ArbexConfig, size: number) {
  const S = cfg.inputSize;
  return {
    size, channels: 3, height: S, width: S, numClasses: cfg.numClasses,
    images: Float32Array.from({ length: size * 3 * S * S }, (_, i) => Math.sin(i)),
    labels: Int32Array.from({ length: size }, (_, i) => i % cfg.numClasses),
    cleanLabels: Int32Array.from({ length: size }, (_, i) => i % cfg.numClasses),
    indices: Int32Array.from({ length: size }, (_, i) => i),
  };
}
