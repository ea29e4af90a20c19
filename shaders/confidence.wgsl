// confidence.wgsl — ARBEx's normalised-entropy confidence of a distribution, one row at a time,
// and its backward (src/ops/confidence.ts):
//
//   fwd: c = clamp(1 − H(q)/ln C, floor, 1),  H(q) = −Σ_j q_j · ln(clamp(q_j, 1e-8, 1))
//   bwd: dq_j = dc · [floor ≤ u ≤ 1] · (ln q'_j + [1e-8 ≤ q_j ≤ 1]) / ln C,
//        u = 1 − H(q)/ln C, q' = clamp(q, 1e-8, 1)
//
// The gradient is the composition's (clamp passes it where its input lies in the range, ends
// included; d(q·ln q')/dq = ln q' + q/q' inside, ln q' outside). Fused because the composition is
// eight dispatches forward and ten backward on a [B, C] of a few hundred values, three times per
// training step. One thread per row, 64 per workgroup (split over x/y with flat_wg); H is
// recomputed in the backward, nothing but q is saved. q: [rows, C]; c, dc: [rows].
// Storage buffers: fwd 2, bwd 3. Limits: rows, rows·C < 2^32.

struct Params {
  rows: u32,
  cols: u32,
  floor: f32,
  inv_log_c: f32,   // 1 / ln C
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> dc: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const Q_FLOOR: f32 = 1e-8;   // host: LOG_FLOOR in src/ops/confidence.ts

fn entropy(r: u32) -> f32 {
  var h = 0.0;
  for (var j = 0u; j < p.cols; j++) {
    let v = q[r * p.cols + j];
    h -= v * log(clamp(v, Q_FLOOR, 1.0));
  }
  return h;
}

@compute @workgroup_size(64)
fn fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let r = flat_wg(wid, nwg) * 64u + li;
  if (r >= p.rows) { return; }
  out[r] = clamp(1.0 - entropy(r) * p.inv_log_c, p.floor, 1.0);
}

@compute @workgroup_size(64)
fn bwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let r = flat_wg(wid, nwg) * 64u + li;
  if (r >= p.rows) { return; }
  let u = 1.0 - entropy(r) * p.inv_log_c;
  let g = select(0.0, dc[r] * p.inv_log_c, u >= p.floor && u <= 1.0);
  for (var j = 0u; j < p.cols; j++) {
    let v = q[r * p.cols + j];
    out[r * p.cols + j] = g * (log(clamp(v, Q_FLOOR, 1.0)) + select(0.0, 1.0, v >= Q_FLOOR && v <= 1.0));
  }
}
