/**
 * Runs inside Chromium. The engine arrives as the module namespace of the browser bundle of
 * src/index.ts (see index.html), so this file imports only types from src/ and the test proves
 * that bundle — not some Node build — does the work.
 */
import type * as Engine from '../../src/index.js';
import type { AdapterReport, MatmulCase, MatmulResult, MlpCase, MlpResult, PageInput, PageResult, VariantCases, VariantResult } from './protocol.js';

type E = typeof Engine;

/**
 * A `GPU` whose adapters advertise at most `cap` storage buffers per stage. The engine requests
 * the adapter's advertised limits, so its device then gets exactly that many.
 */
function cappedGpu(gpu: GPU, cap: number): GPU {
  const requestAdapter = async (o?: GPURequestAdapterOptions): Promise<GPUAdapter | null> => {
    const a = await gpu.requestAdapter(o);
    if (!a) return null;
    const limits = new Proxy(a.limits, {
      // Native getters need the real object as receiver.
      get: (t, k) => (k === 'maxStorageBuffersPerShaderStage' ? Math.min(cap, t.maxStorageBuffersPerShaderStage) : Reflect.get(t, k, t)),
    });
    const wrapped = { limits, features: a.features, info: a.info, requestDevice: (d?: GPUDeviceDescriptor) => a.requestDevice(d) };
    return wrapped as unknown as GPUAdapter;
  };
  return { requestAdapter, getPreferredCanvasFormat: () => gpu.getPreferredCanvasFormat(), wgslLanguageFeatures: gpu.wgslLanguageFeatures } as unknown as GPU;
}

function report(rt: Engine.Runtime): AdapterReport {
  const a = rt.adapter;
  const info = a?.info;
  const extra = info as unknown as { driver?: string } | undefined;
  return {
    summary: rt.adapterInfo,
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    driver: extra?.driver ?? '',
    isFallbackAdapter: info?.isFallbackAdapter ?? false,
    featureLevel: a ? (a.features.has('core-features-and-limits') ? 'core' : 'compatibility') : 'unknown',
    adapterMaxStorageBuffersPerShaderStage: a?.limits.maxStorageBuffersPerShaderStage ?? -1,
    runtimeLimits: { ...rt.limits },
    features: [...(rt.device.features as unknown as Iterable<string>)].sort(),
  };
}

const f32 = (xs: number[]): Float32Array => Float32Array.from(xs);
const arr = async (t: Engine.Tensor): Promise<number[]> => Array.from(await t.toArray());

function grad(t: Engine.Tensor, what: string): Engine.Tensor {
  if (!t.grad) throw new Error(`${what}: backward() left no gradient`);
  return t.grad;
}

async function runMatmul(E: E, c: MatmulCase): Promise<MatmulResult> {
  const a = E.tensor(f32(c.a), c.aShape).requireGrad();
  const b = E.tensor(f32(c.b), c.bShape).requireGrad();
  const out = E.matmul(a, b, { transA: c.transA, transB: c.transB });
  const w = E.tensor(f32(c.w), out.shape);
  E.backward(E.sum(E.mul(out, w)));
  return { name: c.name, c: await arr(out), da: await arr(grad(a, c.name + ' A')), db: await arr(grad(b, c.name + ' B')) };
}

async function runMlp(E: E, m: MlpCase): Promise<MlpResult> {
  const x = E.tensor(f32(m.x), m.xShape);
  const w1 = E.tensor(f32(m.w1), m.w1Shape).requireGrad();
  const b1 = E.tensor(f32(m.b1)).requireGrad();
  const w2 = E.tensor(f32(m.w2), m.w2Shape).requireGrad();
  const b2 = E.tensor(f32(m.b2)).requireGrad();
  const labels = Int32Array.from(m.labels);
  const forward = (p: Engine.Tensor[]): Engine.Tensor =>
    E.crossEntropy(E.matmul(E.relu(E.matmul(x, p[0]!, { bias: p[1]! })), p[2]!, { bias: p[3]! }), labels);
  const params = [w1, b1, w2, b2];
  const loss = forward(params);
  E.backward(loss);
  const grads = params.map((p, i) => grad(p, `mlp param ${i}`));
  const updated = E.noGrad(() => params.map((p, i) => E.sub(p, E.mulScalar(grads[i]!, m.lr))));
  const lossAfter = E.noGrad(() => forward(updated));
  const [g0, g1, g2, g3] = await Promise.all(grads.map(arr));
  const [n0, n1, n2, n3] = await Promise.all(updated.map(arr));
  return {
    loss: await loss.item(), gradW1: g0!, gradB1: g1!, gradW2: g2!, gradB2: g3!,
    newW1: n0!, newB1: n1!, newW2: n2!, newB2: n3!, lossAfter: await lossAfter.item(),
  };
}

