// conv.wgsl — 2-D convolution (NCHW, f32): forward, backward-data (dX) and backward-weight (dW).
//
//   fwd:   Y[n, g·Og+o, oy, ox] = Σ_{c,ky,kx} W[g·Og+o, c, ky, kx] · X[n, g·Cg+c, oy·sh−ph+ky·dh, ox·sw−pw+kx·dw]
//   dgrad: dX[n, g·Cg+c, iy, ix] = Σ_{o,ky,kx} W[g·Og+o, c, ky, kx] · dY[n, g·Og+o, oy, ox]
//          where oy = (iy+ph−ky·dh)/sh must be an in-range integer (else the term is 0).
//   wgrad: dW[g·Og+o, c, ky, kx] = Σ_{n,oy,ox} dY[n, g·Og+o, oy, ox] · X[n, g·Cg+c, iy, ix]
//
// Two families of kernels; the host (src/ops/conv.ts) picks per call.
//
// 1. Broadcast kernels (fwd_b, fwd_f, wgrad_b; helper wpack) — the default. Tuned for
//    SIMD-over-invocations adapters (lavapipe runs 8 invocations per CPU vector; a load whose
//    address is the same in every invocation hits one cache line, though llvmpipe still issues
//    it lane by lane — kernels-bench/README.md; barriers are expensive), as in matmul.wgsl: no
//    workgroup memory, no barrier.
//    fwd_b: an invocation owns 4 output channels (one vec4 of the packed filter per tap) × a run of
//      Q = 8 adjacent output pixels of one row; all invocations of a workgroup share the run, so
//      every X read is a broadcast. Per (input channel, filter row) the run's input span
//      S = (Q−1)·SW + (KW−1)·DW + 1 ≤ SMAX is loaded once (S broadcast loads; column masks are
//      precomputed, out-of-plane rows skipped) and reused by all KW taps: per (c, ky) S broadcast
//      loads, KW per-invocation vec4 loads, KW·Q vec4 FMAs into Q vec4 accumulators.
//      The stride-1 dgrad runs on fwd_b too: dX = conv(dY, W') with W' the transposed, 180°-rotated
//      filter (wpack flip=1) and padding d·(k−1) − p (may be negative; every tap is bounds-checked);
//      strided dgrad likewise, reading dY as if zero-interleaved (input dilation bp.idil: rows
//      between real rows skipped, columns between masked; nothing materialised).
//    fwd_f: fwd_b with runs over the flattened (n, oy, ox) order and per-pixel offsets, for output
//      maps narrower than Q, 1×1 filters and input-dilated (strided) dX, whose pixels it takes
//      class by class of (oy mod sh, ox mod sw) so that only taps on real dY values run (see its
//      comment below).
//    wpack: W → [groups][Cg·kh·kw][⌈Og/4⌉] vec4 of output channels, zero-padded (flip: W'); one
//      thread per packed row.
//    wgrad_b: an invocation owns 4 output channels; a workgroup owns one tap × CB = 8 input
//      channels × a chunk of output rows (split-K over rows, grid y; partials [splits, O, Cg, kh, kw]
//      summed on the host). The valid output range of the tap is computed once, so the pixel loop
//      has no bounds checks: per pixel 4 per-invocation loads of dY (read in place, NCHW), CB
//      broadcast X loads, CB vec4 FMAs.
//    Grid: fwd_b x/y = pixel runs (N·Ho·⌈Wo/Q⌉), z = group · channel blocks; wgrad_b x = tap ·
//    channel block, y = split, z = group · channel blocks. A channel block is WG invocations
//    (override; the host uses 8, one llvmpipe SIMD coroutine) of 4 output channels each. fwd_b's
//    KW, SW, DW are overrides (its span loops unroll); wgrad_b and wpack read them from the uniforms
//    (nothing of theirs unrolls over them, so one pipeline serves every filter shape and stride);
//    the fwd_b bias is a uniform flag (bp.has_bias).
//    Storage buffers: fwd_b and fwd_f 4 (packed W, X, Y, bias), wgrad_b 3 (dY, X, partials), wpack 2.
// 2. Implicit GEMM with workgroup-memory tiles (fwd, dgrad, wgrad) — fallback for spans wider than
//    SMAX (fwd, dgrad) and grids over the dispatch limit (wgrad):
//    fwd:   M = Og (out channels), N = batch·Ho·Wo (pixels), K = Cg·kh·kw.
//    dgrad: M = Cg, N = batch·H·W, K = Og·kh·kw.
//    wgrad: M = Og, N = Cg·kh·kw, K = batch·Ho·Wo, split over grid z into `splits` chunks of `kchunk`
//           (split-K); partial sums go to [splits, O, Cg·kh·kw] and the host sums them.
//    A workgroup of 64 invocations computes a 64×64 tile of the GEMM output; invocation
//    (tx = li % 8, ty = li / 8) owns an 8×8 register block: rows 8·ty..8·ty+7 and columns tx + 8j.
//    K advances in steps of 16; the A and B tiles (16×64 each) are staged as plain f32:
//    2 × 4 KiB = 8 KiB (fits the 16 KiB default). fwd/dgrad walk K as (tap, channel chunk of 16)
//    with the bounds check per tap; wgrad decodes the 16 pixels k of a step.
//    Grid: x/y = tiles, z = group (fwd, dgrad) or group·splits + split (wgrad). Out-of-range
//    rows/cols/k read 0 and writes are masked. Storage buffers: fwd 4 (W, X, Y, bias), dgrad 3, wgrad 3.
// Backward stores nothing extra: it reads X, W and dY.
// Limits: every tensor (and packed copy) < 2^32 elements; padding < 2^31.

