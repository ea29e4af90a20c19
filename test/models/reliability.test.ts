import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { attentionCorrection, confidence, reliabilityBalance, toAnchorSpace } from '../../src/models/arbex/reliability.js';
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
