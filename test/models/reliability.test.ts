import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { attentionCorrection, confidence, confidenceComposed, reliabilityBalance, toAnchorSpace } from '../../src/models/arbex/reliability.js';
import { arbexLoss } from '../../src/models/arbex/losses.js';
import { engine } from '../helpers/engine.js';
import { expectClose, gradcheck } from '../helpers/gradcheck.js';
import { nd } from '../reference/nd.js';
import * as R from '../reference/reliability.js';
import { anchorSeparationLoss as refPairLoss } from '../reference/anchor.js';

beforeAll(engine);

const [B, C, K, D] = [5, 4, 2, 6];
const labels = [0, 3, 1, 1, 2];
const weights = [1, 2, 0.5, 1.5];

describe('reliability balancing', () => {
  it('confidence = 1 − H/ln C', async () => {
    await gradcheck({
      inputs: [{ shape: [3, 4], lo: 0.05, hi: 1 }],
      engine: ([q]) => confidence(E.div(q!, E.sum(q!, -1, { keepDims: true }))),
      reference: ([q]) => {
        const out = nd([3, 1]);
        for (let i = 0; i < 3; i++) {
          const r = Array.from(q!.data.subarray(i * 4, i * 4 + 4));
          const s = r.reduce((a, b) => a + b, 0);
          out.data[i] = R.confidence(r.map((v) => v / s));
        }
        return out;
      },
    });
  });

  // The fused op on raw inputs (not normalised: the formula does not need it), odd shapes, both
  // clamps active somewhere: entries above 1 or below the 1e-8 log floor, rows whose 1 − H/ln C
  // leaves [floor, 1].
  for (const [rows, cols, floor] of [[1, 2, 1e-6], [7, 3, 0.05], [33, 13, 1e-6], [2, 5, 0.3]] as const) {
    it(`fused confidence [${rows}, ${cols}], floor ${floor}: float64 reference and finite differences`, async () => {
      await gradcheck({
        inputs: [{ shape: [rows, cols], lo: 0.01, hi: 0.6 }],
        engine: ([q]) => confidence(q!, floor),
        reference: ([q]) => {
          const out = nd([rows, 1]);
          for (let i = 0; i < rows; i++) out.data[i] = R.confidence(Array.from(q!.data.subarray(i * cols, (i + 1) * cols)), floor);
          return out;
        },
      });
    });
  }

  it('fused confidence equals the composition of primitives, values and gradients, clamps included', async () => {
    const rows = 9, cols = 7;
    // Row 0 has an entry above 1 and one at 0 (both q clamps), row 1 is one-hot (u = 1, the upper
    // clamp's end), row 2 uniform (u = 0 < floor: no gradient), the rest random.
    const data = Float32Array.from({ length: rows * cols }, (_, i) => 0.02 + ((i * 37) % 11) / 20);
    data.set([1.5, 0, 0.2, 0.1, 0.3, 0.05, 0.4], 0);
    data.set([1, 0, 0, 0, 0, 0, 0], cols);
    data.fill(1 / cols, 2 * cols, 3 * cols);
    const gy = Float32Array.from({ length: rows }, (_, i) => 0.5 + i / 7);
    const run = async (f: (q: E.Tensor) => E.Tensor): Promise<[Float32Array, Float32Array]> => {
      const q = E.tensor(data, [rows, cols]).requireGrad();
      const c = f(q);
      E.backward(c, E.tensor(gy, [rows, 1]));
      const out: [Float32Array, Float32Array] = [(await c.toArray()) as Float32Array, (await q.grad!.toArray()) as Float32Array];
      q.grad!.dispose();
      q.dispose();
      c.dispose();
      return out;
    };
    const [cf, gf] = await run((q) => confidence(q, 0.01));
    const [cc, gc] = await run((q) => confidenceComposed(q, 0.01));
    expectClose(cf, cc, 1e-6, 'confidence');
    expectClose(gf, gc, 1e-5, 'gradient');
    expect(Array.from(gf.subarray(2 * cols, 3 * cols)).every((v) => v === 0)).toBe(true);
    expect(() => confidence(E.zeros([3, 1]))).toThrow(/at least 2 classes on the last axis, got \[3, 1\]/);
    expect(() => confidence(E.zeros([3, 4]), 1.5)).toThrow(/floor must lie in \[0, 1\], got 1.5/);
    expect(() => confidence(E.zeros([3, 4], 'i32'))).toThrow(/expected an f32 tensor/);
  });

  for (const scope of ['batch', 'sample'] as const) {
    for (const heads of scope === 'batch' ? [1, 2] : [1]) {
      it(`attention correction, scope ${scope}, ${heads} head(s)`, async () => {
        await gradcheck({
          inputs: [{ shape: [B, D] }, { shape: [C * K, D] }, { shape: [C * K, D] }, { shape: [C * K, D] }],
          engine: ([e, wq, wk, wv]) => attentionCorrection(e!, { wq: wq!, wk: wk!, wv: wv! }, C, K, scope, heads),
          reference: ([e, wq, wk, wv]) => {
            const v = R.attentionCorrection(e!, wq!, wk!, wv!, C, K, scope, heads);
            return nd([B, C], v.flat());
          },
        });
      });
    }
  }

  it('corrected distribution: forward and every gradient vs finite differences', async () => {
    for (const scope of ['batch', 'sample'] as const) {
      await gradcheck({
        inputs: [{ shape: [B, C], lo: -2, hi: 2 }, { shape: [B, D] }, { shape: [C, K, D] }, { shape: [C * K, D] }, { shape: [C * K, D] }, { shape: [C * K, D] }],
        engine: ([lg, e, a, wq, wk, wv]) =>
          reliabilityBalance({
            p: E.softmax(lg!), e: e!, anchors: a!, attention: { wq: wq!, wk: wk!, wv: wv! }, labels: Int32Array.from(labels),
            delta: 1, scope, heads: 1, tau: 0.6, confidenceFloor: 1e-6,
          }).corrected,
        reference: ([lg, e, a, wq, wk, wv]) => nd([B, C], R.reliabilityBalance(lg!, e!, a!, wq!, wk!, wv!, labels, 1, scope, 1, 0.6).corrected.flat()),
        samples: 30,
      });
    }
  });

  it('total loss (weighted NLL + τ·anchor + τ·center) vs finite differences, both anchor forms, both anchor spaces', async () => {
    const variants = [
      { form: 'released', space: 'euclidean', primary: 0 },
      { form: 'margin', space: 'euclidean', primary: 0 },
      { form: 'released', space: 'sphere', primary: 0.6 },
      { form: 'margin', space: 'sphere', primary: 0 },
    ] as const;
    for (const { form, space, primary } of variants) {
      const cfg = { lambdaCls: 1, lambdaAnchor: 0.7, lambdaCenter: 1.3, anchorLoss: form, anchorMargin: 1.2, reliability: true, lambdaPrimary: primary };
      await gradcheck({
        inputs: [{ shape: [B, C], lo: -2, hi: 2 }, { shape: [B, D] }, { shape: [C, K, D] }, { shape: [C * K, D] }, { shape: [C * K, D] }, { shape: [C * K, D] }],
        engine: ([lg, e, a, wq, wk, wv]) => {
          const s = toAnchorSpace(e!, a!, 0.8, space);
          const p = E.softmax(lg!);
          // As ArbexModel.balance: anchors on the sphere, attention on the raw embedding.
          const rb = reliabilityBalance({
            p, e: s.e, anchors: s.anchors, attention: { wq: wq!, wk: wk!, wv: wv! }, labels: Int32Array.from(labels),
            delta: s.delta, scope: 'batch', heads: 1, tau: 0.4, confidenceFloor: 1e-6,
            v: attentionCorrection(e!, { wq: wq!, wk: wk!, wv: wv! }, C, K, 'batch', 1),
          });
          return arbexLoss(rb, s.anchors, Int32Array.from(labels), cfg, 0.4, D, Float32Array.from(weights), p, space).total;
        },
        reference: ([lg, e, a, wq, wk, wv]) =>
          R.arbexLoss(lg!, e!, a!, wq!, wk!, wv!, labels, weights, 0.4, {
            delta: 0.8, scope: 'batch', heads: 1, lambdas: [1, 0.7, 1.3], form, margin: 1.2, sphere: space === 'sphere', primary,
          }, refPairLoss),
        samples: 30,
      });
    }
  });

  it("batch scope couples samples; sample scope does not", async () => {
    const run = (scope: 'batch' | 'sample', bump: boolean) =>
      E.tidy(() => {
        E.manualSeed(3);
        const e = E.randn([B, D]);
        const e2 = bump ? E.add(e, E.tensor(Float32Array.from({ length: B * D }, (_, k) => (Math.floor(k / D) === 4 ? 0.7 : 0)), [B, D])) : e;
        const w = { wq: E.mul(E.randn([C * K, D]), 0.3), wk: E.mul(E.randn([C * K, D]), 0.3), wv: E.mul(E.randn([C * K, D]), 0.3) };
        return attentionCorrection(e2, w, C, K, scope, 1);
      });
    for (const scope of ['batch', 'sample'] as const) {
      const a = await run(scope, false).toArray();
      const b = await run(scope, true).toArray();
      // Sample 0 is unchanged; only sample 4 was perturbed.
      const row0 = (x: ArrayLike<number>) => Array.from(x).slice(0, C);
      const diff = Math.max(...row0(a).map((v, i) => Math.abs(v - row0(b)[i]!)));
      if (scope === 'batch') expect(diff).toBeGreaterThan(1e-4);
      else expect(diff).toBe(0);
    }
  });
});
