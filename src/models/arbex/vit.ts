/**
 * Multi-scale fusion and the ViT that turns the three attended maps into the embedding.
 * Fusion (POSTER++ embed_q/k/v): scale 1: two 3×3 stride-2 convs d1→T→T; scale 2: one 3×3
 * stride-2 conv d2→T; scale 3: a 1×1 conv d3→T — three m3×m3 token sets, concatenated.
 * ViT: CLS + learned position embedding, pre-norm blocks (LN eps 1e-6, MHSA, MLP with GELU),
 * final LN, CLS token, SE gate x ⊙ sigmoid(W2·ReLU(W1·x)) → embedding.
 * Readout option (`vit.readout`, tiny only): 'flatten' reads the embedding from all patch tokens,
 * flattened in order, through one Linear(N·T, T) instead of the CLS token (then the same SE gate).
 */
import type { Tensor } from '../../tensor/tensor.js';
import { zeros } from '../../tensor/create.js';
import { Module } from '../../nn/module.js';
import { Linear } from '../../nn/linear.js';
import { Conv2d } from '../../nn/conv.js';
import { LayerNorm } from '../../nn/norm.js';
import { constant_, kaimingNormal_, truncNormal_, xavierUniform_ } from '../../nn/init.js';
import { add, gelu, mul, relu, sigmoid } from '../../ops/elementwise.js';
import { concat, permute, reshape, slice } from '../../ops/movement.js';
import { attention } from '../../ops/attention.js';
import { prependToken } from '../../ops/window.js';
import { dropPath } from '../../ops/dropout.js';
import type { ArbexConfig } from './config.js';

let linearInit: number | 'xavier' = 0.01;

const linear = (i: number, o: number, bias = true): Linear => {
  const l = new Linear(i, o, { bias });
  if (linearInit === 'xavier') xavierUniform_(l.weight);
  else truncNormal_(l.weight, { std: linearInit });
  if (l.bias) constant_(l.bias, 0);
  return l;
};

const conv = (i: number, o: number, k: number, stride: number, bias = true): Conv2d => {
  const c = new Conv2d(i, o, k, { stride, padding: (k - 1) / 2, bias });
  kaimingNormal_(c.weight, { mode: 'fan_out' });
  if (c.bias) constant_(c.bias, 0);
  return c;
};

export class Fusion extends Module {
  readonly q1: Conv2d;
  readonly q2: Conv2d;
  readonly k: Conv2d;
  readonly v: Conv2d;
  constructor(cfg: ArbexConfig) {
    super();
    const [d1, d2, d3] = cfg.image.widths;
    const T = cfg.tokenDim;
    this.q1 = this.child('embed_q0', conv(d1, T, 3, 2));
    this.q2 = this.child('embed_q1', conv(T, T, 3, 2));
    this.k = this.child('embed_k', conv(d2, T, 3, 2));
    this.v = this.child('embed_v', conv(d3, T, 1, 1));
  }
  /** Maps [B, d_s, m_s, m_s] → tokens [B, 3·m3², T]. */
  forward(o1: Tensor, o2: Tensor, o3: Tensor): Tensor {
    const tokens = (x: Tensor): Tensor => permute(reshape(x, [x.shape[0]!, x.shape[1]!, -1]), [0, 2, 1]);
    return concat([tokens(this.q2.forward(this.q1.forward(o1))), tokens(this.k.forward(o2)), tokens(this.v.forward(o3))], 1);
  }
}

class SelfAttention extends Module {
  readonly qkv: Linear;
  readonly proj: Linear;
  constructor(readonly dim: number, readonly heads: number) {
    super();
    this.qkv = this.child('qkv', linear(dim, 3 * dim));
    this.proj = this.child('proj', linear(dim, dim));
  }
  forward(x: Tensor): Tensor {
    const [B, N] = x.shape as [number, number, number];
    const hd = this.dim / this.heads;
    const qkv = permute(reshape(this.qkv.forward(x), [B, N, 3, this.heads, hd]), [2, 0, 3, 1, 4]); // [3, B, H, N, hd]
    const part = (i: number): Tensor => reshape(slice(qkv, [i], [i + 1]), [B, this.heads, N, hd]);
    const o = attention(part(0), part(1), part(2));
    return this.proj.forward(reshape(permute(o, [0, 2, 1, 3]), [B, N, this.dim]));
  }
}

