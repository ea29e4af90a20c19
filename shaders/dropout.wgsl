// dropout.wgsl — out[i] = x[i] · mask(i / inner), mask(u) = (rand(u) >= p) / (1 − p).
//
// The mask is never stored: rand(u) comes from the same counter-based hash as random.wgsl
// (mode 2), keyed by (k0, k1), so the backward pass regenerates exactly the forward mask by
// applying this kernel to the upstream gradient with the same key. inner = 1 is dropout
// (one draw per element); inner = elements per sample is drop-path (one draw per sample).
// One thread per element, 256 per workgroup, 2-D grid. Storage buffers: 2.

struct Params {
  n: u32,
  k0: u32,
  k1: u32,
  inner: u32,
  p: f32,
  scale: f32,   // 1 / (1 − p), or 0 when p = 1
  _pad0: u32,
  _pad1: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

fn unit_draw(i: u32) -> f32 {
  // Stream 0 of random.wgsl's generator (rng_hash in common.wgsl): masks match randomFill.
  return rng_unit(rng_hash(i, p.k0, p.k1, 0u));
}

@compute @workgroup_size(256)
fn apply(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i >= p.n) { return; }
  out[i] = select(0.0, x[i] * p.scale, unit_draw(i / p.inner) >= p.p);
}
