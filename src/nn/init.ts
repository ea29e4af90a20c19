/**
 * Initialisers with torch.nn.init's formulas. Each fills an existing tensor in place (values
 * drawn on the GPU from the engine's counter-based generator, so `manualSeed` makes them
 * reproducible; pass `seed` for a fixed draw) and returns it.
 */
import type { Tensor } from '../tensor/tensor.js';
import { assign, full, randomFill, randomKey } from '../tensor/create.js';
import { tidy } from '../tensor/scope.js';
import { noGrad } from '../autograd/graph.js';
import { ShapeError, fmtShape } from '../runtime/errors.js';
import { add, affine, clamp, gt, lt, where } from '../ops/elementwise.js';

export interface InitOptions {
  seed?: number;
}

export type Nonlinearity = 'linear' | 'conv' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/** Recommended gain for a nonlinearity (torch.nn.init.calculate_gain). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const a = param ?? 0.01;
      return Math.sqrt(2 / (1 + a * a));
    }
    case 'selu':
      return 3 / 4;
  }
}

/** fan_in = shape[1]·receptive field, fan_out = shape[0]·receptive field (weights [out, in, ...]). */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new ShapeError(`fan in/out need a tensor of rank >= 2, got ${fmtShape(shape)}`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

function key(opts: InitOptions, round = 0): [number, number] {
  if (opts.seed === undefined) return randomKey();
  // Distinct streams for the rounds of one seeded draw.
  return [opts.seed >>> 0, (0x85ebca6b + Math.imul(round + 1, 0x9e3779b1)) >>> 0];
}

function fill(t: Tensor, make: () => Tensor): Tensor {
  noGrad(() => tidy(() => void assign(t, make())));
  return t;
}

export function constant_(t: Tensor, value: number): Tensor {
  return fill(t, () => full(t.shape, value, t.dtype));
}
export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

export function uniform_(t: Tensor, lo = 0, hi = 1, opts: InitOptions = {}): Tensor {
  return fill(t, () => randomFill(t.shape, 0, lo, hi, key(opts)));
}

export function normal_(t: Tensor, mean = 0, std = 1, opts: InitOptions = {}): Tensor {
  return fill(t, () => randomFill(t.shape, 1, mean, std, key(opts)));
}

export interface TruncNormalOptions extends InitOptions {
  mean?: number;
  std?: number;
  /** Absolute bounds, as torch's trunc_normal_ (default ±2). */
  a?: number;
  b?: number;
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 erf; only used to size the rejection rounds). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return 0.5 * (1 + Math.sign(x) * erf);
}

/**
 * Normal(mean, std) restricted to [a, b] by rejection: values outside are redrawn until the
 * expected share still outside is below 1e-9 (at most 64 rounds), and the rest — if any — are
 * clamped. For the usual ±2σ bounds that is 7 rounds of elementwise ops on the GPU.
 */
export function truncNormal_(t: Tensor, o: TruncNormalOptions = {}): Tensor {
  const mean = o.mean ?? 0, std = o.std ?? 1, a = o.a ?? -2, b = o.b ?? 2;
  if (!(a < b) || !(std > 0)) throw new ShapeError(`truncNormal_: need a < b and std > 0 (a=${a}, b=${b}, std=${std})`);
  const accept = phi((b - mean) / std) - phi((a - mean) / std);
  if (!(accept > 1e-3)) throw new ShapeError(`truncNormal_: [${a}, ${b}] holds only ${accept} of N(${mean}, ${std}); rejection sampling would not finish`);
  const rounds = accept >= 1 - 1e-12 ? 0 : Math.min(64, Math.ceil(Math.log(1e-9) / Math.log(1 - accept)));
  return fill(t, () => {
    let x = randomFill(t.shape, 1, mean, std, key(o, 0));
    for (let r = 1; r <= rounds; r++) {
      const outside = add(lt(x, a), gt(x, b));
      x = where(outside, randomFill(t.shape, 1, mean, std, key(o, r)), x);
    }
    return clamp(x, a, b);
  });
}

export interface KaimingOptions extends InitOptions {
  /** Negative slope of the leaky ReLU that follows (default 0). */
  a?: number;
  /** 'fan_in' preserves forward variance, 'fan_out' backward (default 'fan_in'). */
  mode?: 'fan_in' | 'fan_out';
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, o: KaimingOptions): number {
  const { fanIn, fanOut } = fans(t.shape);
  const fan = (o.mode ?? 'fan_in') === 'fan_in' ? fanIn : fanOut;
  const gain = calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0);
  return gain / Math.sqrt(fan);
}

/** He et al.: N(0, gain² / fan). */
export function kaimingNormal_(t: Tensor, o: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t, o), o);
}

/** He et al.: U(−bound, bound), bound = gain·√(3 / fan). */
export function kaimingUniform_(t: Tensor, o: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, o);
  return uniform_(t, -bound, bound, o);
}

/** Glorot: U(−a, a), a = gain·√(6 / (fan_in + fan_out)). */
export function xavierUniform_(t: Tensor, gain = 1, opts: InitOptions = {}): Tensor {
  const { fanIn, fanOut } = fans(t.shape);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -a, a, opts);
}

/** Glorot: N(0, gain² · 2 / (fan_in + fan_out)). */
export function xavierNormal_(t: Tensor, gain = 1, opts: InitOptions = {}): Tensor {
  const { fanIn, fanOut } = fans(t.shape);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), opts);
}

/** Scales values in place (e.g. layer-scale style initial shrinking). */
export function scale_(t: Tensor, s: number): Tensor {
  return fill(t, () => affine(t, s, 0));
}
