/**
 * Float64 reference for one SGD step of the page's MLP, gradients written out analytically:
 *   z1 = x·W1 + b1, h = relu(z1), z2 = h·W2 + b2, loss = mean_i −log softmax(z2)_i,y_i
 *   dz2 = (softmax(z2) − onehot(y)) / B, dW2 = hᵀ·dz2, db2 = Σ_rows dz2,
 *   dh = dz2·W2ᵀ, dz1 = dh ∘ [z1 > 0], dW1 = xᵀ·dz1, db1 = Σ_rows dz1.
 */
import { crossEntropy, matmul, softmax } from '../reference/ops.js';
import { nd, type Nd } from '../reference/nd.js';
import type { MlpCase } from './protocol.js';

export interface MlpReference {
  loss: number;
  gradW1: Nd;
  gradB1: Nd;
  gradW2: Nd;
  gradB2: Nd;
  newW1: Nd;
  newB1: Nd;
  newW2: Nd;
  newB2: Nd;
  lossAfter: number;
  /** Smallest |z1| (a pre-activation this close to the relu kink makes the check fragile). */
  minAbsPreActivation: number;
}

function addRow(m: Nd, bias: Nd): Nd {
  const [R, C] = m.shape as [number, number];
  const out = nd(m.shape);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out.data[r * C + c] = m.data[r * C + c]! + bias.data[c]!;
  return out;
}

function sumRows(m: Nd): Nd {
  const [R, C] = m.shape as [number, number];
  const out = nd([C]);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out.data[c]! += m.data[r * C + c]!;
  return out;
}

function sgd(p: Nd, g: Nd, lr: number): Nd {
  return nd(p.shape, p.data.map((v, i) => v - lr * g.data[i]!));
}

function forward(x: Nd, w1: Nd, b1: Nd, w2: Nd, b2: Nd, labels: number[]): { z1: Nd; h: Nd; z2: Nd; loss: number } {
  const z1 = addRow(matmul(x, w1), b1);
  const h = nd(z1.shape, z1.data.map((v) => Math.max(0, v)));
  const z2 = addRow(matmul(h, w2), b2);
  return { z1, h, z2, loss: crossEntropy(z2, labels).data[0]! };
}

export function mlpReference(m: MlpCase): MlpReference {
  const x = nd(m.xShape, m.x), w1 = nd(m.w1Shape, m.w1), b1 = nd([m.b1.length], m.b1);
  const w2 = nd(m.w2Shape, m.w2), b2 = nd([m.b2.length], m.b2);
  const { z1, h, z2, loss } = forward(x, w1, b1, w2, b2, m.labels);
  const [B, C] = z2.shape as [number, number];
  const dz2 = softmax(z2);
  for (let i = 0; i < B; i++) {
    dz2.data[i * C + m.labels[i]!]! -= 1;
    for (let c = 0; c < C; c++) dz2.data[i * C + c]! /= B;
  }
  const gradW2 = matmul(h, dz2, true, false);
  const gradB2 = sumRows(dz2);
  const dh = matmul(dz2, w2, false, true);
  const dz1 = nd(dh.shape, dh.data.map((v, i) => (z1.data[i]! > 0 ? v : 0)));
  const gradW1 = matmul(x, dz1, true, false);
  const gradB1 = sumRows(dz1);
  const newW1 = sgd(w1, gradW1, m.lr), newB1 = sgd(b1, gradB1, m.lr);
  const newW2 = sgd(w2, gradW2, m.lr), newB2 = sgd(b2, gradB2, m.lr);
  const lossAfter = forward(x, newW1, newB1, newW2, newB2, m.labels).loss;
  const minAbsPreActivation = z1.data.reduce((acc, v) => Math.min(acc, Math.abs(v)), Infinity);
  return { loss, gradW1, gradB1, gradW2, gradB2, newW1, newB1, newW2, newB2, lossAfter, minAbsPreActivation };
}
