/**
 * Loop form of the GPU-class (tiled) kernels. llvmpipe, a software adapter, JIT-compiles a
 * pipeline at its first dispatch and fully unrolls loops with constant bounds; in the tiled
 * kernels that made one pipeline cost up to ~37 s of CPU to compile. Those kernels therefore take
 * an override ROLLED: true on CPU-class adapters (loops run to uniform bounds and stay rolled),
 * false on GPUs (constant bounds, unrolled, register arrays stay in registers). Same arithmetic in
 * the same order either way.
 */
import { tuner } from './tuner.js';

let forced: boolean | null = null;

/** Whether tiled kernels should keep their loops rolled on this engine's adapter. */
export function tiledLoopsRolled(): boolean {
  return forced ?? tuner().adapterClass === 'cpu';
}

/**
 * Forces the loop form (true: rolled, false: unrolled, null: by adapter class). For tests and
 * benchmarks, so both forms are checked on one adapter.
 */
export function setTiledLoopsRolled(rolled: boolean | null): void {
  forced = rolled;
}
