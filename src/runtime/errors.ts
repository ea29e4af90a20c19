/** Errors raised by the engine. Each names the op (or tensor) and what was expected. */

/** Wrong shapes, dtypes or argument values, caught on the host before anything is dispatched. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** A GPU-side failure: validation error, out-of-memory or a lost device, attributed to an op. */
export class GpuError extends Error {
  override name = 'GpuError';
}

/** No WebGPU adapter: says what to install. */
export class NoAdapterError extends Error {
  override name = 'NoAdapterError';
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
