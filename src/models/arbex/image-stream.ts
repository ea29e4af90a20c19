/**
 * Image stream: the first three stages of IR-50 (ArcFace's improved residual units), then one
 * 3×3 stride-2 conv per scale (POSTER++ conv1/conv2/conv3) giving I1, I2, I3 at 1/4, 1/8, 1/16.
 * IR unit: BN → 3×3 conv → PReLU → 3×3 conv (stride s) → BN, plus a shortcut (1×1 max-pool with
 * stride s when channels match, else 1×1 conv stride s + BN).
 */
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../../nn/module.js';
import { Conv2d } from '../../nn/conv.js';
import { BatchNorm2d } from '../../nn/norm.js';
import { PReLU } from '../../nn/activation.js';
import { add } from '../../ops/elementwise.js';
import { maxPool2d } from '../../ops/pool.js';
import { kaimingNormal_ } from '../../nn/init.js';
import type { ArbexConfig } from './config.js';

const conv = (cin: number, cout: number, k: number, stride: number, bias: boolean): Conv2d => {
  const c = new Conv2d(cin, cout, k, { stride, padding: (k - 1) / 2, bias });
  kaimingNormal_(c.weight, { mode: 'fan_out' });
  return c;
};

class IrUnit extends Module {
  readonly bn1: BatchNorm2d;
  readonly conv1: Conv2d;
  readonly prelu: PReLU;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly shortcutConv: Conv2d | null;
  readonly shortcutBn: BatchNorm2d | null;

  constructor(cin: number, cout: number, readonly stride: number) {
    super();
    this.bn1 = this.child('bn1', new BatchNorm2d(cin));
    this.conv1 = this.child('conv1', conv(cin, cout, 3, 1, false));
    this.prelu = this.child('prelu', new PReLU(cout));
    this.conv2 = this.child('conv2', conv(cout, cout, 3, stride, false));
    this.bn2 = this.child('bn2', new BatchNorm2d(cout));
    const project = cin !== cout;
    this.shortcutConv = project ? this.child('shortcut_conv', conv(cin, cout, 1, stride, false)) : null;
    this.shortcutBn = project ? this.child('shortcut_bn', new BatchNorm2d(cout)) : null;
  }

  forward(x: Tensor): Tensor {
    const res = this.bn2.forward(this.conv2.forward(this.prelu.forward(this.conv1.forward(this.bn1.forward(x)))));
    const sc = this.shortcutConv
      ? this.shortcutBn!.forward(this.shortcutConv.forward(x))
      : this.stride === 1 ? x : maxPool2d(x, { kernel: 1, stride: this.stride });
    return add(res, sc);
  }
}

class IrStage extends Module {
  readonly units: IrUnit[] = [];
  constructor(cin: number, cout: number, n: number) {
    super();
    for (let i = 0; i < n; i++) this.units.push(this.child(String(i), new IrUnit(i === 0 ? cin : cout, cout, i === 0 ? 2 : 1)));
  }
  forward(x: Tensor): Tensor {
    let y = x;
    for (const u of this.units) y = u.forward(y);
    return y;
  }
}

export class ImageStream extends Module {
  readonly inputConv: Conv2d;
  readonly inputBn: BatchNorm2d;
  readonly inputPrelu: PReLU;
  readonly stages: IrStage[];
  readonly down: Conv2d[];

  constructor(cfg: ArbexConfig) {
    super();
    const [w1, w2, w3] = cfg.image.widths;
    this.inputConv = this.child('input_conv', conv(3, w1, 3, 1, false));
    this.inputBn = this.child('input_bn', new BatchNorm2d(w1));
    this.inputPrelu = this.child('input_prelu', new PReLU(w1));
    const ins = [w1, w1, w2], outs = [w1, w2, w3];
    this.stages = [0, 1, 2].map((i) => this.child(`stage${i + 1}`, new IrStage(ins[i]!, outs[i]!, cfg.image.units[i]!)));
    // POSTER++ conv1/conv2/conv3: one 3×3 stride-2 conv (with bias) per scale.
    this.down = [0, 1, 2].map((i) => this.child(`down${i + 1}`, conv(outs[i]!, outs[i]!, 3, 2, true)));
  }

  forward(x: Tensor): [Tensor, Tensor, Tensor] {
    let y = this.inputBn.forwardPrelu(this.inputConv.forward(x), this.inputPrelu);
    const feats: Tensor[] = [];
    for (let i = 0; i < 3; i++) {
      y = this.stages[i]!.forward(y);
      feats.push(this.down[i]!.forward(y));
    }
    return feats as [Tensor, Tensor, Tensor];
  }
}
