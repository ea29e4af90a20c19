// attention.wgsl — fused multi-head attention, forward and backward (FlashAttention-2 scheme).
//
//   S = scale · Q·Kᵀ + bias[h],  P = softmax_rows(S),  O = P·V
//   q: [B, H, Lq, DH], k, v: [B, H, Lk, DH], bias: [H, Lq, Lk] (broadcast over B), o: [B, H, Lq, DH]
//
// forward: one thread per query row, 64 rows per workgroup, grid (⌈Lq/64⌉, B·H). Keys stream
//   through workgroup memory in tiles of `tile` rows (K and V, ≤ 8 KiB each); each thread keeps
//   its scaled q row and its O accumulator in registers and runs the online softmax: per tile a
//   running max m and running sum l, rescaling O by exp(m_old − m_new). Memory is linear in the
//   number of tokens: P is never materialised.
//   Saved for backward: the output O and the per-row logsumexp lse = m + log(l) ([B, H, Lq]) only.
// backward (P is recomputed blockwise as exp(S − lse)):
//   bwd_pre: one thread per row: st[r] = (lse[r], D[r]) with D = rowsum(dO ∘ O).
//   bwd_dq:  one thread per query row, keys streamed as in forward:
//              dP = dO·Vᵀ, dS = P ∘ (dP − D), dQ = scale · dS·K.
//            With DBIAS the workgroup also loops over the batch and owns rows of
//              dBias[h, i, :] = Σ_b dS[b, h, i, :]  (exclusive ownership: no float atomics).
//   bwd_dkv: one thread per key row, query tiles (scaled Q, dO, lse, D) streamed through
//            workgroup memory: dV = Pᵀ·dO, dK = dSᵀ·(scale·Q).
// Every row/column count (Lq ≠ Lk, primes, 1) is handled: tiles are partial, out-of-range threads
// clamp their loads to a valid row and skip their stores, so barriers stay in uniform control flow.
// Limits: DH ≤ 128 (registers are array<vec4<f32>, 32>); any DH (non-multiples of 4 are zero-padded
// in registers); B·H on a 2-D grid. Workgroup memory ≤ 16 KiB (the WebGPU default).
// Storage buffers per entry: forward 6, bwd_pre 4, bwd_dq 8, bwd_dkv 8 (needs the default limit 8,
// so compatibility-mode adapters with 4 cannot run the backward).

override DH: u32 = 32u;
override HAS_BIAS: bool = false;
override DBIAS: bool = false;
override DV: u32 = (DH + 3u) / 4u;   // vec4 chunks per row
const MAXV: u32 = 32u;
const WG: u32 = 64u;

