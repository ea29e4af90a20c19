// elementwise.wgsl — unary, binary and ternary (where) maps over f32 tensors.
//
// One thread per output element, 256 per workgroup, launched on a 2-D grid (see common.wgsl).
// The op is a pipeline-overridable constant OP, so each op compiles to its own branch-free
// pipeline while sharing this source. Broadcasting kernels walk the output index digit by digit
// and use per-input strides (0 on broadcast dimensions); equal-shape inputs take the flat path.
// Backward helpers (RELU_BWD etc.) are binary ops of (upstream gradient, saved tensor) so that
// an activation's backward is a single pass. Limits: rank <= 8, n < 2^32.

override OP: u32 = 0u;

struct Params {
  n: u32,
  rank: u32,
  alpha: f32,
  beta: f32,
  run: u32,        // binary_bcast3: adjacent outputs per thread (1, or 4 when the last dim allows); *_vec4: vec4s per thread
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
  shape: array<vec4<u32>, 2>,
  sa: array<vec4<u32>, 2>,
  sb: array<vec4<u32>, 2>,
  sc: array<vec4<u32>, 2>,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const INV_SQRT2: f32 = 0.70710678118654752;
const INV_SQRT_2PI: f32 = 0.39894228040143268;

// erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), enough for f32 GELU.
fn erf_f32(x: f32) -> f32 {
  let s = sign(x);
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.3275911 * z);
  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-z * z);
  return s * y;
}

fn sigmoid_f32(x: f32) -> f32 {
  // Split by sign so exp never overflows.
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}

fn unary_op(x: f32) -> f32 {
  switch OP {
    case 0u: { return -x; }
    case 1u: { return exp(x); }
    case 2u: { return log(x); }
    case 3u: { return sqrt(x); }
    case 4u: { return inverseSqrt(x); }
    case 5u: { return abs(x); }
    case 6u: { return max(x, 0.0); }
    case 7u: { return sigmoid_f32(x); }
    case 8u: { return tanh(x); }
    case 9u: { return 0.5 * x * (1.0 + erf_f32(x * INV_SQRT2)); }
    case 10u: { return sin(x); }
    case 11u: { return cos(x); }
    case 12u: { return x * x; }
    case 13u: { return 1.0 / x; }
    case 14u: { return sign(x); }
    case 15u: { return p.alpha * x + p.beta; }
    case 16u: { return pow(x, p.alpha); }
    case 17u: { return clamp(x, p.alpha, p.beta); }
    case 18u: { return floor(x); }
    default: { return x; }
  }
}

fn binary_op(x: f32, y: f32) -> f32 {
  switch OP {
    case 0u: { return x + y; }
    case 1u: { return x - y; }
    case 2u: { return x * y; }
    case 3u: { return x / y; }
    case 4u: { return pow(x, y); }
    case 5u: { return max(x, y); }
    case 6u: { return min(x, y); }
    case 7u: { return select(0.0, 1.0, x == y); }
    case 8u: { return select(0.0, 1.0, x != y); }
    case 9u: { return select(0.0, 1.0, x < y); }
    case 10u: { return select(0.0, 1.0, x <= y); }
    case 11u: { return select(0.0, 1.0, x > y); }
    case 12u: { return select(0.0, 1.0, x >= y); }
    // Backward helpers: x is the upstream gradient, y the saved input or output.
    case 13u: { return select(0.0, x, y > 0.0); }                                  // relu'(input)
    case 14u: { return x * (0.5 * (1.0 + erf_f32(y * INV_SQRT2)) + y * INV_SQRT_2PI * exp(-0.5 * y * y)); } // gelu'(input)
    case 15u: { return x * y * (1.0 - y); }                                         // sigmoid'(output)
    case 16u: { return x * (1.0 - y * y); }                                         // tanh'(output)
    case 17u: { return select(0.0, x, y >= p.alpha && y <= p.beta); }              // clamp'(input) on [alpha, beta]
    default: { return x; }
  }
}

