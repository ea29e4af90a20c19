/** Node entry: the whole engine plus the Dawn device. */
export * from './index.js';
export { initNodeEngine } from './runtime/device-node.js';
export { FileTunerStore, defaultCacheDir } from './runtime/tuner-store-node.js';
