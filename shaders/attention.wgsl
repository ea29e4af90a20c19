// attention.wgsl — fused multi-head attention, forward and backward (FlashAttention-2 scheme).
//
//   S = scale · Q·Kᵀ + bias[h],  P = softmax_rows(S),  O = P·V
//   q: [B, H, Lq, dh], k, v: [B, H, Lk, dh], bias: [H, Lq, Lk] (broadcast over B), o: [B, H, Lq, dh]
//   (dh, the bias flag and the chunk count dv = dh / 4 are uniforms; dh must be a multiple of 4:
//   the host zero-pads other head dims, src/ops/attention.ts)
//
// Layout (all entries): NO workgroup memory and no barriers. Each invocation owns R rows (query
// rows in forward/bwd_dq, key rows in bwd_dkv) and keeps them in registers; the other operand is
// streamed from storage at addresses that depend only on the workgroup id, uniforms and loop
// counters, so every invocation of the workgroup loads the same element (one cache line for the 8
// lanes of an llvmpipe SIMD coroutine; llvmpipe still issues it lane by lane — see
// kernels-bench/README.md, "What llvmpipe makes of a kernel"); workgroup barriers switch coroutines.
// The streamed rows go in micro-blocks of 4 (scores in a vec4, one online-softmax rescale per 4
// keys); each loaded element is reused R times from registers. Grid (⌈rows / (WGF·R)⌉, B·H).
//
// forward: per query row the scaled q row and O accumulator; online softmax with running max m and
//   sum l, rescaling O by exp(m_old − m_new). P is never materialised (memory linear in tokens).
//   Saved for backward: O and the per-row logsumexp lse = m + log(l) ([B, H, Lq]) only.
// backward (P recomputed as exp(S − lse)):
//   bwd_pre: one thread per row: st[r] = (lse[r], D[r]) with D = rowsum(dO ∘ O).
//   bwd_dq:  per query row: dP = dO·Vᵀ, dS = P ∘ (dP − D), dQ = scale · dS·K. With p.dbias the
//            invocation also loops over the batch and owns rows of
//              dBias[h, i, :] = Σ_b dS[b, h, i, :]  (exclusive ownership: no float atomics).
//   bwd_dkv: per key row: dV = Pᵀ·dO, dK = scale · dSᵀ·Q, query rows streamed (S and dP recomputed).
//   Stored form (p.store, when [dS | P] fits the host's limit): bwd_dq also writes dS and P, and
//   bwd_dkv_s reads them instead of recomputing — 5 instead of 7 GEMM-sized products per backward
//   (ViT 148 tokens × 8 heads × 96: fwd+bwd ~15 % faster); dBias is then a batch sum on the host.
// Measured on lavapipe (2 cores, 784/2/32 with bias, forward): the previous kernel (one row per
// thread, K/V tiles in workgroup memory, 2 barriers per tile) 1.7 GFLOP/s; broadcast loads with
// R = 1: same; R = 2: 2.4; R = 4: 3.6–4.3; R = 8, WGF = 8: 5.2–5.6 (ViT 148/8/96: 1.3 → 5.1).
// Q, K, V, dO, O, dQ, dK, dV are bound as vec4 arrays (rows of dv chunks). Run time within 5 % of
// 4 scalar loads per chunk, but a quarter of the load sites for the JIT: llvmpipe emits each
// storage load as 8 bounds-checked lane loads, and load sites are what the compile time follows
// (forward / bwd_dq / bwd_dkv at R = 1: 0.8 / 2.3 / 2.6 → 0.55 / 1.3 / 1.65 s of CPU).
// JIT cost: the head-dim chunk loops run to the uniform p.dv, so llvmpipe keeps them rolled (with
// them unrolled a pipeline took 20–48 s of CPU to compile); the row loops (R, an override) unroll.
// Every row/column count (Lq ≠ Lk, primes, 1) is handled: streamed indices are clamped to a valid
// row and masked, out-of-range owned rows clamp their loads and skip their stores.
// Limits: head dim p.dh ≤ 4·MAXV ≤ 128 and a multiple of 4, R = MAXR (register arrays of MAXR·MAXV
// vec4, sizes written in per pipeline); B·H on a 2-D grid.
// Storage buffers per entry: forward 6, bwd_pre 4, bwd_dq 8, bwd_dkv 8, bwd_dkv_s 5 (needs the default limit 8,
// so compatibility-mode adapters with 4 cannot run the backward).

