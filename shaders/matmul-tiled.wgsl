// matmul-tiled.wgsl — GPU-class batched C[b] = op(A[b]) · op(B[b]) (+ bias), f32. Sibling of
// matmul.wgsl (the CPU-adapter kernel); same operands, strides, batch and epilogue, so the host
// (src/ops/matmul.ts) swaps one for the other on the tuner's word (src/runtime/tuner.ts).
//
// Written for GPUs: workgroup-memory tiles, coalesced global loads, register tiles.
//   tile64:  a workgroup of 256 invocations (16 × 16) computes a 64 × 64 tile of C; invocation
//            (tx, ty) owns a 4 × 4 register block (rows 4·ty.., columns 4·tx..).
//   tile128: 256 invocations compute a 128 × 128 tile; each owns 8 × 8 (rows 4·ty.. and
//            64 + 4·ty.., columns likewise), so every shared-memory vec4 read feeds 4 FMAs per
//            value instead of 1 (more arithmetic per byte; for large M, N).
// K advances in steps of BK (16 for tile64, 8 for tile128): the A tile [BK][BM] and B tile [BK][BN]
// are staged in workgroup memory as vec4 (2 × 4 KiB = 8 KiB in both entries, within the 16 KiB
// default and compatibility mode), each invocation loading 4 elements of each; then one barrier,
// BK rank-1 updates from workgroup memory, and a second barrier.
// Coalescing: the load order follows the operand's contiguous axis, picked by overrides
// A_KMAJOR (A contiguous along k: sak = 1, i.e. not transposed) and B_NMAJOR (B contiguous along
// n: sbn = 1), so neighbouring invocations always read neighbouring addresses.
// Operands by strides (transposes free): A(m, k) = a[offA + m·sam + k·sak],
// B(k, n) = b[offB + k·sbk + n·sbn]. Out-of-range rows/columns/k load 0 and stores are masked, so
// any M, N, K (1, primes) is correct; K = 0 writes zeros (+ bias).
// Grid: x = column tiles, y = row tiles, z = batch (a batch stride of 0 broadcasts that operand).
// Epilogue: HAS_BIAS adds bias[n]. Storage buffers: 4 (a, b, c, bias).
// Limits: 256 invocations and 8 KiB of workgroup memory per workgroup; every operand < 2^32
// elements; ⌈N/BN⌉, ⌈M/BM⌉ and batch ≤ maxComputeWorkgroupsPerDimension.

// JIT cost on software adapters: with ROLLED (set by the host on CPU-class adapters) the staging
// and k-step loops run to uniform bounds (p.loads = 4, p.bk = BK), so llvmpipe keeps them rolled
// (unrolled, a pipeline took 2–4 s of CPU to compile). GPUs get constant bounds (unrolled).

override HAS_BIAS: bool = false;
override A_KMAJOR: bool = true;
override B_NMAJOR: bool = true;
override ROLLED: bool = false;

