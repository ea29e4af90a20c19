/**
 * Host cost of a dispatch in Dawn's Node binding: microseconds per call of getBindGroupLayout,
 * createBindGroup and setPipeline + setBindGroup + dispatchWorkgroups, the device's cost per
 * 1-workgroup dispatch, and the engine's recording cost per op with its bind-group cache on and
 * off (src/runtime/bind-groups.ts).
 *
 *   npx tsx kernels-bench/host-overhead.ts [--n 5000]
 */
import { initNodeEngine } from '../src/runtime/device-node.js';
import { tensor } from '../src/tensor/create.js';
import { add } from '../src/ops/elementwise.js';

const ni = process.argv.indexOf('--n');
const N = ni >= 0 ? Number(process.argv[ni + 1]) : 5000;
const rt = await initNodeEngine();
const dev = rt.device;
const us = (ms: number, n: number): string => ((1000 * ms) / n).toFixed(1);

const mod = dev.createShaderModule({
  code: '@group(0) @binding(0) var<storage, read_write> x: array<f32>;\n@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) { x[g.x] += 1.0; }',
});
const pipe = dev.createComputePipeline({ layout: 'auto', compute: { module: mod, entryPoint: 'main' } });
const buf = dev.createBuffer({ size: 256, usage: GPUBufferUsage.STORAGE });
let t = performance.now();
for (let i = 0; i < N; i++) pipe.getBindGroupLayout(0);
console.log(`getBindGroupLayout            ${us(performance.now() - t, N)} µs`);
const layout = pipe.getBindGroupLayout(0);
const groups: GPUBindGroup[] = [];
t = performance.now();
for (let i = 0; i < N; i++) groups.push(dev.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer: buf } }] }));
console.log(`createBindGroup               ${us(performance.now() - t, N)} µs`);
const enc = dev.createCommandEncoder();
const pass = enc.beginComputePass();
t = performance.now();
for (let i = 0; i < N; i++) {
  pass.setPipeline(pipe);
  pass.setBindGroup(0, groups[i]!);
  pass.dispatchWorkgroups(1);
}
console.log(`set + set + dispatch          ${us(performance.now() - t, N)} µs`);
pass.end();
t = performance.now();
dev.queue.submit([enc.finish()]);
await dev.queue.onSubmittedWorkDone();
console.log(`device, per 1-workgroup dispatch ${us(performance.now() - t, N)} µs (finish + execute)`);

// The engine: recording an elementwise op, bind-group cache on and off (medians of 3).
const a = tensor(new Float32Array(64).fill(1), [64]);
const b = tensor(new Float32Array(64).fill(2), [64]);
for (const on of [true, false]) {
  rt.bindGroups.enabled = on;
  const rec: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    for (let i = 0; i < 300; i++) add(a, b).dispose();
    await rt.sync();
    t = performance.now();
    for (let i = 0; i < N; i++) add(a, b).dispose();
    rec.push(performance.now() - t);
    await rt.sync();
  }
  rec.sort((x, y) => x - y);
  console.log(`engine op recording, cache ${on ? 'on ' : 'off'} ${us(rec[1]!, N)} µs per op`);
}
rt.bindGroups.enabled = true;
process.exit(0);