override R: u32 = 8u;      // rows owned per invocation (host: ≤ MAXR)
override WGF: u32 = 8u;    // invocations per workgroup
// Register-block sizes, written into the source per pipeline by the host (array sizes must be
// const-expressions; see src/runtime/specialise.ts): MAXR = R, MAXV ≥ dv.
const MAXV: u32 = 32u; // @specialised
const MAXR: u32 = 8u; // @specialised
const WG: u32 = 64u;       // bwd_pre

struct Params {
  B: u32,
  H: u32,
  Lq: u32,
  Lk: u32,
  scale: f32,
  dh: u32,        // head dim (a uniform: one pipeline serves every head size up to 4·MAXV)
  dv: u32,        // vec4 chunks per row, a uniform so the JIT keeps the chunk loops rolled
  has_bias: u32,
  dbias: u32,     // bwd_dq: also write dBias (a uniform: one pipeline with and without)
  store: u32,     // bwd_dq: also write dS and P for bwd_dkv_s (exclusive with dbias)
  _pad1: u32,
  _pad2: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q_: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> k_: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> v_: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> bias_: array<f32>;
// forward outputs
@group(0) @binding(5) var<storage, read_write> o_: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> lse_: array<f32>;
// backward inputs and outputs (dq: out1 = dQ, out2 = dBias; dkv: out1 = dK, out2 = dV)
@group(0) @binding(5) var<storage, read> do_: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> st_: array<f32>;     // [B·H·Lq, 2] (lse, D)
@group(0) @binding(7) var<storage, read_write> out1: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> out2: array<vec4<f32>>;  // dV
@group(0) @binding(8) var<storage, read_write> dbias_: array<f32>;       // bwd_dq: dBias, or [dS | P] (p.store)
@group(0) @binding(4) var<storage, read> sp_: array<f32>;                // bwd_dkv_s: [dS | P], [2, B·H, Lq, Lk]
// bwd_pre
@group(0) @binding(1) var<storage, read> po_: array<f32>;
@group(0) @binding(2) var<storage, read> pdo_: array<f32>;
@group(0) @binding(3) var<storage, read> plse_: array<f32>;
@group(0) @binding(4) var<storage, read_write> pst_: array<f32>;

const NEG_BIG: f32 = -3.0e38;

// Chunk c (head-dim values 4c … 4c+3) of row `row`.
fn ld_q(row: u32, c: u32) -> vec4<f32> { return q_[row * p.dv + c]; }
fn ld_k(row: u32, c: u32) -> vec4<f32> { return k_[row * p.dv + c]; }
fn ld_v(row: u32, c: u32) -> vec4<f32> { return v_[row * p.dv + c]; }
fn ld_do(row: u32, c: u32) -> vec4<f32> { return do_[row * p.dv + c]; }
fn st_o(row: u32, c: u32, val: vec4<f32>) { o_[row * p.dv + c] = val; }
fn st_out1(row: u32, c: u32, val: vec4<f32>) { out1[row * p.dv + c] = val; }
fn st_out2(row: u32, c: u32, val: vec4<f32>) { out2[row * p.dv + c] = val; }

fn bh_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.y + wid.z * nwg.y;
}

// Bias of (query row, 4 keys), each index already clamped to a valid key.
fn bias4(h: u32, i: u32, j: vec4<u32>) -> vec4<f32> {
  let bo = (h * p.Lq + i) * p.Lk;
  return vec4<f32>(bias_[bo + j.x], bias_[bo + j.y], bias_[bo + j.z], bias_[bo + j.w]);
}

