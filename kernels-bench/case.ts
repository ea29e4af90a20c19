/**
 * A benchmark case: one kernel at one shape, for our engine and (optionally) peers.
 * Each `setup` prepares inputs and returns `run`, which enqueues ONE iteration of the operation
 * (and disposes what it creates) without waiting; the runner times many iterations around
 * device synchronisation (or timestamp queries) and interleaves ours and the peers.
 * Files in kernels-bench/cases/*.ts export `cases: BenchCase[]`.
 */
import type * as tfjs from '@tensorflow/tfjs-core';
import type { OrtModule } from './peers.js';

export interface PeerRun {
  /** Enqueue one iteration. */
  run: () => void | Promise<void>;
  /** Wait until everything enqueued has finished on the device. */
  sync: () => Promise<void>;
  dispose?: () => void;
}

export interface BenchCase {
  /** Kernel family and variant, e.g. "matmul", "conv2d", "layernorm fwd+bwd". */
  kernel: string;
  /** Human-readable shape, e.g. "512x512x512". */
  shape: string;
  /** Floating-point operations of one iteration (multiply-add = 2). */
  flops?: number;
  /** Bytes necessarily moved by one iteration (for GB/s). */
  bytes?: number;
  ours: () => Promise<PeerRun>;
  tfjs?: (tf: typeof tfjs) => Promise<PeerRun>;
  /**
   * onnxruntime-node WebGPU: receives the ort module (kernels-bench/peers.ts `ortGpu` keeps
   * inputs/outputs on the GPU and synchronises). A case written as `(ort: unknown) => ...` still fits.
   */
  ort?: (ort: OrtModule) => Promise<PeerRun>;
  /**
   * PyTorch on the CPU (Debian python3-torch): the request kernels-bench/cpu/torch_server.py
   * runs for one iteration — the CPU limit next to the GPU peers.
   */
  torch?: Record<string, unknown>;
  /** false leaves a slow case out of `--quick` (which otherwise runs every case, with fewer rounds). */
  quick?: boolean;
  /** Caveats printed with the results, e.g. "ort: includes host upload". */
  note?: string;
}
