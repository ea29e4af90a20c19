/**
 * Inside the model: one face followed through every stage of ARBEx in forward order, each with
 * its output shape, parameter count, a paragraph on what it does, and links to the WGSL kernels
 * that computed it (served from shaders/).
 */
import type { Analysis } from '../analyse.js';
import { analyse } from '../analyse.js';
import type { ArbexModel } from '../../../src/models/arbex/model.js';
import { scaleSizes } from '../../../src/models/arbex/config.js';
import { anchorPlot, bars, el, featureTiles, heatOverlay, imageCanvas } from '../draw.js';
import { classNames } from './predict.js';
import { report, state } from '../state.js';

interface Stage {
  title: string;
  shape: string;
  params: number;
  text: string;
  shaders: string[];
  body: HTMLElement;
}

const fmtShape = (s: readonly number[]): string => `[${s.join(', ')}]`;
const fmtInt = (n: number): string => n.toLocaleString('en');

function stageCard(i: number, s: Stage): HTMLElement {
  return el('div', { class: 'stage', id: `stage-${i + 1}` },
    el('h2', { text: `${i + 1}. ${s.title}` }),
    el('div', { class: 'meta' },
      `output ${s.shape} · ${fmtInt(s.params)} parameters · kernels: `,
      ...s.shaders.flatMap((f, j) => [j ? ', ' : '', el('a', { href: `shaders/${f}`, target: '_blank', text: f })])),
    el('p', { text: s.text }),
    s.body);
}

function tokenNormMaps(tokens: { shape: number[]; data: Float32Array }, m3: number): Float32Array[] {
  // tokens [1, 3·m3², T]: three m3×m3 token sets (from scales 1, 2, 3); per-token L2 norm.
  const [, N, T] = tokens.shape as [number, number, number];
  const norms = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let j = 0; j < T; j++) s += tokens.data[n * T + j]! ** 2;
    norms[n] = Math.sqrt(s);
  }
  return [0, 1, 2].map((g) => norms.slice(g * m3 * m3, (g + 1) * m3 * m3));
}