class VitBlock extends Module {
  readonly norm1: LayerNorm;
  readonly attn: SelfAttention;
  readonly norm2: LayerNorm;
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(dim: number, heads: number, mlpRatio: number, eps: number, readonly dropPathRate: number, vestigialTokens: number) {
    super();
    this.norm1 = this.child('norm1', new LayerNorm(dim, { eps }));
    // Released: an unused Conv1d(N+1, N+1, 1) sits in every block (counted, never applied).
    if (vestigialTokens) {
      const conv1d = new VestigialParams([['weight', [vestigialTokens, vestigialTokens, 1]], ['bias', [vestigialTokens]]]);
      this.child('conv', conv1d);
    }
    this.attn = this.child('attn', new SelfAttention(dim, heads));
    this.norm2 = this.child('norm2', new LayerNorm(dim, { eps }));
    const hidden = Math.round(dim * mlpRatio);
    this.fc1 = this.child('fc1', linear(dim, hidden));
    this.fc2 = this.child('fc2', linear(hidden, dim));
  }
  forward(x: Tensor, seed?: number): Tensor {
    const opts = { training: this.training, seed };
    const y = add(x, dropPath(this.attn.forward(this.norm1.forward(x)), this.dropPathRate, opts));
    return add(y, dropPath(this.fc2.forward(gelu(this.fc1.forward(this.norm2.forward(y)))), this.dropPathRate, opts));
  }
}

/**
 * Parameters the released code creates but never uses in its forward pass. They exist only so
 * the `full` configuration has exactly the released parameter count (and can load its weights);
 * frozen, so they never receive gradients or optimizer state.
 */
export class VestigialParams extends Module {
  constructor(shapes: [string, number[]][]) {
    super();
    for (const [name, shape] of shapes) this.param(name, zeros(shape));
    this.freeze();
  }
}

/** Children named 0, 1, … (PyTorch's ModuleList naming). */
export class ModuleList extends Module {
  private n = 0;
  add<M extends Module>(m: M): M {
    return this.child(String(this.n++), m);
  }
}

export class VisionTransformer extends Module {
  readonly cls: Tensor;
  readonly pos: Tensor;
  readonly blocks: VitBlock[];
  readonly norm: LayerNorm;
  readonly se1: Linear;
  readonly se2: Linear;
  /** Linear(N·T, T) of the 'flatten' readout (null for the released CLS readout). */
  readonly flat: Linear | null;

  constructor(cfg: ArbexConfig, tokens: number) {
    super();
    const T = cfg.tokenDim;
    const v = cfg.vit;
    linearInit = v.init;
    this.cls = this.param('cls_token', truncNormal_(zeros([1, 1, T]), { std: 0.02 }));
    this.pos = this.param('pos_embed', truncNormal_(zeros([1, tokens + 1, T]), { std: v.posStd }));
    const list = this.child('blocks', new ModuleList());
    this.blocks = Array.from({ length: v.depth }, (_, i) =>
      list.add(new VitBlock(T, v.heads, v.mlpRatio, v.eps, v.depth > 1 ? (v.dropPath * i) / (v.depth - 1) : 0, cfg.releasedVestigial ? tokens + 1 : 0)),
    );
    this.norm = this.child('norm', new LayerNorm(T, { eps: v.eps }));
    this.se1 = this.child('se_linear1', linear(T, T));
    this.se2 = this.child('se_linear2', linear(T, T));
    this.flat = (v.readout ?? 'cls') === 'flatten' ? this.child('readout_flatten', linear(tokens * T, T)) : null;
    if (cfg.releasedVestigial) {
      this.child('patch_embed_proj', new VestigialParams([['weight', [T, cfg.image.widths[2], 1, 1]], ['bias', [T]]]));
      this.child('CON1', new VestigialParams([['weight', [T, cfg.image.widths[2], 1, 1]]]));
      this.child('IRLinear1', new VestigialParams([['weight', [T, 1024]], ['bias', [T]]]));
      this.child('IRLinear2', new VestigialParams([['weight', [512, T]], ['bias', [512]]]));
    }
  }

  /** tokens [B, N, T] → embedding [B, T]. */
  forward(tokens: Tensor, seed?: number): Tensor {
    const B = tokens.shape[0]!;
    let x = add(prependToken(this.cls, tokens), this.pos);
    this.blocks.forEach((b, i) => (x = b.forward(x, seed === undefined ? undefined : seed + 17 * i)));
    x = this.norm.forward(x);
    const [, N1, T] = x.shape as [number, number, number];
    // Released: the CLS token. 'flatten': every patch token in place, so where a cue sits on the
    // face reaches the head directly instead of through what the CLS token learns to attend to.
    const out = this.flat
      ? this.flat.forward(reshape(slice(x, [0, 1, 0], [B, N1, T]), [B, (N1 - 1) * T]))
      : reshape(slice(x, [0, 0, 0], [B, 1, T]), [B, T]);
    return mul(out, sigmoid(this.se2.forward(relu(this.se1.forward(out)))));
  }
}
