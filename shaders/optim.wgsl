// optim.wgsl — fused optimizer updates and the global gradient norm.
//
// Each update entry reads a parameter, its gradient and its optimizer state once and writes the
// parameter and state in place: one dispatch per parameter tensor, one thread per element, 256
// per workgroup on a 2-D grid (flat_wg). Per-step scalars (learning rate, bias corrections) are
// computed in float64 on the host and arrive through the uniform block, so the kernels never
// need the step count. Storage buffers per entry: sgd 3, adam 4, adam_fused 4, sumsq 2,
// sumsq_final 2, scale_by 2, add_scaled 3 (all within the 4 of compatibility mode).
//
// `adam_fused` updates every parameter of an optimizer in one dispatch (src/optim/fused.ts): the
// parameters, their gradients and both moments sit in arenas, each parameter's slot starting at
// a multiple of 256 elements, so one workgroup serves one parameter and reads that parameter's
// hyper-parameters from a table instead of a uniform. Same arithmetic as `adam`, element by element.
//
// Global norm (clipping, SAM): `sumsq` writes one partial sum of squares per workgroup into a
// slot range of a partials buffer (each tensor its own range, no atomics); `sumsq_final` reduces
// all partials in one workgroup and writes [norm, coef] where coef depends on MODE:
//   MODE 0 (clip):  coef = min(1, max_norm / (norm + 1e-6))         (PyTorch clip_grad_norm_)
//   MODE 1 (SAM):   coef = rho / (norm + 1e-12)                      (Foret et al. ascent step)
// `scale_by` and `add_scaled` then read coef from that buffer, so no value is read back to the
// host. Limits: n < 2^32 per tensor; partial sums are f32 (sequential per thread, then a tree).

struct Sgd {
  n: u32,
  has_momentum: u32,
  nesterov: u32,
  first: u32,
  lr: f32,
  momentum: f32,
  dampening: f32,
  weight_decay: f32,
};

struct Adam {
  n: u32,
  decoupled: u32,
  _pad0: u32,
  _pad1: u32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weight_decay: f32,
  // lr / (1 - beta1^t)
  step_size: f32,
  // sqrt(1 - beta2^t)
  bc2_sqrt: f32,
  _pad2: f32,
};

@group(0) @binding(0) var<uniform> sp: Sgd;
@group(0) @binding(1) var<storage, read_write> s_param: array<f32>;
@group(0) @binding(2) var<storage, read> s_grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> s_buf: array<f32>;

// PyTorch SGD: g += wd·p; buf = g (first step) or momentum·buf + (1 − dampening)·g;
// g = nesterov ? g + momentum·buf : buf; p −= lr·g.
@compute @workgroup_size(256)
fn sgd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i >= sp.n) { return; }
  var p = s_param[i];
  var g = s_grad[i] + sp.weight_decay * p;
  if (sp.has_momentum != 0u) {
    var b: f32;
    if (sp.first != 0u) { b = g; } else { b = sp.momentum * s_buf[i] + (1.0 - sp.dampening) * g; }
    s_buf[i] = b;
    if (sp.nesterov != 0u) { g = g + sp.momentum * b; } else { g = b; }
  }
  s_param[i] = p - sp.lr * g;
}

@group(0) @binding(0) var<uniform> ap: Adam;
@group(0) @binding(1) var<storage, read_write> a_param: array<f32>;
@group(0) @binding(2) var<storage, read> a_grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> a_m: array<f32>;
@group(0) @binding(4) var<storage, read_write> a_v: array<f32>;

// Adam (L2 decay added to g) or AdamW (decoupled: p *= 1 − lr·wd before the step), as PyTorch:
// m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; p −= step_size · m / (sqrt(v)/bc2_sqrt + eps).
@compute @workgroup_size(256)
fn adam(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i >= ap.n) { return; }
  let r = adam_element(a_param[i], a_grad[i], a_m[i], a_v[i], ap.decoupled, ap.lr, ap.weight_decay, ap.beta1, ap.beta2, ap.eps, ap.step_size, ap.bc2_sqrt);
  a_m[i] = r.y;
  a_v[i] = r.z;
  a_param[i] = r.x;
}

// One element of Adam/AdamW, shared by `adam` and `adam_fused`: returns (p, m, v) after the step.
fn adam_element(p0: f32, g0: f32, m0: f32, v0: f32, decoupled: u32, lr: f32, weight_decay: f32, beta1: f32, beta2: f32, eps: f32, step_size: f32, bc2_sqrt: f32) -> vec3<f32> {
  var p = p0;
  var g = g0;
  if (decoupled != 0u) {
    p = p * (1.0 - lr * weight_decay);
  } else {
    g = g + weight_decay * p;
  }
  let m = beta1 * m0 + (1.0 - beta1) * g;
  let v = beta2 * v0 + (1.0 - beta2) * g * g;
  let denom = sqrt(v) / bc2_sqrt + eps;
  return vec3<f32>(p - step_size * m / denom, m, v);
}