override HAS_BIAS: bool = false;

struct Params {
  n: u32, c: u32, h: u32, w: u32,
  o: u32, ho: u32, wo: u32, groups: u32,
  kh: u32, kw: u32, sh: u32, sw: u32,
  ph: i32, pw: i32, dh: u32, dw: u32,
  tiles_n: u32, tiles: u32, kchunk: u32, splits: u32,
  k16: u32, _q0: u32, _q1: u32, _q2: u32,   // k16 = 16, the K step, as a uniform (see ROLLED)
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src_a: array<f32>;
@group(0) @binding(2) var<storage, read> src_b: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

var<workgroup> As: array<f32, 1024>;   // [k][m], 16 × 64
var<workgroup> Bs: array<f32, 1024>;   // [k][n], 16 × 64


// ROLLED (the host sets it on CPU-class adapters, src/runtime/loop-form.ts): the K-step loops of
// the implicit-GEMM kernels run to the uniform p.k16 instead of the constant 16, so llvmpipe keeps
// them rolled: ~4.5 s of CPU to compile each of fwd/dgrad/wgrad unrolled. GPUs unroll them.
override ROLLED: bool = false;
fn k16() -> u32 {
  if (ROLLED) { return p.k16; }
  return 16u;
}

/** acc[2i], acc[2i+1] += Σ_k A[k][8·ty+i] · B[k][tx+8j]. Constant indices keep acc in registers. */
fn mac(tx: u32, ty: u32, acc: ptr<function, array<vec4<f32>, 16>>) {
  for (var kk = 0u; kk < k16(); kk++) {
    let ab = kk * 64u + 8u * ty;
    let bb = kk * 64u + tx;
    let b0 = vec4<f32>(Bs[bb], Bs[bb + 8u], Bs[bb + 16u], Bs[bb + 24u]);
    let b1 = vec4<f32>(Bs[bb + 32u], Bs[bb + 40u], Bs[bb + 48u], Bs[bb + 56u]);
    var a = vec4<f32>(As[ab]);
    (*acc)[0] = fma(a, b0, (*acc)[0]); (*acc)[1] = fma(a, b1, (*acc)[1]);
    a = vec4<f32>(As[ab + 1u]);
    (*acc)[2] = fma(a, b0, (*acc)[2]); (*acc)[3] = fma(a, b1, (*acc)[3]);
    a = vec4<f32>(As[ab + 2u]);
    (*acc)[4] = fma(a, b0, (*acc)[4]); (*acc)[5] = fma(a, b1, (*acc)[5]);
    a = vec4<f32>(As[ab + 3u]);
    (*acc)[6] = fma(a, b0, (*acc)[6]); (*acc)[7] = fma(a, b1, (*acc)[7]);
    a = vec4<f32>(As[ab + 4u]);
    (*acc)[8] = fma(a, b0, (*acc)[8]); (*acc)[9] = fma(a, b1, (*acc)[9]);
    a = vec4<f32>(As[ab + 5u]);
    (*acc)[10] = fma(a, b0, (*acc)[10]); (*acc)[11] = fma(a, b1, (*acc)[11]);
    a = vec4<f32>(As[ab + 6u]);
    (*acc)[12] = fma(a, b0, (*acc)[12]); (*acc)[13] = fma(a, b1, (*acc)[13]);
    a = vec4<f32>(As[ab + 7u]);
    (*acc)[14] = fma(a, b0, (*acc)[14]); (*acc)[15] = fma(a, b1, (*acc)[15]);
  }
}

fn in_plane(y: i32, x: i32) -> bool {
  return y >= 0 && y < i32(p.h) && x >= 0 && x < i32(p.w);
}

/** Tile origin (m0, n0) of this workgroup, or x = 0xffffffff past the last tile. */
fn tile_origin(wid: vec3<u32>, nwg: vec3<u32>) -> vec2<u32> {
  let t = wid.x + wid.y * nwg.x;
  if (t >= p.tiles) { return vec2<u32>(0xffffffffu, 0u); }
  return vec2<u32>((t / p.tiles_n) * 64u, (t % p.tiles_n) * 64u);
}

/** Value j (< 8) of a block row held as two vec4. */
fn pick8(v0: vec4<f32>, v1: vec4<f32>, j: u32) -> f32 {
  if (j < 4u) { return v0[j]; }
  return v1[j - 4u];
}

@compute @workgroup_size(64)
fn fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let org = tile_origin(wid, nwg);
  if (org.x == 0xffffffffu) { return; }
  let m0 = org.x;
  let n0 = org.y;
  let g = wid.z;
  let cg = p.c / p.groups;
  let og = p.o / p.groups;
  let P = p.ho * p.wo;
  let HW = p.h * p.w;
  let KK = p.kh * p.kw;

