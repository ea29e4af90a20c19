/**
 * Elementwise primitives: unary maps, binary maps with NumPy broadcasting, comparisons, where.
 * Each differentiable op states its backward right after its forward.
 */
import { Tensor } from '../tensor/tensor.js';
import { runtime } from '../runtime/runtime.js';
import { Params } from '../runtime/params.js';
import { grid } from '../runtime/grid.js';
import { ShapeError } from '../runtime/errors.js';
import { broadcastShapes, broadcastStrides, collapseDims, sameShape } from '../tensor/shape.js';
import { record, registerAutogradPrimitives } from '../autograd/graph.js';
import { sumTo } from './reduce.js';
import { full } from '../tensor/create.js';

export type Operand = Tensor | number;

const UNARY = {
  neg: 0, exp: 1, log: 2, sqrt: 3, rsqrt: 4, abs: 5, relu: 6, sigmoid: 7, tanh: 8, gelu: 9,
  sin: 10, cos: 11, square: 12, reciprocal: 13, sign: 14, affine: 15, powScalar: 16, clamp: 17, floor: 18,
} as const;

const BINARY = {
  add: 0, sub: 1, mul: 2, div: 3, pow: 4, maximum: 5, minimum: 6,
  eq: 7, ne: 8, lt: 9, le: 10, gt: 11, ge: 12,
  reluBwd: 13, geluBwd: 14, sigmoidBwd: 15, tanhBwd: 16, clampBwd: 17,
} as const;
type BinaryName = keyof typeof BINARY;

/** vec4s per thread of the flat vec4 kernels (their uniform p.run, shaders/elementwise.wgsl). */
const VEC_RUN = 4;

function requireF32(t: Tensor, op: string): void {
  if (t.dtype !== 'f32') throw new ShapeError(`${op}: expected an f32 tensor, got ${t.describe()} (use cast() for index tensors)`);
}

function launchUnary(x: Tensor, code: number, op: string, alpha = 0, beta = 0): Tensor {
  requireF32(x, op);
  const out = new Tensor(x.shape, 'f32');
  const vec = x.size % 4 === 0;
  runtime().dispatch({
    op, shader: 'elementwise', entry: vec ? 'unary_vec4' : 'unary', constants: { OP: code },
    params: new Params().u32(x.size, 0).f32(alpha, beta).u32(vec ? VEC_RUN : 1, 0, 0, 0),
    buffers: [x.buffer, null, out.buffer],
    workgroups: grid(vec ? Math.ceil(x.size / 4 / VEC_RUN) : x.size, 256),
  });
  return out;
}

/** `alpha`, `beta`: the uniforms some ops read (clampBwd: the range). */
function launchBinary(a: Tensor, b: Tensor, name: BinaryName, alpha = 0, beta = 0): Tensor {
  requireF32(a, name);
  requireF32(b, name);
  const shape = broadcastShapes(a.shape, b.shape, name);
  const out = new Tensor(shape, 'f32');
  const flat = sameShape(a.shape, b.shape);
  const params = new Params();
  let entry = 'binary_flat';
  let run = 1;
  if (flat) params.u32(out.size, 0).f32(alpha, beta).u32(out.size % 4 === 0 ? VEC_RUN : 1, 0, 0, 0);
  else {
    const c = collapseDims(shape, [broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape)]);
    // Pad to 3 leading dims for the fixed-rank kernel.
    const pad = (v: number[], fill: number) => [...Array(Math.max(0, 3 - v.length)).fill(fill), ...v];
    const small = c.shape.length <= 3;
    const cs = small ? pad(c.shape, 1) : c.shape;
    const sa = small ? pad(c.strides[0]!, 0) : c.strides[0]!;
    const sb = small ? pad(c.strides[1]!, 0) : c.strides[1]!;
    // The 3-dim kernel computes 4 adjacent outputs per thread when no run crosses a row.
    run = small && cs[2]! % 4 === 0 ? 4 : 1;
    params.u32(out.size, cs.length).f32(alpha, beta).u32(run, 0, 0, 0).u32Array(cs, 8, 1).u32Array(sa, 8).u32Array(sb, 8);
    entry = small ? 'binary_bcast3' : 'binary_bcast';
  }
  const vec = flat && out.size % 4 === 0;
  runtime().dispatch({
    op: name, shader: 'elementwise', entry: vec ? 'binary_vec4' : entry, constants: { OP: BINARY[name] },
    params, buffers: [a.buffer, b.buffer, out.buffer], workgroups: grid(vec ? Math.ceil(out.size / 4 / VEC_RUN) : out.size / run, 256),
  });
  return out;
}

