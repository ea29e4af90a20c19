/**
 * ARBEx: the POSTER++ feature extractor (landmark stream, image stream, window cross-attention at
 * three scales, multi-scale fusion, ViT + SE) and the reliability-balancing head.
 */
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../../nn/module.js';
import { add, mul, sub } from '../../ops/elementwise.js';
import { resize2d } from '../../ops/resize.js';
import { anchorMatch } from '../../ops/anchor.js';
import { ShapeError, fmtShape } from '../../runtime/errors.js';
import { type ArbexConfig, type LossConfig, scaleSizes, validateConfig } from './config.js';
import { LandmarkStream } from './landmark-stream.js';
import { ImageStream } from './image-stream.js';
import { WindowCrossAttention } from './window-cross-attention.js';
import { Fusion, VisionTransformer } from './vit.js';
import { ArbexHead } from './head.js';
import { ReleasedArbexHead } from './head-released.js';
import { attentionCorrection, confidence, reliabilityBalance, toAnchorSpace, type AnchorSpace, type BalanceOutputs } from './reliability.js';
import { arbexLoss, probabilityNll, type LossParts } from './losses.js';

/** Called with each stage's name and output (for `arbex summary` and debugging). */
export type StageObserver = (name: string, out: Tensor) => void;

export class FeatureExtractor extends Module {
  readonly landmark: LandmarkStream;
  readonly image: ImageStream;
  readonly windows: WindowCrossAttention[];
  readonly fusion: Fusion;
  readonly vit: VisionTransformer;

  constructor(readonly cfg: ArbexConfig) {
    super();
    validateConfig(cfg);
    this.landmark = this.child('face_landback', new LandmarkStream(cfg));
    this.image = this.child('ir_back', new ImageStream(cfg));
    const a = cfg.attention;
    this.windows = [0, 1, 2].map((i) =>
      this.child(`attn${i + 1}`, new WindowCrossAttention({
        dim: cfg.image.widths[i]!, heads: a.heads[i]!, window: a.windows[i]!, mlpRatio: a.mlpRatio,
        layerScale: a.layerScale, dropPath: a.dropPath[i]!, querySplit: cfg.querySplit,
      })),
    );
    this.fusion = this.child('fusion', new Fusion(cfg));
    const m3 = scaleSizes(cfg)[2];
    this.vit = this.child('VIT', new VisionTransformer(cfg, 3 * m3 * m3));
  }

  /** images [B, 3, S, S] → embedding [B, tokenDim]. `seed` drives DropPath masks. */
  forward(images: Tensor, seed?: number, observe?: StageObserver): Tensor {
    const S = this.cfg.inputSize;
    if (images.rank !== 4 || images.shape[1] !== 3 || images.shape[2] !== S || images.shape[3] !== S) {
      throw new ShapeError(`ARBEx(${this.cfg.name}): expected images [batch, 3, ${S}, ${S}], got ${fmtShape(images.shape)}`);
    }
    const bs = this.cfg.backboneSize;
    const x = S === bs ? images : resize2d(images, [bs, bs], this.cfg.resize ?? 'bilinear');
    observe?.('resize', x);
    const lm = this.landmark.forward(x);
    lm.forEach((t, i) => observe?.(`landmark.L${i + 1}`, t));
    const im = this.image.forward(x);
    im.forEach((t, i) => observe?.(`image.I${i + 1}`, t));
    const o = this.windows.map((w, i) => w.forward(im[i]!, lm[i]!, seed === undefined ? undefined : seed + 1000 * i));
    o.forEach((t, i) => observe?.(`window_attention.${i + 1}`, t));
    const tokens = this.fusion.forward(o[0]!, o[1]!, o[2]!);
    observe?.('fusion', tokens);
    const e = this.vit.forward(tokens, seed === undefined ? undefined : seed + 5000);
    observe?.('vit+se', e);
    return e;
  }
}

