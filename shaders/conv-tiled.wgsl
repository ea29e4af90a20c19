// conv-tiled.wgsl — GPU-class implicit-GEMM 2-D convolution (NCHW, f32): forward, data gradient
// and weight gradient in one entry (`gemm`, override MODE). Sibling of conv.wgsl (today's kernels,
// tuned for CPU adapters); the host (src/ops/conv-tiled.ts) swaps them on the tuner's word.
//
//   MODE 0 fwd:   Y[n, g·Og+m, p]  = Σ_k A(m, k)·B(k, p) + bias;  M = Og, N = batch·Ho·Wo, K = Cg·kh·kw
//                 A(m, k) = W[g·Og+m, c, tap] with k = c·kh·kw + tap (contiguous in W);
//                 B(k, p) = X[n, g·Cg+c, oy·sh−ph+ky·dh, ox·sw−pw+kx·dw] (0 outside the plane).
//   MODE 1 dgrad: dX[n, g·Cg+m, q] = Σ_k A(m, k)·B(k, q);        M = Cg, N = batch·H·W,  K = Og·kh·kw
//                 A(m, k) = W[g·Og+o, m, tap] with k = o·kh·kw + tap;
//                 B(k, q) = dY[n, g·Og+o, oy, ox] where oy·sh = iy+ph−ky·dh (an in-range integer,
//                 else 0), likewise ox.
//   MODE 2 wgrad: part[s, g·Og+m, j] = Σ_{k in split s} A(m, k)·B(k, j); M = Og, N = Cg·kh·kw,
//                 K = batch·Ho·Wo (output pixels), split into `splits` chunks of `kchunk` (grid z =
//                 g·splits + s; the host sums the partials), A(m, k) = dY[n, g·Og+m, p],
//                 B(k, j) = X[n, g·Cg+c, …] at tap j.
// Tiling (as matmul-tiled.wgsl's tile64): 256 invocations (16 × 16) per 64 × 64 output tile, a 4 × 4
// register block each; K in steps of 16 with the A and B tiles staged in workgroup memory as vec4
// (2 × 4 KiB = 8 KiB); each invocation loads 4 elements of each tile per step. Loads are ordered
// along the operand's contiguous axis: A along k in every mode (W rows, dY pixel runs), B along
// pixels in fwd/dgrad and along k (pixels) in wgrad, so neighbouring invocations read
// neighbouring addresses. Out-of-range rows/columns/k load 0; stores are masked.
// Grid: x = column tiles, y = row tiles, z = groups (× splits for wgrad).
// Storage buffers: 4 (src_a, src_b, dst, bias). Backward stores nothing extra.
// Limits: 256 invocations, 8 KiB workgroup memory; tensors < 2^32 elements; ⌈N/64⌉, ⌈M/64⌉ and
// groups·splits ≤ maxComputeWorkgroupsPerDimension.

// JIT cost on software adapters: with ROLLED (set by the host on CPU-class adapters) the staging,
// k-step and store loops run to uniform bounds (p.loads = 4, p.bk = 16), so llvmpipe keeps them
// rolled (unrolled, a pipeline took 6–7 s of CPU to compile). GPUs get constant bounds (unrolled).

override MODE: u32 = 0u;
override HAS_BIAS: bool = false;
override ROLLED: bool = false;