// ---- unary primitives --------------------------------------------------------------------

export function neg(x: Tensor): Tensor {
  return record(launchUnary(x, UNARY.neg, 'neg'), 'neg', [x], (g) => [neg(g)]);
}

export function exp(x: Tensor): Tensor {
  const y = launchUnary(x, UNARY.exp, 'exp');
  return record(y, 'exp', [x], (g) => [mul(g, y)]);
}

export function log(x: Tensor): Tensor {
  return record(launchUnary(x, UNARY.log, 'log'), 'log', [x], (g) => [div(g, x)]);
}

export function sqrt(x: Tensor): Tensor {
  const y = launchUnary(x, UNARY.sqrt, 'sqrt');
  return record(y, 'sqrt', [x], (g) => [div(mulScalar(g, 0.5), y)]);
}

export function rsqrt(x: Tensor): Tensor {
  const y = launchUnary(x, UNARY.rsqrt, 'rsqrt');
  // d/dx x^-1/2 = -1/2 x^-3/2 = -1/2 y^3
  return record(y, 'rsqrt', [x], (g) => [mul(g, affine(powScalarRaw(y, 3), -0.5, 0))]);
}

export function abs(x: Tensor): Tensor {
  return record(launchUnary(x, UNARY.abs, 'abs'), 'abs', [x], (g) => [mul(g, launchUnary(x, UNARY.sign, 'sign'))]);
}

export function relu(x: Tensor): Tensor {
  return record(launchUnary(x, UNARY.relu, 'relu'), 'relu', [x], (g) => [launchBinary(g, x, 'reluBwd')]);
}

export function sigmoid(x: Tensor): Tensor {
  const y = launchUnary(x, UNARY.sigmoid, 'sigmoid');
  return record(y, 'sigmoid', [x], (g) => [launchBinary(g, y, 'sigmoidBwd')]);
}

export function tanh(x: Tensor): Tensor {
  const y = launchUnary(x, UNARY.tanh, 'tanh');
  return record(y, 'tanh', [x], (g) => [launchBinary(g, y, 'tanhBwd')]);
}

/** GELU, exact (erf) form. */
export function gelu(x: Tensor): Tensor {
  return record(launchUnary(x, UNARY.gelu, 'gelu'), 'gelu', [x], (g) => [launchBinary(g, x, 'geluBwd')]);
}

export function sin(x: Tensor): Tensor {
  return record(launchUnary(x, UNARY.sin, 'sin'), 'sin', [x], (g) => [mul(g, launchUnary(x, UNARY.cos, 'cos'))]);
}

export function cos(x: Tensor): Tensor {
  return record(launchUnary(x, UNARY.cos, 'cos'), 'cos', [x], (g) => [mul(g, neg(launchUnary(x, UNARY.sin, 'sin')))]);
}

export function square(x: Tensor): Tensor {
  return record(launchUnary(x, UNARY.square, 'square'), 'square', [x], (g) => [mul(g, affine(x, 2, 0))]);
}

export function reciprocal(x: Tensor): Tensor {
  const y = launchUnary(x, UNARY.reciprocal, 'reciprocal');
  return record(y, 'reciprocal', [x], (g) => [neg(mul(g, mul(y, y)))]);
}

