// prelu.wgsl — PReLU y = x > 0 ? x : α[c]·x with the channel c = (i / inner) % C (axis 1 of the
// input; C = 1 and inner = size for a single shared α), forward and backward (f32).
//
//  * fwd, bwd_dx: one thread per Q adjacent elements (256 threads per workgroup, split over x/y
//    with flat_wg); dx = dy · (x > 0 ? 1 : α[c]).
//  * bwd_alpha: one workgroup per channel: dα[c] = Σ_{x ≤ 0} dy·x over the `outer`·`inner`
//    elements of the channel, a strided per-thread sum plus a tree reduction (1 KiB).
// Q (override; fwd, bwd_dx) = 4 when inner % 4 == 0, else 1: Q elements then share one channel, so
// the channel index — two integer divisions, which a CPU adapter runs lane by lane — is computed
// once per Q (ARBEx-tiny shapes: 1.4–3.5× faster; kept out of bwd_alpha, where it was slower, as
// in batchnorm.wgsl); bwd_alpha walks its channel without dividing (common.wgsl channel_walk).
// Nothing but x is needed for backward. Storage buffers per entry: fwd 3, bwd_dx 4, bwd_alpha 3.
// Limits: tensors < 2^32 elements.

struct Params {
  total: u32, c: u32, inner: u32, outer: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> alpha: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@group(0) @binding(4) var<storage, read> gy: array<f32>;

override Q: u32 = 1u;
// Threads of bwd_alpha's per-channel reduction: 256, or 8 on a CPU adapter (src/runtime/tuner.ts).
override WGR: u32 = 256u;

var<workgroup> red: array<f32, 256>;

@compute @workgroup_size(256)
fn fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i0 = (flat_wg(wid, nwg) * 256u + li) * Q;
  if (i0 >= p.total) { return; }
  let a = alpha[(i0 / p.inner) % p.c];
  for (var t = 0u; t < Q; t++) {
    let v = x[i0 + t];
    dst[i0 + t] = select(a * v, v, v > 0.0);
  }
}

@compute @workgroup_size(256)
fn bwd_dx(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i0 = (flat_wg(wid, nwg) * 256u + li) * Q;
  if (i0 >= p.total) { return; }
  let a = alpha[(i0 / p.inner) % p.c];
  for (var t = 0u; t < Q; t++) {
    let g = gy[i0 + t];
    dst[i0 + t] = select(a * g, g, x[i0 + t] > 0.0);
  }
}

@compute @workgroup_size(WGR)
fn bwd_alpha(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let c = flat_wg(wid, nwg);
  if (c >= p.c) { return; }
  var s = 0.0;
  var w = channel_walk(c, li, p.c, p.inner);
  for (var e = li; e < p.outer * p.inner; e += WGR) {
    let v = x[w.a];
    if (v <= 0.0) { s = fma(gy[w.a], v, s); }
    w = channel_step(w, WGR, p.c, p.inner);
  }
  red[li] = s;
  workgroupBarrier();
  for (var k = WGR / 2u; k > 0u; k = k >> 1u) {
    if (li < k) { red[li] = red[li] + red[li + k]; }
    workgroupBarrier();
  }
  if (li == 0u) { dst[c] = red[0]; }
}
