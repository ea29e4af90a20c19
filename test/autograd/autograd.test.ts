import { beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../src/index.js';
import { engine } from '../helpers/engine.js';
import { expectClose, gradcheck } from '../helpers/gradcheck.js';
import * as R from '../reference/ops.js';

beforeAll(engine);

describe('autograd', () => {
  it('accumulates gradients of a tensor used several times', async () => {
    // y = x*x + 3x + sum(x) broadcast: dy/dx = 2x + 3 + n (weighted by upstream)
    await gradcheck({
      inputs: [{ shape: [4] }],
      engine: ([x]) => E.add(E.add(E.mul(x!, x!), E.mul(x!, 3)), E.sum(x!)),
      reference: ([x]) => {
        const s = x!.data.reduce((a, b) => a + b, 0);
        return R.map(x!, (v) => v * v + 3 * v + s);
      },
    });
  });

  it('handles diamonds, pass-through gradients and a tensor added to itself', async () => {
    await gradcheck({
      inputs: [{ shape: [2, 3] }, { shape: [3] }],
      engine: ([a, b]) => {
        const c = E.add(a!, b!);
        const d = E.add(c, c);
        return E.mul(E.tanh(d), E.sigmoid(c));
      },
      reference: ([a, b]) => R.zip(a!, b!, (x, y) => Math.tanh(2 * (x + y)) * R.sigmoid(x + y)),
    });
  });

  it('accumulates into .grad across backward calls and supports noGrad/detach', async () => {
    const x = E.tensor([1, 2, 3]).requireGrad();
    E.tidy(() => E.backward(E.sum(E.mul(x, x))));
    E.tidy(() => E.backward(E.sum(E.mul(x, 2))));
    expectClose(await x.grad!.toArray(), [4, 6, 8], 1e-6, 'accumulated grad');
    const y = E.noGrad(() => E.mul(x, x));
    expect(y.requiresGrad).toBe(false);
    const z = E.mul(E.detach(x), x);
    expect(z.node?.inputs.length).toBe(2);
    expect(() => E.backward(E.mul(E.detach(x), 2))).toThrow(/does not require grad/);
  });

  it('backward needs a scalar or a gradient of the output shape', () => {
    const x = E.tensor([1, 2]).requireGrad();
    const y = E.mul(x, 2);
    expect(() => E.backward(y)).toThrow(/not a scalar/);
    expect(() => E.backward(y, E.zeros([3]))).toThrow(/does not match output shape/);
  });

  it('frees the graph and intermediate gradients after backward', () => {
    const x = E.tensor([1, 2, 3]).requireGrad();
    const before = E.liveTensorCount();
    E.tidy(() => {
      const y = E.sum(E.exp(E.mul(x, x)));
      E.backward(y);
      expect(y.node).toBeNull();
    });
    // Only x.grad survives the scope.
    expect(E.liveTensorCount()).toBe(before + 1);
  });
});
