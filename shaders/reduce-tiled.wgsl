// reduce-tiled.wgsl — GPU-class row reductions of LayerNorm over the last axis (rows of a multiple
// of 4): forward y = (x − mean)·rstd·γ + β with stats = (mean, rstd), and the backward data
// gradient dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), ĝ = g·γ, x̂ = (x − mean)·rstd. Sibling of
// layernorm.wgsl's forward4/backward4 (one row per invocation: right for CPU adapters, where
// barriers are expensive; on a GPU a 768-long row per thread leaves most lanes idle and loads
// uncoalesced). The dγ/dβ partials stay with layernorm.wgsl's dparams4 (already column-coalesced).
//
// Tiling: one workgroup of 256 invocations per row; invocations stride over the row's vec4s
// (neighbours read neighbouring 16-byte chunks: coalesced), then a workgroup-memory tree
// reduction (vec2: two sums at once, 8 barrier steps). forward makes two passes (mean, then
// Σ(x − mean)²: never E[x²] − mean², which cancels) and a third to write y; backward one pass for
// Σĝ and Σĝ·x̂ and one to write dx. Workgroup memory: 256 × vec2 = 2 KiB.
// Storage buffers: forward_t 5 (x, γ, β, y, stats), backward_t 5 (x, γ, stats, g, dx).
// Limits: cols % 4 == 0; rows on a 2-D grid; row length < 2^32 elements.

override HAS_W: bool = true;
override HAS_B: bool = true;

struct Params {
  rows: u32,
  cols: u32,
  rows_per_chunk: u32,
  chunks: u32,
  eps: f32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> w4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> y4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> stats: array<f32>;   // [rows, 2] (mean, rstd)
@group(0) @binding(3) var<storage, read> bstats: array<f32>;
@group(0) @binding(4) var<storage, read> g4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> dx4: array<vec4<f32>>;

const WG: u32 = 256u;
var<workgroup> red: array<vec2<f32>, 256>;

fn reduce2(v: vec2<f32>, li: u32) -> vec2<f32> {
  red[li] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (li < s) { red[li] = red[li] + red[li + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn gamma4(j: u32) -> vec4<f32> {
  if (HAS_W) { return w4[j]; }
  return vec4<f32>(1.0);
}

fn beta4(j: u32) -> vec4<f32> {
  if (HAS_B) { return b4[j]; }
  return vec4<f32>(0.0);
}

@compute @workgroup_size(256)
fn forward_t(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = flat_wg(wid, nwg);
  if (row >= p.rows) { return; }
  let c4 = p.cols / 4u;
  let base = row * c4;
  var s = vec4<f32>(0.0);
  for (var j = li; j < c4; j += WG) { s += x4[base + j]; }
  let mean = reduce2(vec2<f32>(dot(s, vec4<f32>(1.0)), 0.0), li).x / f32(p.cols);
  var q = vec4<f32>(0.0);
  for (var j = li; j < c4; j += WG) { let d = x4[base + j] - mean; q = fma(d, d, q); }
  let rstd = inverseSqrt(reduce2(vec2<f32>(dot(q, vec4<f32>(1.0)), 0.0), li).x / f32(p.cols) + p.eps);
  for (var j = li; j < c4; j += WG) { y4[base + j] = (x4[base + j] - mean) * rstd * gamma4(j) + beta4(j); }
  if (li == 0u) {
    stats[2u * row] = mean;
    stats[2u * row + 1u] = rstd;
  }
}

@compute @workgroup_size(256)
fn backward_t(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = flat_wg(wid, nwg);
  if (row >= p.rows) { return; }
  let c4 = p.cols / 4u;
  let base = row * c4;
  let mean = bstats[2u * row];
  let rstd = bstats[2u * row + 1u];
  var sg = vec4<f32>(0.0);
  var sgx = vec4<f32>(0.0);
  for (var j = li; j < c4; j += WG) {
    let gh = g4[base + j] * gamma4(j);
    sg += gh;
    sgx = fma(gh, (x4[base + j] - mean) * rstd, sgx);
  }
  let r = reduce2(vec2<f32>(dot(sg, vec4<f32>(1.0)), dot(sgx, vec4<f32>(1.0))), li) / f32(p.cols);
  for (var j = li; j < c4; j += WG) {
    let xh = (x4[base + j] - mean) * rstd;
    dx4[base + j] = rstd * (g4[base + j] * gamma4(j) - r.x - xh * r.y);
  }
}