  // B = im2col(X): column (output pixel) n0 + li. A = W as [Og, Cg·KK]: row (out channel) m0 + li.
  let col = n0 + li;
  let pp = col % P;
  let col_ok = col < p.n * P;
  let iy0 = i32((pp / p.wo) * p.sh) - p.ph;
  let ix0 = i32((pp % p.wo) * p.sw) - p.pw;
  let xbase = ((col / P) * p.c + g * cg) * HW;
  let row_ok = m0 + li < og;
  let wrow = (g * og + m0 + li) * cg * KK;

  var acc: array<vec4<f32>, 16>;
  for (var tap = 0u; tap < KK; tap++) {
    let iy = iy0 + i32((tap / p.kw) * p.dh);
    let ix = ix0 + i32((tap % p.kw) * p.dw);
    let inb = col_ok && in_plane(iy, ix);
    let xoff = xbase + u32(iy) * p.w + u32(ix);
    for (var c0 = 0u; c0 < cg; c0 += 16u) {
      for (var k = 0u; k < k16(); k++) {
        let c = c0 + k;
        var a = 0.0;
        var b = 0.0;
        if (row_ok && c < cg) { a = src_a[wrow + c * KK + tap]; }
        if (inb && c < cg) { b = src_b[xoff + c * HW]; }
        As[k * 64u + li] = a;
        Bs[k * 64u + li] = b;
      }
      workgroupBarrier();
      mac(li & 7u, li >> 3u, &acc);
      workgroupBarrier();
    }
  }

  let mr = m0 + 8u * (li >> 3u);
  let nc = n0 + (li & 7u);
  store_fwd(mr, nc, g, og, P, acc[0], acc[1]);
  store_fwd(mr + 1u, nc, g, og, P, acc[2], acc[3]);
  store_fwd(mr + 2u, nc, g, og, P, acc[4], acc[5]);
  store_fwd(mr + 3u, nc, g, og, P, acc[6], acc[7]);
  store_fwd(mr + 4u, nc, g, og, P, acc[8], acc[9]);
  store_fwd(mr + 5u, nc, g, og, P, acc[10], acc[11]);
  store_fwd(mr + 6u, nc, g, og, P, acc[12], acc[13]);
  store_fwd(mr + 7u, nc, g, og, P, acc[14], acc[15]);
}

/** Writes GEMM row m, columns c0 + 8j (+bias) to Y[n, g·Og+m, pixel]. */
fn store_fwd(m: u32, c0: u32, g: u32, og: u32, P: u32, v0: vec4<f32>, v1: vec4<f32>) {
  if (m >= og) { return; }
  let oc = g * og + m;
  var b = 0.0;
  if (HAS_BIAS) { b = bias[oc]; }
  for (var j = 0u; j < 8u; j++) {
    let cc = c0 + 8u * j;
    if (cc < p.n * P) { dst[((cc / P) * p.o + oc) * P + cc % P] = pick8(v0, v1, j) + b; }
  }
}