@compute @workgroup_size(WGF)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let bh = bh_index(wid, nwg);
  if (bh >= p.B * p.H) { return; }
  let h = bh % p.H;
  let i0 = (wid.x * WGF + li) * R;
  let kb = bh * p.Lk;
  var q: array<vec4<f32>, MAXR * MAXV>;
  var o: array<vec4<f32>, MAXR * MAXV>;
  var m: array<f32, MAXR>;
  var l: array<f32, MAXR>;
  for (var r = 0u; r < R; r++) {
    let ir = min(i0 + r, p.Lq - 1u);
    for (var c = 0u; c < p.dv; c++) {
      q[r * MAXV + c] = ld_q(bh * p.Lq + ir, c) * p.scale;
      o[r * MAXV + c] = vec4<f32>(0.0);
    }
    m[r] = NEG_BIG;
    l[r] = 0.0;
  }
  for (var j0 = 0u; j0 < p.Lk; j0 += 4u) {
    let valid = vec4<u32>(j0, j0 + 1u, j0 + 2u, j0 + 3u) < vec4<u32>(p.Lk);
    let jj = min(vec4<u32>(j0, j0 + 1u, j0 + 2u, j0 + 3u), vec4<u32>(p.Lk - 1u));
    var s: array<vec4<f32>, MAXR>;
    for (var r = 0u; r < R; r++) { s[r] = vec4<f32>(0.0); }
    for (var c = 0u; c < p.dv; c++) {
      let k0 = ld_k(kb + jj.x, c);
      let k1 = ld_k(kb + jj.y, c);
      let k2 = ld_k(kb + jj.z, c);
      let k3 = ld_k(kb + jj.w, c);
      for (var r = 0u; r < R; r++) {
        let qc = q[r * MAXV + c];
        s[r] += vec4<f32>(dot(qc, k0), dot(qc, k1), dot(qc, k2), dot(qc, k3));
      }
    }
    var pv: array<vec4<f32>, MAXR>;
    var al: array<f32, MAXR>;
    for (var r = 0u; r < R; r++) {
      var sv = s[r];
      if (p.has_bias != 0u) { sv += bias4(h, min(i0 + r, p.Lq - 1u), jj); }
      sv = select(vec4<f32>(NEG_BIG), sv, valid);
      let mx = max(m[r], max(max(sv.x, sv.y), max(sv.z, sv.w)));
      al[r] = exp(m[r] - mx);
      let e = exp(sv - vec4<f32>(mx));
      pv[r] = e;
      l[r] = l[r] * al[r] + (e.x + e.y + e.z + e.w);
      m[r] = mx;
    }
    for (var c = 0u; c < p.dv; c++) {
      let v0 = ld_v(kb + jj.x, c);
      let v1 = ld_v(kb + jj.y, c);
      let v2 = ld_v(kb + jj.z, c);
      let v3 = ld_v(kb + jj.w, c);
      for (var r = 0u; r < R; r++) {
        let e = pv[r];
        let acc = fma(vec4<f32>(e.y), v1, fma(vec4<f32>(e.x), v0, o[r * MAXV + c] * al[r]));
        o[r * MAXV + c] = fma(vec4<f32>(e.w), v3, fma(vec4<f32>(e.z), v2, acc));
      }
    }
  }
  for (var r = 0u; r < R; r++) {
    let i = i0 + r;
    if (i < p.Lq) {
      let inv = 1.0 / l[r];
      for (var c = 0u; c < p.dv; c++) { st_o(bh * p.Lq + i, c, o[r * MAXV + c] * inv); }
      lse_[bh * p.Lq + i] = m[r] + log(l[r]);
    }
  }
}

// st[r] = (lse[r], rowsum(dO ∘ O)[r]); one thread per row of B·H·Lq, 64 per workgroup, 2-D grid.
@compute @workgroup_size(64)
fn bwd_pre(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let r = flat_wg(wid, nwg) * WG + li;
  if (r >= p.B * p.H * p.Lq) { return; }
  var acc = 0.0;
  for (var d = 0u; d < p.dh; d++) { acc += po_[r * p.dh + d] * pdo_[r * p.dh + d]; }
  pst_[2u * r] = plse_[r];
  pst_[2u * r + 1u] = acc;
}