struct Params {
  B: u32,
  H: u32,
  Lq: u32,
  Lk: u32,
  scale: f32,
  tile: u32,   // rows per workgroup-memory tile (host: ≤ capacity / DV, ≤ 64)
  _pad0: u32,
  _pad1: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q_: array<f32>;
@group(0) @binding(2) var<storage, read> k_: array<f32>;
@group(0) @binding(3) var<storage, read> v_: array<f32>;
@group(0) @binding(4) var<storage, read> bias_: array<f32>;
// forward outputs
@group(0) @binding(5) var<storage, read_write> o_: array<f32>;
@group(0) @binding(6) var<storage, read_write> lse_: array<f32>;
// backward inputs and outputs (dq: out1 = dQ, out2 = dBias; dkv: out1 = dK, out2 = dV)
@group(0) @binding(5) var<storage, read> do_: array<f32>;
@group(0) @binding(6) var<storage, read> st_: array<f32>;     // [B·H·Lq, 2] (lse, D)
@group(0) @binding(7) var<storage, read_write> out1: array<f32>;
@group(0) @binding(8) var<storage, read_write> out2: array<f32>;
// bwd_pre
@group(0) @binding(1) var<storage, read> po_: array<f32>;
@group(0) @binding(2) var<storage, read> pdo_: array<f32>;
@group(0) @binding(3) var<storage, read> plse_: array<f32>;
@group(0) @binding(4) var<storage, read_write> pst_: array<f32>;

// forward / bwd_dq: K and V tiles. bwd_dkv: scaled-Q and dO tiles plus (lse, D) per row.
var<workgroup> tA: array<vec4<f32>, 512>;
var<workgroup> tB: array<vec4<f32>, 512>;
var<workgroup> uA: array<vec4<f32>, 480>;
var<workgroup> uB: array<vec4<f32>, 480>;
var<workgroup> uS: array<vec2<f32>, 64>;

const NEG_BIG: f32 = -3.0e38;

// Loads of 4 consecutive head-dim values starting at base + 4c, zero beyond DH.
fn ld_q(base: u32, c: u32) -> vec4<f32> {
  let d = base + 4u * c;
  if (DH % 4u == 0u) { return vec4<f32>(q_[d], q_[d + 1u], q_[d + 2u], q_[d + 3u]); }
  var r = vec4<f32>(0.0);
  for (var t = 0u; t < 4u; t++) { if (4u * c + t < DH) { r[t] = q_[d + t]; } }
  return r;
}
fn ld_k(base: u32, c: u32) -> vec4<f32> {
  let d = base + 4u * c;
  if (DH % 4u == 0u) { return vec4<f32>(k_[d], k_[d + 1u], k_[d + 2u], k_[d + 3u]); }
  var r = vec4<f32>(0.0);
  for (var t = 0u; t < 4u; t++) { if (4u * c + t < DH) { r[t] = k_[d + t]; } }
  return r;
}
fn ld_v(base: u32, c: u32) -> vec4<f32> {
  let d = base + 4u * c;
  if (DH % 4u == 0u) { return vec4<f32>(v_[d], v_[d + 1u], v_[d + 2u], v_[d + 3u]); }
  var r = vec4<f32>(0.0);
  for (var t = 0u; t < 4u; t++) { if (4u * c + t < DH) { r[t] = v_[d + t]; } }
  return r;
}
fn ld_do(base: u32, c: u32) -> vec4<f32> {
  let d = base + 4u * c;
  if (DH % 4u == 0u) { return vec4<f32>(do_[d], do_[d + 1u], do_[d + 2u], do_[d + 3u]); }
  var r = vec4<f32>(0.0);
  for (var t = 0u; t < 4u; t++) { if (4u * c + t < DH) { r[t] = do_[d + t]; } }
  return r;
}
fn st_o(base: u32, c: u32, val: vec4<f32>) {
  for (var t = 0u; t < 4u; t++) { if (4u * c + t < DH) { o_[base + 4u * c + t] = val[t]; } }
}
fn st_out1(base: u32, c: u32, val: vec4<f32>) {
  for (var t = 0u; t < 4u; t++) { if (4u * c + t < DH) { out1[base + 4u * c + t] = val[t]; } }
}
fn st_out2(base: u32, c: u32, val: vec4<f32>) {
  for (var t = 0u; t < 4u; t++) { if (4u * c + t < DH) { out2[base + 4u * c + t] = val[t]; } }
}

fn bh_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.y + wid.z * nwg.y;
}

