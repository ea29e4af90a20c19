/**
 * ARBEx configurations. `full` follows the released sizes (see shared ARBEX.md); `tiny` keeps the
 * architecture and scales it down so it trains in minutes on a software adapter. Any size in
 * between: start from either and override fields (`resolveConfig`).
 */
export interface ArbexConfig {
  name: string;
  /** Input image size (square). Both backbones resize to `backboneSize` inside. */
  inputSize: number;
  backboneSize: number;
  /** Landmark stream (MobileFaceNet taps): stem width and the channels of the three taps. */
  landmark: {
    stem: number;
    taps: [number, number, number];
    /** Expansion of the residual blocks at each tap, and of the stride-2 block leading to it. */
    expand: [number, number, number];
    downExpand: [number, number, number];
    blocks: [number, number, number];
    lastConv: number;
    /** Frozen as in the paper (a pretrained landmark network); only the last 3×3 conv trains. */
    frozen: boolean;
  };
  /** Image stream (IR-50 stages): widths and unit counts of the three stages. */
  image: { widths: [number, number, number]; units: [number, number, number] };
  /** Window cross-attention per scale: heads and window size (w = map size: one window). */
  attention: { heads: [number, number, number]; windows: [number, number, number]; mlpRatio: number; layerScale: number; dropPath: [number, number, number] };
  /** Fusion: token dim of the ViT. */
  tokenDim: number;
  /**
   * initStd: std of the ViT Linear weights (released: 0.01, truncated normal); 'xavier' uses
   * Xavier-uniform, which makes attention non-uniform from the start (faster on short budgets).
   */
  /**
   * posStd: std of the learned position embedding (released: 0.02). Tokens are LayerNorm-ed to
   * unit scale, so at 0.02 every position looks alike and the CLS readout starts as a global
   * average; a unit-scale embedding lets attention tell positions apart from the first step.
   */
  /**
   * readout: how the embedding is read from the tokens — 'cls' (released: the CLS token) or
   * 'flatten' (all patch tokens flattened → Linear(N·T, T)); both then pass the SE gate.
   * depth 0 leaves the fusion tokens unmixed (only with the 'flatten' readout).
   */
  vit: { depth: number; heads: number; mlpRatio: number; eps: number; dropPath: number; init: number | 'xavier'; posStd: number; readout?: 'cls' | 'flatten' };
  /** Released-code modules that exist (and count as parameters) but are unused in its forward. */
  releasedVestigial: boolean;
  /** Query split of the landmark tokens: standard head split, or the released raw reshape. */
  querySplit: 'heads' | 'released-reshape';
  head: ReliabilityConfig;
  numClasses: number;
  /**
   * 'project' (default): the head in head.ts. 'released': the released ARBEx correction branch
   * (Q/K/V with biases + a C·K-dim MultiheadAttention, head-released.ts), so released
   * checkpoints load strictly and predict what the released code predicts.
   */
  headVariant?: 'project' | 'released';
  /** Resampling of the input to backboneSize: bilinear (default) or nearest (released F.interpolate default). */
  resize?: 'bilinear' | 'nearest';
}

export interface ReliabilityConfig {
  /** Optional linear reduction of the embedding before the head (paper figure); 0 = none. */
  reduceDim: number;
  mlpHidden: number[];
  dropout: number;
  temperature: number;
  anchorsPerClass: number;
  delta: number;
  attentionScope: 'batch' | 'sample';
  attentionHeads: number;
  /** Apply the anchor correction at test time (released: predict argmax p). */
  testTimeCorrection: boolean;
  /** Confidence floor (normalised-entropy confidences are clamped to [floor, 1]). */
  confidenceFloor: number;
  /**
   * Where anchor distances live. 'euclidean' (released): raw embeddings and anchors, so the
   * released separation loss can grow anchors without bound and every distance with them (t
   * turns one-hot, whatever its quality). 'sphere': embeddings and anchors are L2-normalised and
   * scaled to radius √D, so distances are bounded (≤ 2√D), the separation loss is bounded in
   * either form, and δ is measured in unit-sphere distance (the kernel gets δ·√D).
   */
  anchorSpace: 'euclidean' | 'sphere';
}

