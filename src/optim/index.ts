/** Optimizers (fused WGSL updates), SAM, gradient clipping and learning-rate schedules. */
export * from './optimizer.js';
export * from './sgd.js';
export * from './adam.js';
export * from './sam.js';
export { clipGradNorm, gradNorm } from './clip.js';
export * from './schedules.js';