export interface ArbexOutputs {
  logits: Tensor;
  /** Primary distribution p = softmax(logits / T). */
  p: Tensor;
  /** Head embedding (after the optional reduction). */
  e: Tensor;
}

export class ArbexModel extends Module {
  readonly features: FeatureExtractor;
  readonly head: ArbexHead;

  constructor(readonly cfg: ArbexConfig) {
    super();
    this.features = this.child('features', new FeatureExtractor(cfg));
    const Head = cfg.headVariant === 'released' ? ReleasedArbexHead : ArbexHead;
    this.head = this.child('head', new Head(cfg.tokenDim, cfg.numClasses, cfg.head));
  }

  forward(images: Tensor, seed?: number, observe?: StageObserver): ArbexOutputs {
    const e = this.head.embed(this.features.forward(images, seed, observe));
    const { logits, p } = this.head.classify(e, seed === undefined ? undefined : seed + 9000);
    observe?.('head.logits', logits);
    return { logits, p, e };
  }

  /** The embedding, anchors and δ as the anchor branch sees them (ReliabilityConfig.anchorSpace). */
  anchorSpace(e: Tensor): AnchorSpace {
    return toAnchorSpace(e, this.head.anchors, this.cfg.head.delta, this.cfg.head.anchorSpace);
  }

  /** Reliability balancing of a forward pass (training). */
  balance(out: ArbexOutputs, labels: Tensor | Int32Array, tau: number): BalanceOutputs & { anchors: Tensor } {
    const h = this.cfg.head;
    const a = this.anchorSpace(out.e);
    const rb = reliabilityBalance({
      p: out.p, e: a.e, anchors: a.anchors, attention: this.head.attentionWeights(), labels,
      delta: a.delta, scope: h.attentionScope, heads: h.attentionHeads, tau, confidenceFloor: h.confidenceFloor,
      // The attention branch always reads the raw embedding (only the anchor branch moves to the
      // sphere); the released head has its own correction branch (biases, a 7-dim attention).
      v: this.head instanceof ReleasedArbexHead
        ? this.head.attentionCorrection(out.e, h.attentionScope, h.attentionHeads)
        : a.e === out.e ? undefined : attentionCorrection(out.e, this.head.attentionWeights(), this.cfg.numClasses, h.anchorsPerClass, h.attentionScope, h.attentionHeads),
    });
    return { ...rb, anchors: a.anchors };
  }

  /** The training loss: full ARBEx, or plain weighted NLL of p when reliability is off. */
  loss(out: ArbexOutputs, labels: Tensor | Int32Array, tau: number, lossCfg: LossConfig, weights?: Tensor | Float32Array): LossParts & { rb: BalanceOutputs | null } {
    if (!lossCfg.reliability) {
      const cls = probabilityNll(out.p, labels, weights);
      return { total: mul(cls, lossCfg.lambdaCls), cls, primary: null, anchor: null, center: null, rb: null };
    }
    const rb = this.balance(out, labels, tau);
    return { ...arbexLoss(rb, rb.anchors, labels, lossCfg, tau, this.head.dim, weights, out.p, this.cfg.head.anchorSpace), rb };
  }

  /**
   * Class probabilities for inference: p (released default), or with the anchor correction applied
   * (q = c(p)·p + (1 − c(p))·t) when `testTimeCorrection` is set. Batch-independent either way.
   */
  predict(images: Tensor): { probs: Tensor; confidence: Tensor; e: Tensor } {
    const out = this.forward(images);
    const cp = confidence(out.p, this.cfg.head.confidenceFloor);
    if (!this.cfg.head.testTimeCorrection) return { probs: out.p, confidence: cp, e: out.e };
    const a = this.anchorSpace(out.e);
    const { t } = anchorMatch(a.e, a.anchors, null, a.delta);
    return { probs: add(mul(cp, out.p), mul(sub(1, cp), t)), confidence: cp, e: out.e };
  }
}