export function buildStages(a: Analysis, model: ArbexModel): Stage[] {
  const cfg = a.config;
  const f = model.features;
  const names = classNames(cfg.numClasses);
  const st = (k: string) => {
    const s = a.stages.get(k);
    if (!s) throw new Error(`inside: stage '${k}' was not observed`);
    return s;
  };
  const S = 120;
  const m3 = scaleSizes(cfg)[2];
  const resized = st('resize');
  const streams = (prefix: 'landmark.L' | 'image.I') =>
    el('div', {}, ...[1, 2, 3].map((i) => {
      const s = st(`${prefix}${i}`);
      return el('div', {}, el('div', { class: 'small', text: `scale ${i}: ${fmtShape(s.shape)} (first 8 of ${s.shape[1]} channels)` }), featureTiles(s.shape, s.data, 8, 56));
    }));
  const tokens = st('fusion');
  const tokenMaps = tokenNormMaps(tokens, m3);
  const cls = a.clsAttention;
  const clsMaps = [0, 1, 2].map((g) => cls.slice(g * m3 * m3, (g + 1) * m3 * m3));
  const head = model.head;
  const windowParams = f.windows.reduce((s, w) => s + w.numParameters(), 0);
  const conf = (x: number) => x.toFixed(3);
  return [
    {
      title: 'Input, resized', shape: `${fmtShape([1, 3, cfg.inputSize, cfg.inputSize])} → ${fmtShape(resized.shape)}`, params: 0,
      text: `The face is resized to ${cfg.inputSize}×${cfg.inputSize} and normalised with the ImageNet mean and standard deviation (exactly as \`arbex predict\` does), then bilinearly resized to the ${cfg.backboneSize}×${cfg.backboneSize} both backbones work at. Shown here de-normalised.`,
      shaders: ['resize.wgsl'],
      body: el('div', { class: 'row' }, imageCanvas(a.input, S), el('span', { class: 'small muted', text: `${a.input.width}×${a.input.height} input` })),
    },
    {
      title: 'Landmark stream (MobileFaceNet taps)', shape: [1, 2, 3].map((i) => fmtShape(st(`landmark.L${i}`).shape)).join(' '), params: f.landmark.numParameters(),
      text: 'A MobileFaceNet-style network (in the paper a pretrained, frozen 68-point landmark detector) turns the face into three feature maps at 1/4, 1/8 and 1/16 of its input: depthwise-separable convolutions with BatchNorm and PReLU. These maps say where the facial parts are; they become the queries of the cross-attention.',
      shaders: ['conv.wgsl', 'depthwise.wgsl', 'batchnorm.wgsl', 'prelu.wgsl'],
      body: streams('landmark.L'),
    },
    {
      title: 'Image stream (IR-50 stages)', shape: [1, 2, 3].map((i) => fmtShape(st(`image.I${i}`).shape)).join(' '), params: f.image.numParameters(),
      text: 'The first three stages of an IR-50 face-recognition network (improved residual units: BN → 3×3 conv → PReLU → 3×3 conv → BN plus a shortcut) and one stride-2 conv per scale give maps of the same sizes as the landmark stream: what the face looks like at each place.',
      shaders: ['conv.wgsl', 'batchnorm.wgsl', 'prelu.wgsl', 'pool.wgsl', 'elementwise.wgsl'],
      body: streams('image.I'),
    },
    {
      title: 'Windows and their cross-attention', shape: [1, 2, 3].map((i) => fmtShape(st(`window_attention.${i}`).shape)).join(' '), params: windowParams,
      text: `Each scale's maps are cut into non-overlapping windows (${cfg.attention.windows.join(', ')} positions wide). Inside a window, every landmark position asks (query) every image position (keys and values, after LayerNorm and a linear projection, plus a learned relative-position bias) what it sees; the answer is added back to the image features (layer scale), followed by an MLP. The heat maps show how much attention each image position receives, averaged over heads and queries; the grid lines of a window are where attention cannot cross.`,
      shaders: ['attention.wgsl', 'layernorm.wgsl', 'matmul.wgsl', 'movement.wgsl', 'softmax.wgsl'],
      body: el('div', { class: 'row' }, ...a.windowMaps.map((m, s) => el('figure', {}, heatOverlay(a.input, m.data, m.shape[0]!, S), el('figcaption', { class: 'small', text: `scale ${s + 1}: ${(m.shape[0]! / cfg.attention.windows[s]!) ** 2} window(s) of ${cfg.attention.windows[s]}×${cfg.attention.windows[s]}` })))),
    },
    {
      title: 'Fused tokens', shape: fmtShape(tokens.shape), params: f.fusion.numParameters(),
      text: `Strided convolutions bring the three attended maps to the smallest scale (${m3}×${m3}) and to ${cfg.tokenDim} channels; the three sets of ${m3 * m3} positions are concatenated into one sequence of ${tokens.shape[1]} tokens. Shown: each token's length (L2 norm), per scale, over the face.`,
      shaders: ['conv.wgsl', 'movement.wgsl'],
      body: el('div', { class: 'row' }, ...tokenMaps.map((m, g) => el('figure', {}, heatOverlay(a.input, m, m3, S / 1.5), el('figcaption', { class: 'small', text: `tokens from scale ${g + 1}` })))),
    },
    {
      title: 'ViT: attention from the class token', shape: fmtShape(st('vit+se').shape), params: f.vit.numParameters(),
      text: `A class token and a learned position embedding are added, then ${cfg.vit.depth} pre-norm transformer block(s) (${cfg.vit.heads} heads of multi-head self-attention and a GELU MLP), a final LayerNorm, and a squeeze-and-excitation gate on the class token give the embedding. Shown: where the class token looks in the last block (softmax of its query against every key, mean over heads), per token set.`,
      shaders: ['attention.wgsl', 'layernorm.wgsl', 'matmul.wgsl', 'elementwise.wgsl'],
      body: el('div', { class: 'row' }, ...clsMaps.map((m, g) => el('figure', {}, heatOverlay(a.input, m, m3, S / 1.5), el('figcaption', { class: 'small', text: `tokens from scale ${g + 1}: ${(m.reduce((s, x) => s + x, 0) * 100).toFixed(0)} % of the attention` })))),
    },
    {
      title: 'Head: the embedding among the anchors', shape: fmtShape([1, a.e.length]), params: head.anchors.size,
      text: `The embedding e (${a.e.length} numbers) is compared with ${head.anchors.shape[1]} learned anchor(s) per class (${fmtShape(head.anchors.shape)}). Training pulls each face towards an anchor of its class and pushes anchors of different classes apart. The plot projects the anchors on their two principal axes and places this face's embedding on the same plane.`,
      shaders: ['anchor.wgsl'],
      body: anchorPlot(a.anchors2d, a.anchors.shape[1]!, a.e2d, names, 240),
    },
    {
      title: 'p: the primary prediction', shape: fmtShape([1, a.p.length]), params: head.out.numParameters() + head.hidden.reduce((s, h) => s + h.numParameters(), 0),
      text: `A ${cfg.head.mlpHidden.length ? 'multi-layer' : 'linear'} classifier maps the embedding to ${a.p.length} logits; p = softmax(logits / T). This is what the released model predicts at test time.`,
      shaders: ['matmul.wgsl', 'softmax.wgsl'],
      body: bars(names, a.p, 'p', `confidence c(p) = ${conf(a.cp)}`),
    },
    {
      title: 't: the anchor correction', shape: fmtShape([1, a.t.length]), params: 0,
      text: `t = softmax over classes of −(distance from e to the class's nearest anchor)/δ (δ = ${cfg.head.delta}), from one fused kernel: a face near the anchor of a class gets that class.`,
      shaders: ['anchor.wgsl'],
      body: bars(names, a.t, 't', `confidence c(t) = ${conf(a.ct)}`),
    },
    {
      title: 'v: the attention correction', shape: fmtShape([1, a.v.length]), params: head.wq.numParameters() + head.wk.numParameters() + head.wv.numParameters(),
      text: `Queries, keys and values over the ${a.p.length * cfg.head.anchorsPerClass} anchor slots are projected from the embedding; self-attention over those slots (scope '${cfg.head.attentionScope}'), a softmax and a sum over each class's slots give a second proposal v.`,
      shaders: ['matmul.wgsl', 'softmax.wgsl', 'reduce.wgsl'],
      body: bars(names, a.v, 'v', `confidence c(v) = ${conf(a.cv)}`),
    },
    {
      title: 'Confidences', shape: '3 × [1, 1]', params: 0,
      text: 'Each distribution gets a confidence c(q) = 1 − H(q)/ln C from its normalised entropy: 1 for a one-hot prediction, 0 for a uniform one. The corrections are mixed by their confidences, r = (c(t)·t + c(v)·v)/(c(t) + c(v)).',
      shaders: ['elementwise.wgsl', 'reduce.wgsl'],
      body: el('div', {}, el('div', { class: 'formula', text: `c(p) = ${conf(a.cp)}   c(t) = ${conf(a.ct)}   c(v) = ${conf(a.cv)}` }), bars(names, a.r, 'r = confidence-weighted mix of t and v')),
    },
    {
      title: 'Blend', shape: fmtShape([1, a.q.length]), params: 0,
      text: `q = c(p)·p + (1 − c(p))·r: the less sure p is, the more the corrections count. In training the loss sees p̂ = (1 − τ)·p + τ·q, with τ ramping from 0 to 1; at test time ${cfg.head.testTimeCorrection ? 'the anchor-corrected distribution is used' : 'p is used (the released default)'}.`,
      shaders: ['elementwise.wgsl'],
      body: bars(names, a.q, 'q (blend)', `weight of p: ${conf(a.cp)}`),
    },
  ];
}