struct AdamFused {
  // total elements per arena (a multiple of 256)
  n: u32,
  decoupled: u32,
  // workgroups in the launch = n / 256; the table's per-workgroup section has this many words
  groups: u32,
  _pad0: u32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  _pad1: f32,
};

@group(0) @binding(0) var<uniform> up: AdamFused;
@group(0) @binding(1) var<storage, read_write> u_param: array<f32>;
@group(0) @binding(2) var<storage, read> u_grad: array<f32>;
// m in [0, n), v in [n, 2n): one binding, so the entry stays within 4 storage buffers
@group(0) @binding(3) var<storage, read_write> u_mv: array<f32>;
// [groups] parameter index per workgroup, then 8 words per parameter:
// start, size, active, _, lr, weight_decay, step_size, bc2_sqrt (the last four f32 bit patterns)
@group(0) @binding(4) var<storage, read> u_table: array<u32>;

@compute @workgroup_size(256)
fn adam_fused(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let w = flat_wg(wid, nwg);
  if (w >= up.groups) { return; }
  let rec = up.groups + u_table[w] * 8u;
  let i = w * 256u + li;
  // Parameters without a gradient this step keep their values and moments; padding is skipped.
  if (u_table[rec + 2u] == 0u || i - u_table[rec] >= u_table[rec + 1u]) { return; }
  let lr = bitcast<f32>(u_table[rec + 4u]);
  let weight_decay = bitcast<f32>(u_table[rec + 5u]);
  let step_size = bitcast<f32>(u_table[rec + 6u]);
  let bc2_sqrt = bitcast<f32>(u_table[rec + 7u]);
  let r = adam_element(u_param[i], u_grad[i], u_mv[i], u_mv[up.n + i], up.decoupled, lr, weight_decay, up.beta1, up.beta2, up.eps, step_size, bc2_sqrt);
  u_mv[i] = r.y;
  u_mv[up.n + i] = r.z;
  u_param[i] = r.x;
}

// ---- global norm -----------------------------------------------------------------------------

struct SumSq {
  n: u32,
  // first partial slot of this tensor
  offset: u32,
  // number of workgroups launched for this tensor (the stride of the grid-stride loop / 256)
  groups: u32,
  _pad: u32,
};

struct Final {
  count: u32,
  mode: u32,
  // max_norm (clip) or rho (SAM)
  value: f32,
  _pad: u32,
};

@group(0) @binding(0) var<uniform> qp: SumSq;
@group(0) @binding(1) var<storage, read> q_x: array<f32>;
@group(0) @binding(2) var<storage, read_write> q_partials: array<f32>;

var<workgroup> red: array<f32, 256>;

@compute @workgroup_size(256)
fn sumsq(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  var acc = 0.0;
  let stride = qp.groups * 256u;
  for (var i = wid.x * 256u + li; i < qp.n; i = i + stride) {
    let x = q_x[i];
    acc = acc + x * x;
  }
  red[li] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (li < s) { red[li] = red[li] + red[li + s]; }
    workgroupBarrier();
  }
  if (li == 0u) { q_partials[qp.offset + wid.x] = red[0]; }
}

@group(0) @binding(0) var<uniform> fp: Final;
@group(0) @binding(1) var<storage, read> f_partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> f_out: array<f32>;

@compute @workgroup_size(256)
fn sumsq_final(@builtin(local_invocation_index) li: u32) {
  var acc = 0.0;
  for (var i = li; i < fp.count; i = i + 256u) { acc = acc + f_partials[i]; }
  red[li] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (li < s) { red[li] = red[li] + red[li + s]; }
    workgroupBarrier();
  }
  if (li == 0u) {
    let norm = sqrt(red[0]);
    f_out[0] = norm;
    if (fp.mode == 0u) {
      f_out[1] = min(1.0, fp.value / (norm + 1e-6));
    } else {
      f_out[1] = fp.value / (norm + 1e-12);
    }
  }
}

// ---- in-place scaling by a GPU-resident coefficient (coef = c[1]) -----------------------------

struct N1 {
  n: u32,
  _p0: u32,
  _p1: u32,
  _p2: u32,
};

@group(0) @binding(0) var<uniform> np: N1;
@group(0) @binding(1) var<storage, read_write> c_x: array<f32>;
@group(0) @binding(2) var<storage, read> c_coef: array<f32>;
@group(0) @binding(3) var<storage, read> c_y: array<f32>;

// x *= coef (gradient clipping).
@compute @workgroup_size(256)
fn scale_by(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i >= np.n) { return; }
  c_x[i] = c_x[i] * c_coef[1];
}

// x += coef · y (SAM: w ← w + ρ·g/‖g‖).
@compute @workgroup_size(256)
fn add_scaled(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i >= np.n) { return; }
  c_x[i] = c_x[i] + c_coef[1] * c_y[i];
}
