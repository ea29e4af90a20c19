/**
 * Scratch tuner for matmul tilings on the current adapter (not part of `npm run bench`):
 * generates WGSL variants, checks them against a CPU product, and times them with timestamp
 * queries, interleaved, next to the engine's E.matmul. `npx tsx kernels-bench/tune/matmul-variants.ts`
 */
import * as E from '../../src/index.js';
import { initNodeEngine } from '../../src/runtime/device-node.js';
import { GpuTimer, median, timeOurs } from '../timing.js';
import { benchData, loadOrt, ortGpu } from '../peers.js';
import { matmulModel } from '../onnx.js';

interface Variant {
  name: string;
  wgsl: string;
  wg: number; // invocations per workgroup
  rows: number; // rows per workgroup
  cols: number; // columns per workgroup
}

/**
 * Rows uniform across the workgroup (A loads are broadcasts); each invocation owns V column groups
 * of width W (1: f32, 4: vec4) strided by WG; kvec reads A as vec4 along k (4 k-steps per loop).
 */
function rowBroadcast(R: number, V: number, WG: number, kvec: boolean, W = 4): Variant {
  const T = W === 4 ? 'vec4<f32>' : 'f32';
  const accDecl = Array.from({ length: R * V }, (_, i) => `var acc${i} = ${T}(0.0);`).join('\n  ');
  let body = '';
  // Diagnostics: UNIB=1 makes B loads uniform (wrong result), NOA=1 replaces A loads by a constant.
  const unib = process.env['UNIB'] === '1';
  const bload = (kexpr: string, j: number) => `mb${W}[((${kexpr}) * p.n) / ${W}u + ${unib ? `${j}u` : `min(nv + ${j * WG}u, nvmax)`}]`;
  if (kvec) {
    body += `for (var k = 0u; k < p.k; k += 4u) {\n`;
    for (let i = 0; i < R; i++) body += `    let av${i} = ma4[(min(m0 + ${i}u, p.m - 1u) * p.k + k) / 4u];\n`;
    for (let kk = 0; kk < 4; kk++) {
      for (let j = 0; j < V; j++) body += `    let b${kk}_${j} = ${bload(`k + ${kk}u`, j)};\n`;
      for (let i = 0; i < R; i++)
        for (let j = 0; j < V; j++) body += `    acc${i * V + j} = fma(${T}(av${i}[${kk}]), b${kk}_${j}, acc${i * V + j});\n`;
    }
    body += `  }\n`;
  } else {
    body += `for (var k = 0u; k < p.k; k++) {\n`;
    for (let i = 0; i < R; i++) body += process.env['NOA'] === '1' ? `    let av${i} = f32(k + ${i}u);\n` : `    let av${i} = ma[min(m0 + ${i}u, p.m - 1u) * p.k + k];\n`;
    for (let j = 0; j < V; j++) body += `    let b${j} = ${bload('k', j)};\n`;
    for (let i = 0; i < R; i++)
      for (let j = 0; j < V; j++) body += `    acc${i * V + j} = fma(${T}(av${i}), b${j}, acc${i * V + j});\n`;
    body += `  }\n`;
  }
  let store = '';
  for (let i = 0; i < R; i++)
    for (let j = 0; j < V; j++)
      store += `  if (m0 + ${i}u < p.m && nv + ${j * WG}u <= nvmax) { mc${W}[((m0 + ${i}u) * p.n) / ${W}u + nv + ${j * WG}u] = acc${i * V + j}; }\n`;
  let wgsl = `
struct P { m: u32, n: u32, k: u32, tiles_n: u32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> ma: array<f32>;
@group(0) @binding(2) var<storage, read> ma4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> mb${W}: array<${T}>;
@group(0) @binding(4) var<storage, read_write> mc${W}: array<${T}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let m0 = (wid.x / p.tiles_n) * ${R}u;
  let nv = (wid.x % p.tiles_n) * ${WG * V}u + li;
  let nvmax = p.n / ${W}u - 1u;
  _ = ma[0]; _ = ma4[0];
  ${accDecl}
  ${body}
${store}
}`;
  if (process.env['MULADD'] === '1') wgsl = wgsl.replace(/fma\(([^,]+), ([^,]+), ([^)]+)\)/g, '$3 + $1 * $2');
  return { name: `bcast R${R} V${V} W${W} WG${WG}${kvec ? ' kvec' : ''}`, wgsl, wg: WG, rows: R, cols: WG * V * W };
}

