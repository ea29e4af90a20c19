// depthwise.wgsl — depthwise 2-D convolution (groups == C == O, NCHW, f32), forward and both
// backward passes. Each channel has its own kh×kw filter W[c, 0, ky, kx].
//
// Register-blocked kernels (the default; no workgroup memory, no barrier):
//   fwd_t:   an invocation owns a 4-wide × T-tall (T = 4) block of outputs of one plane (64 lanes
//            over the (plane, block) pairs in order; the plane's taps go to registers). The block's
//            input rows are read once each as a span of S = 3·SW + (KW−1)·DW + 1 ≤ SMAX values
//            (masked at the plane's edges) and every (row, tap) pair that uses a row is applied
//            from registers: for 3×3 s1, 36 per-invocation loads and 36 vec4 FMAs per 16 outputs
//            (the previous kernel, 4 outputs per thread: 36 loads per 4 outputs).
//            p.flip rotates the filter by 180°: the dgrad is fwd_t on dY (read through an
//            input-dilated view when strided: p.idil, nothing materialised) with padding
//            d·(k−1) − p. KH, KW, SH, SW, DH, DW are overrides so the row/tap loops unroll.
//   wgrad_t: same blocking; an invocation accumulates Σ dY·X of its block for every tap (kh·kw ≤ 25
//            vec4 accumulators) and writes per-block partials [N·blocks, C, kh·kw], summed on the
//            host (replaces a barrier tree per (channel, tap) workgroup: 60 ms → 1 ms at 128×28×28).
//   Tried: T = 8 (2× slower: spills), T = 2 (same as 4), whole-vec4 row reads when W % 4 == 0
//   (no faster: the loads are not what limits fwd_t).
// Fallbacks (spans wider than SMAX, > 25 taps wgrad):
//   fwd:   one thread per 4 adjacent outputs of a row: Y[n,c,oy,ox] = Σ_{ky,kx} W[c,ky,kx]·X[n,c,oy·sh−ph+ky·dh, ..] (+bias[c]).
//   dgrad: one thread per input element (gather, no atomics): dX[n,c,iy,ix] = Σ_taps W·dY[n,c,oy,ox]
//          over taps whose (iy+ph−ky·dh)/sh is an in-range integer.
//   wgrad: one workgroup of 256 threads per (c, tap): dW[c,tap] = Σ_{n,oy,ox} dY·X, a strided
//          per-thread sum then a tree reduction in workgroup memory (1 KiB).
// Nothing is stored for backward beyond X and W. 1-D launches are split over x and y (flat_wg).
// Storage buffers per entry: fwd/fwd_t 4 (X, W, Y, bias), dgrad 3, wgrad/wgrad_t 3.
// Limits: tensors < 2^32 elements.