/** Not differentiable (zero gradient almost everywhere). */
export function sign(x: Tensor): Tensor {
  return launchUnary(x, UNARY.sign, 'sign');
}

export function floor(x: Tensor): Tensor {
  return launchUnary(x, UNARY.floor, 'floor');
}

/** alpha * x + beta. */
export function affine(x: Tensor, alpha: number, beta: number): Tensor {
  return record(launchUnary(x, UNARY.affine, 'affine', alpha, beta), 'affine', [x], (g) => [mulScalar(g, alpha)]);
}

export function mulScalar(x: Tensor, s: number): Tensor {
  return affine(x, s, 0);
}

export function addScalar(x: Tensor, s: number): Tensor {
  return affine(x, 1, s);
}

function powScalarRaw(x: Tensor, e: number): Tensor {
  return launchUnary(x, UNARY.powScalar, 'pow', e);
}

/** x ** e for a constant exponent. */
export function powScalar(x: Tensor, e: number): Tensor {
  return record(powScalarRaw(x, e), 'pow', [x], (g) => [mul(g, affine(powScalarRaw(x, e - 1), e, 0))]);
}

/** Clamps to [lo, hi]; gradient flows only where the input is inside the range. */
export function clamp(x: Tensor, lo: number, hi: number): Tensor {
  if (!(lo <= hi)) throw new ShapeError(`clamp: lower bound ${lo} exceeds upper bound ${hi}`);
  return record(launchUnary(x, UNARY.clamp, 'clamp', lo, hi), 'clamp', [x], (g) => [launchBinary(g, x, 'clampBwd', lo, hi)]);
}

// ---- binary primitives -------------------------------------------------------------------

function binaryOperands(a: Operand, b: Operand, op: string): [Tensor, Tensor] | null {
  if (typeof a === 'number' && typeof b === 'number') throw new ShapeError(`${op}: at least one operand must be a tensor`);
  return typeof a === 'number' || typeof b === 'number' ? null : [a, b];
}

export function add(a: Operand, b: Operand): Tensor {
  if (!binaryOperands(a, b, 'add')) return typeof a === 'number' ? addScalar(b as Tensor, a) : addScalar(a, b as number);
  const [x, y] = [a as Tensor, b as Tensor];
  return record(launchBinary(x, y, 'add'), 'add', [x, y], (g) => [sumTo(g, x.shape), sumTo(g, y.shape)]);
}

export function sub(a: Operand, b: Operand): Tensor {
  if (!binaryOperands(a, b, 'sub')) return typeof a === 'number' ? affine(b as Tensor, -1, a) : addScalar(a, -(b as number));
  const [x, y] = [a as Tensor, b as Tensor];
  return record(launchBinary(x, y, 'sub'), 'sub', [x, y], (g) => [sumTo(g, x.shape), sumTo(neg(g), y.shape)]);
}

export function mul(a: Operand, b: Operand): Tensor {
  if (!binaryOperands(a, b, 'mul')) return typeof a === 'number' ? mulScalar(b as Tensor, a) : mulScalar(a, b as number);
  const [x, y] = [a as Tensor, b as Tensor];
  return record(launchBinary(x, y, 'mul'), 'mul', [x, y], (g) => [
    x.requiresGrad ? sumTo(launchBinary(g, y, 'mul'), x.shape) : null,
    y.requiresGrad ? sumTo(launchBinary(g, x, 'mul'), y.shape) : null,
  ]);
}

export function div(a: Operand, b: Operand): Tensor {
  if (typeof b === 'number') return mulScalar(a as Tensor, 1 / b);
  if (typeof a === 'number') return mulScalar(reciprocal(b), a);
  const [x, y] = [a, b];
  return record(launchBinary(x, y, 'div'), 'div', [x, y], (g) => [
    x.requiresGrad ? sumTo(launchBinary(g, y, 'div'), x.shape) : null,
    // d(x/y)/dy = -x / y^2
    y.requiresGrad ? sumTo(neg(launchBinary(launchBinary(g, x, 'mul'), launchBinary(y, y, 'mul'), 'div')), y.shape) : null,
  ]);
}

