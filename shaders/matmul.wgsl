// matmul.wgsl — batched C[b] = op(A[b]) · op(B[b]) (+ bias), f32.
//
// Tiling: a workgroup of 16×16 threads computes a 64×64 tile of C; each thread owns a 4×4
// register block (rows 4*ty.., cols 4*tx..). K advances in steps of TK = 16: the A tile (64×16)
// and B tile (16×64) are staged in workgroup memory as vec4 rows (8 KiB), so the inner loop is
// 16 vec4 FMAs per k per thread. Out-of-range rows, columns and k are read as 0 and writes are
// masked, so every M, N, K (including primes and 1) is correct.
// Operands are addressed by strides, which makes transposes free: A(m, k) = a[offA + m*sam + k*sak],
// B(k, n) = b[offB + k*sbk + n*sbn]. Global loads are laid out so neighbouring threads read
// neighbouring addresses (A_KFAST / B_NFAST pick which index varies fastest).
// Batch: grid z (split with y when > 65535) is the batch; a batch stride of 0 broadcasts.
// Epilogue: HAS_BIAS adds bias[n]. Limits: M, N, K, batch < 2^32 elements per operand.

override A_KFAST: bool = true;
override B_NFAST: bool = true;
override HAS_BIAS: bool = false;

const TM: u32 = 64u;
const TN: u32 = 64u;
const TK: u32 = 16u;

struct Params {
  m: u32, n: u32, k: u32, batch: u32,
  sam: u32, sak: u32, sbk: u32, sbn: u32,
  a_batch: u32, b_batch: u32, tiles_n: u32, _pad: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

var<workgroup> As: array<vec4<f32>, 256>;   // [k][m/4], TK × TM/4
var<workgroup> Bs: array<vec4<f32>, 256>;   // [k][n/4], TK × TN/4

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let tile_m = wid.x / p.tiles_n;
  let tile_n = wid.x % p.tiles_n;
  let bidx = wid.y;
  let m0 = tile_m * TM;
  let n0 = tile_n * TN;
  let offa = bidx * p.a_batch;
  let offb = bidx * p.b_batch;
  let tx = lid.x;
  let ty = lid.y;

  var acc: array<vec4<f32>, 4>;
  for (var i = 0u; i < 4u; i++) { acc[i] = vec4<f32>(0.0); }

  for (var k0 = 0u; k0 < p.k; k0 = k0 + TK) {
    // Stage A: 64×16 elements, 4 per thread.
    for (var r = 0u; r < 4u; r++) {
      let e = li + r * 256u;
      var mm: u32; var kk: u32;
      if (A_KFAST) { mm = e / TK; kk = e % TK; } else { mm = e % TM; kk = e / TM; }
      let gm = m0 + mm;
      let gk = k0 + kk;
      var v = 0.0;
      if (gm < p.m && gk < p.k) { v = a[offa + gm * p.sam + gk * p.sak]; }
      As[kk * 16u + mm / 4u][mm % 4u] = v;
    }
    // Stage B: 16×64 elements, 4 per thread.
    for (var r = 0u; r < 4u; r++) {
      let e = li + r * 256u;
      var nn: u32; var kk: u32;
      if (B_NFAST) { nn = e % TN; kk = e / TN; } else { nn = e / TK; kk = e % TK; }
      let gn = n0 + nn;
      let gk = k0 + kk;
      var v = 0.0;
      if (gn < p.n && gk < p.k) { v = b[offb + gk * p.sbk + gn * p.sbn]; }
      Bs[kk * 16u + nn / 4u][nn % 4u] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let av = As[kk * 16u + ty];
      let bv = Bs[kk * 16u + tx];
      acc[0] = fma(vec4<f32>(av.x), bv, acc[0]);
      acc[1] = fma(vec4<f32>(av.y), bv, acc[1]);
      acc[2] = fma(vec4<f32>(av.z), bv, acc[2]);
      acc[3] = fma(vec4<f32>(av.w), bv, acc[3]);
    }
    workgroupBarrier();
  }

  let offc = bidx * p.m * p.n;
  for (var i = 0u; i < 4u; i++) {
    let gm = m0 + ty * 4u + i;
    if (gm >= p.m) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let gn = n0 + tx * 4u + j;
      if (gn < p.n) {
        var v = acc[i][j];
        if (HAS_BIAS) { v = v + bias[gn]; }
        c[offc + gm * p.n + gn] = v;
      }
    }
  }
}
