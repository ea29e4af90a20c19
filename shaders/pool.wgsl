// pool.wgsl — 2-D max / average / adaptive-average pooling over NCHW planes (f32), forward and
// backward. The host flattens N·C into `planes`; every entry is one thread per output element
// (forward) or per input element (backward), 256 per workgroup, split over x/y (flat_wg).
//
//  * max_fwd: max over the window (implicit −inf padding); stores the argmax as the flat index
//    iy·W + ix within its plane (i32, PyTorch's convention; the first maximum wins on ties).
//  * max_bwd: gather, no atomics: each input element sums dY over the windows that cover it and
//    whose saved argmax is itself, so overlapping windows (kernel > stride) are exact.
//  * avg_fwd/avg_bwd: window mean; COUNT_PAD divides by kh·kw, otherwise by the number of
//    in-bounds elements (PyTorch count_include_pad). Backward gathers dY/divisor.
//  * adaptive_*: output cell (oy, ox) averages rows [⌊oy·H/Ho⌋, ⌈(oy+1)·H/Ho⌉) and likewise
//    columns (PyTorch's adaptive_avg_pool2d). Backward gathers over the cells containing the input.
// Window/cell ranges of an input element: oy ∈ [⌈(iy+ph−kh+1)/sh⌉, ⌊(iy+ph)/sh⌋] ∩ [0, Ho).
// Storage buffers per entry: at most 3. Limits: tensors < 2^31 elements, padding ≤ kernel/2.

override COUNT_PAD: bool = true;

struct Params {
  planes: u32, h: u32, w: u32, ho: u32,
  wo: u32, kh: u32, kw: u32, sh: u32,
  sw: u32, ph: i32, pw: i32, _p: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<storage, read_write> idx: array<i32>;

const NEG_INF: f32 = -3.4028234663852886e38;

fn out_index(wid: vec3<u32>, nwg: vec3<u32>, li: u32) -> u32 {
  return flat_wg(wid, nwg) * 256u + li;
}

/** Range [lo, hi) of window indices along one axis whose window covers input position i. */
fn cover(i: i32, pad: i32, k: u32, s: u32, n: u32) -> vec2<i32> {
  let a = i + pad - i32(k) + 1;
  var lo = 0;
  if (a > 0) { lo = (a + i32(s) - 1) / i32(s); }
  let hi = min((i + pad) / i32(s) + 1, i32(n));
  return vec2<i32>(lo, hi);
}

@compute @workgroup_size(256)
fn max_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = out_index(wid, nwg, li);
  let P = p.ho * p.wo;
  if (i >= p.planes * P) { return; }
  let plane = i / P;
  let y0 = i32(((i % P) / p.wo) * p.sh) - p.ph;
  let x0 = i32((i % p.wo) * p.sw) - p.pw;
  let base = plane * p.h * p.w;
  var best = NEG_INF;
  var arg = -1;
  for (var ky = 0; ky < i32(p.kh); ky++) {
    let iy = y0 + ky;
    if (iy < 0 || iy >= i32(p.h)) { continue; }
    for (var kx = 0; kx < i32(p.kw); kx++) {
      let ix = x0 + kx;
      if (ix < 0 || ix >= i32(p.w)) { continue; }
      let q = iy * i32(p.w) + ix;
      let v = src[base + u32(q)];
      if (arg < 0 || v > best) { best = v; arg = q; }
    }
  }
  dst[i] = best;
  idx[i] = arg;
}

@compute @workgroup_size(256)
fn max_bwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = out_index(wid, nwg, li);
  let HW = p.h * p.w;
  if (i >= p.planes * HW) { return; }
  let plane = i / HW;
  let q = i32(i % HW);
  let iy = q / i32(p.w);
  let ix = q % i32(p.w);
  let ry = cover(iy, p.ph, p.kh, p.sh, p.ho);
  let rx = cover(ix, p.pw, p.kw, p.sw, p.wo);
  let base = plane * p.ho * p.wo;
  var acc = 0.0;
  for (var oy = ry.x; oy < ry.y; oy++) {
    for (var ox = rx.x; ox < rx.y; ox++) {
      let o = base + u32(oy) * p.wo + u32(ox);
      if (idx[o] == q) { acc = acc + src[o]; }
    }
  }
  dst[i] = acc;
}

