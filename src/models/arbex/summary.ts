/**
 * A torchinfo-like summary of an ARBEx configuration: one row per stage with its output shape,
 * parameters and multiply-accumulates, measured by running one image through the model.
 * MACs of Linear and Conv2d layers are counted by wrapping their forward during the run;
 * attention products (Q·Kᵀ and P·V) are added from the configuration.
 */
import type { Tensor } from '../../tensor/tensor.js';
import { zeros } from '../../tensor/create.js';
import { tidy } from '../../tensor/scope.js';
import { noGrad } from '../../autograd/graph.js';
import { Linear } from '../../nn/linear.js';
import { Conv2d } from '../../nn/conv.js';
import type { Module } from '../../nn/module.js';
import { ArbexModel } from './model.js';
import { type ArbexConfig, scaleSizes } from './config.js';

export interface SummaryRow {
  name: string;
  outputShape: number[];
  params: number;
  macs: number;
}

export interface ModelSummary {
  config: string;
  rows: SummaryRow[];
  params_feature_extractor: number;
  params_total: number;
  params_trainable: number;
  macs: number;
}

function attentionMacs(cfg: ArbexConfig): number[] {
  const sizes = scaleSizes(cfg);
  const win = cfg.image.widths.map((d, i) => {
    const n = cfg.attention.windows[i]! ** 2;
    const windows = (sizes[i]! / cfg.attention.windows[i]!) ** 2;
    return windows * 2 * n * n * d; // Q·Kᵀ and P·V over all heads (heads × head_dim = d)
  });
  const tokens = 3 * sizes[2] ** 2 + 1;
  const vit = cfg.vit.depth * 2 * tokens * tokens * cfg.tokenDim;
  return [...win, vit];
}

export function summarizeModel(cfg: ArbexConfig): ModelSummary {
  const model = new ArbexModel(cfg);
  model.eval();
  let macs = 0;
  const lin = Linear.prototype.forward, conv = Conv2d.prototype.forward;
  Linear.prototype.forward = function (this: Linear, x: Tensor): Tensor {
    const y = lin.call(this, x);
    macs += (y.size / this.outFeatures) * this.inFeatures * this.outFeatures;
    return y;
  };
  Conv2d.prototype.forward = function (this: Conv2d, x: Tensor): Tensor {
    const y = conv.call(this, x);
    macs += y.size * (this.inChannels / this.groups) * this.kernel[0] * this.kernel[1];
    return y;
  };
  const rows: SummaryRow[] = [];
  const att = attentionMacs(cfg);
  const f = model.features;
  const owner: Record<string, Module | null> = {
    resize: null, 'landmark.L1': f.landmark, 'landmark.L2': null, 'landmark.L3': null, 'image.I1': f.image, 'image.I2': null, 'image.I3': null,
    'window_attention.1': f.windows[0]!, 'window_attention.2': f.windows[1]!, 'window_attention.3': f.windows[2]!,
    fusion: f.fusion, 'vit+se': f.vit, 'head.logits': model.head,
  };
  const extra: Record<string, number> = { 'window_attention.1': att[0]!, 'window_attention.2': att[1]!, 'window_attention.3': att[2]!, 'vit+se': att[3]! };
  try {
    noGrad(() =>
      tidy(() => {
        model.forward(zeros([1, 3, cfg.inputSize, cfg.inputSize]), undefined, (name, out) => {
          const m = owner[name] ?? null;
          rows.push({ name, outputShape: [...out.shape], params: m ? m.numParameters() : 0, macs: macs + (extra[name] ?? 0) });
          macs = 0;
        });
      }),
    );
  } finally {
    Linear.prototype.forward = lin;
    Conv2d.prototype.forward = conv;
  }
  const out: ModelSummary = {
    config: cfg.name,
    rows,
    params_feature_extractor: f.numParameters(),
    params_total: model.numParameters(),
    params_trainable: model.numParameters({ trainableOnly: true }),
    macs: rows.reduce((s, r) => s + r.macs, 0),
  };
  model.dispose();
  return out;
}

export function formatSummary(s: ModelSummary): string {
  const fmt = (n: number): string => n.toLocaleString('en-US');
  const lines = [`ARBEx-${s.config}`, `${'stage'.padEnd(22)}${'output shape'.padEnd(22)}${'params'.padStart(14)}${'MACs'.padStart(18)}`, '-'.repeat(76)];
  for (const r of s.rows) lines.push(`${r.name.padEnd(22)}${`[${r.outputShape.join(', ')}]`.padEnd(22)}${(r.params ? fmt(r.params) : '').padStart(14)}${fmt(r.macs).padStart(18)}`);
  lines.push('-'.repeat(76));
  lines.push(`feature extractor parameters: ${fmt(s.params_feature_extractor)}`);
  lines.push(`total parameters: ${fmt(s.params_total)} (trainable ${fmt(s.params_trainable)})`);
  lines.push(`multiply-adds per image: ${fmt(s.macs)} (${(s.macs / 1e9).toFixed(2)} G)`);
  return lines.join('\n');
}
