// Deterministic pseudo-random numbers for the data layer.
//
// Every sample is generated from its own stream, keyed by (seed, stream, index), so any sample can
// be reproduced on its own without replaying the ones before it (the loader fetches samples in
// shuffled order). sfc32 is small, fast in plain JS integer arithmetic and passes PractRand well
// beyond what a data pipeline needs.

/** Mix a list of 32-bit integers into one well-scrambled 32-bit key (murmur3 finaliser chain). */
export function hashInts(...values: number[]): number {
  let h = 0x9e3779b9 | 0;
  for (const v of values) {
    let k = Math.imul(v | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= values.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Small-fast-counter generator (sfc32) with helpers for the distributions the generator needs. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal = NaN;

  /** Seed from any list of integers; equal lists give equal streams. */
  constructor(...key: number[]) {
    this.a = hashInts(0x243f6a88, ...key);
    this.b = hashInts(0x85a308d3, ...key);
    this.c = hashInts(0x13198a2e, ...key);
    this.d = 1;
    // Warm up so that nearby keys decorrelate fully.
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /**
   * out[i] = next() + next() + next() for i < n, in order: sums of three uniforms (an
   * Irwin–Hall variable, a cheap near-Gaussian for per-pixel noise), with the generator state held
   * in locals. Each next() is an integer over 2^32, so any sum of three is exact in a double and
   * equals the integer sum over 2^32, which is what this returns: bit-identical to three calls.
   */
  fillSum3(out: Float64Array, n = out.length): void {
    // `| 0` loads the fields as int32 (same bits) so the loop runs on untagged integers.
    let a = this.a | 0;
    let b = this.b | 0;
    let c = this.c | 0;
    let d = this.d | 0;
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let k = 0; k < 3; k++) {
        // One step of u32().
        const t = (((a + b) | 0) + d) | 0;
        d = (d + 1) | 0;
        a = b ^ (b >>> 9);
        b = (c + (c << 3)) | 0;
        c = (c << 21) | (c >>> 11);
        c = (c + t) | 0;
        sum += t >>> 0;
      }
      out[i] = sum / 4294967296;
    }
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box–Muller, caching the second value). */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const s = this.spareNormal;
      this.spareNormal = NaN;
      return s;
    }
    let u = this.next();
    if (u < 1e-12) u = 1e-12;
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Normal with mean and standard deviation. */
  gauss(mean: number, std: number): number {
    return mean + std * this.normal();
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** Index drawn from unnormalised non-negative weights. */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i] as number;
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i] as number;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: unknown }>(arr: T): T {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i];
      arr[i] = arr[j];
      arr[j] = t;
    }
    return arr;
  }
}