@compute @workgroup_size(64)
fn dgrad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let org = tile_origin(wid, nwg);
  if (org.x == 0xffffffffu) { return; }
  let m0 = org.x;
  let n0 = org.y;
  let g = wid.z;
  let cg = p.c / p.groups;
  let og = p.o / p.groups;
  let P = p.ho * p.wo;
  let HW = p.h * p.w;
  let KK = p.kh * p.kw;

  // B = scattered dY: column (input pixel) n0 + li. A = W viewed as [Cg, Og] per tap: row
  // (in channel) m0 + li.
  let col = n0 + li;
  let q = col % HW;
  let col_ok = col < p.n * HW;
  let iy = i32(q / p.w) + p.ph;
  let ix = i32(q % p.w) + p.pw;
  let ybase = ((col / HW) * p.o + g * og) * P;
  let row_ok = m0 + li < cg;
  let wcol = (g * og * cg + m0 + li) * KK;

  var acc: array<vec4<f32>, 16>;
  for (var tap = 0u; tap < KK; tap++) {
    let ty_ = iy - i32((tap / p.kw) * p.dh);
    let tx_ = ix - i32((tap % p.kw) * p.dw);
    let oy = u32(ty_) / p.sh;
    let ox = u32(tx_) / p.sw;
    let ok = col_ok && ty_ >= 0 && tx_ >= 0 && u32(ty_) % p.sh == 0u && u32(tx_) % p.sw == 0u && oy < p.ho && ox < p.wo;
    let yoff = ybase + oy * p.wo + ox;
    for (var o0 = 0u; o0 < og; o0 += 16u) {
      for (var k = 0u; k < k16(); k++) {
        let o = o0 + k;
        var a = 0.0;
        var b = 0.0;
        if (row_ok && o < og) { a = src_a[wcol + o * cg * KK + tap]; }
        if (ok && o < og) { b = src_b[yoff + o * P]; }
        As[k * 64u + li] = a;
        Bs[k * 64u + li] = b;
      }
      workgroupBarrier();
      mac(li & 7u, li >> 3u, &acc);
      workgroupBarrier();
    }
  }

  let mr = m0 + 8u * (li >> 3u);
  let nc = n0 + (li & 7u);
  store_dgrad(mr, nc, g, cg, HW, acc[0], acc[1]);
  store_dgrad(mr + 1u, nc, g, cg, HW, acc[2], acc[3]);
  store_dgrad(mr + 2u, nc, g, cg, HW, acc[4], acc[5]);
  store_dgrad(mr + 3u, nc, g, cg, HW, acc[6], acc[7]);
  store_dgrad(mr + 4u, nc, g, cg, HW, acc[8], acc[9]);
  store_dgrad(mr + 5u, nc, g, cg, HW, acc[10], acc[11]);
  store_dgrad(mr + 6u, nc, g, cg, HW, acc[12], acc[13]);
  store_dgrad(mr + 7u, nc, g, cg, HW, acc[14], acc[15]);
}

fn store_dgrad(m: u32, c0: u32, g: u32, cg: u32, HW: u32, v0: vec4<f32>, v1: vec4<f32>) {
  if (m >= cg) { return; }
  let ic = g * cg + m;
  for (var j = 0u; j < 8u; j++) {
    let cc = c0 + 8u * j;
    if (cc < p.n * HW) { dst[((cc / HW) * p.c + ic) * HW + cc % HW] = pick8(v0, v1, j); }
  }
}

@compute @workgroup_size(64)
fn wgrad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let org = tile_origin(wid, nwg);
  if (org.x == 0xffffffffu) { return; }
  let m0 = org.x;
  let n0 = org.y;
  let g = wid.z / p.splits;
  let s = wid.z % p.splits;
  let cg = p.c / p.groups;
  let og = p.o / p.groups;
  let P = p.ho * p.wo;
  let HW = p.h * p.w;
  let KK = p.kh * p.kw;
  let NJ = cg * KK;
  let kbeg = s * p.kchunk;
  let kend = min(kbeg + p.kchunk, p.n * P);

  // A = dY: row (out channel) m0 + li. B = im2col(X)ᵀ: column j = (c, ky, kx) = n0 + li.
  let row_ok = m0 + li < og;
  let yrow = (g * og + m0 + li) * P;
  let j = n0 + li;
  let tap = j % KK;
  let col_ok = j < NJ;
  let xcol = (g * cg + j / KK) * HW;
  let jy = i32((tap / p.kw) * p.dh) - p.ph;
  let jx = i32((tap % p.kw) * p.dw) - p.pw;

  var acc: array<vec4<f32>, 16>;
  for (var k0 = kbeg; k0 < kend; k0 += 16u) {
    for (var k = 0u; k < k16(); k++) {
      let kg = k0 + k;
      let nb = kg / P;
      let pp = kg % P;
      let iy = i32((pp / p.wo) * p.sh) + jy;
      let ix = i32((pp % p.wo) * p.sw) + jx;
      var a = 0.0;
      var b = 0.0;
      if (kg < kend && row_ok) { a = src_a[nb * p.o * P + yrow + pp]; }
      if (kg < kend && col_ok && in_plane(iy, ix)) { b = src_b[nb * p.c * HW + xcol + u32(iy) * p.w + u32(ix)]; }
      As[k * 64u + li] = a;
      Bs[k * 64u + li] = b;
    }
    workgroupBarrier();
    mac(li & 7u, li >> 3u, &acc);
    workgroupBarrier();
  }

  let row0 = (s * p.o + g * og) * NJ;
  let mr = m0 + 8u * (li >> 3u);
  let nc = n0 + (li & 7u);
  store_wgrad(mr, nc, og, NJ, row0, acc[0], acc[1]);
  store_wgrad(mr + 1u, nc, og, NJ, row0, acc[2], acc[3]);
  store_wgrad(mr + 2u, nc, og, NJ, row0, acc[4], acc[5]);
  store_wgrad(mr + 3u, nc, og, NJ, row0, acc[6], acc[7]);
  store_wgrad(mr + 4u, nc, og, NJ, row0, acc[8], acc[9]);
  store_wgrad(mr + 5u, nc, og, NJ, row0, acc[10], acc[11]);
  store_wgrad(mr + 6u, nc, og, NJ, row0, acc[12], acc[13]);
  store_wgrad(mr + 7u, nc, og, NJ, row0, acc[14], acc[15]);
}

