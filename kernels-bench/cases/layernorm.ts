/**
 * LayerNorm forward and forward+backward at the ViT's token matrix for batch 8: [8·148, 768]
 * (eps 1e-6, with γ and β). Ours = the fused kernels (src/ops/layernorm.ts); tfjs = the
 * composition from tf.moments / tf.sub / tf.rsqrt / tf.mul / tf.add. tfjs backward is the
 * standard composed formula (dγ = Σ g·x̂, dβ = Σ g, dx = rstd·(ĝ − mean ĝ − x̂·mean(ĝ·x̂))) written
 * with tf ops: tfjs-core's gradient registrations (dist/register_all_gradients.js) are ESM with
 * extensionless imports that Node cannot load. The hand-derived form needs fewer kernels than
 * tf.grads through tf.moments would, so it is, if anything, a faster peer.
 * bytes: forward reads x and writes y; backward reads x and dy and writes dx (γ, β, stats small).
 */
import * as E from '../../src/index.js';
import { layerNorm } from '../../src/ops/layernorm.js';
import { runtime } from '../../src/runtime/runtime.js';
import type { BenchCase } from '../case.js';
import { benchData, tfjsSync } from '../peers.js';

const ROWS = 8 * 148;
const D = 768;
const EPS = 1e-6;

function layerNormCase(backward: boolean): BenchCase {
  const xData = benchData(ROWS * D, 1);
  const gData = benchData(ROWS * D, 2);
  const wData = benchData(D, 3).map((v) => 1 + 0.5 * v);
  const bData = benchData(D, 4);
  return {
    kernel: backward ? 'layernorm fwd+bwd' : 'layernorm',
    shape: `[${ROWS}, ${D}] (8x148 tokens)`,
    bytes: 4 * ROWS * D * (backward ? 5 : 2),
    async ours() {
      const x = E.tensor(xData, [ROWS, D]).requireGrad(backward);
      const w = E.tensor(wData, [D]).requireGrad(backward);
      const b = E.tensor(bData, [D]).requireGrad(backward);
      const g = E.tensor(gData, [ROWS, D]);
      return {
        run: () => {
          const y = layerNorm(x, w, b, EPS);
          if (backward) {
            E.backward(y, g);
            for (const t of [x, w, b]) {
              t.grad?.dispose();
              t.grad = null;
            }
          }
          y.dispose();
        },
        sync: () => runtime().sync(),
        dispose: () => {
          for (const t of [x, w, b, g]) t.dispose();
        },
      };
    },
    async tfjs(tf) {
      const x = tf.tensor(xData, [ROWS, D]);
      const g = tf.tensor(gData, [ROWS, D]);
      const w = tf.tensor(wData, [D]);
      const b = tf.tensor(bData, [D]);
      type T = typeof x;
      const normed = (xx: T): { xh: T; rstd: T } => {
        const { mean, variance } = tf.moments(xx, -1, true);
        const rstd = tf.rsqrt(tf.add(variance, EPS));
        return { xh: tf.mul(tf.sub(xx, mean), rstd), rstd };
      };
      const fwd = (xx: T, ww: T, bb: T): T => tf.add(tf.mul(normed(xx).xh, ww), bb);
      const fwdBwd = (): T[] => {
        const { xh, rstd } = normed(x);
        const y = tf.add(tf.mul(xh, w), b);
        const gh = tf.mul(g, w);
        const dx = tf.mul(rstd, tf.sub(tf.sub(gh, tf.mean(gh, -1, true)), tf.mul(xh, tf.mean(tf.mul(gh, xh), -1, true))));
        return [y, dx, tf.sum(tf.mul(g, xh), 0), tf.sum(g, 0)];
      };
      return {
        run: () => {
          if (backward) tf.dispose(tf.tidy(fwdBwd));
          else tf.tidy(() => fwd(x, w, b)).dispose();
        },
        sync: () => tfjsSync(tf),
        dispose: () => tf.dispose([x, g, w, b]),
      };
    },
  };
}

export const cases: BenchCase[] = [layerNormCase(false), layerNormCase(true)];
