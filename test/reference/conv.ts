/**
 * Float64 reference 2-D convolution (NCHW, PyTorch Conv2d semantics) written as plain loops, plus
 * single-element versions of the forward, dX and dW so large shapes can be checked on samples.
 */
import { nd, type Nd } from './nd.js';

export interface ConvOpts {
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
  groups?: number;
}

export interface Geo {
  n: number; c: number; h: number; w: number; o: number; cg: number; og: number;
  kh: number; kw: number; sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
  groups: number; ho: number; wo: number;
}

const two = (v: number | [number, number] | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v;

export function geometry(xShape: readonly number[], wShape: readonly number[], o: ConvOpts = {}): Geo {
  const [n, c, h, w] = xShape as [number, number, number, number];
  const [oc, cg, kh, kw] = wShape as [number, number, number, number];
  const groups = o.groups ?? 1;
  const [sh, sw] = two(o.stride, 1);
  const [ph, pw] = two(o.padding, 0);
  const [dh, dw] = two(o.dilation, 1);
  const ho = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const wo = Math.floor((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  return { n, c, h, w, o: oc, cg, og: oc / groups, kh, kw, sh, sw, ph, pw, dh, dw, groups, ho, wo };
}

/** Y[n, o, oy, ox] for one output element. */
export function convAt(x: Nd, w: Nd, bias: Nd | null, g: Geo, n: number, o: number, oy: number, ox: number): number {
  const grp = Math.floor(o / g.og);
  let s = bias ? bias.data[o]! : 0;
  for (let c = 0; c < g.cg; c++) {
    const ic = grp * g.cg + c;
    for (let ky = 0; ky < g.kh; ky++) {
      const iy = oy * g.sh - g.ph + ky * g.dh;
      if (iy < 0 || iy >= g.h) continue;
      for (let kx = 0; kx < g.kw; kx++) {
        const ix = ox * g.sw - g.pw + kx * g.dw;
        if (ix < 0 || ix >= g.w) continue;
        s += w.data[((o * g.cg + c) * g.kh + ky) * g.kw + kx]! * x.data[((n * g.c + ic) * g.h + iy) * g.w + ix]!;
      }
    }
  }
  return s;
}

export function conv2d(x: Nd, w: Nd, bias: Nd | null, opts: ConvOpts = {}): Nd {
  const g = geometry(x.shape, w.shape, opts);
  const out = nd([g.n, g.o, g.ho, g.wo]);
  let i = 0;
  for (let n = 0; n < g.n; n++)
    for (let o = 0; o < g.o; o++)
      for (let oy = 0; oy < g.ho; oy++)
        for (let ox = 0; ox < g.wo; ox++) out.data[i++] = convAt(x, w, bias, g, n, o, oy, ox);
  return out;
}

/** dX[n, c, iy, ix] given the upstream gradient dY [N, O, Ho, Wo]. */
export function convDxAt(dy: Nd, w: Nd, g: Geo, n: number, c: number, iy: number, ix: number): number {
  const grp = Math.floor(c / g.cg);
  const cl = c - grp * g.cg;
  let s = 0;
  for (let ol = 0; ol < g.og; ol++) {
    const o = grp * g.og + ol;
    for (let ky = 0; ky < g.kh; ky++) {
      const ty = iy + g.ph - ky * g.dh;
      if (ty < 0 || ty % g.sh !== 0 || ty / g.sh >= g.ho) continue;
      for (let kx = 0; kx < g.kw; kx++) {
        const tx = ix + g.pw - kx * g.dw;
        if (tx < 0 || tx % g.sw !== 0 || tx / g.sw >= g.wo) continue;
        s += w.data[((o * g.cg + cl) * g.kh + ky) * g.kw + kx]! * dy.data[((n * g.o + o) * g.ho + ty / g.sh) * g.wo + tx / g.sw]!;
      }
    }
  }
  return s;
}

/** dW[o, c, ky, kx] given dY and the forward input X. */
export function convDwAt(dy: Nd, x: Nd, g: Geo, o: number, c: number, ky: number, kx: number): number {
  const grp = Math.floor(o / g.og);
  const ic = grp * g.cg + c;
  let s = 0;
  for (let n = 0; n < g.n; n++)
    for (let oy = 0; oy < g.ho; oy++) {
      const iy = oy * g.sh - g.ph + ky * g.dh;
      if (iy < 0 || iy >= g.h) continue;
      for (let ox = 0; ox < g.wo; ox++) {
        const ix = ox * g.sw - g.pw + kx * g.dw;
        if (ix < 0 || ix >= g.w) continue;
        s += dy.data[((n * g.o + o) * g.ho + oy) * g.wo + ox]! * x.data[((n * g.c + ic) * g.h + iy) * g.w + ix]!;
      }
    }
  return s;
}