/** Every kernel variant forced in turn: the matmul cases, a conv and a LayerNorm with gradients. */
async function runVariants(E: E, input: PageInput, v: VariantCases, setStage: (s: string) => void): Promise<VariantResult[]> {
  const out: VariantResult[] = [];
  for (const variant of v.matmul) {
    setStage(`matmul variant ${variant}`);
    E.setKernelVariant('matmul', variant);
    const matmuls: MatmulResult[] = [];
    for (const c of input.matmuls) matmuls.push(await runMatmul(E, c));
    out.push({ family: 'matmul', variant, matmuls });
  }
  E.setKernelVariant('matmul', null);
  const cv = v.conv2d;
  for (const variant of v.conv) {
    setStage(`conv variant ${variant}`);
    E.setKernelVariant('conv', variant);
    const x = E.tensor(f32(cv.x), cv.xShape).requireGrad();
    const w = E.tensor(f32(cv.w), cv.wShape).requireGrad();
    const y = E.conv2d(x, w, { stride: cv.stride, padding: cv.padding });
    E.backward(y, E.tensor(f32(cv.g), y.shape));
    out.push({ family: 'conv', variant, values: [await arr(y), await arr(grad(x, 'conv x')), await arr(grad(w, 'conv w'))] });
  }
  E.setKernelVariant('conv', null);
  const ln = v.layerNorm;
  for (const variant of v.layernorm) {
    setStage(`layernorm variant ${variant}`);
    E.setKernelVariant('layernorm', variant);
    const x = E.tensor(f32(ln.x), ln.shape).requireGrad();
    const w = E.tensor(f32(ln.w)).requireGrad();
    const b = E.tensor(f32(ln.b)).requireGrad();
    const y = E.layerNorm(x, w, b, 1e-5);
    E.backward(y, E.tensor(f32(ln.g), ln.shape));
    out.push({ family: 'layernorm', variant, values: [await arr(y), await arr(grad(x, 'ln x')), await arr(grad(w, 'ln w')), await arr(grad(b, 'ln b'))] });
  }
  E.setKernelVariant('layernorm', null);
  return out;
}

/** Everything the test asks of the browser; failures come back as data naming the stage. */
export async function run(E: E, input: PageInput): Promise<PageResult> {
  const t0 = performance.now();
  let stage = 'initEngine';
  let adapter: AdapterReport | undefined;
  try {
    const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
    const rt = await E.initEngine(gpu && input.capStorageBuffers ? { gpu: cappedGpu(gpu, input.capStorageBuffers) } : {});
    // Small workload: scope every dispatch so a failure names the exact op.
    rt.debugErrors = true;
    adapter = report(rt);
    const matmuls: MatmulResult[] = [];
    for (const c of input.matmuls) {
      stage = `matmul case '${c.name}'`;
      matmuls.push(await runMatmul(E, c));
    }
    stage = 'mlp step';
    const mlp = await runMlp(E, input.mlp);
    const variants = input.variants ? await runVariants(E, input, input.variants, (s) => { stage = s; }) : [];
    stage = 'final error check';
    rt.checkErrors();
    return { ok: true, adapter, matmuls, mlp, variants, ms: performance.now() - t0 };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    return { ok: false, stage, errorName: err.name, message: err.message, adapter };
  }
}
