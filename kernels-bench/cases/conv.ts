/**
 * Convolutions at ARBEx shapes (batch 1): the IR-50 unit's 3×3 conv at stages 1 and 2 and its
 * stride-2 downsampling conv, a MobileFaceNet depthwise 3×3, and forward+backward of both kinds. Ours = conv2d (NCHW); tfjs =
 * tf.conv2d / tf.depthwiseConv2d on NHWC inputs with HWIO filters, transposed once in setup.
 */
import * as E from '../../src/index.js';
import { conv2d, type Conv2dOptions } from '../../src/ops/conv.js';
import { runtime } from '../../src/runtime/runtime.js';
import type { BenchCase } from '../case.js';
import { benchData, tfjsSync } from '../peers.js';

interface ConvShape {
  kernel: string;
  n: number; c: number; h: number; w: number;
  o: number; k: number; stride: number; pad: number;
  depthwise?: boolean;
  backward?: boolean;
  quick?: boolean;
}

const SHAPES: ConvShape[] = [
  { kernel: 'conv2d', n: 1, c: 64, h: 56, w: 56, o: 64, k: 3, stride: 1, pad: 1 },
  { kernel: 'conv2d', n: 1, c: 128, h: 28, w: 28, o: 128, k: 3, stride: 1, pad: 1 },
  { kernel: 'conv2d depthwise', n: 1, c: 128, h: 28, w: 28, o: 128, k: 3, stride: 1, pad: 1, depthwise: true },
  { kernel: 'conv2d fwd+bwd', n: 1, c: 64, h: 56, w: 56, o: 64, k: 3, stride: 1, pad: 1, backward: true },
  // IR-50's downsampling 3×3 (first unit of a stage) and MobileFaceNet's depthwise with backward.
  { kernel: 'conv2d s2', n: 1, c: 64, h: 56, w: 56, o: 128, k: 3, stride: 2, pad: 1 },
  { kernel: 'conv2d depthwise fwd+bwd', n: 1, c: 128, h: 28, w: 28, o: 128, k: 3, stride: 1, pad: 1, depthwise: true, backward: true },
];

function convCase(s: ConvShape): BenchCase {
  const cg = s.depthwise ? 1 : s.c;
  const xShape = [s.n, s.c, s.h, s.w];
  const wShape = [s.o, cg, s.k, s.k];
  const ho = Math.floor((s.h + 2 * s.pad - s.k) / s.stride) + 1;
  const wo = Math.floor((s.w + 2 * s.pad - s.k) / s.stride) + 1;
  const yShape = [s.n, s.o, ho, wo];
  const size = (sh: number[]) => sh.reduce((a, b) => a * b, 1);
  const xData = benchData(size(xShape), 1);
  const wData = benchData(size(wShape), 2);
  const gData = benchData(size(yShape), 3);
  const fwdFlops = 2 * size(yShape) * cg * s.k * s.k;
  const opts: Conv2dOptions = { stride: s.stride, padding: s.pad, groups: s.depthwise ? s.c : 1 };
  return {
    kernel: s.kernel,
    shape: `${s.n}x${s.c}x${s.h}x${s.w} → ${s.o}, ${s.k}x${s.k} s${s.stride} p${s.pad}`,
    flops: s.backward ? 3 * fwdFlops : fwdFlops,
    torch: { kind: 'conv', x: xShape, w: wShape, stride: s.stride, pad: s.pad, groups: s.depthwise ? s.c : 1, backward: !!s.backward },
    bytes: 4 * (size(xShape) + size(wShape) + size(yShape)) * (s.backward ? 3 : 1),
    quick: s.quick,
    async ours() {
      const x = E.tensor(xData, xShape).requireGrad(!!s.backward);
      const w = E.tensor(wData, wShape).requireGrad(!!s.backward);
      const g = E.tensor(gData, yShape);
      return {
        run: () => {
          const y = conv2d(x, w, opts);
          if (s.backward) {
            E.backward(y, g);
            for (const t of [x, w]) {
              t.grad?.dispose();
              t.grad = null;
            }
          }
          y.dispose();
        },
        sync: () => runtime().sync(),
        dispose: () => {
          for (const t of [x, w, g]) t.dispose();
        },
      };
    },
    async tfjs(tf) {
      const t4 = (d: Float32Array, sh: number[], perm: number[]) =>
        tf.tidy(() => tf.transpose(tf.tensor4d(d, sh as [number, number, number, number]), perm));
      const x = t4(xData, xShape, [0, 2, 3, 1]);
      // OIHW → HWIO for conv2d; [C,1,kh,kw] → [kh,kw,C,1] for depthwiseConv2d.
      const w = t4(wData, wShape, s.depthwise ? [2, 3, 0, 1] : [2, 3, 1, 0]);
      const g = t4(gData, yShape, [0, 2, 3, 1]);
      const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [s.pad, s.pad], [s.pad, s.pad], [0, 0]];
      const fwd = (xx: typeof x, ww: typeof w) =>
        s.depthwise ? tf.depthwiseConv2d(xx, ww, s.stride, pad) : tf.conv2d(xx, ww, s.stride, pad);
      // tfjs-core's Node bundle registers no gradient functions, so the backward runs the two
      // kernels tf.grads would: Conv2DBackpropInput (dX) and Conv2DBackpropFilter (dW), or their
      // DepthwiseConv2dNative counterparts.
      const attrs = { strides: [s.stride, s.stride], pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
      const [bwdX, bwdW] = s.depthwise
        ? ['DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter']
        : ['Conv2DBackpropInput', 'Conv2DBackpropFilter'];
      const dwAttrs = s.depthwise ? { dilations: [1, 1] } : {};
      const backward = () => {
        const dx = tf.engine().runKernel(bwdX, { dy: g, filter: w }, { ...attrs, ...dwAttrs, inputShape: x.shape } as never);
        const dw = tf.engine().runKernel(bwdW, { x, dy: g }, { ...attrs, ...dwAttrs, filterShape: w.shape } as never);
        tf.dispose([dx as never, dw as never]);
      };
      return {
        run: () => {
          fwd(x, w).dispose();
          if (s.backward) backward();
        },
        sync: () => tfjsSync(tf),
        dispose: () => tf.dispose([x, w, g]),
      };
    },
  };
}

export const cases: BenchCase[] = SHAPES.map(convCase);
