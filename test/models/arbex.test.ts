import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { ArbexModel, FeatureExtractor } from '../../src/models/arbex/model.js';
import { FULL, TINY, DEFAULT_LOSS, resolveConfig } from '../../src/models/arbex/config.js';
import { summarizeModel } from '../../src/models/arbex/summary.js';
import { engine } from '../helpers/engine.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { nd } from '../reference/nd.js';
import { VisionTransformer } from '../../src/models/arbex/vit.js';
import { buildOptimizer, disposeStep, trainStep } from '../../src/train/trainer.js';
import { prepareTrainingKernels } from '../../src/train/prepare.js';

beforeAll(engine);

describe('ARBEx full configuration', () => {
  it('feature extractor has exactly 45,367,574 parameters; stage shapes at batch 1', async () => {
    const s = summarizeModel(structuredClone(FULL));
    expect(s.params_feature_extractor).toBe(45_367_574);
    const shape = (name: string) => s.rows.find((r) => r.name === name)?.outputShape;
    expect(shape('resize')).toEqual([1, 3, 112, 112]);
    expect(shape('landmark.L1')).toEqual([1, 64, 28, 28]);
    expect(shape('landmark.L2')).toEqual([1, 128, 14, 14]);
    expect(shape('landmark.L3')).toEqual([1, 256, 7, 7]);
    expect(shape('image.I1')).toEqual([1, 64, 28, 28]);
    expect(shape('image.I2')).toEqual([1, 128, 14, 14]);
    expect(shape('image.I3')).toEqual([1, 256, 7, 7]);
    expect(shape('window_attention.1')).toEqual([1, 64, 28, 28]);
    expect(shape('window_attention.2')).toEqual([1, 128, 14, 14]);
    expect(shape('window_attention.3')).toEqual([1, 256, 7, 7]);
    expect(shape('fusion')).toEqual([1, 147, 768]);
    expect(shape('vit+se')).toEqual([1, 768]);
    expect(shape('head.logits')).toEqual([1, 7]);
    // ~8.6 G multiply-adds at 224×224 (shared ARBEX.md); within 10 %.
    expect(s.macs).toBeGreaterThan(7.7e9);
    expect(s.macs).toBeLessThan(9.5e9);
  }, 600_000);
});

/** One forward + ARBEx loss + backward on random images: the loss is finite and every trainable parameter gets a gradient. */
async function expectEveryParameterReached(model: ArbexModel, labels: Int32Array, seed: number): Promise<void> {
  const size = model.cfg.inputSize;
  const loss = E.tidy(() => {
    const out = model.forward(E.randn([labels.length, 3, size, size]), seed);
    const parts = model.loss(out, labels, 0.5, DEFAULT_LOSS, new Float32Array(7).fill(1));
    E.backward(parts.total);
    return parts.total;
  });
  expect(Number.isFinite(await loss.item())).toBe(true);
  const missing = model.namedParameters().filter(([, p]) => p.requiresGrad && !p.grad).map(([n]) => n);
  expect(missing).toEqual([]);
}

