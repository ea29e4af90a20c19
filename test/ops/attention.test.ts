import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { attention, setAttentionBackwardStoreLimit } from '../../src/ops/attention.js';
import { engine } from '../helpers/engine.js';
import { expectClose, gradcheck } from '../helpers/gradcheck.js';
import { Rng } from '../helpers/random.js';
import * as R from '../reference/attention.js';
import { nd, type Nd } from '../reference/nd.js';

beforeAll(engine);

type Case = [B: number, H: number, Lq: number, Lk: number, Dh: number];

describe('attention (fused) vs the float64 reference, with finite-difference gradients', () => {
  const cases: [Case, boolean][] = [
    [[1, 1, 1, 1, 32], false],
    [[1, 1, 1, 1, 32], true],
    [[2, 3, 5, 7, 8], true], // batch > 1 with dBias summed over the batch
    [[1, 2, 67, 13, 32], true], // Lq crosses the 64-row workgroup
    [[2, 1, 9, 70, 6], false], // Lk crosses the key tile; Dh not a multiple of 4
    [[1, 2, 7, 45, 96], true], // ViT head dim: 20-row tiles, several of them
    [[3, 1, 2, 3, 5], true],
  ];
  // The backward stores dS and P between its passes when they fit (all of these), else recomputes
  // them (memory-linear form, forced with a store limit of 0): both are checked.
  const recomputed = new Set([2, 3, 5]);
  for (const [ci, [[B, H, Lq, Lk, Dh], withBias]] of cases.entries()) {
    for (const mode of recomputed.has(ci) ? ['stored', 'recomputed'] : ['stored']) {
      it(`B${B} H${H} Lq${Lq} Lk${Lk} Dh${Dh}${withBias ? ' + bias' : ''}, ${mode} dS and P`, async () => {
        const scale = Dh ** -0.5;
        const inputs = [
          { shape: [B, H, Lq, Dh], lo: -1.5, hi: 1.5 },
          { shape: [B, H, Lk, Dh], lo: -1.5, hi: 1.5 },
          { shape: [B, H, Lk, Dh] },
          ...(withBias ? [{ shape: [H, Lq, Lk], lo: -2, hi: 2 }] : []),
        ];
        const prev = setAttentionBackwardStoreLimit(mode === 'stored' ? 64 * 2 ** 20 : 0);
        try {
          await gradcheck({
            inputs,
            engine: ([q, k, v, b]) => attention(q!, k!, v!, { bias: b }),
            reference: ([q, k, v, b]) => R.attention({ q: q!, k: k!, v: v!, bias: b ?? null, scale }),
            fwdTol: 2e-5,
            gradTol: 2e-3,
            samples: 20,
          });
        } finally {
          setAttentionBackwardStoreLimit(prev);
        }
      });
    }
  }

  it('honours an explicit scale', async () => {
    await gradcheck({
      inputs: [{ shape: [1, 2, 4, 6, 8] }, { shape: [1, 2, 6, 8] }, { shape: [1, 2, 6, 8] }].map((x, i) => (i === 0 ? { shape: [1, 2, 4, 8] } : x)),
      engine: ([q, k, v]) => attention(q!, k!, v!, { scale: 0.7 }),
      reference: ([q, k, v]) => R.attention({ q: q!, k: k!, v: v!, bias: null, scale: 0.7 }),
      samples: 16,
    });
  });
});

function randNd(rng: Rng, shape: number[], amp = 1): Nd {
  const n = shape.reduce((a, b) => a * b, 1);
  return nd(shape, Float32Array.from(rng.array(n, -amp, amp)));
}

describe('attention agrees with the composition matmul + add + softmax + matmul', () => {
  it('forward and backward', async () => {
    const rng = new Rng(9);
    const [B, H, Lq, Lk, Dh] = [2, 2, 19, 23, 32];
    const data = [randNd(rng, [B, H, Lq, Dh]), randNd(rng, [B, H, Lk, Dh]), randNd(rng, [B, H, Lk, Dh]), randNd(rng, [H, Lq, Lk])];
    const gO = E.tensor(Float32Array.from(rng.array(B * H * Lq * Dh)), [B, H, Lq, Dh]);
    const run = async (fused: boolean): Promise<Float32Array[]> => {
      const ts = data.map((x) => E.tensor(Float32Array.from(x.data), x.shape).requireGrad());
      const [q, k, v, b] = ts as [E.Tensor, E.Tensor, E.Tensor, E.Tensor];
      const o = E.tidy(() => {
        const out = fused
          ? attention(q, k, v, { bias: b })
          : E.matmul(E.softmax(E.add(E.mulScalar(E.matmul(q, k, { transB: true }), Dh ** -0.5), b), -1), v);
        E.backward(out, gO);
        return out;
      });
      const res = [await o.toArray(), ...(await Promise.all(ts.map((t) => t.grad!.toArray())))] as Float32Array[];
      for (const t of [...ts, o]) { t.grad?.dispose(); t.dispose(); }
      return res;
    };
    const a = await run(true), c = await run(false);
    ['O', 'dQ', 'dK', 'dV', 'dBias'].forEach((what, i) => expectClose(a[i]!, c[i]!, 2e-5, what));
  });
});

