// Turns a HostBatch into engine tensors through an injected constructor, so that the data layer
// does not depend on the engine (and runs in tests without a GPU).
import type { HostBatch } from './batch.js';

export type MakeTensor<T> = (data: Float32Array | Int32Array, shape: number[]) => T;

export interface TensorBatch<T> {
  images: T;
  labels: T;
  cleanLabels: T;
  landmarks?: T;
  softLabels?: T;
}

export function batchToTensors<T>(batch: HostBatch, makeTensor: MakeTensor<T>): TensorBatch<T> {
  const b = batch.size;
  const out: TensorBatch<T> = {
    images: makeTensor(batch.images, [b, batch.channels, batch.height, batch.width]),
    labels: makeTensor(batch.labels, [b]),
    cleanLabels: makeTensor(batch.cleanLabels, [b]),
  };
  if (batch.landmarks) out.landmarks = makeTensor(batch.landmarks, [b, 68, 2]);
  if (batch.softLabels) out.softLabels = makeTensor(batch.softLabels, [b, batch.numClasses]);
  return out;
}