struct Params {
  n: u32, c: u32, h: u32, w: u32,
  ho: u32, wo: u32, kh: u32, kw: u32,
  sh: u32, sw: u32, ph: i32, pw: i32,
  dh: u32, dw: u32, has_bias: u32, idil: u32,
  flip: u32,
  lpp: u32,   // wgrad_t: lanes per plane (WG, or fewer when a plane has fewer blocks)
  ppw: u32,   // wgrad_t: planes per workgroup (WG / lpp; 1 when a plane fills a workgroup or more)
  _p2: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;      // fwd: X; dgrad: dY; wgrad: dY
@group(0) @binding(2) var<storage, read> aux: array<f32>;      // fwd, dgrad: W; wgrad: X
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

var<workgroup> red: array<f32, 256>;

/** X[row + ix] for output column ox at tap offset kxo, or 0 outside the plane / past Wo. */
fn xat(row: u32, ox: u32, kxo: i32) -> f32 {
  let ix = i32(ox * p.sw) + kxo;
  if (ox >= p.wo || ix < 0 || ix >= i32(p.w)) { return 0.0; }
  return src[row + u32(ix)];
}

@compute @workgroup_size(256)
fn fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  // Each invocation computes 4 horizontally adjacent outputs: the index decode and the weight
  // loads are shared by the four.
  let i = flat_wg(wid, nwg) * 256u + li;
  let wq = (p.wo + 3u) / 4u;
  let Q = p.ho * wq;
  if (i >= p.n * p.c * Q) { return; }
  let plane = i / Q;
  let c = plane % p.c;
  let oy = (i % Q) / wq;
  let ox = ((i % Q) % wq) * 4u;
  let iy0 = i32(oy * p.sh) - p.ph;
  let xb = plane * p.h * p.w;
  let wb = c * p.kh * p.kw;
  var acc = vec4<f32>(0.0);
  for (var ky = 0u; ky < p.kh; ky++) {
    let iy = iy0 + i32(ky * p.dh);
    if (iy < 0 || iy >= i32(p.h)) { continue; }
    let row = xb + u32(iy) * p.w;
    for (var kx = 0u; kx < p.kw; kx++) {
      let kxo = i32(kx * p.dw) - p.pw;
      let wv = aux[wb + ky * p.kw + kx];
      acc = fma(vec4<f32>(wv), vec4<f32>(xat(row, ox, kxo), xat(row, ox + 1u, kxo), xat(row, ox + 2u, kxo), xat(row, ox + 3u, kxo)), acc);
    }
  }
  if (p.has_bias != 0u) { acc = acc + vec4<f32>(bias[c]); }
  let ob = plane * p.ho * p.wo + oy * p.wo + ox;
  dst[ob] = acc.x;
  if (ox + 1u < p.wo) { dst[ob + 1u] = acc.y; }
  if (ox + 2u < p.wo) { dst[ob + 2u] = acc.z; }
  if (ox + 3u < p.wo) { dst[ob + 3u] = acc.w; }
}

@compute @workgroup_size(256)
fn dgrad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  let HW = p.h * p.w;
  if (i >= p.n * p.c * HW) { return; }
  let plane = i / HW;
  let c = plane % p.c;
  let q = i % HW;
  let iy = i32(q / p.w) + p.ph;
  let ix = i32(q % p.w) + p.pw;
  let yb = plane * p.ho * p.wo;
  let wb = c * p.kh * p.kw;
  var acc = 0.0;
  for (var ky = 0u; ky < p.kh; ky++) {
    let ty = iy - i32(ky * p.dh);
    if (ty < 0 || u32(ty) % p.sh != 0u || u32(ty) / p.sh >= p.ho) { continue; }
    let oy = u32(ty) / p.sh;
    for (var kx = 0u; kx < p.kw; kx++) {
      let tx = ix - i32(kx * p.dw);
      if (tx < 0 || u32(tx) % p.sw != 0u || u32(tx) / p.sw >= p.wo) { continue; }
      acc = fma(aux[wb + ky * p.kw + kx], src[yb + oy * p.wo + u32(tx) / p.sw], acc);
    }
  }
  dst[i] = acc;
}

@compute @workgroup_size(256)
fn wgrad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let KK = p.kh * p.kw;
  let id = flat_wg(wid, nwg);
  if (id >= p.c * KK) { return; }   // uniform per workgroup
  let c = id / KK;
  let tap = id % KK;
  let oyo = i32((tap / p.kw) * p.dh) - p.ph;
  let oxo = i32((tap % p.kw) * p.dw) - p.pw;
  let P = p.ho * p.wo;
  let HW = p.h * p.w;
  var acc = 0.0;
  for (var e = li; e < p.n * P; e += 256u) {
    let nb = e / P;
    let pp = e % P;
    let iy = i32((pp / p.wo) * p.sh) + oyo;
    let ix = i32((pp % p.wo) * p.sw) + oxo;
    if (iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w)) {
      let plane = nb * p.c + c;
      acc = fma(src[plane * P + pp], aux[plane * HW + u32(iy) * p.w + u32(ix)], acc);
    }
  }
  red[li] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (li < s) { red[li] = red[li] + red[li + s]; }
    workgroupBarrier();
  }
  if (li == 0u) { dst[id] = red[0]; }
}

