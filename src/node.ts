/** Node entry: the whole engine plus the Dawn device. */
export * from './index.js';
export { initNodeEngine } from './runtime/device-node.js';
export { readPthFile, readPthStateDictFile, savePthFile } from './io/pth-node.js';
