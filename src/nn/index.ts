/** Modules, layers and initialisers. */
export * from './module.js';
export * from './host-tensor.js';
export * as init from './init.js';
export * from './linear.js';
export * from './conv.js';
export * from './pool.js';
export * from './norm.js';
export * from './activation.js';
export * from './dropout.js';
export * from './container.js';
export * from './attention.js';