/** Elementwise max; the gradient goes to `a` where a >= b, else to `b`. */
export function maximum(a: Tensor, b: Tensor): Tensor {
  return record(launchBinary(a, b, 'maximum'), 'maximum', [a, b], (g) => {
    const takeA = launchBinary(a, b, 'ge');
    return [sumTo(launchBinary(g, takeA, 'mul'), a.shape), sumTo(launchBinary(g, affine(takeA, -1, 1), 'mul'), b.shape)];
  });
}

export function minimum(a: Tensor, b: Tensor): Tensor {
  return record(launchBinary(a, b, 'minimum'), 'minimum', [a, b], (g) => {
    const takeA = launchBinary(a, b, 'le');
    return [sumTo(launchBinary(g, takeA, 'mul'), a.shape), sumTo(launchBinary(g, affine(takeA, -1, 1), 'mul'), b.shape)];
  });
}

/** a ** b for tensors (a > 0 where b's gradient is wanted). */
export function pow(a: Tensor, b: Tensor): Tensor {
  const y = launchBinary(a, b, 'pow');
  return record(y, 'pow', [a, b], (g) => [
    a.requiresGrad ? sumTo(mul(g, mul(b, launchBinary(a, affine(b, 1, -1), 'pow'))), a.shape) : null,
    b.requiresGrad ? sumTo(mul(g, mul(y, log(a))), b.shape) : null,
  ]);
}

// ---- comparisons (not differentiable; 1.0 / 0.0 results) ---------------------------------

function compare(a: Operand, b: Operand, name: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'): Tensor {
  const x = typeof a === 'number' ? full([], a) : a;
  const y = typeof b === 'number' ? full([], b) : b;
  return launchBinary(x, y, name);
}
export const eq = (a: Operand, b: Operand): Tensor => compare(a, b, 'eq');
export const ne = (a: Operand, b: Operand): Tensor => compare(a, b, 'ne');
export const lt = (a: Operand, b: Operand): Tensor => compare(a, b, 'lt');
export const le = (a: Operand, b: Operand): Tensor => compare(a, b, 'le');
export const gt = (a: Operand, b: Operand): Tensor => compare(a, b, 'gt');
export const ge = (a: Operand, b: Operand): Tensor => compare(a, b, 'ge');

/** cond != 0 ? a : b, broadcasting all three. Gradient flows to the selected branch. */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  requireF32(cond, 'where');
  const x = typeof a === 'number' ? full([], a) : a;
  const y = typeof b === 'number' ? full([], b) : b;
  requireF32(x, 'where');
  requireF32(y, 'where');
  const shape = broadcastShapes(broadcastShapes(cond.shape, x.shape, 'where'), y.shape, 'where');
  const out = new Tensor(shape, 'f32');
  const c = collapseDims(shape, [broadcastStrides(cond.shape, shape), broadcastStrides(x.shape, shape), broadcastStrides(y.shape, shape)]);
  runtime().dispatch({
    op: 'where', shader: 'where', entry: 'main',
    params: new Params().u32(out.size, c.shape.length, 0, 0).u32Array(c.shape, 8, 1)
      .u32Array(c.strides[0]!, 8).u32Array(c.strides[1]!, 8).u32Array(c.strides[2]!, 8),
    buffers: [cond.buffer, x.buffer, y.buffer, out.buffer],
    workgroups: grid(out.size, 256),
  });
  return record(out, 'where', [x, y], (g) => {
    const zero = full([], 0);
    return [x.requiresGrad ? sumTo(where(cond, g, zero), x.shape) : null, y.requiresGrad ? sumTo(where(cond, zero, g), y.shape) : null];
  });
}

registerAutogradPrimitives(
  (a, b) => launchBinary(a, b, 'add'),
  (t) => full(t.shape, 1),
);
