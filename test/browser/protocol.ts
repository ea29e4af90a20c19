/**
 * What the Node test sends into the browser page and what comes back (plain JSON: typed arrays
 * travel as number arrays). Shared by chromium.test.ts (Node) and page.ts (browser).
 */

/** loss = Σ w∘(op(A)·op(B)); the page returns C and the gradients of A and B. */
export interface MatmulCase {
  name: string;
  a: number[];
  aShape: [number, number];
  b: number[];
  bShape: [number, number];
  transA: boolean;
  transB: boolean;
  /** Loss weights, shape of C. */
  w: number[];
}

/** One SGD step of x → relu(x·W1 + b1) → ·W2 + b2 → crossEntropy(labels). */
export interface MlpCase {
  x: number[];
  xShape: [number, number];
  w1: number[];
  w1Shape: [number, number];
  b1: number[];
  w2: number[];
  w2Shape: [number, number];
  b2: number[];
  labels: number[];
  lr: number;
}

export interface PageInput {
  matmuls: MatmulCase[];
  mlp: MlpCase;
  /**
   * Ask the device for at most this many storage buffers per shader stage (the WebGPU
   * compatibility-mode default is 4), to see whether every kernel used here fits.
   */
  capStorageBuffers?: number;
  /** Kernel variants to force one at a time (setKernelVariant), each running `variantCases`. */
  variants?: VariantCases;
}

/** A conv (forward, dX, dW for upstream g) and a LayerNorm (forward, dX, dγ, dβ), run per variant. */
export interface VariantCases {
  matmul: string[];
  conv: string[];
  layernorm: string[];
  conv2d: { x: number[]; xShape: number[]; w: number[]; wShape: number[]; g: number[]; stride: number; padding: number };
  layerNorm: { x: number[]; shape: number[]; w: number[]; b: number[]; g: number[] };
}

/** One forced variant's outputs: matmul cases as MatmulResult, conv [y, dx, dw], layerNorm [y, dx, dw, db]. */
export interface VariantResult {
  family: string;
  variant: string;
  matmuls?: MatmulResult[];
  values?: number[][];
}

export interface AdapterReport {
  /** Runtime.adapterInfo (the engine's one-line description). */
  summary: string;
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Not in every browser's GPUAdapterInfo; '' when absent. */
  driver: string;
  isFallbackAdapter: boolean;
  /** 'core' or 'compatibility' (from the 'core-features-and-limits' feature). */
  featureLevel: string;
  adapterMaxStorageBuffersPerShaderStage: number;
  /** runtime().limits: what the engine's device actually got. */
  runtimeLimits: Record<string, number>;
  features: string[];
}

export interface MatmulResult {
  name: string;
  c: number[];
  da: number[];
  db: number[];
}

export interface MlpResult {
  loss: number;
  gradW1: number[];
  gradB1: number[];
  gradW2: number[];
  gradB2: number[];
  /** Parameters after one step of plain SGD, and the loss they give. */
  newW1: number[];
  newB1: number[];
  newW2: number[];
  newB2: number[];
  lossAfter: number;
}

export type PageResult =
  | { ok: true; adapter: AdapterReport; matmuls: MatmulResult[]; mlp: MlpResult; variants: VariantResult[]; ms: number }
  | { ok: false; stage: string; errorName: string; message: string; adapter?: AdapterReport };
