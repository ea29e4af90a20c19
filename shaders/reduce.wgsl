// reduce.wgsl — sum / max / argmax over one contiguous run of axes.
//
// The host views the input as [outer, R, inner] (reduced axes in the middle, permuted there if
// they were not adjacent). Two strategies:
//  * row_*  (inner == 1): one workgroup of 256 threads per output; each thread strides over the
//    row, then a tree reduction in workgroup memory (log2(256) barrier steps).
//  * col_*  (inner > 1): one thread per output element, looping over R; reads are coalesced
//    across neighbouring threads because they touch neighbouring inner indices.
// OP: 0 sum, 1 max. The result is multiplied by `scale` (1/R turns sum into mean).
// argmax returns the first index of the maximum (i32). Limits: R, outer*inner < 2^32.

override OP: u32 = 0u;

struct Params {
  outer: u32,
  r: u32,
  inner: u32,
  scale: f32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> out_idx: array<i32>;

const NEG_INF: f32 = -3.4028234663852886e38;
var<workgroup> sval: array<f32, 256>;
var<workgroup> sidx: array<u32, 256>;

fn identity() -> f32 {
  if (OP == 1u) { return NEG_INF; }
  return 0.0;
}

fn combine(a: f32, b: f32) -> f32 {
  if (OP == 1u) { return max(a, b); }
  return a + b;
}

@compute @workgroup_size(256)
fn row_reduce(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = flat_wg(wid, nwg);
  if (row >= p.outer) { return; }   // uniform per workgroup, so barriers stay uniform
  let base = row * p.r;
  var acc = identity();
  for (var k = li; k < p.r; k = k + 256u) { acc = combine(acc, x[base + k]); }
  sval[li] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (li < s) { sval[li] = combine(sval[li], sval[li + s]); }
    workgroupBarrier();
  }
  if (li == 0u) { out[row] = sval[0] * p.scale; }
}

@compute @workgroup_size(256)
fn col_reduce(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i >= p.outer * p.inner) { return; }
  let o = i / p.inner;
  let j = i % p.inner;
  var acc = identity();
  var off = o * p.r * p.inner + j;
  for (var k = 0u; k < p.r; k = k + 1u) {
    acc = combine(acc, x[off]);
    off = off + p.inner;
  }
  out[i] = acc * p.scale;
}

@compute @workgroup_size(256)
fn row_argmax(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = flat_wg(wid, nwg);
  if (row >= p.outer) { return; }
  let base = row * p.r;
  var best = NEG_INF;
  var bi = 0xffffffffu;
  for (var k = li; k < p.r; k = k + 256u) {
    let v = x[base + k];
    if (v > best || bi == 0xffffffffu) { best = v; bi = k; }
  }
  sval[li] = best;
  sidx[li] = bi;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (li < s) {
      let v = sval[li + s];
      let j = sidx[li + s];
      // Prefer the larger value; on ties the smaller index. Empty slots carry index 0xffffffff.
      if (j != 0xffffffffu && (sidx[li] == 0xffffffffu || v > sval[li] || (v == sval[li] && j < sidx[li]))) {
        sval[li] = v;
        sidx[li] = j;
      }
    }
    workgroupBarrier();
  }
  if (li == 0u) { out_idx[row] = i32(sidx[0]); }
}

@compute @workgroup_size(256)
fn col_argmax(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i >= p.outer * p.inner) { return; }
  let o = i / p.inner;
  let j = i % p.inner;
  var best = NEG_INF;
  var bi = 0u;
  var off = o * p.r * p.inner + j;
  for (var k = 0u; k < p.r; k = k + 1u) {
    let v = x[off];
    if (v > best || k == 0u) { best = v; bi = k; }
    off = off + p.inner;
  }
  out_idx[i] = i32(bi);
}
