// common.wgsl — helpers prepended to every kernel (the runtime concatenates it).
//
// Large 1-D launches are split over x and y (each at most 65535 workgroups); `flat_wg` turns
// the workgroup id back into one linear index. Shapes and strides travel in uniforms as
// array<vec4<u32>, 2> (rank <= 8) because uniform arrays need 16-byte element strides.

const MAX_RANK: u32 = 8u;

fn flat_wg(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y;
}

// Per-channel reductions over [outer, C, inner] walk channel c's elements e = first, first + step,
// … (element e at (e / inner)·C·inner + c·inner + e % inner) without dividing per element: the
// address advances by `step` and jumps over the other channels each time the offset passes
// `inner`. (Two integer divisions per element, which a CPU adapter runs lane by lane, made the
// BatchNorm statistics pass several times slower.)
struct ChannelWalk { a: u32, i: u32 }
fn channel_walk(c: u32, first: u32, C: u32, inner: u32) -> ChannelWalk {
  return ChannelWalk((first / inner) * C * inner + c * inner + first % inner, first % inner);
}
fn channel_step(w: ChannelWalk, step: u32, C: u32, inner: u32) -> ChannelWalk {
  var a = w.a + step;
  var i = w.i + step;
  while (i >= inner) {
    i -= inner;
    a += (C - 1u) * inner;
  }
  return ChannelWalk(a, i);
}

fn at8(v: array<vec4<u32>, 2>, i: u32) -> u32 {
  return v[i >> 2u][i & 3u];
}

// Counter-based random numbers shared by random.wgsl and dropout.wgsl (so a dropout mask equals
// the matching randomFill draw bit for bit): element i of stream s under key (k0, k1) is a pure
// function of those values — a 3-round xorshift-multiply mixer ("lowbias32"/"triple32" family).
fn rng_mix32(x0: u32) -> u32 {
  var x = x0;
  x = x ^ (x >> 17u); x = x * 0xed5ad4bbu;
  x = x ^ (x >> 11u); x = x * 0xac4c1b51u;
  x = x ^ (x >> 15u); x = x * 0x31848babu;
  x = x ^ (x >> 14u);
  return x;
}

fn rng_hash(i: u32, k0: u32, k1: u32, stream: u32) -> u32 {
  return rng_mix32(rng_mix32(i ^ rng_mix32(k0 + stream * 0x9e3779b9u)) ^ k1);
}

// Uniform in [0, 1) with 24 random bits.
fn rng_unit(h: u32) -> f32 {
  return f32(h >> 8u) * (1.0 / 16777216.0);
}
