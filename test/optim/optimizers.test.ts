import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { SGD, Adam, AdamW, decayGroups, type Optimizer } from '../../src/optim/index.js';
import { saveSafetensors, decodeSafetensors } from '../../src/io/safetensors.js';
import { MLP } from '../../src/nn/index.js';
import { engine } from '../helpers/engine.js';
import { expectClose } from '../helpers/gradcheck.js';
import { Rng } from '../helpers/random.js';
import * as R from '../reference/optim.js';

beforeAll(engine);

const f32 = (a: ArrayLike<number>): Float64Array => Float64Array.from(a, (v) => Math.fround(v));

interface Case {
  shapes: number[][];
  steps: number;
  seed: number;
}

/** Params and per-step gradients (f32-representable), shared by engine and reference. */
function makeData({ shapes, steps, seed }: Case): { p0: Float64Array[]; grads: Float64Array[][] } {
  const rng = new Rng(seed);
  const p0 = shapes.map((s) => f32(rng.array(s.reduce((a, b) => a * b, 1))));
  const grads = Array.from({ length: steps }, () => p0.map((p) => f32(rng.normals(p.length, 0.5))));
  return { p0, grads };
}

async function runEngine(c: Case, make: (ps: E.Tensor[]) => Optimizer, data = makeData(c)): Promise<{ ps: Float32Array[]; opt: Optimizer }> {
  const ps = data.p0.map((p, i) => E.keep(E.tensor(Float32Array.from(p), c.shapes[i]!)).requireGrad());
  const opt = make(ps);
  for (const step of data.grads) {
    opt.zeroGrad();
    ps.forEach((p, i) => (p.grad = E.keep(E.tensor(Float32Array.from(step[i]!), c.shapes[i]!))));
    opt.step();
  }
  const out = await Promise.all(ps.map((p) => p.toArray() as Promise<Float32Array>));
  return { ps: out, opt };
}

const TOL = 1e-5;

describe('SGD matches the float64 update rule', () => {
  const c: Case = { shapes: [[7, 5], [300], [1]], steps: 6, seed: 11 };
  const variants: [string, R.SgdRefOptions][] = [
    ['plain', { lr: 0.1 }],
    ['weight decay', { lr: 0.05, weightDecay: 0.01 }],
    ['momentum + dampening', { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3 }],
    ['Nesterov', { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4 }],
  ];
  for (const [name, o] of variants) {
    it(name, async () => {
      const data = makeData(c);
      const { ps, opt } = await runEngine(c, (t) => new SGD(t, { lr: o.lr, momentum: o.momentum, dampening: o.dampening, nesterov: o.nesterov, weightDecay: o.weightDecay }), data);
      const ref = data.p0.map((p) => Float64Array.from(p));
      const st = ref.map(() => ({ buf: null }) as R.SgdRefState);
      for (const g of data.grads) ref.forEach((p, i) => R.sgdStep(p, g[i]!, st[i]!, o));
      ref.forEach((p, i) => expectClose(ps[i]!, p, TOL, `${name} param ${i}`));
      if (o.momentum) {
        const sd = opt.stateDict();
        expectClose((await sd.tensors.get('0.momentum_buffer')!.toArray()) as Float32Array, st[0]!.buf!, TOL, 'momentum buffer');
      }
      opt.dispose();
    });
  }
});

