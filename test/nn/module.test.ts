import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import {
  Module, Linear, Conv2d, BatchNorm1d, BatchNorm2d, LayerNorm, PReLU, ReLU, Dropout, DropPath, Sequential, MLP,
  MultiheadAttention, StateDictError, Flatten, MaxPool2d,
} from '../../src/nn/index.js';
import { engine } from '../helpers/engine.js';
import { expectClose } from '../helpers/gradcheck.js';
import { Rng } from '../helpers/random.js';
import { nd, type Nd } from '../reference/nd.js';
import * as R from '../reference/ops.js';
import * as RC from '../reference/conv.js';
import * as RN from '../reference/norm.js';
import * as RL from '../reference/layernorm.js';

beforeAll(engine);

const host = async (t: E.Tensor): Promise<Nd> => nd(t.shape, (await t.toArray()) as Float32Array);
const input = (shape: number[], seed: number): { t: E.Tensor; n: Nd } => {
  const n = nd(shape, new Rng(seed).array(shape.reduce((a, b) => a * b, 1)).map(Math.fround));
  return { t: E.tensor(Float32Array.from(n.data), shape), n };
};

class Block extends Module {
  readonly fc = this.child('fc', new Linear(4, 4));
  readonly bn = this.child('bn', new BatchNorm1d(4));
  readonly scale = this.param('scale', E.ones([1]));
  forward(x: E.Tensor): E.Tensor {
    return E.mul(this.bn.forward(this.fc.forward(x)), this.scale);
  }
}

class Net extends Module {
  readonly temp = this.param('temperature', E.ones([]));
  readonly layer1 = this.child('layer1', new Sequential(new Block(), new Block()));
  readonly head = this.child('head', new Linear(4, 2, { bias: false }));
  forward(x: E.Tensor): E.Tensor {
    return this.head.forward(this.layer1.forward(x));
  }
}