fn offsets(i: u32) -> vec3<u32> {
  var rem = i;
  var oa = 0u; var ob = 0u; var oc = 0u;
  for (var d = i32(p.rank) - 1; d >= 0; d = d - 1) {
    let du = u32(d);
    let size = at8(p.shape, du);
    let idx = rem % size;
    rem = rem / size;
    oa = oa + idx * at8(p.sa, du);
    ob = ob + idx * at8(p.sb, du);
    oc = oc + idx * at8(p.sc, du);
  }
  return vec3<u32>(oa, ob, oc);
}

@compute @workgroup_size(256)
fn unary(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i >= p.n) { return; }
  out[i] = unary_op(a[i]);
}

@compute @workgroup_size(256)
fn binary_flat(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i >= p.n) { return; }
  out[i] = binary_op(a[i], b[i]);
}

@compute @workgroup_size(256)
fn binary_bcast(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i >= p.n) { return; }
  let o = offsets(i);
  out[i] = binary_op(a[o.x], b[o.y]);
}

// Vectorised flat paths (n % 4 == 0): one invocation per vec4. Software adapters turn each
// per-invocation storage access into masked scalar accesses, so 4-wide accesses cut that cost;
// on GPUs they give 128-bit loads. The same bindings, viewed as vec4 arrays.
@group(0) @binding(1) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out4: array<vec4<f32>>;

// A thread takes p.run vec4s, 256 apart (neighbouring threads on neighbouring vec4s): llvmpipe's
// fixed cost per invocation was a good part of these passes at one vec4 per thread (a fill: 0.95
// ms at 4 words per thread, 0.55 ms at 16, 524,288 words). The bound is a uniform (the host's
// VEC_RUN) so llvmpipe keeps the loop rolled: unrolled, the ~20 elementwise pipelines of a
// training step took 1.2–1.5 s more to JIT on an empty shader cache.

@compute @workgroup_size(256)
fn unary_vec4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let base = flat_wg(wid, nwg) * 256u * p.run + li;
  for (var t = 0u; t < p.run; t++) {
    let i = base + t * 256u;
    if (i >= p.n / 4u) { return; }
    let v = a4[i];
    out4[i] = vec4<f32>(unary_op(v.x), unary_op(v.y), unary_op(v.z), unary_op(v.w));
  }
}

@compute @workgroup_size(256)
fn binary_vec4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let base = flat_wg(wid, nwg) * 256u * p.run + li;
  for (var t = 0u; t < p.run; t++) {
    let i = base + t * 256u;
    if (i >= p.n / 4u) { return; }
    let x = a4[i];
    let y = b4[i];
    out4[i] = vec4<f32>(binary_op(x.x, y.x), binary_op(x.y, y.y), binary_op(x.z, y.z), binary_op(x.w, y.w));
  }
}

// Broadcast with at most 3 (collapsed) dimensions: fixed index arithmetic, no loop over a
// uniform array (dynamic uniform indexing and per-dimension divisions dominate on CPUs). A thread
// computes p.run adjacent outputs (4 when the last dimension is a multiple of 4, so a run never
// crosses a row): the divisions are done once per run, each output then steps by the inputs'
// last-dimension strides (0 where broadcast).
fn offsets3(i: u32) -> vec2<u32> {
  let s1 = p.shape[0].y;
  let s2 = p.shape[0].z;
  let i2 = i % s2;
  let q = i / s2;
  let i1 = q % s1;
  let i0 = q / s1;
  let idx = vec3<u32>(i0, i1, i2);
  return vec2<u32>(dot(idx, p.sa[0].xyz), dot(idx, p.sb[0].xyz));
}

@compute @workgroup_size(256)
fn binary_bcast3(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i0 = (flat_wg(wid, nwg) * 256u + li) * p.run;
  if (i0 >= p.n) { return; }
  let o = offsets3(i0);
  for (var t = 0u; t < p.run; t++) { out[i0 + t] = binary_op(a[o.x + t * p.sa[0].z], b[o.y + t * p.sb[0].z]); }
}