@compute @workgroup_size(64)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let bh = bh_index(wid, nwg);
  if (bh >= p.B * p.H) { return; }
  let h = bh % p.H;
  let i = wid.x * WG + li;
  let ir = min(i, p.Lq - 1u);
  let qoff = (bh * p.Lq + ir) * DH;
  var q: array<vec4<f32>, MAXV>;
  var o: array<vec4<f32>, MAXV>;
  for (var c = 0u; c < DV; c++) {
    q[c] = ld_q(qoff, c) * p.scale;
    o[c] = vec4<f32>(0.0);
  }
  var m = NEG_BIG;
  var l = 0.0;
  let boff = (h * p.Lq + ir) * p.Lk;
  for (var k0 = 0u; k0 < p.Lk; k0 += p.tile) {
    let nk = min(p.tile, p.Lk - k0);
    let nk4 = (nk + 3u) & ~3u;
    let kvoff = (bh * p.Lk + k0) * DH;
    // Rows nk..nk4 of the tile are zero-filled: the 4-key micro-blocks below read them (masked).
    for (var e = li; e < nk4 * DV; e += WG) {
      let r = e / DV;
      let c = e % DV;
      if (r < nk) {
        tA[e] = ld_k(kvoff + r * DH, c);
        tB[e] = ld_v(kvoff + r * DH, c);
      } else {
        tA[e] = vec4<f32>(0.0);
        tB[e] = vec4<f32>(0.0);
      }
    }
    workgroupBarrier();
    // Online softmax in micro-blocks of 4 keys: one rescale of O per 4 keys, logits in a vec4
    // (no per-thread array, which software rasterisers spill to scratch memory).
    for (var j = 0u; j < nk4; j += 4u) {
      var sv = vec4<f32>(0.0);
      for (var c = 0u; c < DV; c++) {
        let qc = q[c];
        sv += vec4<f32>(dot(qc, tA[j * DV + c]), dot(qc, tA[(j + 1u) * DV + c]), dot(qc, tA[(j + 2u) * DV + c]), dot(qc, tA[(j + 3u) * DV + c]));
      }
      let valid = vec4<u32>(j, j + 1u, j + 2u, j + 3u) < vec4<u32>(nk);
      if (HAS_BIAS) {
        let bo = boff + k0 + j;
        sv += vec4<f32>(bias_[bo], select(0.0, bias_[min(bo + 1u, boff + p.Lk - 1u)], valid.y),
                        select(0.0, bias_[min(bo + 2u, boff + p.Lk - 1u)], valid.z), select(0.0, bias_[min(bo + 3u, boff + p.Lk - 1u)], valid.w));
      }
      sv = select(vec4<f32>(NEG_BIG), sv, valid);
      let mx = max(m, max(max(sv.x, sv.y), max(sv.z, sv.w)));
      let alpha = exp(m - mx);
      let pv = exp(sv - vec4<f32>(mx));
      l = l * alpha + (pv.x + pv.y + pv.z + pv.w);
      for (var c = 0u; c < DV; c++) {
        var acc = o[c] * alpha;
        acc = fma(vec4<f32>(pv.x), tB[j * DV + c], acc);
        acc = fma(vec4<f32>(pv.y), tB[(j + 1u) * DV + c], acc);
        acc = fma(vec4<f32>(pv.z), tB[(j + 2u) * DV + c], acc);
        o[c] = fma(vec4<f32>(pv.w), tB[(j + 3u) * DV + c], acc);
      }
      m = mx;
    }
    workgroupBarrier();
  }
  if (i < p.Lq) {
    let inv = 1.0 / l;
    for (var c = 0u; c < DV; c++) { st_o(qoff, c, o[c] * inv); }
    lse_[bh * p.Lq + i] = m + log(l);
  }
}

// st[r] = (lse[r], rowsum(dO ∘ O)[r]); one thread per row of B·H·Lq, 64 per workgroup, 2-D grid.
@compute @workgroup_size(64)
fn bwd_pre(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let r = flat_wg(wid, nwg) * WG + li;
  if (r >= p.B * p.H * p.Lq) { return; }
  var acc = 0.0;
  for (var d = 0u; d < DH; d++) { acc += po_[r * DH + d] * pdo_[r * DH + d]; }
  pst_[2u * r] = plse_[r];
  pst_[2u * r + 1u] = acc;
}

