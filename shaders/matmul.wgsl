// matmul.wgsl — batched C[b] = op(A[b]) · op(B[b]) (+ bias), f32.
//
// Tuned for SIMD-over-invocations adapters (lavapipe/llvmpipe: a workgroup runs as groups of 8
// invocations in one CPU vector), where every storage load whose address is not a compile-time
// constant is issued lane by lane (kernels-bench/README.md, "What llvmpipe makes of a kernel"), so
// what pays is lanes sharing cache lines and each loaded value feeding many FMAs, and barriers
// are expensive. So there is no workgroup memory and no barrier:
// a workgroup owns R rows × (WG·V·4) columns of C; the R rows are the same for all its
// invocations, so every A read is a uniform (broadcast) load, and each invocation owns V groups
// of 4 consecutive columns (strided WG·4 apart, so neighbouring invocations read neighbouring
// addresses). Per k an invocation does R broadcast loads, V vec4 (or 4·V scalar) B loads and R·V
// vec4 FMAs into R·V vec4 accumulators held in registers. The CPU caches do the reuse that shared
// memory would do on a GPU.
//
// Operands are addressed by strides, which makes transposes free: A(m, k) = a[offA + m*sam + k*sak],
// B(k, n) = b[offB + k*sbk + n*sbn]. Three entry points, picked on the host by layout:
//   main_nvec  B rows contiguous along n (sbn = 1) and N % 4 == 0: vec4 B loads and C stores.
//   main_kvec  B contiguous along k (sbk = 1, i.e. transposed B) and K % 4 == 0: per column one
//              vec4 load covers 4 k-steps; C stored as scalars.
//   main       anything else: scalar strided B loads and scalar C stores.
// Out-of-range rows/columns are clamped on load (always in bounds) and masked on store, so every
// M, N, K (including 1 and primes) is correct. K = 0 writes zeros (+ bias).
// Batch: grid y is the batch; a batch stride of 0 broadcasts that operand.
// Epilogue: p.has_bias != 0 adds bias[n] (a uniform, so one pipeline serves both). WG (override)
// is the workgroup size (the host uses 8: one llvmpipe SIMD coroutine). Storage buffers per entry
// point: 4 (a, b, c, bias). Limits: every operand < 2^32 elements; tiles (⌈M/R⌉·⌈N/(4·V·WG)⌉) and
// batch <= maxComputeWorkgroupsPerDimension.

override WG: u32 = 64u;

const R: u32 = 4u;   // rows of C per workgroup (uniform across its invocations)
const V: u32 = 2u;   // vec4 column groups per invocation