// ---- register-blocked forward (fwd_t) ---------------------------------------------------------

override KH: u32 = 3u;
override KW: u32 = 3u;
override SH: u32 = 1u;
override SW: u32 = 1u;
override DH: u32 = 1u;
override DW: u32 = 1u;
override WG: u32 = 64u;
const T: u32 = 4u;      // output rows per invocation (host: DW_T)
const SMAX: u32 = 16u;  // longest input row span (host: DW_SPAN_MAX)
const KKMAX: u32 = 25u; // most taps fwd_t holds and wgrad_t accumulates (host: DW_KK_MAX)

@compute @workgroup_size(WG)
fn fwd_t(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let bw = (p.wo + 3u) / 4u;
  let blocks = bw * ((p.ho + T - 1u) / T);
  // Invocations run over the (plane, block) pairs in order, so no lane idles at the end of a plane
  // (28×28: 49 blocks per plane filled 49 of 64 lanes when a workgroup kept to one plane); the
  // taps are per-invocation loads anyway, so a workgroup may span planes.
  let idx = flat_wg(wid, nwg) * WG + li;
  let plane = idx / blocks;
  let blk = idx % blocks;
  if (plane >= p.n * p.c) { return; }
  let c = plane % p.c;
  let oy0 = (blk / bw) * T;
  let ox0 = (blk % bw) * 4u;
  let S = 3u * SW + (KW - 1u) * DW + 1u;
  let R = (T - 1u) * SH + (KH - 1u) * DH + 1u;
  let KK = KH * KW;
  let ix0 = i32(ox0 * SW) - p.pw;
  let iy0 = i32(oy0 * SH) - p.ph;
  // Input dilation (the strided dgrad): src is read as if zero-interleaved, src[iy, ix] at
  // (iy·dy, ix·dx) of an [h·dy, w·dx] plane, without materialising the zeros.
  let dily = max(p.idil & 0xffffu, 1u);
  let dilx = max(p.idil >> 16u, 1u);
  let vh = i32(p.h * dily);
  let vw = i32(p.w * dilx);
  var ixc: array<u32, SMAX>;
  var cok: array<bool, SMAX>;
  for (var s = 0u; s < S; s++) {
    let ix = ix0 + i32(s);
    let cx = clamp(ix, 0, vw - 1);
    ixc[s] = u32(cx) / dilx;
    cok[s] = ix >= 0 && ix < vw && u32(cx) % dilx == 0u;
  }
  let xb = plane * p.h * p.w;
  let wb = c * KK;
  // The plane's taps, loaded once (each is used by T output rows). p.flip (a uniform, not an
  // override: the forward and the dgrad share the pipeline) picks the 180°-rotated order.
  var wr: array<f32, KKMAX>;
  for (var tap = 0u; tap < KK; tap++) { wr[tap] = aux[wb + select(tap, KK - 1u - tap, p.flip != 0u)]; }
  var acc: array<vec4<f32>, T>;
  for (var r = 0u; r < R; r++) {
    let iy = iy0 + i32(r);
    let cy = clamp(iy, 0, vh - 1);
    let rok = iy >= 0 && iy < vh && u32(cy) % dily == 0u;
    let rb = xb + (u32(cy) / dily) * p.w;
    var xs: array<f32, SMAX>;
    for (var s = 0u; s < S; s++) { xs[s] = select(0.0, src[rb + ixc[s]], rok && cok[s]); }
    for (var t = 0u; t < T; t++) {
      for (var ky = 0u; ky < KH; ky++) {
        if (t * SH + ky * DH != r) { continue; }
        for (var kx = 0u; kx < KW; kx++) {
          let wv = wr[ky * KW + kx];
          let o = kx * DW;
          acc[t] = fma(vec4<f32>(wv), vec4<f32>(xs[o], xs[o + SW], xs[o + 2u * SW], xs[o + 3u * SW]), acc[t]);
        }
      }
    }
  }
  var bv = 0.0;
  if (p.has_bias != 0u) { bv = bias[c]; }
  for (var t = 0u; t < T; t++) {
    let oy = oy0 + t;
    if (oy >= p.ho) { break; }
    let ob = (plane * p.ho + oy) * p.wo + ox0;
    for (var e = 0u; e < 4u; e++) {
      if (ox0 + e < p.wo) { dst[ob + e] = acc[t][e] + bv; }
    }
  }
}


