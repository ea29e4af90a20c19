// batchnorm.wgsl — batch normalisation over axis 1 of [N, C, (inner)] (f32), training and eval,
// forward and backward. `count` = N·inner elements per channel; element e of channel c lives at
// (e / inner)·C·inner + c·inner + e % inner.
//
//  * stats_main, stats_update: one workgroup (WGR threads) per channel; two passes over the
//                channel — mean, then Σ(x − mean)² (numerically sound, no E[x²] − E[x]²
//                cancellation) — each a strided per-thread sum plus a tree reduction (≤ 1 KiB).
//                Writes stats = [mean; invstd] ([2, C]), the only thing saved for backward, and
//                stats_update also blends running mean/var in place (unbiased var: · count/(count−1)).
//  * eval_stats: one thread per channel: stats = [running mean; 1/√(running var + eps)].
//  * norm_fwd_p: y = (x − mean)·invstd·w + b, one workgroup of WGR threads per ppw (n, c) planes
//                of `inner` contiguous elements, each plane walked in steps of WGR (planes smaller
//                than WGR: one plane per thread): the channel is one per plane, so its statistics
//                and affine terms are read once and no element needs a division (run lane by lane
//                on a CPU adapter), and the per-invocation cost that dominated the earlier
//                one-thread-per-4-elements kernel on llvmpipe is paid once per ppw planes (the host
//                sizes ppw to ~256 elements per workgroup).
//                ARBEx-tiny, lavapipe, same process: 32×16×32×32 1.84 → 0.79 ms, 32×32×16×16
//                1.16 → 0.67–0.84 ms; one plane per workgroup was 2–3× slower at 4×4.
//  * bwd_reduce: one workgroup per channel: dbias = Σ dy, dweight = Σ dy·x̂ (x̂ = (x − mean)·invstd).
//  * bwd_dx_p:   as norm_fwd_p (training): dx = w·invstd·(dy − dbias/count − x̂·dweight/count)
//                (batch statistics depend on x); bwd_dx_eval: dx = w·invstd·dy, one thread per Q
//                elements (Q = 4 when inner % 4 == 0, else 1: the channel index computed once per Q).
//  * p.act (training; a uniform, so the same pipelines): a PReLU z = v > 0 ? v : α[c]·v fused onto
//                the output v: norm_fwd_p writes z (and the affine terms w·invstd, b into
//                stats[2..3, C]), bwd_reduce and bwd_dx_p take dz, recompute v from x and turn dz
//                into dv in place, and bwd_reduce also gives dα = Σ_{v ≤ 0} dz·v. Saves the PReLU's
//                own three passes.
// The per-channel reductions stay at one element per step: 4 there was 0.4–1.1× (fewer threads
// busy in the same barrier tree).
// Storage buffers per entry: stats_main 2, stats_update 4, eval_stats 3, norm_fwd_p 6,
// bwd_reduce 7, bwd_dx_p 8, bwd_dx_eval 5 (α and dα bound to placeholders without p.act). (No entry binds the placeholder to two writable slots.)
// Limits: C ≤ 65535·65535 workgroups (split over x/y), tensors < 2^32 elements.

override HAS_W: bool = false;
override HAS_B: bool = false;
override Q: u32 = 1u;   // bwd_dx_eval
// Threads of the per-channel reductions (stats_*, bwd_reduce) and of the plane walks: 256, or fewer on a CPU adapter.
override WGR: u32 = 256u;

