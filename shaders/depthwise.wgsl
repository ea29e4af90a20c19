// depthwise.wgsl — depthwise 2-D convolution (groups == C == O, NCHW, f32), forward and both
// backward passes. Each channel has its own kh×kw filter W[c, 0, ky, kx].
//
//   fwd:   one thread per 4 adjacent outputs of a row: Y[n,c,oy,ox] = Σ_{ky,kx} W[c,ky,kx]·X[n,c,oy·sh−ph+ky·dh, ..] (+bias[c]).
//   dgrad: one thread per input element (gather, no atomics): dX[n,c,iy,ix] = Σ_taps W·dY[n,c,oy,ox]
//          over taps whose (iy+ph−ky·dh)/sh is an in-range integer.
//   wgrad: one workgroup of 256 threads per (c, tap): dW[c,tap] = Σ_{n,oy,ox} dY·X, a strided
//          per-thread sum then a tree reduction in workgroup memory (1 KiB).
// Nothing is stored for backward beyond X and W. 1-D launches are split over x and y (flat_wg).
// Storage buffers per entry: fwd 4 (X, W, Y, bias), dgrad 3, wgrad 3.
// Limits: tensors < 2^32 elements.

override HAS_BIAS: bool = false;

struct Params {
  n: u32, c: u32, h: u32, w: u32,
  ho: u32, wo: u32, kh: u32, kw: u32,
  sh: u32, sw: u32, ph: i32, pw: i32,
  dh: u32, dw: u32, _p0: u32, _p1: u32,
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
  if (HAS_BIAS) { acc = acc + vec4<f32>(bias[c]); }
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
