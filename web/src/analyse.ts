/**
 * One face through the model, with everything the Predict and Inside views show: the
 * preprocessed input, every stage's output, the window cross-attention maps, the ViT's attention
 * from the class token, the embedding and anchors, and reliability balancing (p, t, v, their
 * confidences, the blend). Preprocessing and the probabilities are computed exactly as
 * `arbex predict` computes them (same loader, same `model.predict`).
 */
import type { HostImage } from '../../src/data/image.js';
import type { HostBatch } from '../../src/data/batch.js';
import { ArraySource } from '../../src/data/source.js';
import { createLoader, IMAGENET_MEAN, IMAGENET_STD } from '../../src/data/loader.js';
import type { ArbexModel } from '../../src/models/arbex/model.js';
import type { ArbexConfig } from '../../src/models/arbex/config.js';
import { reliabilityBalance } from '../../src/models/arbex/reliability.js';
import { tensor } from '../../src/tensor/create.js';
import { tidy, keep } from '../../src/tensor/scope.js';
import { noGrad } from '../../src/autograd/graph.js';
import { mean } from '../../src/ops/reduce.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { fitPca2d } from '../../src/train/projection.js';

export interface HostArray {
  shape: number[];
  data: Float32Array;
}

export interface Analysis {
  config: ArbexConfig;
  /** The face analysed (the caller's object). */
  source: HostImage;
  /** The normalised input as the model sees it, back in 0..255 RGB (inputSize²). */
  input: HostImage;
  /** `model.predict` probabilities (what `arbex predict` prints). */
  probs: Float32Array;
  /** Stage outputs in forward order (name → host copy). */
  stages: Map<string, HostArray>;
  /** Per scale: attention each key position receives (mean over heads and queries), m×m. */
  windowMaps: HostArray[];
  /** Attention of the class token over the fused tokens (mean over heads), [3·m3²]; last block. */
  clsAttention: Float32Array;
  logits: Float32Array;
  p: Float32Array;
  t: Float32Array;
  v: Float32Array;
  cp: number;
  ct: number;
  cv: number;
  /** r = (ct·t + cv·v)/(ct + cv), and the blend q = cp·p + (1 − cp)·r. */
  r: Float32Array;
  q: Float32Array;
  /** Embedding [D], anchors [C·K, D], and both projected on the anchors' two principal axes. */
  e: Float32Array;
  anchors: HostArray;
  anchors2d: Float32Array;
  e2d: Float32Array;
  ms: number;
}

/** The image as `arbex predict` feeds it: eval preprocessing (resize, ImageNet normalisation). */
export function preprocess(image: HostImage, cfg: ArbexConfig): HostBatch {
  const source = new ArraySource('page', [{ image, label: 0, cleanLabel: 0 }], cfg.numClasses);
  const loader = createLoader({ source, batchSize: 1, sampler: 'sequential', augment: 'eval', size: cfg.inputSize, seed: 0 });
  for (const b of loader.epoch(0)) return b;
  throw new Error('preprocess: the loader gave no batch');
}

function denormalise(b: HostBatch): HostImage {
  const n = b.width * b.height;
  const out = new Uint8Array(n * 3);
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < n; i++) out[3 * i + c] = Math.round(Math.min(255, Math.max(0, (b.images[c * n + i]! * IMAGENET_STD[c]! + IMAGENET_MEAN[c]!) * 255)));
  return { width: b.width, height: b.height, channels: 3, data: out };
}

const host = async (t: Tensor): Promise<HostArray> => ({ shape: [...t.shape], data: new Float32Array(await t.toArray()) });

/** Class probabilities exactly as `arbex predict` computes them. */
export async function predictProbs(model: ArbexModel, batch: HostBatch): Promise<Float32Array> {
  const r = noGrad(() => tidy(() => model.predict(tensor(batch.images, [1, 3, batch.height, batch.width]))));
  try {
    return new Float32Array(await r.probs.toArray());
  } finally {
    for (const x of [r.probs, r.confidence, r.e]) x.dispose();
  }
}

/** Window attention probabilities [nW, heads, n, n] → per-position attention received on the m×m map. */
function windowGrid(m: HostArray, window: number): HostArray {
  // m: mean over heads and queries, [nW, n] (n = w²); windows tile the map row-major.
  const nW = m.shape[0]!;
  const per = Math.round(Math.sqrt(nW));
  const side = per * window;
  const out = new Float32Array(side * side);
  for (let wi = 0; wi < nW; wi++)
    for (let t = 0; t < window * window; t++) {
      const y = Math.floor(wi / per) * window + Math.floor(t / window);
      const x = (wi % per) * window + (t % window);
      out[y * side + x] = m.data[wi * window * window + t]!;
    }
  return { shape: [side, side], data: out };
}

