/**
 * Packs a kernel's uniform block. WGSL uniform structs here are written as a flat sequence of
 * 4-byte scalars (u32/i32/f32) followed by vec4<u32> arrays, so packing is 4-byte words padded to
 * 16 bytes; each kernel's header states its exact layout.
 */
export class Params {
  private words: number[] = [];
  private kinds: ('u' | 'i' | 'f')[] = [];

  u32(...v: number[]): this {
    for (const x of v) {
      if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new RangeError(`Params.u32: ${x} is not a u32`);
      this.words.push(x);
      this.kinds.push('u');
    }
    return this;
  }
  i32(...v: number[]): this {
    for (const x of v) {
      this.words.push(x | 0);
      this.kinds.push('i');
    }
    return this;
  }
  f32(...v: number[]): this {
    for (const x of v) {
      this.words.push(x);
      this.kinds.push('f');
    }
    return this;
  }
  /** Pads to the next multiple of 4 words (a vec4 boundary), e.g. before an array<vec4<u32>, N>. */
  align4(): this {
    while (this.words.length % 4) this.u32(0);
    return this;
  }
  /** A fixed-length u32 array (padded with `fill`), stored as array<vec4<u32>, n/4>. */
  u32Array(values: readonly number[], n: number, fill = 0): this {
    if (values.length > n) throw new RangeError(`Params.u32Array: ${values.length} values exceed capacity ${n}`);
    this.align4();
    for (let i = 0; i < n; i++) this.u32(i < values.length ? values[i]! : fill);
    return this;
  }

  bytes(): Uint8Array {
    const n = Math.max(4, Math.ceil(this.words.length / 4) * 4);
    const buf = new ArrayBuffer(n * 4);
    const u = new Uint32Array(buf);
    const i = new Int32Array(buf);
    const f = new Float32Array(buf);
    this.words.forEach((w, k) => {
      const kind = this.kinds[k];
      if (kind === 'f') f[k] = w;
      else if (kind === 'i') i[k] = w;
      else u[k] = w;
    });
    return new Uint8Array(buf);
  }
}
