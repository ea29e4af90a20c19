/**
 * arbex-webgpu for Node: everything in the browser entry (./index.ts) plus the Dawn device
 * (`initNodeEngine`) and file IO (weights, TF.js models, images, checkpoints, dataset folders).
 * `import ... from 'arbex-webgpu'` resolves here under Node.
 */
export * from './index.js';
/** Starts the engine on Dawn (npm `webgpu`); needs Vulkan/Metal/D3D12, or Mesa lavapipe on Linux without a GPU. */
export { initNodeEngine } from './runtime/device-node.js';
/** safetensors files (written atomically). */
export { saveSafetensorsFile, readSafetensorsFile, loadSafetensorsFile, writeFileAtomic } from './io/safetensors-node.js';
/** A TF.js model on disk (`model.json` + shards), decoded to host arrays; convert with `loadTfjsInto`. */
export { loadTfjsModelFile } from './io/tfjs-manifest-node.js';
/** PNG / JPEG files ↔ `HostImage`. */
export { decodeImage } from './io/image/codec-node.js';
export { encodePng, decodePng } from './io/image/png-node.js';
export { encodeJpeg } from './io/image/jpeg-node.js';
/** ARBEx checkpoints as written by `arbex train` (weights + optimizer + JSON). */
export { saveCheckpoint, loadCheckpoint, readCheckpointMeta, hasCheckpoint, resolveCheckpoint, type CheckpointMeta } from './train/checkpoint-node.js';
/** Dataset folders (RAF-DB, FER2013, FERPlus, AffectNet, class folders), format detected. */
export { loadDirectory, writeSynthDataset } from './data/dataset-node.js';
/** The whole `arbex train` job (data, training, checkpoints, report) as a function. */
export { runTraining, DEFAULT_JOB, type TrainJobOptions, type TrainResult } from './train/run-node.js';
/** PyTorch `.pth` files. */
export { readPthFile, readPthStateDictFile, savePthFile } from './io/pth-node.js';
export { FileTunerStore, defaultCacheDir } from './runtime/tuner-store-node.js';
