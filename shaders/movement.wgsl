// movement.wgsl — data movement for any 4-byte dtype (moved as raw u32 bits).
//
//  gather:  out[i] = src[offset + sum_d idx_d(i) * stride_d]   (permute, expand, slice)
//  scatter: dst[offset + sum_d idx_d(i) * stride_d] = src[i]   (concat, slice backward)
//  pad:     out[i] = src[idx - before] inside the source, else `value`
// idx_d(i) are the digits of i in the iterated shape. One thread per element, 256 per
// workgroup, 2-D grid. Limits: rank <= 8; offsets and strides < 2^32.

struct Params {
  n: u32,
  rank: u32,
  offset: u32,
  value: u32,       // pad: fill value bits
  run: u32,         // gather*, scatter: adjacent elements per thread (1, or 4 when the last dim allows)
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
  shape: array<vec4<u32>, 2>,
  stride: array<vec4<u32>, 2>,
  before: array<vec4<u32>, 2>,   // pad only
  src_shape: array<vec4<u32>, 2>, // pad only
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

fn strided_offset(i: u32) -> u32 {
  var rem = i;
  var off = p.offset;
  for (var d = i32(p.rank) - 1; d >= 0; d = d - 1) {
    let du = u32(d);
    let size = at8(p.shape, du);
    off = off + (rem % size) * at8(p.stride, du);
    rem = rem / size;
  }
  return off;
}

/** Source stride of the last iterated dim (runs of p.run outputs step along it). */
fn last_stride() -> u32 {
  if (p.rank == 0u) { return 1u; }
  return at8(p.stride, p.rank - 1u);
}

@compute @workgroup_size(256)
fn gather(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  // p.run adjacent outputs per thread (4 when the last dim allows): the rank loop of divisions,
  // run lane by lane on a CPU adapter, is paid once per run.
  let i0 = (flat_wg(wid, nwg) * 256u + li) * p.run;
  if (i0 >= p.n) { return; }
  let o = strided_offset(i0);
  let st = last_stride();
  for (var t = 0u; t < p.run; t++) { dst[i0 + t] = src[o + t * st]; }
}

@compute @workgroup_size(256)
fn scatter(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i0 = (flat_wg(wid, nwg) * 256u + li) * p.run;   // as in gather
  if (i0 >= p.n) { return; }
  let o = strided_offset(i0);
  let st = last_stride();
  for (var t = 0u; t < p.run; t++) { dst[o + t * st] = src[i0 + t]; }
}

@compute @workgroup_size(256)
fn pad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i >= p.n) { return; }
  var rem = i;
  var off = 0u;
  var inside = true;
  var src_stride = 1u;
  for (var d = i32(p.rank) - 1; d >= 0; d = d - 1) {
    let du = u32(d);
    let size = at8(p.shape, du);
    let idx = rem % size;
    rem = rem / size;
    let b = at8(p.before, du);
    let ss = at8(p.src_shape, du);
    if (idx < b || idx - b >= ss) { inside = false; }
    off = off + (idx - b) * src_stride;
    src_stride = src_stride * ss;
  }
  dst[i] = select(p.value, src[off], inside);
}

// Fixed-rank variant for at most 3 (collapsed) dimensions: no loop over uniform arrays. A thread
// copies p.run adjacent outputs (4 when the last dimension is a multiple of 4, so a run never
// crosses a row): the index decode — divisions, scalarised and slow on CPU adapters — is done once
// per run, each output then steps by the last dimension's stride.
@compute @workgroup_size(256)
fn gather3(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i0 = (flat_wg(wid, nwg) * 256u + li) * p.run;
  if (i0 >= p.n) { return; }
  let s1 = p.shape[0].y;
  let s2 = p.shape[0].z;
  let q = i0 / s2;
  let idx = vec3<u32>(q / s1, q % s1, i0 % s2);
  let o = p.offset + dot(idx, p.stride[0].xyz);
  for (var t = 0u; t < p.run; t++) { dst[i0 + t] = src[o + t * p.stride[0].z]; }
}

// rank-4 variant (the common permutes of [B, H, N, D] / NCHW that do not collapse further); runs
// of p.run outputs as in gather3.
@compute @workgroup_size(256)
fn gather4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i0 = (flat_wg(wid, nwg) * 256u + li) * p.run;
  if (i0 >= p.n) { return; }
  let s = p.shape[0];
  let i3 = i0 % s.w;
  let q2 = i0 / s.w;
  let i2 = q2 % s.z;
  let q1 = q2 / s.z;
  let idx = vec4<u32>(q1 / s.y, q1 % s.y, i2, i3);
  let o = p.offset + dot(idx, p.stride[0]);
  for (var t = 0u; t < p.run; t++) { dst[i0 + t] = src[o + t * p.stride[0].w]; }
}