@compute @workgroup_size(WGF)
fn bwd_dq(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let yz = bh_index(wid, nwg);
  // p.dbias: the invocation owns head h of its rows for every batch element (dBias sums over the batch).
  let dbias = p.dbias != 0u;
  var nb = 1u;
  if (dbias) {
    if (yz >= p.H) { return; }
    nb = p.B;
  } else if (yz >= p.B * p.H) { return; }
  let i0 = (wid.x * WGF + li) * R;
  var q: array<vec4<f32>, MAXR * MAXV>;
  var g: array<vec4<f32>, MAXR * MAXV>;
  var dq: array<vec4<f32>, MAXR * MAXV>;
  var lse: array<f32, MAXR>;
  var Di: array<f32, MAXR>;
  for (var bi = 0u; bi < nb; bi++) {
    var bh = yz;
    if (dbias) { bh = bi * p.H + yz; }
    let h = bh % p.H;
    let kb = bh * p.Lk;
    for (var r = 0u; r < R; r++) {
      let row = bh * p.Lq + min(i0 + r, p.Lq - 1u);
      for (var c = 0u; c < p.dv; c++) {
        q[r * MAXV + c] = ld_q(row, c) * p.scale;
        g[r * MAXV + c] = ld_do(row, c);
        dq[r * MAXV + c] = vec4<f32>(0.0);
      }
      lse[r] = st_[2u * row];
      Di[r] = st_[2u * row + 1u];
    }
    for (var j0 = 0u; j0 < p.Lk; j0 += 4u) {
      let valid = vec4<u32>(j0, j0 + 1u, j0 + 2u, j0 + 3u) < vec4<u32>(p.Lk);
      let jj = min(vec4<u32>(j0, j0 + 1u, j0 + 2u, j0 + 3u), vec4<u32>(p.Lk - 1u));
      var s: array<vec4<f32>, MAXR>;
      var dp: array<vec4<f32>, MAXR>;
      for (var r = 0u; r < R; r++) {
        s[r] = vec4<f32>(0.0);
        dp[r] = vec4<f32>(0.0);
      }
      for (var c = 0u; c < p.dv; c++) {
        let k0 = ld_k(kb + jj.x, c);
        let k1 = ld_k(kb + jj.y, c);
        let k2 = ld_k(kb + jj.z, c);
        let k3 = ld_k(kb + jj.w, c);
        let v0 = ld_v(kb + jj.x, c);
        let v1 = ld_v(kb + jj.y, c);
        let v2 = ld_v(kb + jj.z, c);
        let v3 = ld_v(kb + jj.w, c);
        for (var r = 0u; r < R; r++) {
          let qc = q[r * MAXV + c];
          let gc = g[r * MAXV + c];
          s[r] += vec4<f32>(dot(qc, k0), dot(qc, k1), dot(qc, k2), dot(qc, k3));
          dp[r] += vec4<f32>(dot(gc, v0), dot(gc, v1), dot(gc, v2), dot(gc, v3));
        }
      }
      var ds: array<vec4<f32>, MAXR>;
      for (var r = 0u; r < R; r++) {
        let i = i0 + r;
        var sv = s[r];
        if (p.has_bias != 0u) { sv += bias4(h, min(i, p.Lq - 1u), jj); }
        let e = select(vec4<f32>(0.0), exp(sv - vec4<f32>(lse[r])), valid);
        let d = e * (dp[r] - vec4<f32>(Di[r]));
        ds[r] = d;
        if (p.store != 0u && i < p.Lq) {
          // Row i of dS and P for bwd_dkv_s (dS first, then P, each [B·H, Lq, Lk]).
          let at = (bh * p.Lq + i) * p.Lk + j0;
          let half = p.B * p.H * p.Lq * p.Lk;
          for (var t = 0u; t < 4u; t++) {
            if (j0 + t < p.Lk) {
              dbias_[at + t] = d[t];
              dbias_[half + at + t] = e[t];
            }
          }
        }
        if (dbias && i < p.Lq) {
          let at = (h * p.Lq + i) * p.Lk + j0;
          for (var t = 0u; t < 4u; t++) {
            if (j0 + t < p.Lk) {
              if (bi == 0u) { dbias_[at + t] = d[t]; } else { dbias_[at + t] = dbias_[at + t] + d[t]; }
            }
          }
        }
      }
      for (var c = 0u; c < p.dv; c++) {
        let k0 = ld_k(kb + jj.x, c);
        let k1 = ld_k(kb + jj.y, c);
        let k2 = ld_k(kb + jj.z, c);
        let k3 = ld_k(kb + jj.w, c);
        for (var r = 0u; r < R; r++) {
          let d = ds[r];
          let acc = fma(vec4<f32>(d.y), k1, fma(vec4<f32>(d.x), k0, dq[r * MAXV + c]));
          dq[r * MAXV + c] = fma(vec4<f32>(d.w), k3, fma(vec4<f32>(d.z), k2, acc));
        }
      }
    }
    for (var r = 0u; r < R; r++) {
      let i = i0 + r;
      if (i < p.Lq) {
        for (var c = 0u; c < p.dv; c++) { st_out1(bh * p.Lq + i, c, dq[r * MAXV + c] * p.scale); }
      }
    }
  }
}

