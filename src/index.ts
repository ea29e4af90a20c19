/**
 * The engine's public API (host-independent). Node entry points add `initNodeEngine` from
 * `./node.js`; browsers call `initEngine()`.
 */
export { initEngine, createRuntime, type EngineOptions } from './runtime/device.js';
export { runtime, Runtime } from './runtime/runtime.js';
export {
  tuner, Tuner, setKernelVariant, tuneKernels, configureTuner, classifyAdapter, sizeClass,
  type AdapterClass, type TunerStore, type TunerRecord, type TunedChoice, type TuneResult, type PickRequest, type TuneBench,
} from './runtime/tuner.js';
export { LocalStorageTunerStore } from './runtime/tuner-store-web.js';
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
export { conv2d, type Conv2dOptions } from './ops/conv.js';
export { maxPool2d, avgPool2d, adaptiveAvgPool2d, type PoolOptions, type AvgPoolOptions } from './ops/pool.js';
export { resize2d, type ResizeMode, type ResizeOptions } from './ops/resize.js';
export { batchNorm, type BatchNormOptions } from './ops/batchnorm.js';
export { prelu } from './ops/prelu.js';
export * from './ops/layernorm.js';
export * from './ops/attention.js';
export * from './ops/dropout.js';
export * from './ops/window.js';
export { anchorMatch, anchorSeparationLoss, type AnchorMatch, type AnchorLossForm } from './ops/anchor.js';
