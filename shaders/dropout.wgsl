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

// Identical to random.wgsl's mixer, so dropout masks equal randomFill(mode 2) draws.
fn mix32(x0: u32) -> u32 {
  var v = x0;
  v = v ^ (v >> 17u); v = v * 0xed5ad4bbu;
  v = v ^ (v >> 11u); v = v * 0xac4c1b51u;
  v = v ^ (v >> 15u); v = v * 0x31848babu;
  v = v ^ (v >> 14u);
  return v;
}

fn unit_draw(i: u32) -> f32 {
  let h = mix32(mix32(i ^ mix32(p.k0)) ^ p.k1);
  return f32(h >> 8u) * (1.0 / 16777216.0);
}

@compute @workgroup_size(256)
fn apply(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i >= p.n) { return; }
  out[i] = select(0.0, x[i] * p.scale, unit_draw(i / p.inner) >= p.p);
}