/** Checks sampled rows of O, dQ, dBias, dK, dV against the row-wise float64 reference. */
async function checkSampled(B: number, H: number, L: number, Dh: number, withBias: boolean, seed: number): Promise<void> {
  const rng = new Rng(seed);
  const a: R.AttnInputs = {
    q: randNd(rng, [B, H, L, Dh], 2), k: randNd(rng, [B, H, L, Dh], 2), v: randNd(rng, [B, H, L, Dh]),
    bias: withBias ? randNd(rng, [H, L, L], 2) : null, scale: Dh ** -0.5,
  };
  const dO = randNd(rng, [B, H, L, Dh]);
  const up = (x: Nd) => E.tensor(Float32Array.from(x.data), x.shape).requireGrad();
  const [q, k, v] = [up(a.q), up(a.k), up(a.v)];
  const bias = a.bias ? up(a.bias) : undefined;
  const o = E.tidy(() => {
    const out = attention(q, k, v, { bias });
    E.backward(out, E.tensor(Float32Array.from(dO.data), dO.shape));
    return out;
  });
  const [O, dQ, dK, dV, dB] = await Promise.all([o, q.grad!, k.grad!, v.grad!, bias?.grad ?? o].map((t) => t.toArray()));
  const rows = [0, 1, L - 1, Math.floor(L / 2), 63, 64, rng.int(L), rng.int(L)].filter((r) => r < L);
  for (let h = 0; h < H; h++) {
    const b = h % B;
    const st = R.rowStats(a, dO, b, h);
    const at = (i: number) => ((b * H + h) * L + i) * Dh;
    for (const i of rows) {
      expectClose(O!.subarray(at(i), at(i) + Dh), R.outputRow(a, b, h, i), 2e-5, `O[${b},${h},${i}]`);
      expectClose(dQ!.subarray(at(i), at(i) + Dh), R.dqRow(a, dO, b, h, i), 1e-4, `dQ[${b},${h},${i}]`);
      if (bias && B === 1) expectClose(dB!.subarray((h * L + i) * L, (h * L + i + 1) * L), R.dsRow(a, dO, b, h, i), 1e-5, `dBias[${h},${i}]`);
      const r = R.dkvRow(a, dO, st, b, h, i);
      expectClose(dK!.subarray(at(i), at(i) + Dh), r.dk, 1e-4, `dK[${b},${h},${i}]`);
      expectClose(dV!.subarray(at(i), at(i) + Dh), r.dv, 1e-4, `dV[${b},${h},${i}]`);
    }
  }
  for (const t of [q, k, v, o, ...(bias ? [bias] : [])]) { t.grad?.dispose(); t.dispose(); }
}

describe('attention at the ARBEx shapes (batch 1, sampled rows)', () => {
  it('window cross-attention scale 1: 784 tokens, 2 heads, dim 32, relative bias', async () => {
    await checkSampled(1, 2, 784, 32, true, 21);
  });
  it('scale 2 (196/4/32) and scale 3 (49/8/32)', async () => {
    await checkSampled(1, 4, 196, 32, true, 22);
    await checkSampled(1, 8, 49, 32, true, 23);
  });
  it('ViT self-attention: 148 tokens, 8 heads, dim 96', async () => {
    await checkSampled(1, 8, 148, 96, false, 24);
  });
});

describe('attention input validation', () => {
  it('names the shapes on mismatch', () => {
    const q = E.zeros([1, 2, 5, 8]);
    expect(() => attention(q, E.zeros([1, 3, 5, 8]), E.zeros([1, 3, 5, 8]))).toThrow(/head counts differ: q \[1, 2, 5, 8\], k \[1, 3, 5, 8\]/);
    expect(() => attention(q, E.zeros([1, 2, 5, 4]), E.zeros([1, 2, 5, 4]))).toThrow(/head dims differ/);
    expect(() => attention(q, E.zeros([2, 2, 5, 8]), E.zeros([2, 2, 5, 8]))).toThrow(/batch sizes differ/);
    expect(() => attention(q, E.zeros([1, 2, 6, 8]), E.zeros([1, 2, 5, 8]))).toThrow(/same number of keys/);
    expect(() => attention(q, q, q, { bias: E.zeros([2, 5, 4]) })).toThrow(/bias must be f32 \[H, Lq, Lk\] = \[2, 5, 5\].*got \[2, 5, 4\]/);
    expect(() => attention(E.zeros([2, 5, 8]), q, q)).toThrow(E.ShapeError);
    expect(() => attention(E.zeros([1, 1, 2, 200]), E.zeros([1, 1, 2, 200]), E.zeros([1, 1, 2, 200]))).toThrow(/exceeds the kernel's maximum 128/);
  });
  it('rejects a store limit that is not a number >= 0, and returns the previous one', () => {
    for (const bad of [-1, Number.NaN, '64' as unknown as number]) {
      expect(() => setAttentionBackwardStoreLimit(bad)).toThrow(/bytes must be a number >= 0, got/);
    }
    const prev = setAttentionBackwardStoreLimit(1024);
    expect(setAttentionBackwardStoreLimit(prev)).toBe(1024);
  });
});
