// attention-tiled.wgsl — GPU-class fused multi-head attention, forward and backward
// (FlashAttention-2 scheme). Sibling of attention.wgsl (today's kernel for CPU adapters: no
// workgroup memory, broadcast loads); same math, inputs and saved state, so the host
// (src/ops/attention-tiled.ts) swaps one for the other on the tuner's word. bwd_pre is shared
// (attention.wgsl's one-thread-per-row pass makes st = (lse, D)).
//
//   S = scale · Q·Kᵀ + bias[h],  P = softmax_rows(S),  O = P·V
//   q: [B, H, Lq, DH], k, v: [B, H, Lk, DH], bias: [H, Lq, Lk] (broadcast over B), o: [B, H, Lq, DH]
//
// Tiling: a workgroup of 64 invocations owns 64 rows (query rows in forward/bwd_dq/bwd_dbias,
// key rows in bwd_dkv), one row per invocation held in registers. The other operand is streamed
// in blocks of KB = 16 rows staged in workgroup memory (two [KB][DH] tiles as vec4: K and V, or Q
// and dO; 16·⌈DH/4⌉·16 B each, ≤ 2 × 8 KiB at DH = 128), loaded cooperatively so that
// neighbouring invocations read neighbouring addresses (coalesced), then read from workgroup
// memory by all 64 invocations; one online-softmax rescale per block.
// forward: per query row the scaled q row, O accumulator, running max m and sum l; saves O and
//   lse = m + log(l) ([B, H, Lq]).
// bwd_dq:    per query row: dP = dO·Vᵀ, dS = P ∘ (dP − D) with P = exp(S − lse), dQ = scale · dS·K.
// bwd_dbias: per (head, query row), looping over the batch: dBias[h, i, :] = Σ_b dS[b, h, i, :]
//   (the owner accumulates its row in place: no float atomics).
// bwd_dkv:   per key row: dV = Pᵀ·dO, dK = scale · dSᵀ·Q; lse and D of the streamed query rows are
//   read at workgroup-uniform addresses.
// Every Lq, Lk (≠, primes, 1) and DH ≤ 128 (non-multiples of 4 zero-padded): streamed rows are
// clamped and masked, owned rows past the end clamp their loads and skip their stores.
// Grid: (⌈rows / 64⌉, B·H split over y and z) — bwd_dbias: (⌈Lq / 64⌉, H).
// Storage buffers per entry: forward 6, bwd_dq 7, bwd_dbias 7, bwd_dkv 8 (compatibility mode's 4
// cannot run these, nor today's: see src/ops/attention.ts).
// Limits: DH ≤ 128; 64 invocations; workgroup memory 2·16·⌈DH/4⌉·16 B ≤ 16 KiB.
// JIT cost on software adapters: with ROLLED (set by the host on CPU-class adapters) the head-dim
// chunk loops and the block loops run to uniform bounds (p.dv, p.kb), so llvmpipe keeps them
// rolled: fully unrolled, one pipeline at DH 40 took 18–37 s of CPU to compile (111 s for the
// four entries), rolled ~2–3 s. GPUs get constant bounds (unrolled; the register arrays stay in
// registers). Same arithmetic in the same order either way.

override DH: u32 = 32u;
override HAS_BIAS: bool = false;
override ROLLED: bool = false;
// vec4 chunks per row, ⌈DH/4⌉, written into the source per pipeline by the host (array sizes
// must be const-expressions; see src/runtime/specialise.ts).
const MAXV: u32 = 32u; // @specialised
const KB: u32 = 16u;
const WG: u32 = 64u;
const NEG_BIG: f32 = -3.0e38;