struct Params {
  m: u32, n: u32, k: u32, batch: u32,
  sam: u32, sak: u32, sbk: u32, sbn: u32,
  a_batch: u32, b_batch: u32, tiles_n: u32, has_bias: u32,
  cpl: u32,   // column lanes per row tile (a power of two ≤ WG): WG, or fewer when N is small
  rpt: u32,   // row tiles per workgroup = WG / cpl
  _pad0: u32, _pad1: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<storage, read_write> c4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

// Tile origin of invocation li: x enumerates (row-tile group, column tile), y the batch. When N
// needs fewer than WG column lanes (N ≤ 32: a small Linear's outputs), the workgroup's lanes split
// into rpt groups of cpl, each on R rows of its own, instead of computing clamped duplicates: at
// N = 16 all WG·V column slots of a lane group were 4 real columns of 16.
struct Tile { m0: u32, col0: u32, bidx: u32, cl: u32 };

fn tile(wid: vec3<u32>, li: u32) -> Tile {
  let tiles_m = (p.m + R * p.rpt - 1u) / (R * p.rpt);
  let sub = li / p.cpl;
  return Tile(((wid.x % tiles_m) * p.rpt + sub) * R, (wid.x / tiles_m) * (p.cpl * V * 4u), wid.y, li % p.cpl);
}

// Uniform start of each of the R rows of A (clamped into range: the stores mask them instead).
fn a_rows(t: Tile) -> array<u32, R> {
  var rows: array<u32, R>;
  let offa = t.bidx * p.a_batch;
  for (var i = 0u; i < R; i++) { rows[i] = offa + min(t.m0 + i, p.m - 1u) * p.sam; }
  return rows;
}

fn bias4(n: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  if (p.has_bias != 0u) {
    for (var e = 0u; e < 4u; e++) { v[e] = bias[min(n + e, p.n - 1u)]; }
  }
  return v;
}

// Scalar stores of one 4-column group of row m (columns n..n+3, masked to N).
fn store4(m: u32, n: u32, v: vec4<f32>, offc: u32) {
  for (var e = 0u; e < 4u; e++) {
    if (n + e < p.n) { c[offc + m * p.n + n + e] = v[e]; }
  }
}

@compute @workgroup_size(WG)
fn main_nvec(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = tile(wid, li);
  let rows = a_rows(t);
  let nq = p.n / 4u;
  let offb4 = (t.bidx * p.b_batch) / 4u;
  var q: array<u32, V>;
  for (var j = 0u; j < V; j++) { q[j] = min(t.col0 / 4u + t.cl + j * p.cpl, nq - 1u); }
  var acc: array<vec4<f32>, R * V>;
  for (var i = 0u; i < R * V; i++) { acc[i] = vec4<f32>(0.0); }
  for (var k = 0u; k < p.k; k++) {
    let brow = offb4 + k * nq;
    var bv: array<vec4<f32>, V>;
    for (var j = 0u; j < V; j++) { bv[j] = b4[brow + q[j]]; }
    for (var i = 0u; i < R; i++) {
      let av = vec4<f32>(a[rows[i] + k * p.sak]);
      for (var j = 0u; j < V; j++) { acc[i * V + j] = fma(av, bv[j], acc[i * V + j]); }
    }
  }
  let offc4 = (t.bidx * p.m * p.n) / 4u;
  for (var j = 0u; j < V; j++) {
    let qj = t.col0 / 4u + t.cl + j * p.cpl;
    if (qj >= nq) { continue; }
    let bb = bias4(qj * 4u);
    for (var i = 0u; i < R; i++) {
      if (t.m0 + i < p.m) { c4[offc4 + (t.m0 + i) * nq + qj] = acc[i * V + j] + bb; }
    }
  }
}

@compute @workgroup_size(WG)
fn main_kvec(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = tile(wid, li);
  let rows = a_rows(t);
  let kq = p.k / 4u;
  let offb4 = (t.bidx * p.b_batch) / 4u;
  // Column (j, e) = col0 + (li + j·WG)·4 + e reads B(k..k+3, n) as one vec4 (B stored [N, K]).
  var col: array<u32, V * 4u>;
  for (var j = 0u; j < V; j++) {
    for (var e = 0u; e < 4u; e++) { col[j * 4u + e] = offb4 + min(t.col0 + (t.cl + j * p.cpl) * 4u + e, p.n - 1u) * kq; }
  }
  var acc: array<vec4<f32>, R * V>;
  for (var i = 0u; i < R * V; i++) { acc[i] = vec4<f32>(0.0); }
  for (var kb = 0u; kb < kq; kb++) {
    var bk: array<vec4<f32>, V * 4u>;   // [j*4 + e] = B(4kb..4kb+3, column (j, e))
    for (var x = 0u; x < V * 4u; x++) { bk[x] = b4[col[x] + kb]; }
    for (var i = 0u; i < R; i++) {
      let av = vec4<f32>(a[rows[i] + (4u * kb) * p.sak], a[rows[i] + (4u * kb + 1u) * p.sak],
                         a[rows[i] + (4u * kb + 2u) * p.sak], a[rows[i] + (4u * kb + 3u) * p.sak]);
      for (var j = 0u; j < V; j++) {
        for (var s = 0u; s < 4u; s++) {
          let bv = vec4<f32>(bk[j * 4u][s], bk[j * 4u + 1u][s], bk[j * 4u + 2u][s], bk[j * 4u + 3u][s]);
          acc[i * V + j] = fma(vec4<f32>(av[s]), bv, acc[i * V + j]);
        }
      }
    }
  }
  let offc = t.bidx * p.m * p.n;
  for (var j = 0u; j < V; j++) {
    let n = t.col0 + (t.cl + j * p.cpl) * 4u;
    if (n >= p.n) { continue; }
    let bb = bias4(n);
    for (var i = 0u; i < R; i++) {
      if (t.m0 + i < p.m) { store4(t.m0 + i, n, acc[i * V + j] + bb, offc); }
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = tile(wid, li);
  let rows = a_rows(t);
  let offb = t.bidx * p.b_batch;
  var col: array<u32, V * 4u>;   // B offset of each owned column (clamped)
  for (var j = 0u; j < V; j++) {
    for (var e = 0u; e < 4u; e++) { col[j * 4u + e] = offb + min(t.col0 + (t.cl + j * p.cpl) * 4u + e, p.n - 1u) * p.sbn; }
  }
  var acc: array<vec4<f32>, R * V>;
  for (var i = 0u; i < R * V; i++) { acc[i] = vec4<f32>(0.0); }
  for (var k = 0u; k < p.k; k++) {
    var bv: array<vec4<f32>, V>;
    for (var j = 0u; j < V; j++) {
      for (var e = 0u; e < 4u; e++) { bv[j][e] = b[col[j * 4u + e] + k * p.sbk]; }
    }
    for (var i = 0u; i < R; i++) {
      let av = vec4<f32>(a[rows[i] + k * p.sak]);
      for (var j = 0u; j < V; j++) { acc[i * V + j] = fma(av, bv[j], acc[i * V + j]); }
    }
  }
  let offc = t.bidx * p.m * p.n;
  for (var j = 0u; j < V; j++) {
    let n = t.col0 + (t.cl + j * p.cpl) * 4u;
    if (n >= p.n) { continue; }
    let bb = bias4(n);
    for (var i = 0u; i < R; i++) {
      if (t.m0 + i < p.m) { store4(t.m0 + i, n, acc[i * V + j] + bb, offc); }
    }
  }
}