describe('Module tree', () => {
  it('names parameters and buffers like PyTorch, in state_dict order', () => {
    const net = new Net();
    expect(net.namedParameters().map(([n]) => n)).toEqual([
      'temperature',
      'layer1.0.scale', 'layer1.0.fc.weight', 'layer1.0.fc.bias', 'layer1.0.bn.weight', 'layer1.0.bn.bias',
      'layer1.1.scale', 'layer1.1.fc.weight', 'layer1.1.fc.bias', 'layer1.1.bn.weight', 'layer1.1.bn.bias',
      'head.weight',
    ]);
    expect(net.namedBuffers().map(([n]) => n)).toEqual([
      'layer1.0.bn.running_mean', 'layer1.0.bn.running_var', 'layer1.0.bn.num_batches_tracked',
      'layer1.1.bn.running_mean', 'layer1.1.bn.running_var', 'layer1.1.bn.num_batches_tracked',
    ]);
    expect([...net.stateDict().keys()].slice(0, 8)).toEqual([
      'temperature', 'layer1.0.scale', 'layer1.0.fc.weight', 'layer1.0.fc.bias', 'layer1.0.bn.weight', 'layer1.0.bn.bias',
      'layer1.0.bn.running_mean', 'layer1.0.bn.running_var',
    ]);
    expect(net.numParameters()).toBe(1 + 2 * (1 + 16 + 4 + 4 + 4) + 8);
    expect(net.layer1.namedParameters()[0]![0]).toBe('0.scale');
    expect(net.parameters()[2]!.name).toBe('layer1.0.fc.weight');
  });

  it('MLP layout: Linear → act → BatchNorm1d → Dropout per hidden layer (ARBEx head)', () => {
    const m = new MLP([8, 6, 5, 3], { norm: 'batch', dropout: 0.5 });
    expect(m.namedModules().map(([n, x]) => `${n}:${x.constructor.name}`).slice(1)).toEqual([
      '0:Linear', '1:ReLU', '2:BatchNorm1d', '3:Dropout', '4:Linear', '5:ReLU', '6:BatchNorm1d', '7:Dropout', '8:Linear',
    ]);
    expect(m.numParameters()).toBe(8 * 6 + 6 + 12 + 6 * 5 + 5 + 10 + 5 * 3 + 3);
  });

  it('train/eval propagate; freeze/unfreeze a subtree', () => {
    const net = new Net();
    net.eval();
    expect(net.namedModules().every(([, m]) => !m.training)).toBe(true);
    net.train();
    expect(net.layer1.training).toBe(true);
    net.layer1.freeze();
    expect(net.trainableParameters().map((p) => p.name)).toEqual(['temperature', 'head.weight']);
    expect(net.numParameters({ trainableOnly: true })).toBe(9);
    const x = input([5, 4], 1).t;
    const loss = E.sum(net.forward(x));
    E.backward(loss);
    expect(net.layer1.parameters().every((p) => p.grad === null)).toBe(true);
    expect(net.head.weight.grad).not.toBeNull();
    net.layer1.unfreeze();
    expect(net.trainableParameters().length).toBe(12);
  });

  it('tied weights are listed once by parameters(), under both names in the state dict', () => {
    const shared = E.ones([2]);
    class T2 extends Module {
      readonly p1 = this.param('p1', shared);
      readonly inner = this.child('inner', new (class extends Module {
        readonly p2 = this.param('p2', shared);
      })());
    }
    const t = new T2();
    expect(t.parameters().length).toBe(1);
    expect([...t.stateDict().keys()]).toEqual(['p1', 'inner.p2']);
  });

  it('rejects duplicate and dotted names', () => {
    expect(() => new (class extends Module {
      readonly a = this.param('w', E.ones([1]));
      readonly b = this.param('w', E.ones([1]));
    })()).toThrow(/already registered/);
    expect(() => new (class extends Module {
      readonly a = this.param('a.b', E.ones([1]));
    })()).toThrow(/invalid name/);
  });

  it('loadStateDict: strict lists every problem and writes nothing; copies into the same tensors', async () => {
    const a = new Net();
    const b = new Net();
    const sd = new Map<string, E.Tensor | { shape: number[]; data: Float32Array }>(a.stateDict());
    sd.delete('head.weight');
    sd.set('layer1.0.fc.bias', { shape: [5], data: new Float32Array(5) });
    sd.set('bogus', { shape: [1], data: new Float32Array(1) });
    const wBefore = b.layer1.parameters()[1]!;
    const before = Array.from((await wBefore.toArray()) as Float32Array);
    let err: StateDictError | null = null;
    try {
      b.loadStateDict(sd);
    } catch (e) {
      err = e as StateDictError;
    }
    expect(err).toBeInstanceOf(StateDictError);
    expect(err!.report.missing).toEqual(['head.weight']);
    expect(err!.report.unexpected).toEqual(['bogus']);
    expect(err!.report.mismatched.map((m) => m.name)).toEqual(['layer1.0.fc.bias']);
    expect(Array.from((await wBefore.toArray()) as Float32Array)).toEqual(before);
    // A full state dict loads, into the same tensor objects.
    b.loadStateDict(a.stateDict());
    expect(b.layer1.parameters()[1]).toBe(wBefore);
    expect(Array.from((await wBefore.toArray()) as Float32Array)).toEqual(Array.from((await a.layer1.parameters()[1]!.toArray()) as Float32Array));
  });
});