struct Params {
  B: u32,
  H: u32,
  Lq: u32,
  Lk: u32,
  scale: f32,
  dv: u32,        // = MAXV, as a uniform: the loop bound under ROLLED
  kb: u32,        // = KB, likewise
  _pad2: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q_: array<f32>;
@group(0) @binding(2) var<storage, read> k_: array<f32>;
@group(0) @binding(3) var<storage, read> v_: array<f32>;
@group(0) @binding(4) var<storage, read> bias_: array<f32>;
@group(0) @binding(5) var<storage, read_write> o_: array<f32>;     // forward
@group(0) @binding(6) var<storage, read_write> lse_: array<f32>;   // forward
@group(0) @binding(5) var<storage, read> do_: array<f32>;          // backward
@group(0) @binding(6) var<storage, read> st_: array<f32>;          // backward: [B·H·Lq, 2] (lse, D)
@group(0) @binding(7) var<storage, read_write> out1: array<f32>;   // dQ | dBias | dK
@group(0) @binding(8) var<storage, read_write> out2: array<f32>;   // dV

var<workgroup> T1: array<vec4<f32>, KB * MAXV>;
var<workgroup> T2: array<vec4<f32>, KB * MAXV>;

/** Chunks per row and rows per staged block, as loop bounds (see ROLLED). */
fn nv() -> u32 {
  if (ROLLED) { return p.dv; }
  return MAXV;
}
fn nkb() -> u32 {
  if (ROLLED) { return p.kb; }
  return KB;
}

fn ld_q(row: u32, c: u32) -> vec4<f32> {
  var r = vec4<f32>(0.0);
  for (var t = 0u; t < 4u; t++) { if (4u * c + t < DH) { r[t] = q_[row * DH + 4u * c + t]; } }
  return r;
}
fn ld_k(row: u32, c: u32) -> vec4<f32> {
  var r = vec4<f32>(0.0);
  for (var t = 0u; t < 4u; t++) { if (4u * c + t < DH) { r[t] = k_[row * DH + 4u * c + t]; } }
  return r;
}
fn ld_v(row: u32, c: u32) -> vec4<f32> {
  var r = vec4<f32>(0.0);
  for (var t = 0u; t < 4u; t++) { if (4u * c + t < DH) { r[t] = v_[row * DH + 4u * c + t]; } }
  return r;
}
fn ld_do(row: u32, c: u32) -> vec4<f32> {
  var r = vec4<f32>(0.0);
  for (var t = 0u; t < 4u; t++) { if (4u * c + t < DH) { r[t] = do_[row * DH + 4u * c + t]; } }
  return r;
}
fn st_o(row: u32, c: u32, val: vec4<f32>) {
  for (var t = 0u; t < 4u; t++) { if (4u * c + t < DH) { o_[row * DH + 4u * c + t] = val[t]; } }
}
fn st_out1(row: u32, c: u32, val: vec4<f32>) {
  for (var t = 0u; t < 4u; t++) { if (4u * c + t < DH) { out1[row * DH + 4u * c + t] = val[t]; } }
}
fn st_out2(row: u32, c: u32, val: vec4<f32>) {
  for (var t = 0u; t < 4u; t++) { if (4u * c + t < DH) { out2[row * DH + 4u * c + t] = val[t]; } }
}

fn bias_at(h: u32, i: u32, j: u32) -> f32 {
  if (HAS_BIAS) { return bias_[(h * p.Lq + i) * p.Lk + j]; }
  return 0.0;
}

/** Stages rows r0..r0+KB−1 (clamped to `n` rows from `base`) of K and V into T1, T2. */
fn stage_kv(li: u32, base: u32, r0: u32, n: u32) {
  for (var e = li; e < KB * nv(); e += WG) {
    let row = base + min(r0 + e / nv(), n - 1u);
    T1[e] = ld_k(row, e % nv());
    T2[e] = ld_v(row, e % nv());
  }
}

/** Stages query rows of Q and dO into T1, T2. */
fn stage_qdo(li: u32, base: u32, r0: u32, n: u32) {
  for (var e = li; e < KB * nv(); e += WG) {
    let row = base + min(r0 + e / nv(), n - 1u);
    T1[e] = ld_q(row, e % nv());
    T2[e] = ld_do(row, e % nv());
  }
}

fn dot_t1(x: ptr<function, array<vec4<f32>, MAXV>>, jj: u32) -> f32 {
  var s = 0.0;
  for (var c = 0u; c < nv(); c++) { s += dot((*x)[c], T1[jj * nv() + c]); }
  return s;
}
fn dot_t2(x: ptr<function, array<vec4<f32>, MAXV>>, jj: u32) -> f32 {
  var s = 0.0;
  for (var c = 0u; c < nv(); c++) { s += dot((*x)[c], T2[jj * nv() + c]); }
  return s;
}

@compute @workgroup_size(64)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let bh = wid.y + wid.z * nwg.y;
  if (bh >= p.B * p.H) { return; }
  let h = bh % p.H;
  let i = wid.x * WG + li;
  let ir = min(i, p.Lq - 1u);
  let qrow = bh * p.Lq + ir;
  var q: array<vec4<f32>, MAXV>;
  var o: array<vec4<f32>, MAXV>;
  for (var c = 0u; c < nv(); c++) { q[c] = ld_q(qrow, c) * p.scale; o[c] = vec4<f32>(0.0); }
  var m = NEG_BIG;
  var l = 0.0;
  for (var j0 = 0u; j0 < p.Lk; j0 += KB) {
    stage_kv(li, bh * p.Lk, j0, p.Lk);
    workgroupBarrier();
    var s: array<f32, KB>;
    var bm = NEG_BIG;
    for (var jj = 0u; jj < nkb(); jj++) {
      s[jj] = NEG_BIG;
      if (j0 + jj < p.Lk) {
        s[jj] = dot_t1(&q, jj) + bias_at(h, ir, j0 + jj);
        bm = max(bm, s[jj]);
      }
    }
    let mn = max(m, bm);
    let corr = exp(m - mn);
    l *= corr;
    for (var c = 0u; c < nv(); c++) { o[c] *= corr; }
    for (var jj = 0u; jj < nkb(); jj++) {
      if (j0 + jj < p.Lk) {
        let pj = exp(s[jj] - mn);
        l += pj;
        for (var c = 0u; c < nv(); c++) { o[c] = fma(vec4<f32>(pj), T2[jj * nv() + c], o[c]); }
      }
    }
    m = mn;
    workgroupBarrier();
  }
  if (i < p.Lq) {
    let inv = 1.0 / l;
    for (var c = 0u; c < nv(); c++) { st_o(qrow, c, o[c] * inv); }
    lse_[qrow] = m + log(l);
  }
}

