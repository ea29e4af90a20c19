// random.wgsl — counter-based random numbers: element i of a draw with key (k0, k1) is a pure
// function hash(k0, k1, i), so results are reproducible, order-independent and need no state
// on the GPU. The same key regenerates the same mask (dropout forward and backward agree).
// The mixer (rng_hash in common.wgsl) is a 3-round xorshift-multiply hash; statistical quality
// is ample for initialisation, dropout and augmentation.
// One thread per element, 256 per workgroup, 2-D grid.

struct Params {
  n: u32,
  k0: u32,
  k1: u32,
  mode: u32,     // 0 uniform [lo, hi), 1 normal(mean=a, std=b), 2 bernoulli keep-mask scaled: (u >= a) / (1 - a)
  a: f32,
  b: f32,
  _pad0: u32,
  _pad1: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i >= p.n) { return; }
  let u1 = rng_unit(rng_hash(i, p.k0, p.k1, 0u));
  if (p.mode == 0u) {
    out[i] = p.a + (p.b - p.a) * u1;
  } else if (p.mode == 1u) {
    // Box–Muller; 1 - u1 lies in (0, 1] so the log is finite.
    let u2 = rng_unit(rng_hash(i, p.k0, p.k1, 1u));
    let r = sqrt(-2.0 * log(1.0 - u1));
    out[i] = p.a + p.b * r * cos(6.283185307179586 * u2);
  } else {
    out[i] = select(0.0, 1.0 / (1.0 - p.a), u1 >= p.a);
  }
}
