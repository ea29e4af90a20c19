// anchor.wgsl — ARBEx reliability-balancing anchors, fused.
//
// forward (one workgroup of 128 threads per sample i; requires J = C·K <= 256):
//   d_ij   = ‖e_i − a_j‖₂ for every anchor j (kept in workgroup memory),
//   p_ij   = softmax_j(−d_ij / δ) over all C·K anchors (max-shifted, so exp never overflows),
//   t_ic   = Σ_k p_i,(c,k)                      -> out[i, c]
//   dmin_i = min_k d_i,(y_i,k)  (labels given) or min_j d_ij (no labels)  -> out[i, C]
//   Stored for backward: dist [B, J] and aux [B, 2] = (logsumexp_i, argmin_i).
// grad_dist (workgroup per sample): gd_ij = −(p_ij (gT_i,c(j) − Σ_j' p_ij' gT_i,c(j'))) / δ
//                                           + [j = argmin_i] · gDmin_i
// grad_e   (thread per (i, k)): ge_ik = Σ_j gd_ij (e_ik − a_jk) / d_ij
// grad_a   (thread per (j, k)): ga_jk = −Σ_i gd_ij (e_ik − a_jk) / d_ij
// (d_ij is floored at 1e-12: the distance is not differentiable at 0; its gradient is taken as 0.)
//
// pair_loss / pair_grad: the anchor separation loss over same-index anchors of different classes,
//   MODE 0 (released):  L = −s · Σ_{c≠c'} Σ_k ‖a_ck − a_c'k‖²,          s = 1 / (K² √D)
//   MODE 1 (margin):    L =  s · Σ_{c≠c'} Σ_k max(0, m − ‖a_ck − a_c'k‖ / √D)²,  s = 1 / (C (C−1) K)
//   pair_loss runs as one workgroup (a tree reduction); pair_grad is one thread per (c, k, dim).
// Storage buffers per entry: at most 6.

override HAS_LABELS: bool = true;
override MODE: u32 = 0u;