@compute @workgroup_size(64)
fn bwd_dq(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let bh = wid.y + wid.z * nwg.y;
  if (bh >= p.B * p.H) { return; }
  let h = bh % p.H;
  let i = wid.x * WG + li;
  let ir = min(i, p.Lq - 1u);
  let qrow = bh * p.Lq + ir;
  var q: array<vec4<f32>, MAXV>;
  var dO: array<vec4<f32>, MAXV>;
  var dq: array<vec4<f32>, MAXV>;
  for (var c = 0u; c < nv(); c++) { q[c] = ld_q(qrow, c) * p.scale; dO[c] = ld_do(qrow, c); dq[c] = vec4<f32>(0.0); }
  let lse = st_[2u * qrow];
  let D = st_[2u * qrow + 1u];
  for (var j0 = 0u; j0 < p.Lk; j0 += KB) {
    stage_kv(li, bh * p.Lk, j0, p.Lk);
    workgroupBarrier();
    for (var jj = 0u; jj < nkb(); jj++) {
      if (j0 + jj < p.Lk) {
        let pj = exp(dot_t1(&q, jj) + bias_at(h, ir, j0 + jj) - lse);
        let ds = pj * (dot_t2(&dO, jj) - D);
        for (var c = 0u; c < nv(); c++) { dq[c] = fma(vec4<f32>(ds), T1[jj * nv() + c], dq[c]); }
      }
    }
    workgroupBarrier();
  }
  if (i < p.Lq) {
    for (var c = 0u; c < nv(); c++) { st_out1(qrow, c, dq[c] * p.scale); }
  }
}

@compute @workgroup_size(64)
fn bwd_dbias(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let h = wid.y;
  let i = wid.x * WG + li;
  let ir = min(i, p.Lq - 1u);
  let brow = (h * p.Lq + ir) * p.Lk;
  var q: array<vec4<f32>, MAXV>;
  var dO: array<vec4<f32>, MAXV>;
  for (var b = 0u; b < p.B; b++) {
    let bh = b * p.H + h;
    let qrow = bh * p.Lq + ir;
    for (var c = 0u; c < nv(); c++) { q[c] = ld_q(qrow, c) * p.scale; dO[c] = ld_do(qrow, c); }
    let lse = st_[2u * qrow];
    let D = st_[2u * qrow + 1u];
    for (var j0 = 0u; j0 < p.Lk; j0 += KB) {
      stage_kv(li, bh * p.Lk, j0, p.Lk);
      workgroupBarrier();
      for (var jj = 0u; jj < nkb(); jj++) {
        let j = j0 + jj;
        if (j < p.Lk && i < p.Lq) {
          let pj = exp(dot_t1(&q, jj) + bias_at(h, ir, j) - lse);
          let ds = pj * (dot_t2(&dO, jj) - D);
          if (b == 0u) { out1[brow + j] = ds; } else { out1[brow + j] += ds; }
        }
      }
      workgroupBarrier();
    }
  }
}

@compute @workgroup_size(64)
fn bwd_dkv(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let bh = wid.y + wid.z * nwg.y;
  if (bh >= p.B * p.H) { return; }
  let h = bh % p.H;
  let j = wid.x * WG + li;
  let jr = min(j, p.Lk - 1u);
  let krow = bh * p.Lk + jr;
  var k: array<vec4<f32>, MAXV>;
  var v: array<vec4<f32>, MAXV>;
  var dk: array<vec4<f32>, MAXV>;
  var dv: array<vec4<f32>, MAXV>;
  for (var c = 0u; c < nv(); c++) {
    k[c] = ld_k(krow, c) * p.scale; v[c] = ld_v(krow, c);
    dk[c] = vec4<f32>(0.0); dv[c] = vec4<f32>(0.0);
  }
  for (var i0 = 0u; i0 < p.Lq; i0 += KB) {
    stage_qdo(li, bh * p.Lq, i0, p.Lq);
    workgroupBarrier();
    for (var ii = 0u; ii < nkb(); ii++) {
      let i = i0 + ii;
      if (i < p.Lq) {
        let lse = st_[2u * (bh * p.Lq + i)];
        let D = st_[2u * (bh * p.Lq + i) + 1u];
        let pij = exp(dot_t1(&k, ii) + bias_at(h, i, jr) - lse);
        let ds = pij * (dot_t2(&v, ii) - D);
        for (var c = 0u; c < nv(); c++) {
          dv[c] = fma(vec4<f32>(pij), T2[ii * nv() + c], dv[c]);
          dk[c] = fma(vec4<f32>(ds), T1[ii * nv() + c], dk[c]);
        }
      }
    }
    workgroupBarrier();
  }
  if (j < p.Lk) {
    for (var c = 0u; c < nv(); c++) { st_out1(krow, c, dk[c] * p.scale); st_out2(krow, c, dv[c]); }
  }
}
