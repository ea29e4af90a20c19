/**
 * Float64 references of the optimizer update rules and learning-rate schedules, written from
 * PyTorch's documented algorithms (torch.optim.SGD / Adam / AdamW, clip_grad_norm_, SAM's
 * two-step update), element by element, independent of the engine.
 */

export interface SgdRefOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

export interface SgdRefState {
  buf: Float64Array | null;
}

/** One SGD step on p in place; returns the updated state. */
export function sgdStep(p: Float64Array, grad: ArrayLike<number>, st: SgdRefState, o: SgdRefOptions): void {
  const mu = o.momentum ?? 0, damp = o.dampening ?? 0, wd = o.weightDecay ?? 0;
  const first = st.buf === null;
  if (mu !== 0 && first) st.buf = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    let g = grad[i]! + wd * p[i]!;
    if (mu !== 0) {
      const b = first ? g : mu * st.buf![i]! + (1 - damp) * g;
      st.buf![i] = b;
      g = o.nesterov ? g + mu * b : b;
    }
    p[i] = p[i]! - o.lr * g;
  }
}

export interface AdamRefOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** AdamW */
  decoupled?: boolean;
}

export interface AdamRefState {
  t: number;
  m: Float64Array;
  v: Float64Array;
}

export function adamState(n: number): AdamRefState {
  return { t: 0, m: new Float64Array(n), v: new Float64Array(n) };
}

export function adamStep(p: Float64Array, grad: ArrayLike<number>, st: AdamRefState, o: AdamRefOptions): void {
  const b1 = o.beta1 ?? 0.9, b2 = o.beta2 ?? 0.999, eps = o.eps ?? 1e-8, wd = o.weightDecay ?? 0;
  st.t++;
  const bc1 = 1 - Math.pow(b1, st.t);
  const bc2 = 1 - Math.pow(b2, st.t);
  for (let i = 0; i < p.length; i++) {
    let g = grad[i]!;
    if (o.decoupled) p[i] = p[i]! * (1 - o.lr * wd);
    else g += wd * p[i]!;
    st.m[i] = b1 * st.m[i]! + (1 - b1) * g;
    st.v[i] = b2 * st.v[i]! + (1 - b2) * g * g;
    const mHat = st.m[i]! / bc1;
    const vHat = st.v[i]! / bc2;
    p[i] = p[i]! - (o.lr * mHat) / (Math.sqrt(vHat) + eps);
  }
}

/** √(Σ over all arrays of Σ x²). */
export function globalNorm(xs: readonly ArrayLike<number>[]): number {
  let s = 0;
  for (const x of xs) for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s);
}

/** clip_grad_norm_: returns the scaled gradients and the norm before clipping. */
export function clipByGlobalNorm(gs: readonly ArrayLike<number>[], maxNorm: number): { norm: number; clipped: Float64Array[] } {
  const norm = globalNorm(gs);
  const coef = Math.min(1, maxNorm / (norm + 1e-6));
  return { norm, clipped: gs.map((g) => Float64Array.from(g, (v) => v * coef)) };
}

/**
 * One SAM step (Foret et al.) on parameters `ps` with a gradient function `grad(ps)`:
 * e = ρ·g/‖g‖ at w, gradient at w + e, then `baseStep` with that gradient at w.
 */
export function samStep(
  ps: Float64Array[],
  grad: (ps: Float64Array[]) => Float64Array[],
  rho: number,
  baseStep: (i: number, p: Float64Array, g: Float64Array) => void,
): void {
  const g = grad(ps);
  const scale = rho / (globalNorm(g) + 1e-12);
  const perturbed = ps.map((p, i) => Float64Array.from(p, (v, k) => v + scale * g[i]![k]!));
  const g2 = grad(perturbed);
  ps.forEach((p, i) => baseStep(i, p, g2[i]!));
}

// ---- schedules (closed forms) -----------------------------------------------------------------

export const stepLr = (base: number, epoch: number, stepSize: number, gamma: number): number =>
  base * Math.pow(gamma, Math.floor(epoch / stepSize));

export const exponentialLr = (base: number, epoch: number, gamma: number): number => base * Math.pow(gamma, epoch);

export function cosineWarmupLr(base: number, t: number, warmup: number, total: number, minLr: number, startFactor: number): number {
  if (t < warmup) return base * startFactor + (base - base * startFactor) * (t / warmup);
  const progress = Math.min(1, (t - warmup) / (total - warmup));
  return minLr + 0.5 * (base - minLr) * (1 + Math.cos(Math.PI * progress));
}
