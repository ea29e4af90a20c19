// common.wgsl — helpers prepended to every kernel (the runtime concatenates it).
//
// Large 1-D launches are split over x and y (each at most 65535 workgroups); `flat_wg` turns
// the workgroup id back into one linear index. Shapes and strides travel in uniforms as
// array<vec4<u32>, 2> (rank <= 8) because uniform arrays need 16-byte element strides.

const MAX_RANK: u32 = 8u;

fn flat_wg(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y;
}

fn at8(v: array<vec4<u32>, 2>, i: u32) -> u32 {
  return v[i >> 2u][i & 3u];
}