struct Params {
  c: u32, inner: u32, count: u32, total: u32,
  momentum: f32, eps: f32, unbias: f32,
  act: u32,   // 1: a PReLU follows (norm_fwd_p, bwd_reduce, bwd_dx_p; see the header)
  ppw: u32,   // norm_fwd_p, bwd_dx_p: (n, c) planes per workgroup
  _p0: u32, _p1: u32, _p2: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> stats: array<f32>;
@group(0) @binding(3) var<storage, read_write> rmean: array<f32>;
@group(0) @binding(4) var<storage, read_write> rvar: array<f32>;
// With p.act (entries that bind no running statistics): PReLU slopes and their gradient.
@group(0) @binding(3) var<storage, read> alpha_: array<f32>;
@group(0) @binding(4) var<storage, read_write> dalpha_: array<f32>;
@group(0) @binding(5) var<storage, read> weight: array<f32>;
@group(0) @binding(6) var<storage, read> bias: array<f32>;
@group(0) @binding(7) var<storage, read_write> y: array<f32>;
@group(0) @binding(8) var<storage, read> gy: array<f32>;
@group(0) @binding(9) var<storage, read_write> dbias: array<f32>;
@group(0) @binding(10) var<storage, read_write> dweight: array<f32>;

var<workgroup> red: array<f32, 256>;

fn addr(c: u32, e: u32) -> u32 {
  return (e / p.inner) * p.c * p.inner + c * p.inner + e % p.inner;
}

/** Workgroup-wide sum of v; every thread gets the result. */
fn wg_sum(li: u32, v: f32) -> f32 {
  red[li] = v;
  workgroupBarrier();
  for (var s = WGR / 2u; s > 0u; s = s >> 1u) {
    if (li < s) { red[li] = red[li] + red[li + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();   // red is reused by the next call
  return r;
}

fn channel_of(i: u32) -> u32 { return (i / p.inner) % p.c; }

fn walk_start(c: u32, li: u32) -> ChannelWalk { return channel_walk(c, li, p.c, p.inner); }
fn walk_next(w: ChannelWalk) -> ChannelWalk { return channel_step(w, WGR, p.c, p.inner); }

/** Two-pass batch statistics of channel c: (mean, biased variance). */
fn channel_stats(c: u32, li: u32) -> vec2<f32> {
  var s = 0.0;
  var w = walk_start(c, li);
  for (var e = li; e < p.count; e += WGR) {
    s = s + x[w.a];
    w = walk_next(w);
  }
  let mean = wg_sum(li, s) / f32(p.count);
  var q = 0.0;
  w = walk_start(c, li);
  for (var e = li; e < p.count; e += WGR) {
    let d = x[w.a] - mean;
    q = fma(d, d, q);
    w = walk_next(w);
  }
  return vec2<f32>(mean, wg_sum(li, q) / f32(p.count));
}

@compute @workgroup_size(WGR)
fn stats_main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let c = flat_wg(wid, nwg);
  if (c >= p.c) { return; }
  let mv = channel_stats(c, li);
  if (li == 0u) {
    stats[c] = mv.x;
    stats[p.c + c] = 1.0 / sqrt(mv.y + p.eps);
  }
}

// Separate entry (not an override) so stats_main binds no running-stat buffers at all.
@compute @workgroup_size(WGR)
fn stats_update(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let c = flat_wg(wid, nwg);
  if (c >= p.c) { return; }
  let mv = channel_stats(c, li);
  if (li == 0u) {
    stats[c] = mv.x;
    stats[p.c + c] = 1.0 / sqrt(mv.y + p.eps);
    rmean[c] = (1.0 - p.momentum) * rmean[c] + p.momentum * mv.x;
    rvar[c] = (1.0 - p.momentum) * rvar[c] + p.momentum * mv.y * p.unbias;
  }
}

@compute @workgroup_size(64)
fn eval_stats(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= p.c) { return; }
  stats[c] = rmean[c];
  stats[p.c + c] = 1.0 / sqrt(rvar[c] + p.eps);
}

/** norm_fwd_p's map over elements e0, e0 + step, … of plane `plane` (= n · C + c). */
fn norm_plane(plane: u32, e0: u32, step: u32) {
  let c = plane % p.c;
  let mean = stats[c];
  var sc = stats[p.c + c];
  if (HAS_W) { sc = sc * weight[c]; }
  var sh = 0.0;
  if (HAS_B) { sh = bias[c]; }
  let base = plane * p.inner;
  if (p.act == 0u) {
    for (var e = e0; e < p.inner; e += step) { y[base + e] = fma(x[base + e] - mean, sc, sh); }
    return;
  }
  let a = alpha_[c];
  for (var e = e0; e < p.inner; e += step) {
    let v = fma(x[base + e] - mean, sc, sh);
    y[base + e] = select(a * v, v, v > 0.0);
  }
  if (plane == c && e0 == 0u) {   // the first image's plane of the channel keeps the affine terms
    stats[2u * p.c + c] = sc;
    stats[3u * p.c + c] = sh;
  }
}

@compute @workgroup_size(WGR)
fn norm_fwd_p(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let k0 = flat_wg(wid, nwg) * p.ppw;
  let k1 = min(k0 + p.ppw, p.total / p.inner);
  // Planes of at least WGR elements: the lanes share each plane; smaller ones: a plane per lane.
  if (p.inner >= WGR) {
    for (var plane = k0; plane < k1; plane++) { norm_plane(plane, li, WGR); }
  } else {
    for (var plane = k0 + li; plane < k1; plane += WGR) { norm_plane(plane, 0u, 1u); }
  }
}

/** The BatchNorm output v (before the PReLU) of element value xv in channel c, as norm_fwd_p made it. */
fn pre_act(c: u32, xv: f32, mean: f32) -> f32 {
  return fma(xv - mean, stats[2u * p.c + c], stats[3u * p.c + c]);
}

@compute @workgroup_size(WGR)
fn bwd_reduce(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let c = flat_wg(wid, nwg);
  if (c >= p.c) { return; }
  let mean = stats[c];
  var sg = 0.0;
  var sgx = 0.0;
  var sa = 0.0;
  var w = walk_start(c, li);
  if (p.act == 0u) {
    for (var e = li; e < p.count; e += WGR) {
      let g = gy[w.a];
      sg = sg + g;
      sgx = fma(g, x[w.a] - mean, sgx);
      w = walk_next(w);
    }
  } else {
    // gy holds the gradient of the PReLU output: dv = gy·(v > 0 ? 1 : α), dα = Σ_{v ≤ 0} gy·v.
    let a = alpha_[c];
    for (var e = li; e < p.count; e += WGR) {
      let xv = x[w.a];
      let v = pre_act(c, xv, mean);
      let go = gy[w.a];
      let g = select(a * go, go, v > 0.0);
      sg = sg + g;
      sgx = fma(g, xv - mean, sgx);
      if (v <= 0.0) { sa = fma(go, v, sa); }
      w = walk_next(w);
    }
  }
  let tg = wg_sum(li, sg);
  let tgx = wg_sum(li, sgx);
  var ta = 0.0;
  if (p.act != 0u) { ta = wg_sum(li, sa); }
  if (li == 0u) {
    dbias[c] = tg;
    dweight[c] = tgx * stats[p.c + c];
    if (p.act != 0u) { dalpha_[c] = ta; }
  }
}

fn dx_scale(c: u32) -> f32 {
  if (HAS_W) { return stats[p.c + c] * weight[c]; }
  return stats[p.c + c];
}

/** bwd_dx_p's map over elements e0, e0 + step, … of plane `plane` (= n · C + c). */
fn dx_plane(plane: u32, e0: u32, step: u32) {
  let c = plane % p.c;
  let mean = stats[c];
  let inv = stats[p.c + c];
  let n = f32(p.count);
  let gm = dbias[c] / n;
  let wm = dweight[c] / n;
  let k = dx_scale(c);
  let base = plane * p.inner;
  if (p.act == 0u) {
    for (var e = e0; e < p.inner; e += step) {
      let xhat = (x[base + e] - mean) * inv;
      y[base + e] = k * (gy[base + e] - gm - xhat * wm);
    }
    return;
  }
  let a = alpha_[c];
  for (var e = e0; e < p.inner; e += step) {
    let xv = x[base + e];
    let go = gy[base + e];
    let g = select(a * go, go, pre_act(c, xv, mean) > 0.0);
    y[base + e] = k * (g - gm - (xv - mean) * inv * wm);
  }
}

@compute @workgroup_size(WGR)
fn bwd_dx_p(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let k0 = flat_wg(wid, nwg) * p.ppw;
  let k1 = min(k0 + p.ppw, p.total / p.inner);
  if (p.inner >= WGR) {
    for (var plane = k0; plane < k1; plane++) { dx_plane(plane, li, WGR); }
  } else {
    for (var plane = k0 + li; plane < k1; plane += WGR) { dx_plane(plane, 0u, 1u); }
  }
}

@compute @workgroup_size(256)
fn bwd_dx_eval(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i0 = (flat_wg(wid, nwg) * 256u + li) * Q;
  if (i0 >= p.total) { return; }
  let k = dx_scale(channel_of(i0));
  for (var t = 0u; t < Q; t++) { y[i0 + t] = k * gy[i0 + t]; }
}