fn store_wgrad(m: u32, c0: u32, og: u32, NJ: u32, row0: u32, v0: vec4<f32>, v1: vec4<f32>) {
  if (m >= og) { return; }
  for (var j = 0u; j < 8u; j++) {
    if (c0 + 8u * j < NJ) { dst[row0 + m * NJ + c0 + 8u * j] = pick8(v0, v1, j); }
  }
}

// ---- broadcast kernels (no workgroup memory, no barrier; see the header) ------------------------

override KW: u32 = 3u;
override SW: u32 = 1u;
override DW: u32 = 1u;
override WG: u32 = 64u;
const Q: u32 = 8u;      // output pixels per fwd_b run (host: RUN_Q); 16 measured the same
const SMAX: u32 = 32u;  // longest input span of a run (host: SPAN_MAX)

struct BParams {
  n: u32, c: u32, h: u32, w: u32,
  o: u32, ho: u32, wo: u32, groups: u32,
  kh: u32, sh: u32, dh: u32, og4: u32,
  ph: i32, pw: i32, cblocks: u32, runs: u32,
  flip: u32, total: u32, has_bias: u32, idil: u32,
  kw: u32, sw: u32, dw: u32,
  rpw: u32,   // fwd_b: pixel runs, wgrad_b: row groups per workgroup (> 1 when the output channels fill fewer than WG lanes)
};

@group(0) @binding(0) var<uniform> bp: BParams;
@group(0) @binding(1) var<storage, read> wsrc: array<f32>;
@group(0) @binding(2) var<storage, read_write> wdst: array<f32>;
@group(0) @binding(1) var<storage, read> wp: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> xin: array<f32>;

@compute @workgroup_size(64)
fn wpack(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  // One thread per packed row (group g, input channel i, tap): its og4·4 output channels are
  // written in a loop, so the decode (divisions, lane by lane on a CPU adapter) is paid once per
  // row instead of once per element (ARBEx-tiny: ~4 % of a training step before).
  let ci = bp.c / bp.groups;
  let co = bp.o / bp.groups;
  let KK = bp.kh * bp.kw;
  let rows = bp.groups * ci * KK;
  let r = flat_wg(wid, nwg) * 64u + li;
  if (r >= rows) { return; }
  let g = r / (ci * KK);
  let k = r % (ci * KK);
  let i = k / KK;
  let tap = k % KK;
  let row = bp.og4 * 4u;
  // W[g·co + j, i, tap] (flip: W'[…] = W[g·ci + i, j, KK − 1 − tap] of the [C, O/groups, kh, kw] view).
  var src = ((g * co) * ci + i) * KK + tap;
  var step = ci * KK;
  if (bp.flip != 0u) {
    src = ((g * ci + i) * co) * KK + KK - 1u - tap;
    step = KK;
  }
  for (var j = 0u; j < row; j++) {
    var v = 0.0;
    if (j < co) { v = wsrc[src + j * step]; }
    wdst[r * row + j] = v;
  }
}

/** A broadcast-kernel lane: its pixel run, group and output-channel slot (ok: it has work). */
struct RunLane { ok: bool, run: u32, g: u32, slot: u32 }

// With fewer vec4 slots of output channels than lanes (og4 < WG: ARBEx-tiny's 16-channel convs
// fill 4 of 8), the lanes split into rpw groups of og4, each on a pixel run of its own, instead of
// idling: lane li works on slot li % og4 of run (workgroup)·rpw + li / og4.
fn run_lane(wid: vec3<u32>, nwg: vec3<u32>, li: u32) -> RunLane {
  let lpr = select(WG, bp.og4, bp.rpw > 1u);
  let sub = li / lpr;
  let run = (wid.x + wid.y * nwg.x) * bp.rpw + sub;
  let slot = (wid.z % bp.cblocks) * lpr + li % lpr;
  return RunLane(sub < bp.rpw && run < bp.runs, run, wid.z / bp.cblocks, slot);
}