describe('layers against float64 references', () => {
  it('Linear on [B, in] and [B, T, in]; PyTorch default init bounds', async () => {
    const l = new Linear(7, 5);
    const W = await host(l.weight), b = await host(l.bias!);
    expect(Math.max(...Array.from(W.data).map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(7));
    for (const shape of [[4, 7], [2, 3, 7]]) {
      const x = input(shape, 2);
      const y = await host(l.forward(x.t));
      const ref = R.zip(R.matmul(nd([x.n.data.length / 7, 7], x.n.data), W, false, true), b, (u, v) => u + v);
      expect(y.shape).toEqual([...shape.slice(0, -1), 5]);
      expectClose(y.data, ref.data, 1e-5, `linear ${shape}`);
    }
    expect(() => l.forward(E.zeros([2, 6]))).toThrow(/must end in 7/);
  });

  it('Conv2d (stride, padding, groups)', async () => {
    const c = new Conv2d(4, 6, 3, { stride: 2, padding: 1, groups: 2 });
    expect(c.weight.shape).toEqual([6, 2, 3, 3]);
    const x = input([2, 4, 7, 6], 3);
    const y = await host(c.forward(x.t));
    const ref = RC.conv2d(x.n, await host(c.weight), await host(c.bias!), { stride: 2, padding: 1, groups: 2 });
    expect(y.shape).toEqual(ref.shape);
    expectClose(y.data, ref.data, 1e-5, 'conv2d');
  });

  it('BatchNorm2d: batch statistics in training, running statistics (momentum 0.1, unbiased) in eval', async () => {
    const bn = new BatchNorm2d(3);
    E.noGrad(() => {
      E.assign(bn.weight!, E.tensor([1, 2, 0.5]));
      E.assign(bn.bias!, E.tensor([0, -1, 0.25]));
    });
    const x = input([4, 3, 2, 3], 4);
    const y = await host(bn.forward(x.t));
    const w = nd([3], [1, 2, 0.5]), b = nd([3], [0, -1, 0.25]);
    expectClose(y.data, RN.batchNormTrain(x.n, w, b).data, 1e-5, 'train');
    const st = RN.batchStats(x.n);
    const m = 4 * 6;
    const rm = Array.from(st.mean, (v) => 0.1 * v);
    const rv = Array.from(st.biasedVar, (v) => 0.9 + 0.1 * v * (m / (m - 1)));
    expectClose((await bn.runningMean!.toArray()) as Float32Array, rm, 1e-6, 'running_mean');
    expectClose((await bn.runningVar!.toArray()) as Float32Array, rv, 1e-6, 'running_var');
    expect(await bn.numBatchesTracked!.item()).toBe(1);
    bn.eval();
    const ye = await host(bn.forward(x.t));
    expectClose(ye.data, RN.normalize(x.n, rm, rv, w, b, 1e-5).data, 1e-5, 'eval');
    expect(await bn.numBatchesTracked!.item()).toBe(1);
  });

  it('BatchNorm1d on [N, C] and [N, C, L]', async () => {
    const bn = new BatchNorm1d(3);
    for (const shape of [[5, 3], [2, 3, 4]]) {
      const x = input(shape, 5);
      const y = await host(bn.forward(x.t));
      expect(y.shape).toEqual(shape);
      expectClose(y.data, RN.batchNormTrain(x.n, null, null).data, 1e-5, `bn1d ${shape}`);
    }
    expect(() => bn.forward(E.zeros([2, 4]))).toThrow(/3 channels/);
  });

  it('LayerNorm and PReLU', async () => {
    const ln = new LayerNorm(6, { eps: 1e-6 });
    const x = input([2, 3, 6], 6);
    expectClose((await host(ln.forward(x.t))).data, RL.layerNorm(x.n, null, null, 1e-6).data, 1e-5, 'layernorm');
    const pr = new PReLU(3);
    expect(Array.from((await pr.weight.toArray()) as Float32Array)).toEqual([0.25, 0.25, 0.25]);
    const xp = input([2, 3, 2, 2], 7);
    expectClose((await host(pr.forward(xp.t))).data, RN.prelu(xp.n, nd([3], [0.25, 0.25, 0.25])).data, 1e-6, 'prelu');
  });

  it('Dropout / DropPath: identity in eval, inverted scaling in training', async () => {
    const x = E.ones([64, 64]);
    const d = new Dropout(0.25);
    const p = new DropPath(0.5);
    d.eval();
    p.eval();
    expect(d.forward(x)).toBe(x);
    expect(p.forward(x)).toBe(x);
    d.train();
    const y = (await d.forward(x).toArray()) as Float32Array;
    const kept = y.filter((v) => v !== 0);
    expect(new Set(kept)).toEqual(new Set([Math.fround(1 / 0.75)]));
    expect(Math.abs(kept.length / y.length - 0.75)).toBeLessThan(0.03);
    p.train();
    const z = (await p.forward(x).toArray()) as Float32Array;
    for (let r = 0; r < 64; r++) {
      const row = z.subarray(r * 64, r * 64 + 64);
      expect(row.every((v) => v === row[0]) && (row[0] === 0 || row[0] === 2)).toBe(true);
    }
  });
});

/** float64 multi-head attention, PyTorch's formula (batch first). */
function mhaRef(q: Nd, k: Nd, v: Nd, wq: Nd, wk: Nd, wv: Nd, bq: Nd, bk: Nd, bv: Nd, wo: Nd, bo: Nd, H: number): Nd {
  const [B, Lq, E] = q.shape as [number, number, number];
  const Lk = k.shape[1]!;
  const proj = (x: Nd, w: Nd, b: Nd): Nd => {
    const L = x.shape[1]!, D = x.shape[2]!;
    const out = nd([B, L, E]);
    for (let i = 0; i < B * L; i++) for (let o = 0; o < E; o++) {
      let s = b.data[o]!;
      for (let j = 0; j < D; j++) s += x.data[i * D + j]! * w.data[o * D + j]!;
      out.data[i * E + o] = s;
    }
    return out;
  };
  const Q = proj(q, wq, bq), K = proj(k, wk, bk), V = proj(v, wv, bv);
  const Dh = E / H;
  const ctx = nd([B, Lq, E]);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let i = 0; i < Lq; i++) {
    const logits = new Float64Array(Lk);
    for (let j = 0; j < Lk; j++) {
      let s = 0;
      for (let d = 0; d < Dh; d++) s += Q.data[(b * Lq + i) * E + h * Dh + d]! * K.data[(b * Lk + j) * E + h * Dh + d]!;
      logits[j] = s / Math.sqrt(Dh);
    }
    const m = Math.max(...logits);
    const p = logits.map((l) => Math.exp(l - m));
    const z = p.reduce((a, c) => a + c, 0);
    for (let d = 0; d < Dh; d++) {
      let s = 0;
      for (let j = 0; j < Lk; j++) s += (p[j]! / z) * V.data[(b * Lk + j) * E + h * Dh + d]!;
      ctx.data[(b * Lq + i) * E + h * Dh + d] = s;
    }
  }
  return proj(ctx, wo, bo);
}