/** softmax(q_cls · Kᵀ/√hd) averaged over heads, from the block's qkv projection [1, N, 3·T]. */
function clsAttentionFrom(qkv: HostArray, heads: number): Float32Array {
  const [, N, T3] = qkv.shape as [number, number, number];
  const T = T3 / 3, hd = T / heads;
  const out = new Float32Array(N - 1);
  for (let h = 0; h < heads; h++) {
    const q = (j: number) => qkv.data[0 * T + h * hd + j]!; // token 0 (CLS), q part
    const logits = new Float64Array(N);
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let j = 0; j < hd; j++) s += q(j) * qkv.data[n * T3 + T + h * hd + j]!;
      logits[n] = s / Math.sqrt(hd);
    }
    const mx = Math.max(...logits);
    let z = 0;
    for (let n = 0; n < N; n++) z += (logits[n] = Math.exp(logits[n]! - mx));
    for (let n = 1; n < N; n++) out[n - 1]! += logits[n]! / z / heads;
  }
  return out;
}

export async function analyse(model: ArbexModel, cfg: ArbexConfig, image: HostImage): Promise<Analysis> {
  const t0 = performance.now();
  const batch = preprocess(image, cfg);
  const probs = await predictProbs(model, batch);
  const kept = new Map<string, Tensor>();
  const maps: Tensor[] = [];
  const vitBlock = model.features.vit.blocks[model.features.vit.blocks.length - 1]!;
  const attn = vitBlock.attn;
  const origForward = attn.forward;
  let qkvT: Tensor | null = null;
  // The fused attention kernel never materialises its probabilities; recompute the CLS row from
  // the block's own qkv projection (cheap: one token's scores).
  attn.forward = function (this: typeof attn, x: Tensor): Tensor {
    qkvT = keep(this.qkv.forward(x));
    return origForward.call(this, x);
  };
  model.features.windows.forEach((w) => (w.capture = (pr) => maps.push(keep(mean(pr, [1, 2])))));
  let rb: Record<'t' | 'v' | 'cp' | 'ct' | 'cv' | 'p' | 'e' | 'logits', Tensor>;
  try {
    rb = noGrad(() =>
      tidy(() => {
        const x = tensor(batch.images, [1, 3, batch.height, batch.width]);
        const out = model.forward(x, undefined, (name, t) => kept.set(name, keep(t)));
        const h = cfg.head;
        const b = reliabilityBalance({
          p: out.p, e: out.e, anchors: model.head.anchors, attention: model.head.attentionWeights(), labels: null,
          delta: h.delta, scope: h.attentionScope, heads: h.attentionHeads, tau: 1, confidenceFloor: h.confidenceFloor,
        });
        return { t: b.t, v: b.v, cp: b.cp, ct: b.ct, cv: b.cv, p: out.p, e: out.e, logits: out.logits };
      }),
    );
  } finally {
    attn.forward = origForward;
    model.features.windows.forEach((w) => (w.capture = null));
  }
  const stages = new Map<string, HostArray>();
  for (const [k, t] of kept) stages.set(k, await host(t));
  const windowMaps = await Promise.all(maps.map(async (m, s) => windowGrid(await host(m), cfg.attention.windows[s]!)));
  const qkv = qkvT ? await host(qkvT) : null;
  const [t, v, p, e, logits] = await Promise.all([rb.t, rb.v, rb.p, rb.e, rb.logits].map(async (x) => new Float32Array(await x.toArray())));
  const [cp, ct, cv] = await Promise.all([rb.cp.item(), rb.ct.item(), rb.cv.item()]);
  const anchors = await host(model.head.anchors);
  for (const x of [...kept.values(), ...maps, ...Object.values(rb), ...(qkvT ? [qkvT as Tensor] : [])]) x.dispose();

  const C = p.length;
  const r = new Float32Array(C), q = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    r[c] = (ct * t[c]! + cv * v[c]!) / (ct + cv);
    q[c] = cp * p[c]! + (1 - cp) * r[c]!;
  }
  const [Ca, K, D] = anchors.shape as [number, number, number];
  const pca = fitPca2d(anchors.data, Ca * K, D);
  return {
    config: cfg, source: image, input: denormalise(batch), probs, stages, windowMaps,
    clsAttention: qkv ? clsAttentionFrom(qkv, cfg.vit.heads) : new Float32Array(0),
    logits, p, t: t!, v: v!, cp, ct, cv, r, q, e: e!, anchors,
    anchors2d: pca.project(anchors.data, Ca * K), e2d: pca.project(e!, 1),
    ms: performance.now() - t0,
  };
}