@compute @workgroup_size(WG)
fn fwd_b(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let ln = run_lane(wid, nwg, li);
  if (!ln.ok) { return; }
  let run = ln.run;
  let g = ln.g;
  let slot = ln.slot;
  let wslot = min(slot, bp.og4 - 1u);
  let qx = (bp.wo + Q - 1u) / Q;
  let nb = run / (bp.ho * qx);
  let rr = run % (bp.ho * qx);
  let oy = rr / qx;
  let ox0 = (rr % qx) * Q;
  let ci = bp.c / bp.groups;
  let co = bp.o / bp.groups;
  let HW = bp.h * bp.w;
  let KK = bp.kh * KW;
  let S = (Q - 1u) * SW + (KW - 1u) * DW + 1u;
  let ix0 = i32(ox0 * SW) - bp.pw;
  // Input dilation (strided dgrad): the kernel reads X as if zero-interleaved, X[iy, ix] at
  // (iy·dy, ix·dx) of a [h·dy, w·dx] plane, without materialising the zeros. Rows that fall
  // between real rows are skipped (uniform per workgroup); columns between are masked.
  let dily = max(bp.idil & 0xffffu, 1u);
  let dilx = max(bp.idil >> 16u, 1u);
  let vh = i32(bp.h * dily);
  let vw = i32(bp.w * dilx);
  // Column offsets and masks of the span (uniform; the same for every row and channel).
  var ixc: array<u32, SMAX>;
  var mk: array<f32, SMAX>;
  for (var s = 0u; s < S; s++) {
    let ix = ix0 + i32(s);
    let cx = clamp(ix, 0, vw - 1);
    ixc[s] = u32(cx) / dilx;
    mk[s] = select(0.0, 1.0, ix >= 0 && ix < vw && u32(cx) % dilx == 0u);
  }
  let xb = (nb * bp.c + g * ci) * HW;
  let wstep = KK * bp.og4;
  var acc: array<vec4<f32>, Q>;
  for (var ky = 0u; ky < bp.kh; ky++) {
    let iy = i32(oy * bp.sh + ky * bp.dh) - bp.ph;
    if (iy < 0 || iy >= vh || u32(iy) % dily != 0u) { continue; }
    var xo = xb + (u32(iy) / dily) * bp.w;
    var wo = g * ci * wstep + ky * KW * bp.og4 + wslot;
    for (var c = 0u; c < ci; c++) {
      var xs: array<f32, SMAX>;
      for (var s = 0u; s < S; s++) { xs[s] = xin[xo + ixc[s]] * mk[s]; }
      for (var kx = 0u; kx < KW; kx++) {
        let wv = wp[wo + kx * bp.og4];
        for (var qq = 0u; qq < Q; qq++) { acc[qq] = fma(vec4<f32>(xs[qq * SW + kx * DW]), wv, acc[qq]); }
      }
      xo += HW;
      wo += wstep;
    }
  }
  for (var j = 0u; j < 4u; j++) {
    let ol = slot * 4u + j;
    if (ol >= co) { continue; }
    let oc = g * co + ol;
    var bv = 0.0;
    if (bp.has_bias != 0u) { bv = bias[oc]; }
    let yb = ((nb * bp.o + oc) * bp.ho + oy) * bp.wo;
    for (var qq = 0u; qq < Q; qq++) {
      if (ox0 + qq < bp.wo) { dst[yb + ox0 + qq] = acc[qq][j] + bv; }
    }
  }
}

// fwd_f: fwd_b with runs that are not rows. A run is Q consecutive pixels of the flattened
// (n, oy, ox) order, so a 2×2 or 4×4 map fills all Q accumulators instead of Wo of them (fwd_b's
// rows of 2 pixels left 6 of 8 idle), and a run may span rows and images. Each pixel keeps its
// own input row and column offsets (uniform across the workgroup, so X reads stay broadcast): per
// (input channel, filter row) Q·kw broadcast loads and kw per-invocation vec4 weight loads for
// Q·kw vec4 FMAs. Filter rows up to KMAX taps; kw, strides and dilation are uniforms (the tap loop
// runs to KMAX behind a uniform guard, so array indices stay constant): one pipeline for all.
// With input dilation (the strided dX: dY read as if zero-interleaved by (dy, dx)) the output
// pixels are taken class by class of (oy mod dy, ox mod dx): within a class every pixel sees the
// same taps land on real rows and columns, so the others are skipped, not masked — fwd_b's
// input-dilated runs spent 3 of 4 FMAs at stride 2 on zeros. Classes are laid out one after the
// other, each rounded up to whole runs; a class's pixels are in (n, jy, jx) order with
// oy = py + dy·jy, ox = px + dx·jx.
// Pixel coordinates advance by increments, not divisions (llvmpipe expands each vector division
// lane by lane: ~200 of them here cost a second of JIT time on an empty shader cache).
const KMAX: u32 = 3u;   // host: FLAT_KW_MAX