describe('Adam / AdamW match the float64 update rule', () => {
  const c: Case = { shapes: [[4, 9], [513], [3, 1, 2]], steps: 7, seed: 5 };
  const variants: [string, boolean, R.AdamRefOptions][] = [
    ['Adam', false, { lr: 1e-2 }],
    ['Adam + L2 decay, custom betas', false, { lr: 3e-3, beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.05 }],
    ['AdamW', true, { lr: 1e-2, weightDecay: 0.1, decoupled: true }],
  ];
  for (const [name, decoupled, o] of variants) {
    it(name, async () => {
      const data = makeData(c);
      const opts = { lr: o.lr, betas: [o.beta1 ?? 0.9, o.beta2 ?? 0.999] as const, eps: o.eps, weightDecay: o.weightDecay ?? 0 };
      const { ps, opt } = await runEngine(c, (t) => (decoupled ? new AdamW(t, opts) : new Adam(t, opts)), data);
      const ref = data.p0.map((p) => Float64Array.from(p));
      const st = ref.map((p) => R.adamState(p.length));
      for (const g of data.grads) ref.forEach((p, i) => R.adamStep(p, g[i]!, st[i]!, o));
      ref.forEach((p, i) => expectClose(ps[i]!, p, TOL, `${name} param ${i}`));
      const sd = opt.stateDict();
      expect(sd.meta.steps['1']).toBe(c.steps);
      expectClose((await sd.tensors.get('1.exp_avg')!.toArray()) as Float32Array, st[1]!.m, TOL, 'exp_avg');
      expectClose((await sd.tensors.get('1.exp_avg_sq')!.toArray()) as Float32Array, st[1]!.v, TOL, 'exp_avg_sq');
      opt.dispose();
    });
  }

  it('AdamW defaults to weight decay 0.01', () => {
    const p = E.keep(E.zeros([2])).requireGrad();
    expect(new AdamW([p]).paramGroups[0]!.weightDecay).toBe(0.01);
    expect(new Adam([p]).paramGroups[0]!.weightDecay).toBe(0);
  });
});