// dV += Pᵀ·dO and dK += dSᵀ·Q over one block of 4 streamed query rows `ii` (P and dS of the
// invocation's R key rows against them); shared by bwd_dkv and bwd_dkv_s.
fn accumulate_dkv(qb: u32, ii: vec4<u32>, pr: ptr<function, array<vec4<f32>, MAXR>>, ds: ptr<function, array<vec4<f32>, MAXR>>,
                  dk: ptr<function, array<vec4<f32>, MAXR * MAXV>>, dv: ptr<function, array<vec4<f32>, MAXR * MAXV>>) {
  for (var c = 0u; c < p.dv; c++) {
    let q0 = ld_q(qb + ii.x, c);
    let q1 = ld_q(qb + ii.y, c);
    let q2 = ld_q(qb + ii.z, c);
    let q3 = ld_q(qb + ii.w, c);
    let g0 = ld_do(qb + ii.x, c);
    let g1 = ld_do(qb + ii.y, c);
    let g2 = ld_do(qb + ii.z, c);
    let g3 = ld_do(qb + ii.w, c);
    for (var r = 0u; r < R; r++) {
      let e = (*pr)[r];
      let d = (*ds)[r];
      (*dv)[r * MAXV + c] = fma(vec4<f32>(e.w), g3, fma(vec4<f32>(e.z), g2, fma(vec4<f32>(e.y), g1, fma(vec4<f32>(e.x), g0, (*dv)[r * MAXV + c]))));
      (*dk)[r * MAXV + c] = fma(vec4<f32>(d.w), q3, fma(vec4<f32>(d.z), q2, fma(vec4<f32>(d.y), q1, fma(vec4<f32>(d.x), q0, (*dk)[r * MAXV + c]))));
    }
  }
}

// Writes the R key rows' dK (scaled) and dV; rows past Lk are skipped.
fn store_dkv(bh: u32, j0: u32, dk: ptr<function, array<vec4<f32>, MAXR * MAXV>>, dv: ptr<function, array<vec4<f32>, MAXR * MAXV>>) {
  for (var r = 0u; r < R; r++) {
    let j = j0 + r;
    if (j < p.Lk) {
      for (var c = 0u; c < p.dv; c++) {
        st_out1(bh * p.Lk + j, c, (*dk)[r * MAXV + c] * p.scale);
        st_out2(bh * p.Lk + j, c, (*dv)[r * MAXV + c]);
      }
    }
  }
}