async function main(): Promise<void> {
  const rt = await initNodeEngine();
  const dev = rt.device;
  const timer = new GpuTimer(dev);
  const sizes = (process.argv[2] ?? '512,512,512').split(';').map((s) => s.split(',').map(Number) as [number, number, number]);
  const variants: Variant[] = [];
  for (const spec of (process.argv[3] ?? '8,1,64,0;8,1,64,1;16,1,32,1;4,2,32,1').split(';')) {
    const [R, V, WG, kv, W] = spec.split(',').map(Number) as [number, number, number, number, number?];
    variants.push(rowBroadcast(R, V, WG, kv === 1, W ?? 4));
  }
  for (const [M, K, N] of sizes) {
    const A = benchData(M * K, 1), B = benchData(K * N, 2);
    const ref = new Float64Array(M * N);
    for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) { const av = A[i * K + k]!; for (let j = 0; j < N; j++) ref[i * N + j] += av * B[k * N + j]!; }
    const usage = 0x80 | 0x8 | 0x4;
    const mk = (d: Float32Array | number) => {
      const n = typeof d === 'number' ? d : d.byteLength;
      const buf = dev.createBuffer({ size: n, usage });
      if (typeof d !== 'number') dev.queue.writeBuffer(buf, 0, d);
      return buf;
    };
    const ga = mk(A), gb = mk(B), gc = mk(M * N * 4);
    const ub = dev.createBuffer({ size: 16, usage: 0x40 | 0x8 });
    const read = dev.createBuffer({ size: M * N * 4, usage: 0x1 | 0x8 });
    const runs: { name: string; run: (reps: number) => Promise<number>; check: () => Promise<number> }[] = [];
    for (const v of variants) {
      const mod = dev.createShaderModule({ code: v.wgsl });
      const info = await mod.getCompilationInfo();
      if (info.messages.some((m) => m.type === 'error')) { console.log(v.name, info.messages.map((m) => m.message).join('\n')); continue; }
      const pipe = dev.createComputePipeline({ layout: 'auto', compute: { module: mod, entryPoint: 'main' } });
      const tilesN = Math.ceil(N / v.cols);
      dev.queue.writeBuffer(ub, 0, new Uint32Array([M, N, K, tilesN]));
      const bg = dev.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries: [ub, ga, ga, gb, gc].map((buffer, i) => ({ binding: i, resource: { buffer } })) });
      const groups = Math.ceil(M / v.rows) * tilesN;
      const enqueue = (reps: number) => {
        const enc = dev.createCommandEncoder();
        const pass = enc.beginComputePass();
        pass.setPipeline(pipe);
        pass.setBindGroup(0, bg);
        for (let r = 0; r < reps; r++) pass.dispatchWorkgroups(groups);
        pass.end();
        dev.queue.submit([enc.finish()]);
      };
      runs.push({
        name: v.name,
        run: async (reps) => { await dev.queue.onSubmittedWorkDone(); timer.begin(); enqueue(reps); return (await timer.end()) / reps; },
        check: async () => {
          enqueue(1);
          const enc = dev.createCommandEncoder(); enc.copyBufferToBuffer(gc, 0, read, 0, M * N * 4); dev.queue.submit([enc.finish()]);
          await read.mapAsync(1); const got = new Float32Array(read.getMappedRange().slice(0)); read.unmap();
          let err = 0; for (let i = 0; i < got.length; i++) err = Math.max(err, Math.abs(got[i]! - ref[i]!));
          return err;
        },
      });
    }
    const ea = E.tensor(A, [M, K]), eb = E.tensor(B, [K, N]);
    const ours = { run: () => E.matmul(ea, eb).dispose(), sync: () => rt.sync() };
    runs.push({ name: 'engine E.matmul', run: async (reps) => (await timeOurs(ours, reps, timer)).ms, check: async () => {
      const got = await E.matmul(ea, eb).toArray(); let err = 0; for (let i = 0; i < got.length; i++) err = Math.max(err, Math.abs(got[i]! - ref[i]!)); return err; } });
    const ortL = process.env['ORT'] === '0' ? null : await loadOrt();
    if (ortL?.ok) {
      const g = ortGpu(ortL.mod);
      const sess = await g.session(matmulModel([M, K], [K, N], [M, N]));
      const oa = await g.upload(A, [M, K]), ob = await g.upload(B, [K, N]);
      runs.push({ name: 'ort webgpu (wall)', check: async () => 0, run: async (reps) => {
        await g.sync(); const t0 = performance.now();
        for (let i = 0; i < reps; i++) (await sess.run({ A: oa, B: ob }))['C']!.dispose();
        await g.sync(); return (performance.now() - t0) / reps; } });
    }
    const times = new Map<string, number[]>();
    for (const r of runs) { console.log(`${M}x${K}x${N} ${r.name}: max err ${(await r.check()).toExponential(2)}`); await r.run(1); }
    const reps = Math.max(1, Math.round(4e8 / (2 * M * N * K)));
    for (let round = 0; round < 5; round++) for (const r of runs) { const t = await r.run(reps); times.set(r.name, [...(times.get(r.name) ?? []), t]); }
    for (const r of runs) { const t = median(times.get(r.name)!); console.log(`${M}x${K}x${N} ${r.name.padEnd(24)} ${t.toFixed(2)} ms  ${(2 * M * N * K / t / 1e6).toFixed(2)} GFLOP/s`); }
  }
  process.exit(0);
}

void main();