describe('ARBEx tiny', () => {
  it('forward, loss and backward reach every trainable parameter', async () => {
    E.manualSeed(4);
    const model = new ArbexModel(structuredClone(TINY));
    await expectEveryParameterReached(model, Int32Array.from([0, 1, 2, 3, 4, 5, 6, 0]), 11);
    for (const [, p] of model.namedParameters()) {
      if (!p.grad) continue;
      const g = await p.grad.toArray();
      expect(Array.from(g).every(Number.isFinite)).toBe(true);
    }
    model.dispose();
  });

  it('a training step leaks nothing (live tensors and GPU buffers stable)', async () => {
    E.manualSeed(5);
    const model = new ArbexModel(structuredClone(TINY));
    const params = model.parameters().filter((p) => p.requiresGrad);
    const labels = Int32Array.from([0, 1, 2, 3]);
    const x = E.randn([4, 3, TINY.inputSize, TINY.inputSize]);
    let live = 0, created = 0;
    for (let step = 0; step < 8; step++) {
      const loss = E.tidy(() => {
        const out = model.forward(x, step);
        const parts = model.loss(out, labels, step / 8, DEFAULT_LOSS);
        E.backward(parts.total);
        for (const p of params) {
          if (!p.grad) continue; // at τ = 0 the anchors and attention weights get no gradient
          E.assign(p, E.sub(p, E.mul(p.grad, 1e-3)));
          p.grad.dispose();
          p.grad = null;
        }
        return parts.total;
      });
      await loss.item();
      loss.dispose();
      if (step === 3) [live, created] = [E.liveTensorCount(), E.runtime().stats().buffersCreated];
    }
    expect(E.liveTensorCount()).toBe(live);
    expect(E.runtime().stats().buffersCreated).toBe(created);
    model.dispose();
  });

  it('kernel preparation: the traced step needs no further compilation and changes no result', async () => {
    const spec = { name: 'adam' as const, lr: { backbone: 1e-3, head: 1e-3, anchors: 1e-3, attention: 1e-3 }, weightDecay: 0, rho: 0.05 };
    const batch = {
      size: 4, channels: 3, height: TINY.inputSize, width: TINY.inputSize, numClasses: 7,
      images: Float32Array.from({ length: 4 * 3 * TINY.inputSize ** 2 }, (_, i) => Math.sin(i * 0.37)),
      labels: Int32Array.from([0, 3, 5, 6]), cleanLabels: Int32Array.from([0, 3, 5, 6]), indices: Int32Array.from([0, 1, 2, 3]),
    };
    const run = async (prepare: boolean): Promise<number[]> => {
      E.manualSeed(21);
      const model = new ArbexModel(structuredClone(TINY));
      const stepper = buildOptimizer(model, spec);
      if (prepare) await prepareTrainingKernels({ model, optimizer: spec, loss: DEFAULT_LOSS, batchSize: 4 });
      const compiled = E.runtime().stats().pipelines;
      const losses: number[] = [];
      for (let s = 0; s < 2; s++) {
        const r = trainStep({ model, stepper, batch, tau: 0.5, loss: DEFAULT_LOSS, seed: 100 + s });
        losses.push(await r.total.item());
        disposeStep(r);
      }
      if (prepare) expect(E.runtime().stats().pipelines).toBe(compiled);
      stepper.base.dispose();
      model.dispose();
      return losses;
    };
    const prepared = await run(true);
    expect(prepared).toEqual(await run(false));
  });

  it('rejects wrong input shapes and inconsistent configs with clear errors', () => {
    const f = new FeatureExtractor(structuredClone(TINY));
    expect(() => f.forward(E.zeros([1, 3, 32, 32]))).toThrow(/expected images \[batch, 3, 48, 48\], got \[1, 3, 32, 32\]/);
    f.dispose();
    expect(() => resolveConfig(structuredClone(TINY), { attention: { windows: [3, 4, 2] } })).toThrow(/window 3 does not tile the 8×8 map/);
    expect(() => resolveConfig(structuredClone(TINY), { nope: 1 })).toThrow(/unknown key 'nope'/);
    expect(() => resolveConfig(structuredClone(TINY), { vit: { readout: 'mean' } })).toThrow(/vit.readout 'mean' \(expected cls or flatten\)/);
    expect(() => resolveConfig(structuredClone(TINY), { vit: { depth: 0 } })).toThrow(/vit.depth 0 needs vit.readout flatten/);
    expect(() => resolveConfig(structuredClone(TINY), { vit: { depth: -1, readout: 'flatten' } })).toThrow(/vit.depth -1/);
    // The released structure stays the default of both configurations.
    expect(TINY.vit.readout).toBe('cls');
    expect(FULL.vit.readout).toBe('cls');
  });

  it('flatten readout: forward and input gradient of the ViT (depth 0) vs a float64 oracle', async () => {
    E.manualSeed(6);
    const [B, N, T] = [2, 3, 4];
    const cfg = resolveConfig(structuredClone(TINY), { tokenDim: T, vit: { depth: 0, readout: 'flatten' } });
    const vit = new VisionTransformer(cfg, N);
    const read = async (t: E.Tensor | null): Promise<number[]> => Array.from(await t!.toArray());
    const pos = await read(vit.pos), g = await read(vit.norm.weight), beta = await read(vit.norm.bias);
    const W = await read(vit.flat!.weight), bW = await read(vit.flat!.bias);
    const W1 = await read(vit.se1.weight), b1 = await read(vit.se1.bias), W2 = await read(vit.se2.weight), b2 = await read(vit.se2.bias);
    const lin = (w: number[], b: number[], x: number[], o: number): number[] =>
      Array.from({ length: o }, (_, r) => b[r]! + x.reduce((s, v, c) => s + w[r * x.length + c]! * v, 0));
    await gradcheck({
      inputs: [{ shape: [B, N, T] }],
      engine: ([x]) => vit.forward(x!),
      reference: ([x]) => {
        const out = nd([B, T]);
        for (let b = 0; b < B; b++) {
          const flat: number[] = [];
          for (let n = 0; n < N; n++) {
            // patch token n sits after the CLS token: position n + 1
            const y = Array.from({ length: T }, (_, t) => x!.data[(b * N + n) * T + t]! + pos[(n + 1) * T + t]!);
            const mu = y.reduce((s, v) => s + v, 0) / T;
            const vr = y.reduce((s, v) => s + (v - mu) ** 2, 0) / T;
            flat.push(...y.map((v, t) => ((v - mu) / Math.sqrt(vr + cfg.vit.eps)) * g[t]! + beta[t]!));
          }
          const z = lin(W, bW, flat, T);
          const gate = lin(W2, b2, lin(W1, b1, z, T).map((v) => Math.max(0, v)), T).map((v) => 1 / (1 + Math.exp(-v)));
          z.forEach((v, t) => (out.data[b * T + t] = v * gate[t]!));
        }
        return out;
      },
      fwdTol: 1e-4,
      gradTol: 2e-3,
    });
    vit.dispose();
  });

  it('flatten readout in the whole model: forward, loss and backward reach every trainable parameter', async () => {
    E.manualSeed(7);
    const model = new ArbexModel(resolveConfig(structuredClone(TINY), { vit: { readout: 'flatten' } }));
    expect(model.features.vit.flat!.weight.shape).toEqual([TINY.tokenDim, 12 * TINY.tokenDim]);
    await expectEveryParameterReached(model, Int32Array.from([0, 1, 2, 3]), 3);
    model.dispose();
  });
});