@compute @workgroup_size(WGF)
fn bwd_dkv(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let bh = bh_index(wid, nwg);
  if (bh >= p.B * p.H) { return; }
  let h = bh % p.H;
  let j0 = (wid.x * WGF + li) * R;
  let qb = bh * p.Lq;
  var kr: array<vec4<f32>, MAXR * MAXV>;
  var vr: array<vec4<f32>, MAXR * MAXV>;
  var dk: array<vec4<f32>, MAXR * MAXV>;
  var dv: array<vec4<f32>, MAXR * MAXV>;
  for (var r = 0u; r < R; r++) {
    let row = bh * p.Lk + min(j0 + r, p.Lk - 1u);
    for (var c = 0u; c < p.dv; c++) {
      kr[r * MAXV + c] = ld_k(row, c);
      vr[r * MAXV + c] = ld_v(row, c);
      dk[r * MAXV + c] = vec4<f32>(0.0);
      dv[r * MAXV + c] = vec4<f32>(0.0);
    }
  }
  for (var a0 = 0u; a0 < p.Lq; a0 += 4u) {
    let valid = vec4<u32>(a0, a0 + 1u, a0 + 2u, a0 + 3u) < vec4<u32>(p.Lq);
    let ii = min(vec4<u32>(a0, a0 + 1u, a0 + 2u, a0 + 3u), vec4<u32>(p.Lq - 1u));
    var s: array<vec4<f32>, MAXR>;
    var dp: array<vec4<f32>, MAXR>;
    for (var r = 0u; r < R; r++) {
      s[r] = vec4<f32>(0.0);
      dp[r] = vec4<f32>(0.0);
    }
    for (var c = 0u; c < p.dv; c++) {
      let q0 = ld_q(qb + ii.x, c);
      let q1 = ld_q(qb + ii.y, c);
      let q2 = ld_q(qb + ii.z, c);
      let q3 = ld_q(qb + ii.w, c);
      let g0 = ld_do(qb + ii.x, c);
      let g1 = ld_do(qb + ii.y, c);
      let g2 = ld_do(qb + ii.z, c);
      let g3 = ld_do(qb + ii.w, c);
      for (var r = 0u; r < R; r++) {
        let kc = kr[r * MAXV + c];
        let vc = vr[r * MAXV + c];
        s[r] += vec4<f32>(dot(q0, kc), dot(q1, kc), dot(q2, kc), dot(q3, kc));
        dp[r] += vec4<f32>(dot(g0, vc), dot(g1, vc), dot(g2, vc), dot(g3, vc));
      }
    }
    let lse = vec4<f32>(st_[2u * (qb + ii.x)], st_[2u * (qb + ii.y)], st_[2u * (qb + ii.z)], st_[2u * (qb + ii.w)]);
    let Dq = vec4<f32>(st_[2u * (qb + ii.x) + 1u], st_[2u * (qb + ii.y) + 1u], st_[2u * (qb + ii.z) + 1u], st_[2u * (qb + ii.w) + 1u]);
    var pr: array<vec4<f32>, MAXR>;
    var ds: array<vec4<f32>, MAXR>;
    for (var r = 0u; r < R; r++) {
      var sv = s[r] * p.scale;
      if (p.has_bias != 0u) {
        let jr = min(j0 + r, p.Lk - 1u);
        let bo = h * p.Lq * p.Lk + jr;
        sv += vec4<f32>(bias_[bo + ii.x * p.Lk], bias_[bo + ii.y * p.Lk], bias_[bo + ii.z * p.Lk], bias_[bo + ii.w * p.Lk]);
      }
      let e = select(vec4<f32>(0.0), exp(sv - lse), valid);
      pr[r] = e;
      ds[r] = e * (dp[r] - Dq);
    }
    accumulate_dkv(qb, ii, &pr, &ds, &dk, &dv);
  }
  store_dkv(bh, j0, &dk, &dv);
}

// bwd_dkv from the dS and P that bwd_dq stored (p.store): dV = Pᵀ·dO, dK = scale · dSᵀ·Q, with no
// recomputation of S or dP — half the multiply-adds of bwd_dkv. Per key row block, the query rows
// are streamed in fours as in bwd_dkv (broadcast loads); dS and P are read per invocation (its own
// key columns), rows past Lq masked to 0.
@compute @workgroup_size(WGF)
fn bwd_dkv_s(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let bh = bh_index(wid, nwg);
  if (bh >= p.B * p.H) { return; }
  let j0 = (wid.x * WGF + li) * R;
  let qb = bh * p.Lq;
  let half = p.B * p.H * p.Lq * p.Lk;
  var dk: array<vec4<f32>, MAXR * MAXV>;
  var dv: array<vec4<f32>, MAXR * MAXV>;
  for (var r = 0u; r < R; r++) {
    for (var c = 0u; c < p.dv; c++) {
      dk[r * MAXV + c] = vec4<f32>(0.0);
      dv[r * MAXV + c] = vec4<f32>(0.0);
    }
  }
  for (var a0 = 0u; a0 < p.Lq; a0 += 4u) {
    let valid = vec4<u32>(a0, a0 + 1u, a0 + 2u, a0 + 3u) < vec4<u32>(p.Lq);
    let ii = min(vec4<u32>(a0, a0 + 1u, a0 + 2u, a0 + 3u), vec4<u32>(p.Lq - 1u));
    var pr: array<vec4<f32>, MAXR>;
    var ds: array<vec4<f32>, MAXR>;
    for (var r = 0u; r < R; r++) {
      let jr = min(j0 + r, p.Lk - 1u);
      let at = vec4<u32>(qb + ii.x, qb + ii.y, qb + ii.z, qb + ii.w) * p.Lk + vec4<u32>(jr);
      ds[r] = select(vec4<f32>(0.0), vec4<f32>(sp_[at.x], sp_[at.y], sp_[at.z], sp_[at.w]), valid);
      pr[r] = select(vec4<f32>(0.0), vec4<f32>(sp_[half + at.x], sp_[half + at.y], sp_[half + at.z], sp_[half + at.w]), valid);
    }
    accumulate_dkv(qb, ii, &pr, &ds, &dk, &dv);
  }
  store_dkv(bh, j0, &dk, &dv);
}
