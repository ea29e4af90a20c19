// A mini-batch as host arrays, ready to be uploaded as engine tensors (see to-tensors.ts).

export interface HostBatch {
  /** Number of samples in this batch (the last batch of an epoch may be short). */
  size: number;
  channels: number;
  height: number;
  width: number;
  numClasses: number;
  /** [B, C, H, W], normalised (ImageNet mean/std unless configured otherwise). */
  images: Float32Array;
  /** [B] training labels: possibly noisy, this is what the loss sees. */
  labels: Int32Array;
  /** [B] clean labels, for measuring robustness to label noise. */
  cleanLabels: Int32Array;
  /** [B, 68, 2] landmark x/y divided by image width/height, when the source has landmarks (NaN for a sample that has none). */
  landmarks?: Float32Array;
  /** [B, numClasses] soft label distributions, when the source has them. */
  softLabels?: Float32Array;
  /** [B] dataset index of every sample (for debugging and per-sample bookkeeping). */
  indices: Int32Array;
}