@compute @workgroup_size(64)
fn bwd_dq(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let yz = bh_index(wid, nwg);
  // DBIAS: the workgroup owns head h for every batch element (dBias sums over the batch).
  var nb = 1u;
  if (DBIAS) {
    if (yz >= p.H) { return; }
    nb = p.B;
  } else if (yz >= p.B * p.H) { return; }
  let i = wid.x * WG + li;
  let ir = min(i, p.Lq - 1u);
  var q: array<vec4<f32>, MAXV>;
  var g: array<vec4<f32>, MAXV>;
  var dq: array<vec4<f32>, MAXV>;
  for (var bi = 0u; bi < nb; bi++) {
    var bh = yz;
    if (DBIAS) { bh = bi * p.H + yz; }
    let h = bh % p.H;
    let row = bh * p.Lq + ir;
    let qoff = row * DH;
    for (var c = 0u; c < DV; c++) {
      q[c] = ld_q(qoff, c) * p.scale;
      g[c] = ld_do(qoff, c);
      dq[c] = vec4<f32>(0.0);
    }
    let lse = st_[2u * row];
    let Di = st_[2u * row + 1u];
    let boff = (h * p.Lq + ir) * p.Lk;
    for (var k0 = 0u; k0 < p.Lk; k0 += p.tile) {
      let nk = min(p.tile, p.Lk - k0);
      let kvoff = (bh * p.Lk + k0) * DH;
      for (var e = li; e < nk * DV; e += WG) {
        let r = e / DV;
        let c = e % DV;
        tA[e] = ld_k(kvoff + r * DH, c);
        tB[e] = ld_v(kvoff + r * DH, c);
      }
      workgroupBarrier();
      for (var j = 0u; j < nk; j++) {
        var sv = 0.0;
        var dp = 0.0;
        for (var c = 0u; c < DV; c++) {
          sv += dot(q[c], tA[j * DV + c]);
          dp += dot(g[c], tB[j * DV + c]);
        }
        if (HAS_BIAS) { sv += bias_[boff + k0 + j]; }
        let ds = exp(sv - lse) * (dp - Di);
        for (var c = 0u; c < DV; c++) { dq[c] = fma(vec4<f32>(ds), tA[j * DV + c], dq[c]); }
        if (DBIAS && i < p.Lq) {
          let at = boff + k0 + j;
          if (bi == 0u) { out2[at] = ds; } else { out2[at] = out2[at] + ds; }
        }
      }
      workgroupBarrier();
    }
    if (i < p.Lq) {
      for (var c = 0u; c < DV; c++) { st_out1(qoff, c, dq[c] * p.scale); }
    }
  }
}

@compute @workgroup_size(64)
fn bwd_dkv(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let bh = bh_index(wid, nwg);
  if (bh >= p.B * p.H) { return; }
  let h = bh % p.H;
  let j = wid.x * WG + li;
  let jr = min(j, p.Lk - 1u);
  let koff = (bh * p.Lk + jr) * DH;
  var kr: array<vec4<f32>, MAXV>;
  var vr: array<vec4<f32>, MAXV>;
  var dk: array<vec4<f32>, MAXV>;
  var dv: array<vec4<f32>, MAXV>;
  for (var c = 0u; c < DV; c++) {
    kr[c] = ld_k(koff, c);
    vr[c] = ld_v(koff, c);
    dk[c] = vec4<f32>(0.0);
    dv[c] = vec4<f32>(0.0);
  }
  for (var q0 = 0u; q0 < p.Lq; q0 += p.tile) {
    let nq = min(p.tile, p.Lq - q0);
    let qoff = (bh * p.Lq + q0) * DH;
    for (var e = li; e < nq * DV; e += WG) {
      let r = e / DV;
      let c = e % DV;
      uA[e] = ld_q(qoff + r * DH, c) * p.scale;
      uB[e] = ld_do(qoff + r * DH, c);
    }
    if (li < nq) {
      let row = bh * p.Lq + q0 + li;
      uS[li] = vec2<f32>(st_[2u * row], st_[2u * row + 1u]);
    }
    workgroupBarrier();
    for (var r = 0u; r < nq; r++) {
      var sv = 0.0;
      var dp = 0.0;
      for (var c = 0u; c < DV; c++) {
        sv += dot(uA[r * DV + c], kr[c]);
        dp += dot(uB[r * DV + c], vr[c]);
      }
      if (HAS_BIAS) { sv += bias_[(h * p.Lq + q0 + r) * p.Lk + jr]; }
      let ls = uS[r];
      let pr = exp(sv - ls.x);
      let ds = pr * (dp - ls.y);
      for (var c = 0u; c < DV; c++) {
        dv[c] = fma(vec4<f32>(pr), uB[r * DV + c], dv[c]);
        dk[c] = fma(vec4<f32>(ds), uA[r * DV + c], dk[c]);
      }
    }
    workgroupBarrier();
  }
  if (j < p.Lk) {
    for (var c = 0u; c < DV; c++) {
      st_out1(koff, c, dk[c]);
      st_out2(koff, c, dv[c]);
    }
  }
}