@compute @workgroup_size(WG)
fn fwd_f(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let ln = run_lane(wid, nwg, li);
  if (!ln.ok) { return; }
  let g = ln.g;
  let slot = ln.slot;
  let wslot = min(slot, bp.og4 - 1u);
  let ci = bp.c / bp.groups;
  let co = bp.o / bp.groups;
  let HW = bp.h * bp.w;
  let P = bp.ho * bp.wo;
  let ih = i32(bp.h);
  let iw = i32(bp.w);
  let dily = max(bp.idil & 0xffffu, 1u);
  let dilx = max(bp.idil >> 16u, 1u);
  // The run's class (py, px), the class's size hc × wc per image, and the run's index in it.
  var r = ln.run;
  var py = 0u;
  var px = 0u;
  var hc = bp.ho;
  var wc = bp.wo;
  for (var k = 0u; k < dily * dilx; k++) {
    py = k / dilx;
    px = k % dilx;
    hc = (bp.ho - min(py, bp.ho) + dily - 1u) / dily;
    wc = (bp.wo - min(px, bp.wo) + dilx - 1u) / dilx;
    let runs_k = (bp.n * hc * wc + Q - 1u) / Q;
    if (r < runs_k) { break; }
    r -= runs_k;
  }
  let npix = bp.n * hc * wc;
  // Taps of a filter column kx fall on real input columns for this class or for none of it.
  var xoff: array<i32, KMAX>;
  var xok: array<bool, KMAX>;
  for (var kx = 0u; kx < KMAX; kx++) {
    let tx = i32(px) - bp.pw + i32(kx * bp.dw);
    xok[kx] = kx < bp.kw && tx % i32(dilx) == 0;
    xoff[kx] = tx / i32(dilx);
  }
  // Per pixel q: its image's first input channel (of this group), its first input row, its output
  // offset in channel 0, and per tap column kx the column read (clamped) and a mask (0 off the
  // plane). Pixels past the end repeat the last one and are not stored.
  var pb: array<u32, Q>;
  var py0: array<i32, Q>;
  var yo: array<u32, Q>;
  var col: array<u32, Q * KMAX>;
  var cm: array<f32, Q * KMAX>;
  let pix0 = min(r * Q, npix - 1u);
  var nb = pix0 / (hc * wc);
  var jy = (pix0 % (hc * wc)) / wc;
  var jx = pix0 % wc;
  for (var q = 0u; q < Q; q++) {
    pb[q] = (nb * bp.c + g * ci) * HW;
    py0[q] = i32(jy * bp.sh);
    yo[q] = (nb * bp.o + g * co) * P + (py + dily * jy) * bp.wo + px + dilx * jx;
    let x0 = i32(jx * bp.sw);
    for (var kx = 0u; kx < KMAX; kx++) {
      let ix = x0 + xoff[kx];
      col[q * KMAX + kx] = u32(clamp(ix, 0, iw - 1));
      cm[q * KMAX + kx] = select(0.0, 1.0, ix >= 0 && ix < iw);
    }
    // Next pixel in (n, jy, jx) order, staying on the last one past the end.
    if (r * Q + q + 1u < npix) {
      jx += 1u;
      if (jx == wc) { jx = 0u; jy += 1u; }
      if (jy == hc) { jy = 0u; nb += 1u; }
    }
  }
  let wstep = bp.kh * bp.kw * bp.og4;
  var acc: array<vec4<f32>, Q>;
  for (var ky = 0u; ky < bp.kh; ky++) {
    let ty = i32(py) - bp.ph + i32(ky * bp.dh);
    if (ty % i32(dily) != 0) { continue; }
    let yoff = ty / i32(dily);
    var at: array<u32, Q * KMAX>;   // per (q, kx): offset of the tap in the group's channel 0
    var m: array<f32, Q * KMAX>;
    for (var q = 0u; q < Q; q++) {
      let iy = py0[q] + yoff;
      let rok = iy >= 0 && iy < ih;
      let ro = pb[q] + u32(clamp(iy, 0, ih - 1)) * bp.w;
      for (var kx = 0u; kx < KMAX; kx++) {
        at[q * KMAX + kx] = ro + col[q * KMAX + kx];
        m[q * KMAX + kx] = select(0.0, cm[q * KMAX + kx], rok);
      }
    }
    var xo = 0u;
    var wo = g * ci * wstep + ky * bp.kw * bp.og4 + wslot;
    for (var c = 0u; c < ci; c++) {
      for (var kx = 0u; kx < KMAX; kx++) {
        if (xok[kx]) {
          let wv = wp[wo + kx * bp.og4];
          for (var q = 0u; q < Q; q++) {
            acc[q] = fma(vec4<f32>(xin[xo + at[q * KMAX + kx]] * m[q * KMAX + kx]), wv, acc[q]);
          }
        }
      }
      xo += HW;
      wo += wstep;
    }
  }
  let nq = min(Q, npix - r * Q);
  for (var j = 0u; j < 4u; j++) {
    let ol = slot * 4u + j;
    if (ol >= co) { continue; }
    var bv = 0.0;
    if (bp.has_bias != 0u) { bv = bias[g * co + ol]; }
    for (var q = 0u; q < Q; q++) {
      if (q < nq) { dst[yo[q] + ol * P] = acc[q][j] + bv; }
    }
  }
}