struct Params {
  n: u32, c: u32, h: u32, w: u32,
  o: u32, ho: u32, wo: u32, groups: u32,
  kh: u32, kw: u32, sh: u32, sw: u32,
  ph: i32, pw: i32, dh: u32, dw: u32,
  gm: u32, gn: u32, gk: u32, kchunk: u32,
  splits: u32,
  loads: u32,   // 4: tile elements one invocation stages, rows and columns it stores (bound under ROLLED)
  bk: u32,      // 16: k per step (bound under ROLLED)
  _pad2: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src_a: array<f32>;   // fwd, dgrad: W; wgrad: dY
@group(0) @binding(2) var<storage, read> src_b: array<f32>;   // fwd, wgrad: X; dgrad: dY
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

var<workgroup> As: array<vec4<f32>, 256>;   // [k][m / 4], 16 × 64
var<workgroup> Bs: array<vec4<f32>, 256>;   // [k][n / 4], 16 × 64

fn x_at(img: u32, ch: u32, y: i32, x: i32) -> f32 {
  if (y < 0 || x < 0 || y >= i32(p.h) || x >= i32(p.w)) { return 0.0; }
  return src_b[((img * p.c + ch) * p.h + u32(y)) * p.w + u32(x)];
}

/** A(m, k) of group g (m < gm and k < k_end checked by the caller's mask). */
fn a_at(g: u32, m: u32, k: u32) -> f32 {
  let cg = p.c / p.groups;
  let og = p.o / p.groups;
  let KK = p.kh * p.kw;
  if (MODE == 0u) { return src_a[(g * og + m) * cg * KK + k]; }
  if (MODE == 1u) { return src_a[((g * og + k / KK) * cg + m) * KK + k % KK]; }
  let P = p.ho * p.wo;
  return src_a[((k / P) * p.o + g * og + m) * P + k % P];
}

/** B(k, n) of group g. */
fn b_at(g: u32, k: u32, n: u32) -> f32 {
  let cg = p.c / p.groups;
  let og = p.o / p.groups;
  let KK = p.kh * p.kw;
  if (MODE == 0u) {
    let P = p.ho * p.wo;
    let pp = n % P;
    let tap = k % KK;
    let iy = i32((pp / p.wo) * p.sh + (tap / p.kw) * p.dh) - p.ph;
    let ix = i32((pp % p.wo) * p.sw + (tap % p.kw) * p.dw) - p.pw;
    return x_at(n / P, g * cg + k / KK, iy, ix);
  }
  if (MODE == 1u) {
    let HW = p.h * p.w;
    let q = n % HW;
    let tap = k % KK;
    let ty = i32(q / p.w) + p.ph - i32((tap / p.kw) * p.dh);
    let tx = i32(q % p.w) + p.pw - i32((tap % p.kw) * p.dw);
    if (ty < 0 || tx < 0) { return 0.0; }
    let oy = u32(ty) / p.sh;
    let ox = u32(tx) / p.sw;
    if (oy * p.sh != u32(ty) || ox * p.sw != u32(tx) || oy >= p.ho || ox >= p.wo) { return 0.0; }
    return src_b[(((n / HW) * p.o + g * og + k / KK) * p.ho + oy) * p.wo + ox];
  }
  let P = p.ho * p.wo;
  let pp = k % P;
  let tap = n % KK;
  let iy = i32((pp / p.wo) * p.sh + (tap / p.kw) * p.dh) - p.ph;
  let ix = i32((pp % p.wo) * p.sw + (tap % p.kw) * p.dw) - p.pw;
  return x_at(k / P, g * cg + n / KK, iy, ix);
}

fn store(g: u32, split: u32, m: u32, n: u32, v: f32) {
  if (m >= p.gm || n >= p.gn) { return; }
  if (MODE == 0u) {
    let og = p.o / p.groups;
    let P = p.ho * p.wo;
    var b = 0.0;
    if (HAS_BIAS) { b = bias[g * og + m]; }
    dst[((n / P) * p.o + g * og + m) * P + n % P] = v + b;
  } else if (MODE == 1u) {
    let HW = p.h * p.w;
    dst[((n / HW) * p.c + g * p.gm + m) * HW + n % HW] = v;
  } else {
    dst[(split * p.o + g * p.gm + m) * p.gn + n] = v;
  }
}

@compute @workgroup_size(256)
fn gemm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let tx = li % 16u;
  let ty = li / 16u;
  let m0 = wid.y * 64u;
  let n0 = wid.x * 64u;
  var g = wid.z;
  var split = 0u;
  var k_begin = 0u;
  var k_end = p.gk;
  if (MODE == 2u) {
    g = wid.z / p.splits;
    split = wid.z % p.splits;
    k_begin = split * p.kchunk;
    k_end = min(p.gk, k_begin + p.kchunk);
  }
  var loads = 4u;
  var steps = 16u;
  if (ROLLED) { loads = p.loads; steps = p.bk; }
  var acc: array<vec4<f32>, 4>;
  for (var i = 0u; i < 4u; i++) { acc[i] = vec4<f32>(0.0); }
  for (var k0 = k_begin; k0 < k_end; k0 += 16u) {
    for (var r = 0u; r < loads; r++) {
      let e = r * 256u + li;
      // A: k fastest (16 per row of the tile).
      let ka = e % 16u;
      let ma = e / 16u;
      var av = 0.0;
      if (m0 + ma < p.gm && k0 + ka < k_end) { av = a_at(g, m0 + ma, k0 + ka); }
      As[ka * 16u + ma / 4u][ma % 4u] = av;
      // B: columns fastest in fwd/dgrad (pixels), k fastest in wgrad (pixels).
      var kb: u32; var nb: u32;
      if (MODE == 2u) { kb = e % 16u; nb = e / 16u; } else { nb = e % 64u; kb = e / 64u; }
      var bv = 0.0;
      if (n0 + nb < p.gn && k0 + kb < k_end) { bv = b_at(g, k0 + kb, n0 + nb); }
      Bs[kb * 16u + nb / 4u][nb % 4u] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < steps; kk++) {
      let a4 = As[kk * 16u + ty];
      let b4 = Bs[kk * 16u + tx];
      acc[0] = fma(vec4<f32>(a4.x), b4, acc[0]);
      acc[1] = fma(vec4<f32>(a4.y), b4, acc[1]);
      acc[2] = fma(vec4<f32>(a4.z), b4, acc[2]);
      acc[3] = fma(vec4<f32>(a4.w), b4, acc[3]);
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < loads; i++) {
    for (var j = 0u; j < loads; j++) { store(g, split, m0 + 4u * ty + i, n0 + 4u * tx + j, acc[i][j]); }
  }
}