struct Params {
  m: u32, n: u32, k: u32, batch: u32,
  sam: u32, sak: u32, sbk: u32, sbn: u32,
  a_batch: u32, b_batch: u32,
  loads: u32,   // 4: elements of each tile one invocation stages (loop bound under ROLLED)
  bk: u32,      // BK of the entry (loop bound under ROLLED)
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

// [k][m / 4] and [k][n / 4]: 256 vec4 each (BK·BM/4 = 16·64/4 = 8·128/4).
var<workgroup> As: array<vec4<f32>, 256>;
var<workgroup> Bs: array<vec4<f32>, 256>;

fn load_a(offa: u32, m: u32, k: u32) -> f32 {
  if (m >= p.m || k >= p.k) { return 0.0; }
  return a[offa + m * p.sam + k * p.sak];
}

fn load_b(offb: u32, k: u32, n: u32) -> f32 {
  if (k >= p.k || n >= p.n) { return 0.0; }
  return b[offb + k * p.sbk + n * p.sbn];
}

/** Stages the BM × BK tile of A at (m0, k0) and the BK × BN tile of B at (k0, n0). */
fn stage(li: u32, bm: u32, bk: u32, offa: u32, offb: u32, m0: u32, n0: u32, k0: u32) {
  var loads = 4u;
  if (ROLLED) { loads = p.loads; }
  for (var r = 0u; r < loads; r++) {
    let e = r * 256u + li;
    var mi: u32; var ka: u32;
    if (A_KMAJOR) { ka = e % bk; mi = e / bk; } else { mi = e % bm; ka = e / bm; }
    As[ka * (bm / 4u) + mi / 4u][mi % 4u] = load_a(offa, m0 + mi, k0 + ka);
    var ni: u32; var kb: u32;
    if (B_NMAJOR) { ni = e % bm; kb = e / bm; } else { kb = e % bk; ni = e / bk; }
    Bs[kb * (bm / 4u) + ni / 4u][ni % 4u] = load_b(offb, k0 + kb, n0 + ni);
  }
}

fn bias_at(n: u32) -> f32 {
  if (HAS_BIAS) { return bias[min(n, p.n - 1u)]; }
  return 0.0;
}

/** Masked store of 4 columns n..n+3 of row m. */
fn store4(offc: u32, m: u32, n: u32, v: vec4<f32>) {
  if (m >= p.m) { return; }
  for (var e = 0u; e < 4u; e++) {
    if (n + e < p.n) { c[offc + m * p.n + n + e] = v[e] + bias_at(n + e); }
  }
}

@compute @workgroup_size(256)
fn tile64(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let tx = li % 16u;
  let ty = li / 16u;
  let m0 = wid.y * 64u;
  let n0 = wid.x * 64u;
  let offa = wid.z * p.a_batch;
  let offb = wid.z * p.b_batch;
  var acc: array<vec4<f32>, 4>;
  for (var i = 0u; i < 4u; i++) { acc[i] = vec4<f32>(0.0); }
  for (var k0 = 0u; k0 < p.k; k0 += 16u) {
    stage(li, 64u, 16u, offa, offb, m0, n0, k0);
    workgroupBarrier();
    var steps = 16u;
    if (ROLLED) { steps = p.bk; }
    for (var kk = 0u; kk < steps; kk++) {
      let av = As[kk * 16u + ty];
      let bv = Bs[kk * 16u + tx];
      acc[0] = fma(vec4<f32>(av.x), bv, acc[0]);
      acc[1] = fma(vec4<f32>(av.y), bv, acc[1]);
      acc[2] = fma(vec4<f32>(av.z), bv, acc[2]);
      acc[3] = fma(vec4<f32>(av.w), bv, acc[3]);
    }
    workgroupBarrier();
  }
  let offc = wid.z * p.m * p.n;
  for (var i = 0u; i < 4u; i++) { store4(offc, m0 + 4u * ty + i, n0 + 4u * tx, acc[i]); }
}

@compute @workgroup_size(256)
fn tile128(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let tx = li % 16u;
  let ty = li / 16u;
  let m0 = wid.y * 128u;
  let n0 = wid.x * 128u;
  let offa = wid.z * p.a_batch;
  let offb = wid.z * p.b_batch;
  // acc[4·i + j]: row block i (rows 4·ty + {0..3}, then 64 + 4·ty + {0..3}), column half j.
  var acc: array<vec4<f32>, 16>;
  for (var i = 0u; i < 16u; i++) { acc[i] = vec4<f32>(0.0); }
  for (var k0 = 0u; k0 < p.k; k0 += 8u) {
    stage(li, 128u, 8u, offa, offb, m0, n0, k0);
    workgroupBarrier();
    var steps = 8u;
    if (ROLLED) { steps = p.bk; }
    for (var kk = 0u; kk < steps; kk++) {
      let a0 = As[kk * 32u + ty];
      let a1 = As[kk * 32u + 16u + ty];
      let b0 = Bs[kk * 32u + tx];
      let b1 = Bs[kk * 32u + 16u + tx];
      for (var r = 0u; r < 4u; r++) {
        acc[2u * r] = fma(vec4<f32>(a0[r]), b0, acc[2u * r]);
        acc[2u * r + 1u] = fma(vec4<f32>(a0[r]), b1, acc[2u * r + 1u]);
        acc[8u + 2u * r] = fma(vec4<f32>(a1[r]), b0, acc[8u + 2u * r]);
        acc[8u + 2u * r + 1u] = fma(vec4<f32>(a1[r]), b1, acc[8u + 2u * r + 1u]);
      }
    }
    workgroupBarrier();
  }
  let offc = wid.z * p.m * p.n;
  for (var r = 0u; r < 4u; r++) {
    store4(offc, m0 + 4u * ty + r, n0 + 4u * tx, acc[2u * r]);
    store4(offc, m0 + 4u * ty + r, n0 + 64u + 4u * tx, acc[2u * r + 1u]);
    store4(offc, m0 + 64u + 4u * ty + r, n0 + 4u * tx, acc[8u + 2u * r]);
    store4(offc, m0 + 64u + 4u * ty + r, n0 + 64u + 4u * tx, acc[8u + 2u * r + 1u]);
  }
}
