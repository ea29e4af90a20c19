// Geometry helpers that turn curves into the flat point lists the rasteriser fills.

const unitCircles = new Map<number, Float64Array>();

/** cos and sin of the angles 2πi/n, i < n, interleaved: shared by every n-vertex ellipse. */
function unitCircle(n: number): Float64Array {
  let cs = unitCircles.get(n);
  if (!cs) {
    cs = new Float64Array(2 * Math.max(0, Math.ceil(n))); // as many as ellipse's loop visits
    for (let i = 0; i < n; i++) {
      const t = (2 * Math.PI * i) / n;
      cs[2 * i] = Math.cos(t);
      cs[2 * i + 1] = Math.sin(t);
    }
    unitCircles.set(n, cs);
  }
  return cs;
}

/** Closed ellipse outline with n vertices, rotated by rot radians. */
export function ellipse(cx: number, cy: number, rx: number, ry: number, rot = 0, n = 20): number[] {
  const out: number[] = [];
  const c = Math.cos(rot);
  const s = Math.sin(rot);
  const cs = unitCircle(n);
  for (let i = 0; i < n; i++) {
    const x = rx * (cs[2 * i] as number);
    const y = ry * (cs[2 * i + 1] as number);
    out.push(cx + x * c - y * s, cy + x * s + y * c);
  }
  return out;
}

/**
 * Outline of a polyline drawn with a pen of width `width`, tapered towards both ends by
 * `taper` (0 = constant width, 1 = pointed ends), as one closed contour.
 */
export function stroke(pts: readonly number[], width: number, taper = 0.6): number[] {
  const n = pts.length >> 1;
  const left: number[] = [];
  const right: number[] = [];
  for (let i = 0; i < n; i++) {
    const i0 = Math.max(0, i - 1);
    const i1 = Math.min(n - 1, i + 1);
    let dx = (pts[2 * i1] as number) - (pts[2 * i0] as number);
    let dy = (pts[2 * i1 + 1] as number) - (pts[2 * i0 + 1] as number);
    const len = Math.hypot(dx, dy) || 1;
    dx /= len;
    dy /= len;
    const t = n === 1 ? 0.5 : i / (n - 1);
    const w = 0.5 * width * (1 - taper * Math.abs(2 * t - 1) ** 2);
    const x = pts[2 * i] as number;
    const y = pts[2 * i + 1] as number;
    left.push(x - dy * w, y + dx * w);
    right.push(x + dy * w, y - dx * w);
  }
  const out = left;
  for (let i = n - 1; i >= 0; i--) out.push(right[2 * i] as number, right[2 * i + 1] as number);
  return out;
}

/** Sample a curve f(t) for t in [t0, t1] at n points (inclusive) into a flat list. */
export function sampleCurve(f: (t: number) => readonly [number, number], n: number, t0 = 0, t1 = 1): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const [x, y] = f(t0 + ((t1 - t0) * i) / (n - 1));
    out.push(x, y);
  }
  return out;
}

/** Append the points of `b` in reverse order to `a` (to close a band between two curves). */
export function joinReversed(a: readonly number[], b: readonly number[]): number[] {
  const out = a.slice();
  for (let i = (b.length >> 1) - 1; i >= 0; i--) out.push(b[2 * i] as number, b[2 * i + 1] as number);
  return out;
}

/** Quadratic Bézier through control point c from a to b, as a function of t. */
export function quad(ax: number, ay: number, cx: number, cy: number, bx: number, by: number): (t: number) => [number, number] {
  return (t) => {
    const u = 1 - t;
    return [u * u * ax + 2 * u * t * cx + t * t * bx, u * u * ay + 2 * u * t * cy + t * t * by];
  };
}
