/**
 * The engine's public API (host-independent). Node entry points add `initNodeEngine` from
 * `./node.js`; browsers call `initEngine()`.
 */
export { initEngine, createRuntime, type EngineOptions } from './runtime/device.js';
export { runtime, Runtime } from './runtime/runtime.js';
export { ShapeError, GpuError, NoAdapterError } from './runtime/errors.js';
export { Tensor, liveTensorCount } from './tensor/tensor.js';
export type { DType } from './tensor/dtype.js';
export { tidy, keep } from './tensor/scope.js';
export * from './tensor/create.js';
export { backward, noGrad, detach, isGradEnabled } from './autograd/graph.js';
export * from './ops/elementwise.js';
export * from './ops/reduce.js';
export * from './ops/movement.js';
export * from './ops/matmul.js';
export * from './ops/softmax.js';
export * from './ops/index-ops.js';
export * from './ops/loss.js';
