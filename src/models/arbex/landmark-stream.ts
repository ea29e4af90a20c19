/**
 * Landmark stream: the MobileFaceNet taps POSTER++ uses (see shared ARBEX.md). Three feature maps
 * at 1/4, 1/8, 1/16 of the backbone input, the last through a trainable 3×3 conv. In the paper the
 * network is a pretrained 68-point landmark regressor and stays frozen; `LandmarkRegressor` adds
 * the pretraining head (global pool + linear to 136 coordinates) around the stream.
 */
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../../nn/module.js';
import { Conv2d } from '../../nn/conv.js';
import { BatchNorm2d } from '../../nn/norm.js';
import { PReLU } from '../../nn/activation.js';
import { Linear } from '../../nn/linear.js';
import { add } from '../../ops/elementwise.js';
import { adaptiveAvgPool2d } from '../../ops/pool.js';
import { reshape } from '../../ops/movement.js';
import { noGrad } from '../../autograd/graph.js';
import { kaimingNormal_ } from '../../nn/init.js';
import type { ArbexConfig } from './config.js';

/** conv → BN → (PReLU). Convolutions have no bias, as in MobileFaceNet. */
class ConvBn extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  readonly act: PReLU | null;
  constructor(cin: number, cout: number, k: number, stride: number, groups: number, act: boolean) {
    super();
    this.conv = this.child('conv', new Conv2d(cin, cout, k, { stride, padding: (k - 1) / 2, groups, bias: false }));
    kaimingNormal_(this.conv.weight, { mode: 'fan_out' });
    this.bn = this.child('bn', new BatchNorm2d(cout));
    this.act = act ? this.child('prelu', new PReLU(cout)) : null;
  }
  forward(x: Tensor): Tensor {
    const y = this.conv.forward(x);
    return this.act ? this.bn.forwardPrelu(y, this.act) : this.bn.forward(y);
  }
}

/** Inverted residual: expand 1×1 → depthwise 3×3 (stride) → project 1×1; residual when shapes match. */
class DepthWiseBlock extends Module {
  readonly expand: ConvBn;
  readonly dw: ConvBn;
  readonly project: ConvBn;
  readonly residual: boolean;
  constructor(cin: number, hidden: number, cout: number, stride: number) {
    super();
    this.expand = this.child('conv', new ConvBn(cin, hidden, 1, 1, 1, true));
    this.dw = this.child('conv_dw', new ConvBn(hidden, hidden, 3, stride, hidden, true));
    this.project = this.child('project', new ConvBn(hidden, cout, 1, 1, 1, false));
    this.residual = stride === 1 && cin === cout;
  }
  forward(x: Tensor): Tensor {
    const y = this.project.forward(this.dw.forward(this.expand.forward(x)));
    return this.residual ? add(x, y) : y;
  }
}

class Stage extends Module {
  readonly blocks: DepthWiseBlock[] = [];
  constructor(cin: number, downHidden: number, cout: number, hidden: number, n: number) {
    super();
    this.blocks.push(this.child('0', new DepthWiseBlock(cin, downHidden, cout, 2)));
    for (let i = 1; i <= n; i++) this.blocks.push(this.child(String(i), new DepthWiseBlock(cout, hidden, cout, 1)));
  }
  forward(x: Tensor): Tensor {
    let y = x;
    for (const b of this.blocks) y = b.forward(y);
    return y;
  }
}

export class LandmarkStream extends Module {
  readonly conv1: ConvBn;
  readonly conv2dw: ConvBn;
  readonly stages: Stage[];
  readonly convSep: ConvBn;
  /** Trainable 3×3 conv on the last tap (POSTER++ `last_face_conv`). */
  readonly lastConv: Conv2d;
  frozen: boolean;

  constructor(cfg: ArbexConfig) {
    super();
    const L = cfg.landmark;
    this.conv1 = this.child('conv1', new ConvBn(3, L.stem, 3, 2, 1, true));
    this.conv2dw = this.child('conv2_dw', new ConvBn(L.stem, L.stem, 3, 1, L.stem, true));
    const ins = [L.stem, L.taps[0], L.taps[1]];
    this.stages = [0, 1, 2].map((i) => this.child(`stage${i + 1}`, new Stage(ins[i]!, L.downExpand[i]!, L.taps[i]!, L.expand[i]!, L.blocks[i]!)));
    this.convSep = this.child('conv_6_sep', new ConvBn(L.taps[2], L.lastConv, 1, 1, 1, true));
    this.lastConv = this.child('last_face_conv', new Conv2d(L.lastConv, cfg.image.widths[2], 3, { padding: 1 }));
    kaimingNormal_(this.lastConv.weight, { mode: 'fan_out' });
    this.frozen = L.frozen;
    if (this.frozen) this.freezeBackbone();
  }

  /** Freezes everything but the trainable last conv (the paper's frozen landmark network). */
  freezeBackbone(): void {
    this.frozen = true;
    for (const m of [this.conv1, this.conv2dw, ...this.stages, this.convSep]) m.freeze().eval();
  }

  /** The three taps before the trainable conv (L3 is the lastConv-wide 1×1 output). */
  backbone(x: Tensor): [Tensor, Tensor, Tensor] {
    let y = this.conv2dw.forward(this.conv1.forward(x));
    const t1 = (y = this.stages[0]!.forward(y));
    const t2 = (y = this.stages[1]!.forward(y));
    const t3 = this.convSep.forward(this.stages[2]!.forward(y));
    return [t1, t2, t3];
  }

  /** Returns the three taps L1, L2, L3 (L3 after the trainable conv). */
  forward(x: Tensor): [Tensor, Tensor, Tensor] {
    // A frozen backbone in eval mode needs no graph: its BN statistics are fixed.
    const [t1, t2, t3] = this.frozen ? noGrad(() => this.backbone(x)) : this.backbone(x);
    return [t1, t2, this.lastConv.forward(t3)];
  }

  override train(on = true): this {
    super.train(on);
    // A frozen stream keeps its BatchNorm statistics (as a pretrained network in eval mode).
    if (this.frozen && on) for (const m of [this.conv1, this.conv2dw, ...this.stages, this.convSep]) m.eval();
    return this;
  }
}

/** Pretraining model: the stream's backbone, global average pool, Linear → 68 (x, y) in [0, 1]. */
export class LandmarkRegressor extends Module {
  readonly head: Linear;
  constructor(readonly stream: LandmarkStream, lastConv: number) {
    super();
    this.child('stream', stream);
    this.head = this.child('head', new Linear(lastConv, 136));
  }
  forward(x: Tensor): Tensor {
    const [, , t3] = this.stream.backbone(x);
    const pooled = reshape(adaptiveAvgPool2d(t3, [1, 1]), [x.shape[0]!, -1]);
    return reshape(this.head.forward(pooled), [x.shape[0]!, 68, 2]);
  }
}
