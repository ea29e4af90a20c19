/**
 * Fused attention at ARBEx shapes (batch 1): window cross-attention at the three scales (with the
 * relative-position bias), and the ViT self-attention (148 tokens, 8 heads of 96), forward and
 * forward+backward. Ours = the fused kernels (src/ops/attention.ts); tfjs = the composition
 * softmax(scale·Q·Kᵀ + bias)·V from tf.matMul / tf.mul / tf.add / tf.softmax.
 * tfjs backward: the same ops tf.grads would emit (matMul with transposes, softmax's
 * (dP − Σ dP∘P)∘P, Σ over the batch for dBias), written out by hand: tfjs-core's gradient
 * registrations (dist/register_all_gradients.js) are ESM with extensionless imports that Node
 * cannot load, and its Node bundle registers none. Hand-written it skips tf.grads' tape
 * bookkeeping, so it is, if anything, a faster peer than tf.grads.
 * flops are algorithmic: forward 4·B·H·Lq·Lk·Dh, backward twice that (recomputation not counted).
 */
import * as E from '../../src/index.js';
import { attention } from '../../src/ops/attention.js';
import { runtime } from '../../src/runtime/runtime.js';
import type { BenchCase } from '../case.js';
import { benchData, tfjsSync } from '../peers.js';

interface AttnShape {
  kernel: string;
  label: string;
  H: number;
  L: number;
  Dh: number;
  bias: boolean;
  backward?: boolean;
  quick?: boolean;
}

const SHAPES: AttnShape[] = [
  { kernel: 'attention', label: 'window s1 784 tok, 2x32, +bias', H: 2, L: 784, Dh: 32, bias: true },
  { kernel: 'attention', label: 'window s2 196 tok, 4x32, +bias', H: 4, L: 196, Dh: 32, bias: true },
  { kernel: 'attention', label: 'window s3 49 tok, 8x32, +bias', H: 8, L: 49, Dh: 32, bias: true },
  { kernel: 'attention', label: 'ViT 148 tok, 8x96', H: 8, L: 148, Dh: 96, bias: false },
  { kernel: 'attention fwd+bwd', label: 'ViT 148 tok, 8x96', H: 8, L: 148, Dh: 96, bias: false, backward: true },
  { kernel: 'attention fwd+bwd', label: 'window s1 784 tok, 2x32, +bias', H: 2, L: 784, Dh: 32, bias: true, backward: true, quick: false },
];

function attentionCase(s: AttnShape): BenchCase {
  const B = 1;
  const qShape = [B, s.H, s.L, s.Dh];
  const bShape = [s.H, s.L, s.L];
  const n = B * s.H * s.L * s.Dh;
  const data = [benchData(n, 1), benchData(n, 2), benchData(n, 3), benchData(n, 4)];
  const biasData = benchData(s.H * s.L * s.L, 5);
  const scale = s.Dh ** -0.5;
  const fwdFlops = 4 * B * s.H * s.L * s.L * s.Dh;
  return {
    kernel: s.kernel,
    shape: `${s.label} (B${B})`,
    flops: s.backward ? 3 * fwdFlops : fwdFlops,
    bytes: 4 * (4 * n + (s.bias ? s.H * s.L * s.L : 0)) * (s.backward ? 2 : 1),
    quick: s.quick,
    async ours() {
      const [q, k, v] = data.slice(0, 3).map((d) => E.tensor(d, qShape).requireGrad(!!s.backward)) as [E.Tensor, E.Tensor, E.Tensor];
      const bias = s.bias ? E.tensor(biasData, bShape).requireGrad(!!s.backward) : undefined;
      const g = E.tensor(data[3]!, qShape);
      const leaves = [q, k, v, ...(bias ? [bias] : [])];
      return {
        run: () => {
          const o = attention(q, k, v, { bias, scale });
          if (s.backward) {
            E.backward(o, g);
            for (const t of leaves) {
              t.grad?.dispose();
              t.grad = null;
            }
          }
          o.dispose();
        },
        sync: () => runtime().sync(),
        dispose: () => {
          for (const t of [...leaves, g]) t.dispose();
        },
      };
    },
    async tfjs(tf) {
      const [q, k, v, g] = data.map((d) => tf.tensor(d, qShape));
      const bias = s.bias ? tf.tensor(biasData, bShape) : null;
      type T = typeof q;
      const probs = (qq: T, kk: T, bb: T | null): T => {
        const logits = tf.mul(tf.matMul(qq, kk, false, true), scale);
        return tf.softmax(bb ? tf.add(logits, bb) : logits);
      };
      const fwd = (qq: T, kk: T, vv: T, bb: T | null): T => tf.matMul(probs(qq, kk, bb), vv);
      // Forward, then dV = Pᵀ·G, dP = G·Vᵀ, dS = (dP − Σ dP∘P)∘P, dBias = Σ_batch dS,
      // dQ = scale·dS·K, dK = scale·dSᵀ·Q.
      const fwdBwd = (): T[] => {
        const p = probs(q!, k!, bias);
        const o = tf.matMul(p, v!);
        const dv = tf.matMul(p, g!, true, false);
        const dp = tf.matMul(g!, v!, false, true);
        const ds = tf.mul(tf.sub(dp, tf.sum(tf.mul(dp, p), -1, true)), p);
        const dq = tf.mul(tf.matMul(ds, k!), scale);
        const dk = tf.mul(tf.matMul(ds, q!, true, false), scale);
        return [o, dq, dk, dv, ...(bias ? [tf.sum(ds, 0)] : [])];
      };
      return {
        run: () => {
          if (s.backward) tf.dispose(tf.tidy(fwdBwd));
          else tf.tidy(() => fwd(q!, k!, v!, bias)).dispose();
        },
        sync: () => tfjsSync(tf),
        dispose: () => tf.dispose([q!, k!, v!, g!, ...(bias ? [bias] : [])]),
      };
    },
  };
}

export const cases: BenchCase[] = SHAPES.map(attentionCase);