struct Params {
  b: u32,        // samples
  c: u32,        // classes
  k: u32,        // anchors per class
  d: u32,        // embedding dim
  delta: f32,    // softmax temperature δ
  scale: f32,    // pair loss: s
  margin: f32,   // pair loss: m
  _pad: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> emb: array<f32>;       // [B, D]
@group(0) @binding(2) var<storage, read> anchors: array<f32>;   // [C·K, D]
@group(0) @binding(3) var<storage, read> labels: array<i32>;    // [B]
@group(0) @binding(4) var<storage, read_write> out: array<f32>; // forward: [B, C+1]; grads: output
@group(0) @binding(5) var<storage, read_write> dist: array<f32>;// [B, J]
@group(0) @binding(6) var<storage, read_write> aux: array<f32>; // [B, 2]

var<workgroup> sd: array<f32, 256>;
var<workgroup> red: array<f32, 128>;

fn wg_max(v: f32, li: u32) -> f32 {
  red[li] = v;
  workgroupBarrier();
  for (var s = 64u; s > 0u; s = s >> 1u) {
    if (li < s) { red[li] = max(red[li], red[li + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn wg_sum(v: f32, li: u32) -> f32 {
  red[li] = v;
  workgroupBarrier();
  for (var s = 64u; s > 0u; s = s >> 1u) {
    if (li < s) { red[li] = red[li] + red[li + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(128)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg);
  if (i >= p.b) { return; }
  let J = p.c * p.k;
  for (var j = li; j < J; j = j + 128u) {
    var s = 0.0;
    for (var k = 0u; k < p.d; k++) {
      let diff = emb[i * p.d + k] - anchors[j * p.d + k];
      s = s + diff * diff;
    }
    let dj = sqrt(s);
    sd[j] = dj;
    dist[i * J + j] = dj;
  }
  workgroupBarrier();
  var m = -3.4028234663852886e38;
  for (var j = li; j < J; j = j + 128u) { m = max(m, -sd[j] / p.delta); }
  m = wg_max(m, li);
  var z = 0.0;
  for (var j = li; j < J; j = j + 128u) { z = z + exp(-sd[j] / p.delta - m); }
  z = wg_sum(z, li);
  let lse = m + log(z);
  for (var c = li; c < p.c; c = c + 128u) {
    var t = 0.0;
    for (var k = 0u; k < p.k; k++) { t = t + exp(-sd[c * p.k + k] / p.delta - lse); }
    out[i * (p.c + 1u) + c] = t;
  }
  if (li == 0u) {
    var lo = 0u;
    var hi = J;
    if (HAS_LABELS) {
      let y = labels[i];
      if (y < 0 || u32(y) >= p.c) { lo = 0u; hi = 0u; } else { lo = u32(y) * p.k; hi = lo + p.k; }
    }
    var best = 3.4028234663852886e38;
    var arg = lo;
    for (var j = lo; j < hi; j++) {
      if (sd[j] < best) { best = sd[j]; arg = j; }
    }
    // An out-of-range label leaves an empty range: report +inf·0 = NaN-free sentinel −1.
    if (hi == lo) { best = -1.0; arg = 0xffffffffu; }
    out[i * (p.c + 1u) + p.c] = best;
    aux[i * 2u] = lse;
    aux[i * 2u + 1u] = bitcast<f32>(arg);
  }
}

// out = gd [B, J]; inputs: dist, aux and the upstream gradient passed in `emb` ([B, C+1]).
@compute @workgroup_size(128)
fn grad_dist(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg);
  if (i >= p.b) { return; }
  let J = p.c * p.k;
  let lse = aux[i * 2u];
  let arg = bitcast<u32>(aux[i * 2u + 1u]);
  let g0 = i * (p.c + 1u);
  var s = 0.0;
  for (var j = li; j < J; j = j + 128u) {
    let pj = exp(-dist[i * J + j] / p.delta - lse);
    s = s + pj * emb[g0 + j / p.k];
  }
  s = wg_sum(s, li);
  for (var j = li; j < J; j = j + 128u) {
    let pj = exp(-dist[i * J + j] / p.delta - lse);
    var gd = -(pj * (emb[g0 + j / p.k] - s)) / p.delta;
    if (j == arg) { gd = gd + emb[g0 + p.c]; }
    out[i * J + j] = gd;
  }
}

// out = dE [B, D]; `aux` carries gd [B, J] here.
@compute @workgroup_size(256)
fn grad_e(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = flat_wg(wid, nwg) * 256u + li;
  if (t >= p.b * p.d) { return; }
  let i = t / p.d;
  let k = t % p.d;
  let J = p.c * p.k;
  let e = emb[t];
  var s = 0.0;
  for (var j = 0u; j < J; j++) {
    s = s + aux[i * J + j] * (e - anchors[j * p.d + k]) / max(dist[i * J + j], 1e-12);
  }
  out[t] = s;
}

// out = dA [J, D]; `aux` carries gd [B, J] here.
@compute @workgroup_size(256)
fn grad_a(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let J = p.c * p.k;
  let t = flat_wg(wid, nwg) * 256u + li;
  if (t >= J * p.d) { return; }
  let j = t / p.d;
  let k = t % p.d;
  let a = anchors[t];
  var s = 0.0;
  for (var i = 0u; i < p.b; i++) {
    s = s - aux[i * J + j] * (emb[i * p.d + k] - a) / max(dist[i * J + j], 1e-12);
  }
  out[t] = s;
}

fn pair_dist(c1: u32, c2: u32, kk: u32) -> f32 {
  var s = 0.0;
  for (var x = 0u; x < p.d; x++) {
    let diff = anchors[(c1 * p.k + kk) * p.d + x] - anchors[(c2 * p.k + kk) * p.d + x];
    s = s + diff * diff;
  }
  return s;
}

@compute @workgroup_size(128)
fn pair_loss(@builtin(local_invocation_index) li: u32) {
  let pairs = p.c * p.c * p.k;
  let rd = sqrt(f32(p.d));
  var acc = 0.0;
  for (var t = li; t < pairs; t = t + 128u) {
    let c1 = t / (p.c * p.k);
    let c2 = (t / p.k) % p.c;
    let kk = t % p.k;
    if (c1 == c2) { continue; }
    let sq = pair_dist(c1, c2, kk);
    if (MODE == 0u) { acc = acc - sq; } else { let h = max(0.0, p.margin - sqrt(sq) / rd); acc = acc + h * h; }
  }
  let total = wg_sum(acc, li);
  if (li == 0u) { out[0] = total * p.scale; }
}

// out = dA [C·K, D]; the upstream scalar gradient is aux[0].
@compute @workgroup_size(256)
fn pair_grad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = flat_wg(wid, nwg) * 256u + li;
  if (t >= p.c * p.k * p.d) { return; }
  let x = t % p.d;
  let kk = (t / p.d) % p.k;
  let c1 = t / (p.d * p.k);
  let rd = sqrt(f32(p.d));
  let g = aux[0] * p.scale;
  var s = 0.0;
  for (var c2 = 0u; c2 < p.c; c2++) {
    if (c2 == c1) { continue; }
    let diff = anchors[(c1 * p.k + kk) * p.d + x] - anchors[(c2 * p.k + kk) * p.d + x];
    if (MODE == 0u) {
      s = s - 4.0 * diff;   // both ordered pairs (c1,c2) and (c2,c1) contribute 2·diff
    } else {
      let r = sqrt(pair_dist(c1, c2, kk));
      let h = max(0.0, p.margin - r / rd);
      s = s - 4.0 * h * diff / (rd * max(r, 1e-12));
    }
  }
  out[t] = g * s;
}