const part = (t: Nd, i: number, E: number): Nd => nd(t.shape.length === 2 ? [E, t.shape[1]!] : [E], t.data.subarray(i * E * (t.shape[1] ?? 1), (i + 1) * E * (t.shape[1] ?? 1)));

describe('MultiheadAttention', () => {
  it('PyTorch parameter names and shapes', () => {
    const m = new MultiheadAttention(8, 2);
    expect(m.namedParameters().map(([n, t]) => `${n}:${t.shape.join('x')}`)).toEqual(['in_proj_weight:24x8', 'in_proj_bias:24', 'out_proj.weight:8x8', 'out_proj.bias:8']);
    const c = new MultiheadAttention(8, 2, { kdim: 5, vdim: 3 });
    expect(c.namedParameters().map(([n, t]) => `${n}:${t.shape.join('x')}`)).toEqual([
      'q_proj_weight:8x8', 'k_proj_weight:8x5', 'v_proj_weight:8x3', 'in_proj_bias:24', 'out_proj.weight:8x8', 'out_proj.bias:8',
    ]);
  });

  it('self-attention (fused projection) matches the reference; gradients reach every parameter', async () => {
    const E_ = 8, H = 2;
    const m = new MultiheadAttention(E_, H);
    E.noGrad(() => E.assign(m.inProjBias!, E.tensor(Float32Array.from(new Rng(9).array(3 * E_)))));
    const x = input([2, 5, E_], 8);
    x.t.requireGrad();
    const y = m.forward(x.t);
    const W = await host(m.inProjWeight!), b = await host(m.inProjBias!);
    const ref = mhaRef(x.n, x.n, x.n, part(W, 0, E_), part(W, 1, E_), part(W, 2, E_), part(b, 0, E_), part(b, 1, E_), part(b, 2, E_), await host(m.outProj.weight), await host(m.outProj.bias!), H);
    expectClose((await y.toArray()) as Float32Array, ref.data, 1e-5, 'self-attention');
    E.backward(E.sum(y));
    for (const [n, p] of m.namedParameters()) expect(p.grad?.shape, n).toEqual(p.shape);
    expect(x.t.grad?.shape).toEqual([2, 5, E_]);
  });

  it('cross-attention with separate key/value widths matches the reference', async () => {
    const E_ = 8, H = 4;
    const m = new MultiheadAttention(E_, H, { kdim: 5, vdim: 3 });
    const q = input([2, 3, E_], 10), k = input([2, 4, 5], 11), v = input([2, 4, 3], 12);
    const y = m.forward(q.t, k.t, v.t);
    const b = await host(m.inProjBias!);
    const ref = mhaRef(q.n, k.n, v.n, await host(m.qProjWeight!), await host(m.kProjWeight!), await host(m.vProjWeight!), part(b, 0, E_), part(b, 1, E_), part(b, 2, E_), await host(m.outProj.weight), await host(m.outProj.bias!), H);
    expectClose((await y.toArray()) as Float32Array, ref.data, 1e-5, 'cross-attention');
    expect(() => m.forward(q.t, v.t, v.t)).toThrow(/key must be \[B, L, 5\]/);
  });
});

describe('Sequential', () => {
  it('chains layers and indexes them', async () => {
    const s = new Sequential(new Conv2d(1, 2, 3, { padding: 1 }), new ReLU(), new MaxPool2d({ kernel: 2 }), new Flatten(), new Linear(2 * 2 * 2, 3));
    expect(s.length).toBe(5);
    expect(s.at(-1)).toBeInstanceOf(Linear);
    const y = s.forward(E.ones([4, 1, 4, 4]));
    expect(y.shape).toEqual([4, 3]);
  });
});