@compute @workgroup_size(WG)
fn wgrad_t(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let bw = (p.wo + 3u) / 4u;
  let blocks = bw * ((p.ho + T - 1u) / T);
  let wpp = (blocks + WG - 1u) / WG;
  let wgi = flat_wg(wid, nwg);
  // A plane with fewer blocks than lanes (8×8 maps: 4) shares its workgroup with ppw − 1 others.
  let plane = (wgi / wpp) * p.ppw + li / p.lpp;
  let blk = (wgi % wpp) * WG + li % p.lpp;
  if (plane >= p.n * p.c || blk >= blocks) { return; }
  let c = plane % p.c;
  let oy0 = (blk / bw) * T;
  let ox0 = (blk % bw) * 4u;
  let S = 3u * SW + (KW - 1u) * DW + 1u;
  let R = (T - 1u) * SH + (KH - 1u) * DH + 1u;
  let ix0 = i32(ox0 * SW) - p.pw;
  let iy0 = i32(oy0 * SH) - p.ph;
  var ixc: array<u32, SMAX>;
  var cok: array<bool, SMAX>;
  for (var s = 0u; s < S; s++) {
    let ix = ix0 + i32(s);
    ixc[s] = u32(clamp(ix, 0, i32(p.w) - 1));
    cok[s] = ix >= 0 && ix < i32(p.w);
  }
  // dY of the block, zero outside the output plane (those lanes then add nothing).
  var dyv: array<vec4<f32>, T>;
  let yb = plane * p.ho * p.wo;
  for (var t = 0u; t < T; t++) {
    let oy = min(oy0 + t, p.ho - 1u);
    for (var e = 0u; e < 4u; e++) {
      let ok = oy0 + t < p.ho && ox0 + e < p.wo;
      dyv[t][e] = select(0.0, src[yb + oy * p.wo + min(ox0 + e, p.wo - 1u)], ok);
    }
  }
  let xb = plane * p.h * p.w;
  var acc: array<vec4<f32>, KKMAX>;
  for (var r = 0u; r < R; r++) {
    let iy = iy0 + i32(r);
    let rok = iy >= 0 && iy < i32(p.h);
    let rb = xb + u32(clamp(iy, 0, i32(p.h) - 1)) * p.w;
    var xs: array<f32, SMAX>;
    for (var s = 0u; s < S; s++) { xs[s] = select(0.0, aux[rb + ixc[s]], rok && cok[s]); }
    for (var t = 0u; t < T; t++) {
      for (var ky = 0u; ky < KH; ky++) {
        if (t * SH + ky * DH != r) { continue; }
        for (var kx = 0u; kx < KW; kx++) {
          let o = kx * DW;
          let tap = ky * KW + kx;
          acc[tap] = fma(dyv[t], vec4<f32>(xs[o], xs[o + SW], xs[o + 2u * SW], xs[o + 3u * SW]), acc[tap]);
        }
      }
    }
  }
  // Partial sums of this block: part[(n·blocks + blk), c, tap]; the host sums over the first axis.
  let KK = KH * KW;
  let ob = (((plane / p.c) * blocks + blk) * p.c + c) * KK;
  for (var tap = 0u; tap < KK; tap++) { dst[ob + tap] = dot(acc[tap], vec4<f32>(1.0)); }
}
