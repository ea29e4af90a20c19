// index.wgsl — integer-indexed gathers and their adjoints.
//
//  pick:          out[r] = x[r, idx[r]]                 (cross-entropy picks the label's log-prob)
//  pick_backward: dx[r, c] = (c == idx[r]) ? g[r] : 0
//  gather_rows:   out[i, :] = table[idx[i], :]          (embedding lookup, per-class rows)
//  gather_rows_backward: dtable[v, :] = sum_{i: idx[i] == v} g[i, :]
//    WGSL has no float atomics, so each thread owns one table element and scans the indices:
//    O(V·D·n) work, fine for the class/anchor tables it serves.
// An index outside [0, cols) / [0, V) yields NaN (never a silently clamped read).
// One thread per output element, 256 per workgroup, 2-D grid.

struct Params {
  rows: u32,   // pick: rows; gather: number of indices n
  cols: u32,   // pick: row length; gather: row width D
  vocab: u32,  // gather: table rows V
  nan_bits: u32,   // 0x7fc00000 from the host: WGSL rejects NaN constants
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> idx: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;


@compute @workgroup_size(256)
fn pick(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let r = flat_wg(wid, nwg) * 256u + li;
  if (r >= p.rows) { return; }
  let j = idx[r];
  if (j < 0 || u32(j) >= p.cols) { out[r] = bitcast<f32>(p.nan_bits); return; }
  out[r] = x[r * p.cols + u32(j)];
}

@compute @workgroup_size(256)
fn pick_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i >= p.rows * p.cols) { return; }
  let r = i / p.cols;
  let c = i % p.cols;
  out[i] = select(0.0, x[r], idx[r] == i32(c));   // x is the upstream gradient here
}

@compute @workgroup_size(256)
fn gather_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i >= p.rows * p.cols) { return; }
  let r = i / p.cols;
  let c = i % p.cols;
  let v = idx[r];
  if (v < 0 || u32(v) >= p.vocab) { out[i] = bitcast<f32>(p.nan_bits); return; }
  out[i] = x[u32(v) * p.cols + c];
}

@compute @workgroup_size(256)
fn gather_rows_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i >= p.vocab * p.cols) { return; }
  let v = i32(i / p.cols);
  let c = i % p.cols;
  var s = 0.0;
  for (var r = 0u; r < p.rows; r++) {
    if (idx[r] == v) { s = s + x[r * p.cols + c]; }   // x is the upstream gradient here
  }
  out[i] = s;
}
