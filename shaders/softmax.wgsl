// softmax.wgsl — numerically stable softmax / log-softmax over the last axis, and their fused
// backward passes.
//
// One workgroup of 64 threads per row; each thread strides over the row, and workgroup-memory
// tree reductions give the row max and the sum of exp(x - max) (so exp never overflows).
//   softmax backward:     dx = y * (g - sum(g * y))
//   log-softmax backward: dx = g - exp(y) * sum(g)
// Saved for backward: the output y only. Limits: row length < 2^32; rows on a 2-D grid.

override LOG: bool = false;

struct Params {
  rows: u32,
  cols: u32,
  _pad0: u32,
  _pad1: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;      // forward: input; backward: y
@group(0) @binding(2) var<storage, read> g: array<f32>;      // backward: upstream gradient
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

var<workgroup> red: array<f32, 64>;

fn reduce_max(v: f32, li: u32) -> f32 {
  red[li] = v;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) {
    if (li < s) { red[li] = max(red[li], red[li + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn reduce_sum(v: f32, li: u32) -> f32 {
  red[li] = v;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) {
    if (li < s) { red[li] = red[li] + red[li + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(64)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = flat_wg(wid, nwg);
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  var m = -3.4028234663852886e38;
  for (var j = li; j < p.cols; j = j + 64u) { m = max(m, x[base + j]); }
  m = reduce_max(m, li);
  var s = 0.0;
  for (var j = li; j < p.cols; j = j + 64u) { s = s + exp(x[base + j] - m); }
  s = reduce_sum(s, li);
  if (LOG) {
    let lse = m + log(s);
    for (var j = li; j < p.cols; j = j + 64u) { out[base + j] = x[base + j] - lse; }
  } else {
    let inv = 1.0 / s;
    for (var j = li; j < p.cols; j = j + 64u) { out[base + j] = exp(x[base + j] - m) * inv; }
  }
}

@compute @workgroup_size(64)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = flat_wg(wid, nwg);
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  var s = 0.0;
  if (LOG) {
    for (var j = li; j < p.cols; j = j + 64u) { s = s + g[base + j]; }
  } else {
    for (var j = li; j < p.cols; j = j + 64u) { s = s + g[base + j] * x[base + j]; }
  }
  s = reduce_sum(s, li);
  if (LOG) {
    for (var j = li; j < p.cols; j = j + 64u) { out[base + j] = g[base + j] - exp(x[base + j]) * s; }
  } else {
    for (var j = li; j < p.cols; j = j + 64u) { out[base + j] = x[base + j] * (g[base + j] - s); }
  }
}