describe('parameter groups, skipping, zeroGrad, checkpoints', () => {
  it('groups use their own lr and weight decay', async () => {
    const c: Case = { shapes: [[6], [5], [4]], steps: 4, seed: 3 };
    const data = makeData(c);
    const { ps } = await runEngine(c, (t) => new Adam([{ params: [t[0]!, t[1]!], lr: 0.02, weightDecay: 0.1 }, { params: [t[2]!] }], { lr: 1e-3 }), data);
    const ref = data.p0.map((p) => Float64Array.from(p));
    const st = ref.map((p) => R.adamState(p.length));
    const opts = [{ lr: 0.02, weightDecay: 0.1 }, { lr: 0.02, weightDecay: 0.1 }, { lr: 1e-3 }];
    for (const g of data.grads) ref.forEach((p, i) => R.adamStep(p, g[i]!, st[i]!, opts[i]!));
    ref.forEach((p, i) => expectClose(ps[i]!, p, TOL, `group param ${i}`));
  });

  it('rejects a parameter in two groups and bad hyper-parameters', () => {
    const p = E.keep(E.zeros([2])).requireGrad();
    expect(() => new SGD([{ params: [p] }, { params: [p] }], { lr: 0.1 })).toThrow(/more than one group/);
    expect(() => new SGD([p], { lr: 0.1, nesterov: true })).toThrow(/Nesterov/);
    expect(() => new Adam([p], { betas: [1, 0.9] })).toThrow(/beta/);
    expect(() => new Adam([p], { fused: 'yes' as unknown as boolean })).toThrow(/fused must be true or false, got yes/);
    expect(() => new SGD([p], { lr: -1 })).toThrow(/negative/);
  });

  it('skips parameters without a gradient; zeroGrad clears gradients', async () => {
    const a = E.keep(E.ones([3])).requireGrad();
    const b = E.keep(E.ones([3])).requireGrad();
    const opt = new SGD([a, b], { lr: 0.5 });
    a.grad = E.keep(E.ones([3]));
    opt.step();
    expect(Array.from((await a.toArray()) as Float32Array)).toEqual([0.5, 0.5, 0.5]);
    expect(Array.from((await b.toArray()) as Float32Array)).toEqual([1, 1, 1]);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
    expect(opt.stateDict().meta.steps).toEqual({ '0': 1 });
  });

  it('stateDict → loadStateDict resumes exactly', async () => {
    const c: Case = { shapes: [[10], [3, 3]], steps: 5, seed: 9 };
    const data = makeData(c);
    // Uninterrupted run.
    const full = await runEngine(c, (t) => new Adam(t, { lr: 0.01, weightDecay: 0.01 }), data);
    // 3 steps, checkpoint, fresh optimizer + parameters restored, 2 more steps.
    const first = { ...data, grads: data.grads.slice(0, 3) };
    const part = await runEngine({ ...c, steps: 3 }, (t) => new Adam(t, { lr: 0.01, weightDecay: 0.01 }), first);
    // Through a safetensors checkpoint: moments as tensors, the rest as JSON metadata.
    const sd = part.opt.stateDict();
    const bytes = await saveSafetensors(sd.tensors, { optimizer: JSON.stringify(sd.meta) });
    const file = decodeSafetensors(bytes);
    const json = JSON.parse(file.metadata['optimizer']!) as typeof sd.meta;
    const host = file.tensors;
    expect([...host.keys()].sort()).toEqual(['0.exp_avg', '0.exp_avg_sq', '1.exp_avg', '1.exp_avg_sq']);
    const resumed = { p0: part.ps.map((p) => Float64Array.from(p)), grads: data.grads.slice(3) };
    const after = await runEngine({ ...c, steps: 2 }, (t) => {
      const o = new Adam(t, { lr: 0.5 }); // hyper-parameters come from the checkpoint
      o.loadStateDict({ meta: json, tensors: host });
      expect(o.paramGroups[0]!.lr).toBe(0.01);
      return o;
    }, resumed);
    after.ps.forEach((p, i) => expectClose(p, full.ps[i]!, 1e-7, `resumed param ${i}`));
  });

  it('loadStateDict rejects a mismatched checkpoint without changing state', () => {
    const p = E.keep(E.zeros([4])).requireGrad();
    const opt = new Adam([p]);
    const bad = { meta: { type: 'Adam', groups: [{ params: [0], lr: 1 }], steps: { '0': 2 } }, tensors: new Map([['0.exp_avg', { shape: [5], data: new Float32Array(5) }]]) };
    expect(() => opt.loadStateDict(bad)).toThrow(/exp_avg.*\[5\]/);
    expect(opt.paramGroups[0]!.lr).toBe(1e-3);
    expect(() => opt.loadStateDict({ ...bad, meta: { ...bad.meta, type: 'SGD' } })).toThrow(/from SGD/);
  });

  it('decayGroups: matrices decay, vectors do not, frozen parameters are left out', () => {
    const m = new MLP([3, 4, 2]);
    m.at(0).freeze();
    const g = decayGroups(m.namedParameters(), 0.05, { lr: 0.1 });
    expect(g.map((x) => [x.name, x.weightDecay, x.lr, x.params.map((p) => p.name)])).toEqual([
      ['decay', 0.05, 0.1, ['2.weight']],
      ['no_decay', 0, 0.1, ['2.bias']],
    ]);
    const opt = new AdamW(g);
    expect(opt.paramGroups.map((x) => x.weightDecay)).toEqual([0.05, 0]);
  });

  it('fused Adam: one dispatch per step for all parameters; fused: false, one per parameter', () => {
    const ps = [E.keep(E.zeros([1000])).requireGrad(), E.keep(E.zeros([7])).requireGrad()];
    for (const p of ps) p.grad = E.keep(E.ones(p.shape));
    for (const [fused, per] of [[true, 1], [false, 2]] as const) {
      const opt = new Adam(ps, { fused });
      opt.step(); // creates state (zero fills)
      const before = E.runtime().dispatchCount;
      opt.step();
      expect(E.runtime().dispatchCount - before, `fused ${fused}`).toBe(per);
      opt.dispose();
    }
  });
});