export interface InsideView {
  run(): Promise<Analysis | null>;
}

export function insideView(root: HTMLElement, lastAnalysis: () => Analysis | null): InsideView {
  const status = el('div', { class: 'small muted', id: 'inside-status' });
  const btn = el('button', { class: 'action', id: 'inside-run', text: 'Follow the current face' });
  const list = el('div', { id: 'inside-stages' });
  root.append(el('div', { class: 'panel' }, el('b', { text: 'One face through every stage of ARBEx ' }), btn,
    el('div', { class: 'small muted', text: 'Uses the checkpoint and face chosen in Predict & explain. Shapes are batch-first; parameter counts are of the stage\'s own modules.' }), status), list);
  const view: InsideView = {
    async run() {
      const m = state.model;
      if (!m || !state.image) {
        status.textContent = 'Load a checkpoint and choose a face in Predict & explain first.';
        return null;
      }
      status.classList.remove('error');
      status.textContent = 'running…';
      try {
        const last = lastAnalysis();
        const a = last && last.config === m.config && last.source === state.image ? last : await analyse(m.model, m.config, state.image);
        list.replaceChildren(...buildStages(a, m.model).map((s, i) => stageCard(i, s)));
        status.textContent = `${state.imageName} through ${m.name} (${fmtInt(m.model.numParameters())} parameters)`;
        return a;
      } catch (e) {
        report(status, e);
        return null;
      }
    },
  };
  btn.addEventListener('click', () => void view.run());
  return view;
}