export interface LossConfig {
  lambdaCls: number;
  lambdaAnchor: number;
  lambdaCenter: number;
  anchorLoss: 'released' | 'margin';
  anchorMargin: number;
  /** Turn the reliability balancing off (ablation): the loss uses p directly. */
  reliability: boolean;
  /**
   * Weight of a plain NLL on the primary p next to the loss on the corrected p̂ (released: 0).
   * With only the p̂ term, p's gradient is scaled by τ·c(p), so an uncertain classifier learns
   * slowest exactly when the blend hands the prediction to the corrections.
   */
  lambdaPrimary: number;
}

const head = (over: Partial<ReliabilityConfig> = {}): ReliabilityConfig => ({
  reduceDim: 0,
  mlpHidden: [384, 192, 96],
  dropout: 0.5,
  temperature: 1,
  anchorsPerClass: 1,
  delta: 1,
  // 'sample' by measurement (README, "The claim experiment": +5.2 points clean accuracy, +1.1
  // macro-F1 over 3 seeds, smaller spread) and because a prediction then never depends on which
  // other faces share its batch. The released code's 'batch' remains an option.
  attentionScope: 'sample',
  attentionHeads: 1,
  testTimeCorrection: false,
  confidenceFloor: 1e-6,
  anchorSpace: 'euclidean',
  ...over,
});

export const FULL: ArbexConfig = {
  name: 'full',
  inputSize: 224,
  backboneSize: 112,
  landmark: { stem: 64, taps: [64, 128, 128], expand: [128, 256, 256], downExpand: [128, 256, 512], blocks: [4, 6, 2], lastConv: 512, frozen: true },
  image: { widths: [64, 128, 256], units: [3, 4, 14] },
  attention: { heads: [2, 4, 8], windows: [28, 14, 7], mlpRatio: 4, layerScale: 1e-5, dropPath: [0, 0.125, 0.25] },
  tokenDim: 768,
  vit: { depth: 2, heads: 8, mlpRatio: 4, eps: 1e-6, dropPath: 0, init: 0.01, posStd: 0.02, readout: 'cls' },
  releasedVestigial: true,
  querySplit: 'heads',
  head: head(),
  numClasses: 7,
  headVariant: 'project',
  resize: 'bilinear',
};

/**
 * The same architecture at 1/4 width and 1/3.5 resolution, sized so a 2-core machine with a
 * software adapter trains it in minutes: 48 input resized to 32 inside the backbones, maps of
 * 8/4/2 (scale 1 uses four 4×4 windows, so the windowed path is exercised), widths 16/32/64,
 * 96-d tokens, a 1-block ViT.
 */
export const TINY: ArbexConfig = {
  name: 'tiny',
  inputSize: 48,
  backboneSize: 32,
  landmark: { stem: 16, taps: [16, 32, 32], expand: [32, 64, 64], downExpand: [32, 64, 128], blocks: [1, 1, 1], lastConv: 128, frozen: false },
  image: { widths: [16, 32, 64], units: [1, 1, 1] },
  attention: { heads: [1, 2, 4], windows: [4, 4, 2], mlpRatio: 2, layerScale: 1e-5, dropPath: [0, 0.125, 0.25] },
  tokenDim: 96,
  // posStd 1: with the released 0.02 a probe (fusion → ViT CLS → linear, 1400 faces, 3 epochs)
  // reached 27 % training accuracy; at 1.0 it reached 42 % (tokens flattened, no ViT: 56 %).
  vit: { depth: 1, heads: 4, mlpRatio: 2, eps: 1e-6, dropPath: 0, init: 'xavier', posStd: 1, readout: 'cls' },
  releasedVestigial: false,
  querySplit: 'heads',
  // A linear classifier on the embedding: on a few-minute budget the released MLP head (hidden
  // layers with BatchNorm + dropout) learnt far slower (22 % vs 40 % train accuracy after two
  // epochs on easy synthetic faces). The full config keeps the released head.
  head: head({ mlpHidden: [], dropout: 0 }),
  numClasses: 7,
  headVariant: 'project',
  resize: 'bilinear',
};

