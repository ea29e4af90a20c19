/**
 * End-to-end: networks built only from src/nn modules, trained on the GPU with src/optim, must
 * reach >= 95 % accuracy on a held-out split of a generated classification task.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { MLP, Sequential, Conv2d, BatchNorm2d, PReLU, ReLU, MaxPool2d, AdaptiveAvgPool2d, Flatten, Linear, type Module } from '../../src/nn/index.js';
import { Adam, AdamW, clipGradNorm, CosineWarmupLR } from '../../src/optim/index.js';
import { engine } from '../helpers/engine.js';
import { Rng } from '../helpers/random.js';

beforeAll(engine);

interface Split {
  x: Float32Array;
  y: Int32Array;
  n: number;
}

/** Four interleaved noisy spiral arms in 2-D (not linearly separable). */
function spiral(n: number, rng: Rng): Split {
  const x = new Float32Array(n * 2), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 4;
    const r = rng.uniform(0.15, 1);
    const theta = c * (Math.PI / 2) + r * 3 + rng.normal() * 0.08;
    x[2 * i] = r * Math.cos(theta);
    x[2 * i + 1] = r * Math.sin(theta);
    y[i] = c;
  }
  return { x, y, n };
}

/** 1×12×12 images of a bar (horizontal, vertical, diagonal, anti-diagonal) at a random place, plus noise. */
function bars(n: number, rng: Rng): Split {
  const S = 12;
  const x = new Float32Array(n * S * S), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = rng.int(4);
    y[i] = c;
    const img = x.subarray(i * S * S, (i + 1) * S * S);
    for (let k = 0; k < S * S; k++) img[k] = rng.normal() * 0.3;
    const len = 5 + rng.int(3);
    const r0 = 2 + rng.int(S - 4 - (c === 0 ? 0 : len - 1)), c0 = 2 + rng.int(S - 4 - (c === 1 ? 0 : len - 1));
    for (let t = 0; t < len; t++) {
      const [r, col] = c === 0 ? [r0, c0 + t] : c === 1 ? [r0 + t, c0] : c === 2 ? [r0 + t, c0 + t] : [r0 + t, c0 + len - 1 - t];
      if (r >= 0 && r < S && col >= 0 && col < S) img[r * S + col] += 1;
    }
  }
  return { x, y, n };
}

function batchOf(s: Split, idx: number[], featShape: number[]): { x: E.Tensor; y: Int32Array } {
  const per = featShape.reduce((a, b) => a * b, 1);
  const xb = new Float32Array(idx.length * per);
  const yb = new Int32Array(idx.length);
  idx.forEach((j, k) => {
    xb.set(s.x.subarray(j * per, (j + 1) * per), k * per);
    yb[k] = s.y[j]!;
  });
  return { x: E.tensor(xb, [idx.length, ...featShape]), y: yb };
}

async function accuracy(model: Module & { forward(x: E.Tensor): E.Tensor }, s: Split, featShape: number[]): Promise<number> {
  model.eval();
  const all = Array.from({ length: s.n }, (_, i) => i);
  const pred = E.noGrad(() => E.tidy(() => E.argmax(model.forward(batchOf(s, all, featShape).x), -1)));
  const p = (await pred.toArray()) as Int32Array;
  pred.dispose();
  let ok = 0;
  for (let i = 0; i < s.n; i++) if (p[i] === s.y[i]) ok++;
  model.train();
  return ok / s.n;
}

function shuffled(n: number, rng: Rng): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

describe('training to >= 95 % held-out accuracy', () => {
  it('MLP on 4-arm spirals (Adam + gradient clipping)', async () => {
    E.manualSeed(123);
    const rng = new Rng(42);
    const train = spiral(800, rng), test = spiral(400, rng);
    const model = new MLP([2, 64, 64, 4], { activation: 'relu' });
    const opt = new Adam(model.parameters(), { lr: 0.01 });
    const t0 = performance.now();
    for (let epoch = 0; epoch < 40; epoch++) {
      const order = shuffled(train.n, rng);
      for (let b = 0; b < train.n; b += 100) {
        E.tidy(() => {
          const { x, y } = batchOf(train, order.slice(b, b + 100), [2]);
          opt.zeroGrad();
          E.backward(E.crossEntropy(model.forward(x), y));
          clipGradNorm(model.parameters(), 5);
          opt.step();
        });
      }
    }
    const acc = await accuracy(model, test, [2]);
    console.log(`MLP spiral: test accuracy ${(acc * 100).toFixed(1)} % in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(acc).toBeGreaterThanOrEqual(0.95);
    opt.dispose();
    model.dispose();
  });

  it('CNN (Conv2d + BatchNorm2d + PReLU/ReLU + pooling + Linear) on oriented bars (AdamW + cosine warm-up)', async () => {
    E.manualSeed(7);
    const rng = new Rng(9);
    const train = bars(640, rng), test = bars(320, rng);
    const model = new Sequential(
      new Conv2d(1, 8, 3, { padding: 1 }), new BatchNorm2d(8), new PReLU(8), new MaxPool2d({ kernel: 2 }),
      new Conv2d(8, 16, 3, { padding: 1 }), new BatchNorm2d(16), new ReLU(), new AdaptiveAvgPool2d([1, 1]),
      new Flatten(), new Linear(16, 4),
    );
    const opt = new AdamW(model.parameters(), { lr: 0.02, weightDecay: 1e-4 });
    const epochs = 6, batch = 32, steps = epochs * Math.ceil(train.n / batch);
    const sched = new CosineWarmupLR(opt, { warmupSteps: 10, totalSteps: steps, startFactor: 0.1 });
    const t0 = performance.now();
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = shuffled(train.n, rng);
      for (let b = 0; b < train.n; b += batch) {
        E.tidy(() => {
          const { x, y } = batchOf(train, order.slice(b, b + batch), [1, 12, 12]);
          opt.zeroGrad();
          E.backward(E.crossEntropy(model.forward(x), y));
          opt.step();
        });
        sched.step();
      }
    }
    const acc = await accuracy(model, test, [1, 12, 12]);
    console.log(`CNN bars: test accuracy ${(acc * 100).toFixed(1)} % in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(acc).toBeGreaterThanOrEqual(0.95);
    opt.dispose();
    model.dispose();
  });
});