describe('fused Adam (one dispatch) against the per-parameter kernels', () => {
  /** Runs both forms on identical copies; returns parameters and moments as read back. */
  async function both(make: (ps: E.Tensor[], fused: boolean) => Adam, shapes: number[][], steps: number, grads: (step: number, i: number) => boolean, between?: (o: Adam, ps: E.Tensor[], step: number, fused: boolean) => Adam): Promise<Float32Array[][]> {
    const rng = new Rng(17);
    const p0 = shapes.map((s) => Float32Array.from(rng.array(s.reduce((a, b) => a * b, 1))));
    const g = Array.from({ length: steps }, () => shapes.map((s) => Float32Array.from(rng.array(s.reduce((a, b) => a * b, 1)))));
    const out: Float32Array[][] = [];
    for (const fused of [true, false]) {
      const ps = p0.map((p, i) => E.keep(E.tensor(p, shapes[i]!)).requireGrad());
      let opt = make(ps, fused);
      for (let k = 0; k < steps; k++) {
        opt.zeroGrad();
        ps.forEach((p, i) => { if (grads(k, i)) p.grad = E.keep(E.tensor(g[k]![i]!, shapes[i]!)); });
        opt.step();
        if (between) opt = between(opt, ps, k, fused);
      }
      const sd = opt.stateDict();
      const moments = [...sd.tensors.keys()].sort().map((k) => sd.tensors.get(k)!);
      out.push((await Promise.all([...ps, ...moments].map((t) => t.toArray()))) as Float32Array[]);
      opt.dispose();
      ps.forEach((p) => { p.grad?.dispose(); p.dispose(); });
    }
    return out;
  }
  const same = (a: Float32Array[], b: Float32Array[]): void => {
    expect(a.length).toBe(b.length);
    a.forEach((x, i) => expect(Buffer.compare(Buffer.from(x.buffer, x.byteOffset, x.byteLength), Buffer.from(b[i]!.buffer, b[i]!.byteOffset, b[i]!.byteLength)), `tensor ${i}`).toBe(0));
  };
  // Sizes below, at and across the 256-element slots, a scalar, and a parameter that misses
  // its gradient in some steps (its values, moments and step count must stay put).
  const shapes = [[1], [255], [256], [257], [3, 171], [7]];
  const skip = (k: number, i: number): boolean => !(i === 5 && k % 2 === 1) && !(i === 0 && k === 0);

  it('Adam and AdamW with two groups (own lr and weight decay): the same bits', async () => {
    for (const W of [Adam, AdamW]) {
      const make = (ps: E.Tensor[], fused: boolean): Adam => new W([{ params: ps.slice(0, 3), lr: 0.02, weightDecay: 0.1 }, { params: ps.slice(3), lr: 3e-3 }], { fused, betas: [0.8, 0.95], eps: 1e-6 });
      const [f, p] = await both(make, shapes, 5, skip);
      same(f!, p!);
    }
  });

  it('checkpoint mid-run, a rollback to it, and a group added later: the same bits', async () => {
    let extra: E.Tensor | null = null;
    let snapshot: { meta: ReturnType<Adam['stateDict']>['meta']; tensors: Map<string, E.Tensor> } | null = null;
    const between = (o: Adam, ps: E.Tensor[], k: number, fused: boolean): Adam => {
      if (k === 0) {
        // A copy of the state after step 1, loaded back into the same optimizer after step 3.
        const sd = o.stateDict();
        snapshot = { meta: structuredClone(sd.meta), tensors: new Map([...sd.tensors].map(([n, t]) => [n, E.assign(E.keep(E.zeros(t.shape)), t)])) };
      }
      if (k === 2) {
        o.loadStateDict(snapshot!);
        for (const t of snapshot!.tensors.values()) t.dispose();
      }
      if (k === 1) {
        // Through the state dict into a fresh optimizer, as a resumed run does.
        const sd = o.stateDict();
        const host = new Map([...sd.tensors].map(([name, t]) => [name, t]));
        const n = new Adam(ps.slice(0, 4), { fused });
        n.addParamGroup({ params: ps.slice(4, 5), lr: 0.05 });
        n.loadStateDict({ meta: structuredClone(sd.meta), tensors: host });
        o.dispose();
        return n;
      }
      if (k === 3) {
        extra = ps[5]!;
        o.addParamGroup({ params: [extra], lr: 0.01 });
      }
      return o;
    };
    const make = (ps: E.Tensor[], fused: boolean): Adam => {
      const o = new Adam(ps.slice(0, 4), { fused });
      o.addParamGroup({ params: ps.slice(4, 5), lr: 0.05 });
      return o;
    };
    const [f, p] = await both(make, shapes, 6, skip, between);
    same(f!, p!);
    expect(extra).not.toBeNull();
  });

  it('leaves no buffers behind from step to step', async () => {
    const ps = shapes.map((s) => E.keep(E.zeros(s)).requireGrad());
    const opt = new Adam(ps);
    const live = (): number => E.runtime().stats().buffersInUse;
    let first = 0;
    for (let k = 0; k < 6; k++) {
      for (const p of ps) { p.grad?.dispose(); p.grad = E.keep(E.ones(p.shape)); }
      opt.step();
      await E.runtime().sync();
      if (k === 1) first = live();
    }
    expect(live()).toBe(first);
    opt.dispose();
  });
});
