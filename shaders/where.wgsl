// where.wgsl — out = cond != 0 ? a : b, with NumPy broadcasting of all three inputs.
// One thread per output element (256 per workgroup, 2-D grid); strides are 0 on broadcast
// dimensions. Limits: rank <= 8.

struct Params {
  n: u32,
  rank: u32,
  _pad0: u32,
  _pad1: u32,
  shape: array<vec4<u32>, 2>,
  sc: array<vec4<u32>, 2>,
  sa: array<vec4<u32>, 2>,
  sb: array<vec4<u32>, 2>,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> cond: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i >= p.n) { return; }
  var rem = i;
  var oc = 0u; var oa = 0u; var ob = 0u;
  for (var d = i32(p.rank) - 1; d >= 0; d = d - 1) {
    let du = u32(d);
    let size = at8(p.shape, du);
    let idx = rem % size;
    rem = rem / size;
    oc = oc + idx * at8(p.sc, du);
    oa = oa + idx * at8(p.sa, du);
    ob = ob + idx * at8(p.sb, du);
  }
  out[i] = select(b[ob], a[oa], cond[oc] != 0.0);
}