/** Divisor of window (oy, ox) for average pooling. */
fn avg_div(oy: i32, ox: i32) -> f32 {
  if (COUNT_PAD) { return f32(p.kh * p.kw); }
  let y0 = oy * i32(p.sh) - p.ph;
  let x0 = ox * i32(p.sw) - p.pw;
  let ny = min(y0 + i32(p.kh), i32(p.h)) - max(y0, 0);
  let nx = min(x0 + i32(p.kw), i32(p.w)) - max(x0, 0);
  return f32(ny * nx);
}

@compute @workgroup_size(256)
fn avg_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = out_index(wid, nwg, li);
  let P = p.ho * p.wo;
  if (i >= p.planes * P) { return; }
  let plane = i / P;
  let oy = i32((i % P) / p.wo);
  let ox = i32(i % p.wo);
  let y0 = oy * i32(p.sh) - p.ph;
  let x0 = ox * i32(p.sw) - p.pw;
  let base = plane * p.h * p.w;
  var acc = 0.0;
  for (var iy = max(y0, 0); iy < min(y0 + i32(p.kh), i32(p.h)); iy++) {
    for (var ix = max(x0, 0); ix < min(x0 + i32(p.kw), i32(p.w)); ix++) {
      acc = acc + src[base + u32(iy) * p.w + u32(ix)];
    }
  }
  dst[i] = acc / avg_div(oy, ox);
}

@compute @workgroup_size(256)
fn avg_bwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = out_index(wid, nwg, li);
  let HW = p.h * p.w;
  if (i >= p.planes * HW) { return; }
  let plane = i / HW;
  let iy = i32((i % HW) / p.w);
  let ix = i32(i % p.w);
  let ry = cover(iy, p.ph, p.kh, p.sh, p.ho);
  let rx = cover(ix, p.pw, p.kw, p.sw, p.wo);
  let base = plane * p.ho * p.wo;
  var acc = 0.0;
  for (var oy = ry.x; oy < ry.y; oy++) {
    for (var ox = rx.x; ox < rx.y; ox++) {
      acc = acc + src[base + u32(oy) * p.wo + u32(ox)] / avg_div(oy, ox);
    }
  }
  dst[i] = acc;
}

fn cell_lo(o: u32, n: u32, no: u32) -> u32 { return (o * n) / no; }
fn cell_hi(o: u32, n: u32, no: u32) -> u32 { return ((o + 1u) * n + no - 1u) / no; }

@compute @workgroup_size(256)
fn adaptive_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = out_index(wid, nwg, li);
  let P = p.ho * p.wo;
  if (i >= p.planes * P) { return; }
  let plane = i / P;
  let oy = (i % P) / p.wo;
  let ox = i % p.wo;
  let y0 = cell_lo(oy, p.h, p.ho);
  let y1 = cell_hi(oy, p.h, p.ho);
  let x0 = cell_lo(ox, p.w, p.wo);
  let x1 = cell_hi(ox, p.w, p.wo);
  let base = plane * p.h * p.w;
  var acc = 0.0;
  for (var iy = y0; iy < y1; iy++) {
    for (var ix = x0; ix < x1; ix++) { acc = acc + src[base + iy * p.w + ix]; }
  }
  dst[i] = acc / f32((y1 - y0) * (x1 - x0));
}

@compute @workgroup_size(256)
fn adaptive_bwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = out_index(wid, nwg, li);
  let HW = p.h * p.w;
  if (i >= p.planes * HW) { return; }
  let plane = i / HW;
  let iy = (i % HW) / p.w;
  let ix = i % p.w;
  // Cells containing iy: oy ∈ [⌊iy·Ho/H⌋, ⌈(iy+1)·Ho/H⌉), checked exactly below.
  let oy0 = (iy * p.ho) / p.h;
  let oy1 = min(((iy + 1u) * p.ho + p.h - 1u) / p.h, p.ho);
  let ox0 = (ix * p.wo) / p.w;
  let ox1 = min(((ix + 1u) * p.wo + p.w - 1u) / p.w, p.wo);
  let base = plane * p.ho * p.wo;
  var acc = 0.0;
  for (var oy = oy0; oy < oy1; oy++) {
    let y0 = cell_lo(oy, p.h, p.ho);
    let y1 = cell_hi(oy, p.h, p.ho);
    if (iy < y0 || iy >= y1) { continue; }
    for (var ox = ox0; ox < ox1; ox++) {
      let x0 = cell_lo(ox, p.w, p.wo);
      let x1 = cell_hi(ox, p.w, p.wo);
      if (ix < x0 || ix >= x1) { continue; }
      acc = acc + src[base + oy * p.wo + ox] / f32((y1 - y0) * (x1 - x0));
    }
  }
  dst[i] = acc;
}
