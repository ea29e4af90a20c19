/** Float64 references for pooling and resizing of NCHW arrays (PyTorch semantics, plain loops). */
import { nd, type Nd } from './nd.js';

function planes(x: Nd, ho: number, wo: number, f: (plane: (y: number, x: number) => number, oy: number, ox: number) => number): Nd {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const out = nd([n, c, ho, wo]);
  let i = 0;
  for (let p = 0; p < n * c; p++) {
    const at = (yy: number, xx: number): number => x.data[(p * h + yy) * w + xx]!;
    for (let oy = 0; oy < ho; oy++) for (let ox = 0; ox < wo; ox++) out.data[i++] = f(at, oy, ox);
  }
  return out;
}

export interface PoolRef { k: [number, number]; s: [number, number]; p: [number, number] }

export function maxPool2d(x: Nd, { k, s, p }: PoolRef): Nd {
  const [h, w] = x.shape.slice(2) as [number, number];
  const ho = Math.floor((h + 2 * p[0] - k[0]) / s[0]) + 1, wo = Math.floor((w + 2 * p[1] - k[1]) / s[1]) + 1;
  return planes(x, ho, wo, (at, oy, ox) => {
    let m = -Infinity;
    for (let ky = 0; ky < k[0]; ky++)
      for (let kx = 0; kx < k[1]; kx++) {
        const iy = oy * s[0] - p[0] + ky, ix = ox * s[1] - p[1] + kx;
        if (iy >= 0 && iy < h && ix >= 0 && ix < w) m = Math.max(m, at(iy, ix));
      }
    return m;
  });
}

export function avgPool2d(x: Nd, { k, s, p }: PoolRef, countIncludePad: boolean): Nd {
  const [h, w] = x.shape.slice(2) as [number, number];
  const ho = Math.floor((h + 2 * p[0] - k[0]) / s[0]) + 1, wo = Math.floor((w + 2 * p[1] - k[1]) / s[1]) + 1;
  return planes(x, ho, wo, (at, oy, ox) => {
    let sum = 0, cnt = 0;
    for (let ky = 0; ky < k[0]; ky++)
      for (let kx = 0; kx < k[1]; kx++) {
        const iy = oy * s[0] - p[0] + ky, ix = ox * s[1] - p[1] + kx;
        if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
          sum += at(iy, ix);
          cnt++;
        }
      }
    return sum / (countIncludePad ? k[0] * k[1] : cnt);
  });
}

export function adaptiveAvgPool2d(x: Nd, ho: number, wo: number): Nd {
  const [h, w] = x.shape.slice(2) as [number, number];
  return planes(x, ho, wo, (at, oy, ox) => {
    const y0 = Math.floor((oy * h) / ho), y1 = Math.ceil(((oy + 1) * h) / ho);
    const x0 = Math.floor((ox * w) / wo), x1 = Math.ceil(((ox + 1) * w) / wo);
    let sum = 0;
    for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) sum += at(iy, ix);
    return sum / ((y1 - y0) * (x1 - x0));
  });
}

/** Source taps of output position d along one axis: [i0, i1, λ] with value (1−λ)·x[i0] + λ·x[i1]. */
function taps(d: number, nIn: number, nOut: number, mode: 'nearest' | 'bilinear', align: boolean): [number, number, number] {
  if (mode === 'nearest') {
    const i = Math.min(Math.floor((d * nIn) / nOut), nIn - 1);
    return [i, i, 0];
  }
  let src: number;
  if (align) src = nOut > 1 ? (d * (nIn - 1)) / (nOut - 1) : 0;
  else src = Math.max(((d + 0.5) * nIn) / nOut - 0.5, 0);
  const i0 = Math.min(Math.floor(src), nIn - 1);
  return [i0, Math.min(i0 + 1, nIn - 1), src - i0];
}

export function resize2d(x: Nd, ho: number, wo: number, mode: 'nearest' | 'bilinear', align = false): Nd {
  const [h, w] = x.shape.slice(2) as [number, number];
  return planes(x, ho, wo, (at, oy, ox) => {
    const [y0, y1, ly] = taps(oy, h, ho, mode, align);
    const [x0, x1, lx] = taps(ox, w, wo, mode, align);
    const top = at(y0, x0) * (1 - lx) + at(y0, x1) * lx;
    const bot = at(y1, x0) * (1 - lx) + at(y1, x1) * lx;
    return top * (1 - ly) + bot * ly;
  });
}
