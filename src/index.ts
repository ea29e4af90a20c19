/**
 * arbex-webgpu — the public API, host-independent (browsers, workers, Node).
 *
 * A WebGPU tensor engine with reverse-mode autograd and hand-written WGSL kernels, PyTorch-style
 * modules and optimizers, weight IO (safetensors, TF.js), data helpers, and the ARBEx
 * facial-expression model. Start the engine once, then use tensors:
 *
 *   import { initEngine, tensor, Linear, Adam } from 'arbex-webgpu';   // browsers
 *   import { initNodeEngine, ... } from 'arbex-webgpu';                 // Node (Dawn; the `node` export)
 *
 * Nothing reachable from this file imports a Node module; `node.ts` adds Dawn and file IO.
 */

// ---- runtime: device, memory, errors -----------------------------------------------------------
/** Starts the engine on `navigator.gpu` (or a given `GPU`); `createRuntime` makes one without installing it. */
export { initEngine, createRuntime, type EngineOptions } from './runtime/device.js';
/** The installed runtime: `runtime().memory()`, `.trim()`, `.resetPeak()`, `.setPoolLimits()`, `.sync()`. */
export { runtime, Runtime, type Limits } from './runtime/runtime.js';
export type { ProfileRow } from './runtime/profiler.js';
export { DEFAULT_POOL_LIMITS, type PoolLimits, type PoolStats } from './runtime/pool.js';
/** Kernel variants per adapter, chosen by measurement (see src/runtime/tuner.ts). */
export {
  tuner, Tuner, setKernelVariant, tuneKernels, configureTuner, classifyAdapter, sizeClass,
  type AdapterClass, type TunerStore, type TunerRecord, type TunedChoice, type TuneResult, type PickRequest, type TuneBench,
} from './runtime/tuner.js';
export { LocalStorageTunerStore } from './runtime/tuner-store-web.js';
export { ShapeError, GpuError, NoAdapterError } from './runtime/errors.js';

// ---- tensors -----------------------------------------------------------------------------------
export { Tensor, liveTensorCount, type GradNode } from './tensor/tensor.js';
export type { DType, AnyTypedArray } from './tensor/dtype.js';
export type { Shape } from './tensor/shape.js';
/** `tidy(fn)` disposes what `fn` made except what it returns; `keep(t)` exempts a tensor. */
export { tidy, keep } from './tensor/scope.js';
/** Creation: tensor, zeros, ones, full, arange, rand, randn, manualSeed, cast, assign, … */
export * from './tensor/create.js';
export type { TensorData, NestedNumbers } from './tensor/host-data.js';

// ---- autograd ----------------------------------------------------------------------------------
export { backward, noGrad, detach, isGradEnabled } from './autograd/graph.js';

// ---- ops (each differentiable unless stated) ---------------------------------------------------
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
export { entropyConfidence } from './ops/confidence.js';

// ---- nn: modules with PyTorch names and state dicts --------------------------------------------
/** Module, Linear, Conv2d (padding 'same'), SeparableConv2d, pools, norms, activations, Sequential, MLP, MultiheadAttention, `init`. */
export * from './nn/index.js';
export type { BatchNormOptions as BatchNormModuleOptions } from './nn/norm.js';

// ---- optim -------------------------------------------------------------------------------------
/** SGD, Adam, AdamW (fused updates), SAM, clipGradNorm, learning-rate schedules. */
export * from './optim/index.js';

