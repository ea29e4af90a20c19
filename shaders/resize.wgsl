// resize.wgsl — 2-D resize of NCHW planes (f32) with PyTorch F.interpolate semantics, forward
// and backward. One thread per run of RUN outputs of a row (forward) or per input element
// (backward), 256 per workgroup, split over x/y (flat_wg).
//
// MODE 0 nearest:  src = ⌊dst·in/out⌋ (exact integer arithmetic; PyTorch evaluates the same
//                  formula in f32, which can differ only where f32 rounding crosses an integer).
// MODE 1 bilinear, align_corners=false (half-pixel): src = max((dst+0.5)·scale − 0.5, 0),
//                  scale = in/out; i0 = ⌊src⌋, i1 = min(i0+1, in−1), λ = src − i0.
// MODE 2 bilinear, align_corners=true: src = dst·scale, scale = (in−1)/(out−1) (0 when out = 1).
// Scales come from the host rounded to f32, as PyTorch computes them.
// Backward is a gather (no atomics): an input element visits the outputs whose source
// coordinate lies within one pixel of it — a conservative range from inverting the map, each
// candidate re-evaluated with the forward formula, so weights match the forward exactly.
// Nothing is stored for backward. Storage buffers per entry: 2. Limits: sizes < 2^24 (f32 math).

override MODE: u32 = 0u;

struct Params {
  planes: u32, h: u32, w: u32, ho: u32,
  wo: u32, scale_h: f32, scale_w: f32, _p: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

struct Taps { i0: u32, i1: u32, w1: f32, };

fn taps(d: u32, n_in: u32, n_out: u32, scale: f32) -> Taps {
  if (MODE == 0u) {
    let i = (d * n_in) / n_out;
    return Taps(i, i, 0.0);
  }
  var s: f32;
  if (MODE == 1u) { s = max(scale * (f32(d) + 0.5) - 0.5, 0.0); } else { s = scale * f32(d); }
  let i0 = min(u32(floor(s)), n_in - 1u);
  return Taps(i0, min(i0 + 1u, n_in - 1u), s - f32(i0));
}

/** Weight of input position i in output d's interpolation along one axis. */
fn weight(t: Taps, i: u32) -> f32 {
  var w = 0.0;
  if (t.i0 == i) { w = w + 1.0 - t.w1; }
  if (t.i1 == i) { w = w + t.w1; }
  return w;
}

/** Conservative range [lo, hi) of outputs along one axis that may read input position i. */
fn candidates(i: u32, n_in: u32, n_out: u32, scale: f32) -> vec2<u32> {
  if (MODE == 0u) {
    return vec2<u32>((i * n_out + n_in - 1u) / n_in, min(((i + 1u) * n_out + n_in - 1u) / n_in, n_out));
  }
  if (scale == 0.0) { return vec2<u32>(0u, n_out); }
  var a: f32;
  var b: f32;
  if (MODE == 1u) {
    a = (f32(i) - 0.5) / scale - 0.5;
    b = (f32(i) + 1.5) / scale - 0.5;
  } else {
    a = (f32(i) - 1.0) / scale;
    b = (f32(i) + 1.0) / scale;
  }
  let lo = max(floor(a) - 1.0, 0.0);
  let hi = min(ceil(b) + 2.0, f32(n_out));
  return vec2<u32>(u32(lo), u32(max(hi, lo)));
}

// Forward: a thread computes RUN adjacent outputs of one row, so the divisions that locate the row
// (lane by lane on a CPU adapter) and the row taps are paid once per run, and the per-invocation
// cost once per RUN outputs (ARBEx-tiny's 32×3 planes 48→32, bilinear, lavapipe: 1.7–2.5 ms per
// call at one output per thread, 0.6–0.9 ms at RUN = 8).
const RUN: u32 = 8u;   // host: RESIZE_RUN

@compute @workgroup_size(256)
fn fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let run = flat_wg(wid, nwg) * 256u + li;
  let runs_per_row = (p.wo + RUN - 1u) / RUN;
  if (run >= p.planes * p.ho * runs_per_row) { return; }
  let row = run / runs_per_row;            // plane · ho + oy
  let ox0 = (run % runs_per_row) * RUN;
  let oy = row % p.ho;
  let base = (row / p.ho) * p.h * p.w;
  let ty = taps(oy, p.h, p.ho, p.scale_h);
  let r0 = base + ty.i0 * p.w;
  let r1 = base + ty.i1 * p.w;
  let out0 = row * p.wo;
  for (var t = 0u; t < RUN; t++) {
    let ox = ox0 + t;
    if (ox >= p.wo) { break; }
    let tx = taps(ox, p.w, p.wo, p.scale_w);
    let top = src[r0 + tx.i0] * (1.0 - tx.w1) + src[r0 + tx.i1] * tx.w1;
    let bot = src[r1 + tx.i0] * (1.0 - tx.w1) + src[r1 + tx.i1] * tx.w1;
    dst[out0 + ox] = top * (1.0 - ty.w1) + bot * ty.w1;
  }
}

@compute @workgroup_size(256)
fn bwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  let HW = p.h * p.w;
  if (i >= p.planes * HW) { return; }
  let base = (i / HW) * p.ho * p.wo;
  let iy = (i % HW) / p.w;
  let ix = i % p.w;
  let ry = candidates(iy, p.h, p.ho, p.scale_h);
  let rx = candidates(ix, p.w, p.wo, p.scale_w);
  var acc = 0.0;
  for (var oy = ry.x; oy < ry.y; oy++) {
    let wy = weight(taps(oy, p.h, p.ho, p.scale_h), iy);
    if (wy == 0.0) { continue; }
    var row = 0.0;
    for (var ox = rx.x; ox < rx.y; ox++) {
      row = row + weight(taps(ox, p.w, p.wo, p.scale_w), ix) * src[base + oy * p.wo + ox];
    }
    acc = acc + wy * row;
  }
  dst[i] = acc;
}
