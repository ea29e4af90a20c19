// fill.wgsl — constant fill and arange, for any 4-byte dtype (values travel as raw bits).
// One thread per element, 256 per workgroup, 2-D grid — except fill: FILL_RUN elements per thread,
// 256 apart (neighbouring threads write neighbouring words). llvmpipe pays a fixed cost per
// invocation that dwarfs one store: 524,288 words took 2.5 ms one per thread, 0.55 ms sixteen.
// Limits: n < 2^32.

struct Params {
  n: u32,
  bits: u32,      // fill: the value's bit pattern; arange: start (f32 or i32 bits)
  step: u32,      // arange: step (same dtype as start)
  _pad: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;

const FILL_RUN: u32 = 16u;   // host: FILL_RUN in src/tensor/create.ts

@compute @workgroup_size(256)
fn fill(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let base = flat_wg(wid, nwg) * 256u * FILL_RUN + li;
  for (var t = 0u; t < FILL_RUN; t++) {
    let i = base + t * 256u;
    if (i < p.n) { out[i] = p.bits; }
  }
}

@compute @workgroup_size(256)
fn arange_f32(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i >= p.n) { return; }
  out[i] = bitcast<u32>(bitcast<f32>(p.bits) + f32(i) * bitcast<f32>(p.step));
}

@compute @workgroup_size(256)
fn arange_i32(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i >= p.n) { return; }
  out[i] = bitcast<u32>(bitcast<i32>(p.bits) + i32(i) * bitcast<i32>(p.step));
}

// Converts between f32 and i32 (truncation toward zero, as in C).
@group(0) @binding(2) var<storage, read> src: array<u32>;

@compute @workgroup_size(256)
fn f32_to_i32(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i >= p.n) { return; }
  out[i] = bitcast<u32>(i32(bitcast<f32>(src[i])));
}

@compute @workgroup_size(256)
fn i32_to_f32(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i >= p.n) { return; }
  out[i] = bitcast<u32>(f32(bitcast<i32>(src[i])));
}

@compute @workgroup_size(256)
fn u32_to_f32(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i >= p.n) { return; }
  out[i] = bitcast<u32>(f32(src[i]));
}