// ---- io: weights -------------------------------------------------------------------------------
/** safetensors in memory (files: `saveSafetensorsFile` / `loadSafetensorsFile` from the Node entry). */
export {
  decodeSafetensors, encodeSafetensors, saveSafetensors, safetensorsToTensors, loadSafetensorsInto, readSafetensorsHeader,
  toHost, halfToFloat, SafetensorsError, MAX_HEADER_BYTES,
  type SafeDType, type SafetensorsEntry, type SafetensorsHeader, type DecodedSafetensors, type DecodeOptions,
} from './io/safetensors.js';
/** TF.js weight manifests: parse and decode (`model.json` + shards through any reader). */
export {
  loadTfjsWeights, parseWeightsManifest, decodeWeightGroup, TfjsManifestError,
  type ShardReader, type TfjsWeightGroup, type TfjsWeightSpec, type TfjsQuantization,
} from './io/tfjs-manifest.js';
/** A TF.js model over HTTP (browsers: `loadTfjsModelFromUrl('/model/model.json')`). */
export { loadTfjsModelFromUrl, type FetchLike } from './io/tfjs-fetch.js';
/** TF layouts and names → this engine's PyTorch-style modules. */
export {
  loadTfjsInto, tfjsToStateDict, tfToTorchLayout, tfNameToTorch, TfjsConvertError,
  type TfLayout, type TfjsConvertOptions,
} from './io/tfjs-convert.js';

// ---- data --------------------------------------------------------------------------------------
/** In-memory arrays → shuffled (seeded) mini-batches of tensors. */
export { ArrayDataset, type ArrayField, type BatchOptions, type DatasetBatch, type HostArrays } from './data/array-dataset.js';
export { Rng, hashInts } from './data/rng.js';
export type { HostImage } from './data/image.js';
export { createImage, toGray, toRgb, cropImage, resizeImage } from './data/image.js';
export type { HostBatch } from './data/batch.js';
export { batchToTensors, type MakeTensor } from './data/to-tensors.js';
export { type Sample, type DataSource, ArraySource } from './data/source.js';
export { createLoader, createSplitLoaders, IMAGENET_MEAN, IMAGENET_STD, type Loader, type LoaderOptions, type SamplerKind } from './data/loader.js';
export { SequentialSampler, ShuffleSampler, BalancedSampler, classCounts, classWeights, type Sampler } from './data/sampler.js';
export { CANONICAL_CLASSES, className, classFromName, type ClassName, type NumClasses } from './data/labels.js';
export { augmentPreset, type AugmentConfig, type PresetName } from './data/augment/config.js';
/** The procedural face generator driven by facial action units (ARBEx's built-in data). */
export { generateSample, synthConfig, planSample, SynthSource, DEFAULT_SYNTH, type SynthConfig, type SynthSample, type SynthPlan } from './data/synth/generator.js';
export { synthSplits } from './data/synth/splits.js';
export { AU_CODES, NUM_AUS, au } from './data/synth/action-units.js';
export type { Split } from './data/synth/split.js';

// ---- the ARBEx model ---------------------------------------------------------------------------
export { ArbexModel, FeatureExtractor, type ArbexOutputs, type StageObserver } from './models/arbex/model.js';
export {
  FULL, TINY, DEFAULT_LOSS, configByName, resolveConfig, validateConfig, scaleSizes,
  type ArbexConfig, type LossConfig, type ReliabilityConfig,
} from './models/arbex/config.js';
export { summarizeModel, formatSummary, type ModelSummary, type SummaryRow } from './models/arbex/summary.js';
export { reliabilityBalance, confidence, type BalanceInputs, type BalanceOutputs } from './models/arbex/reliability.js';
export { arbexLoss, type LossParts } from './models/arbex/losses.js';

// ---- training helpers (host-agnostic) ----------------------------------------------------------
export {
  buildOptimizer, trainStep, evaluate, trustRamp,
  type OptimizerName, type OptimizerSpec, type GroupRates, type Stepper, type StepInput, type StepLosses, type Evaluation,
} from './train/trainer.js';
export { accuracy, macroF1, confusionMatrix, perClassAccuracy, summarize, meanStd, type Summary, type ClassMetrics } from './train/metrics.js';
export { pca2d, fitPca2d, type Pca2d } from './train/projection.js';
/** PyTorch `.pth` state dicts: read (zip and legacy formats, nothing executed) and write. */
export { readPth, decodePthStateDict, pthStateDict, encodePth, PthError, type PthTensor, type PthStateDict, type PthWriteTensor, type TorchDType } from './io/pth.js';