export const DEFAULT_LOSS: LossConfig = {
  lambdaCls: 1,
  lambdaAnchor: 1,
  lambdaCenter: 1,
  anchorLoss: 'released',
  anchorMargin: 1,
  reliability: true,
  lambdaPrimary: 0,
};

/** Spatial sizes of the three scales for a backbone input of `s` (s/4, s/8, s/16 after the stride-2 convs). */
export function scaleSizes(cfg: ArbexConfig): [number, number, number] {
  const s = cfg.backboneSize;
  return [Math.ceil(s / 4), Math.ceil(s / 8), Math.ceil(s / 16)];
}

export function configByName(name: string): ArbexConfig {
  if (name === 'full') return structuredClone(FULL);
  if (name === 'tiny') return structuredClone(TINY);
  throw new Error(`unknown config '${name}' (expected full, tiny or a JSON file)`);
}

/** Deep-merges overrides (e.g. from a JSON file) into a base config and validates the result. */
export function resolveConfig(base: ArbexConfig, over: Record<string, unknown> = {}): ArbexConfig {
  const merge = (a: Record<string, unknown>, b: Record<string, unknown>, path: string): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) {
      if (!(k in a)) throw new Error(`config: unknown key '${path}${k}'`);
      const av = a[k];
      out[k] = av && typeof av === 'object' && !Array.isArray(av) && v && typeof v === 'object' && !Array.isArray(v)
        ? merge(av as Record<string, unknown>, v as Record<string, unknown>, `${path}${k}.`)
        : v;
    }
    return out;
  };
  const cfg = merge(base as unknown as Record<string, unknown>, over, '') as unknown as ArbexConfig;
  validateConfig(cfg);
  return cfg;
}

export function validateConfig(cfg: ArbexConfig): void {
  if (cfg.headVariant !== undefined && cfg.headVariant !== 'project' && cfg.headVariant !== 'released') throw new Error(`config: headVariant '${String(cfg.headVariant)}' (expected project or released)`);
  if (cfg.resize !== undefined && cfg.resize !== 'bilinear' && cfg.resize !== 'nearest') throw new Error(`config: resize '${String(cfg.resize)}' (expected bilinear or nearest)`);
  const sizes = scaleSizes(cfg);
  cfg.attention.windows.forEach((w, i) => {
    if (sizes[i]! % w !== 0) throw new Error(`config: window ${w} does not tile the ${sizes[i]}×${sizes[i]} map of scale ${i + 1}`);
  });
  cfg.image.widths.forEach((d, i) => {
    if (d % cfg.attention.heads[i]! !== 0) throw new Error(`config: width ${d} of scale ${i + 1} is not divisible by ${cfg.attention.heads[i]} heads`);
    // Landmark tokens are the queries with no projection, so their width must match (the third
    // tap goes through the trainable 3×3 conv lastConv → width first).
    if (i < 2 && cfg.landmark.taps[i] !== d) {
      throw new Error(`config: landmark tap ${i + 1} has ${cfg.landmark.taps[i]} channels, the image stream ${d}`);
    }
  });
  const readout = cfg.vit.readout ?? 'cls';
  if (readout !== 'cls' && readout !== 'flatten') throw new Error(`config: vit.readout '${String(readout)}' (expected cls or flatten)`);
  if (!(Number.isInteger(cfg.vit.depth) && cfg.vit.depth >= 0)) throw new Error(`config: vit.depth ${cfg.vit.depth} (expected an integer >= 0)`);
  if (cfg.vit.depth === 0 && readout === 'cls') throw new Error('config: vit.depth 0 needs vit.readout flatten (the CLS token would see no patch)');
  if (cfg.tokenDim % cfg.vit.heads !== 0) throw new Error(`config: token dim ${cfg.tokenDim} not divisible by ${cfg.vit.heads} heads`);
  if (cfg.inputSize < cfg.backboneSize) throw new Error(`config: inputSize ${cfg.inputSize} < backboneSize ${cfg.backboneSize}`);
}