const CB: u32 = 16u; // @specialised (input channels per wgrad_b workgroup: 16, or 4 when the conv has ≤ 4)

@compute @workgroup_size(WG)
fn wgrad_b(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let ci = bp.c / bp.groups;
  let co = bp.o / bp.groups;
  let KK = bp.kh * bp.kw;
  let HW = bp.h * bp.w;
  let P = bp.ho * bp.wo;
  let tap = wid.x % KK;
  let c0 = (wid.x / KK) * CB;
  let g = wid.z / bp.cblocks;
  // As in fwd_b: with og4 < WG the lanes split into rpw groups of og4; group `sub` takes every
  // rpw-th row of the split's chunk and writes partial sums of its own (split wid.y·rpw + sub).
  let lpr = select(WG, bp.og4, bp.rpw > 1u);
  let sub = li / lpr;
  if (sub >= bp.rpw) { return; }
  let slot = (wid.z % bp.cblocks) * lpr + li % lpr;
  let ky = tap / bp.kw;
  let kx = tap % bp.kw;
  // Output range whose input tap lies inside the plane: iy = oy·sh + offy, ix = ox·sw + offx.
  let offy = i32(ky * bp.dh) - bp.ph;
  let offx = i32(kx * bp.dw) - bp.pw;
  let oy_lo = u32(max(0, (-offy + i32(bp.sh) - 1) / i32(bp.sh)));
  let oy_hi = u32(clamp((i32(bp.h) - offy + i32(bp.sh) - 1) / i32(bp.sh), 0, i32(bp.ho)));
  let ox_lo = u32(max(0, (-offx + i32(bp.sw) - 1) / i32(bp.sw)));
  let ox_hi = u32(clamp((i32(bp.w) - offx + i32(bp.sw) - 1) / i32(bp.sw), 0, i32(bp.wo)));
  var xoff: array<u32, CB>;
  for (var cc = 0u; cc < CB; cc++) { xoff[cc] = min(c0 + cc, ci - 1u) * HW; }
  // dY is read in place (NCHW): the invocation's 4 output channels of a pixel are P apart. A
  // software adapter loads each lane's scalars one by one whatever the layout, so a packed vec4
  // copy of dY (the former ypack pass) bought nothing and cost a pass over dY.
  let ol0 = min(slot * 4u, co - 1u);
  let yoff = vec4<u32>(ol0, min(ol0 + 1u, co - 1u), min(ol0 + 2u, co - 1u), min(ol0 + 3u, co - 1u)) * P;
  let r0 = wid.y * bp.runs;
  let r1 = min(r0 + bp.runs, bp.n * bp.ho);
  var acc: array<vec4<f32>, CB>;
  for (var r = r0 + sub; r < r1; r += bp.rpw) {
    let nb = r / bp.ho;
    let oy = r % bp.ho;
    if (oy < oy_lo || oy >= oy_hi) { continue; }
    let xrow = (nb * bp.c + g * ci) * HW + u32(i32(oy * bp.sh) + offy) * bp.w;
    let yrow = (nb * bp.o + g * co) * P + oy * bp.wo;
    for (var ox = ox_lo; ox < ox_hi; ox++) {
      let ya = yrow + ox;
      let dyv = vec4<f32>(wsrc[ya + yoff.x], wsrc[ya + yoff.y], wsrc[ya + yoff.z], wsrc[ya + yoff.w]);
      let xa = xrow + u32(i32(ox * bp.sw) + offx);
      for (var cc = 0u; cc < CB; cc++) { acc[cc] = fma(vec4<f32>(xin[xa + xoff[cc]]), dyv, acc[cc]); }
    }
  }
  let ob = (wid.y * bp.rpw + sub) * bp.o;
  for (var j = 0u; j < 4u; j++) {
    let ol = slot * 4u + j;
    if (ol >= co) { continue; }
    for (var cc = 0u; cc < CB; cc++) {
      if (c0 + cc < ci) { dst[((ob + g * co + ol) * ci + c0 + cc) * KK + tap] = acc[cc][j]; }
    }
  }
}
