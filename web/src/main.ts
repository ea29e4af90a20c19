/**
 * The web app's entry: starts the engine on navigator.gpu (core or compatibility mode, whatever
 * the browser gives), wires the four views, and exposes `window.__arbex` for the browser tests.
 */
import { initEngine } from '../../src/runtime/device.js';
import { state, changed } from './state.js';
import { predictView } from './views/predict.js';
import { trainView } from './views/train.js';
import { benchView } from './views/bench.js';
import { insideView } from './views/inside.js';
import { checkpointFromFiles, fetchServedCheckpoint, randomModel } from './checkpoint.js';
import { imageFromFile } from './images.js';

function byId(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`page: #${id} missing from index.html`);
  return e;
}

/** A GPU whose adapters advertise at most `cap` storage buffers per stage (the engine asks for what is advertised). */
function cappedGpu(gpu: GPU, cap: number): GPU {
  const requestAdapter = async (o?: GPURequestAdapterOptions): Promise<GPUAdapter | null> => {
    const a = await gpu.requestAdapter(o);
    if (!a) return null;
    const limits = new Proxy(a.limits, {
      get: (t, k) => (k === 'maxStorageBuffersPerShaderStage' ? Math.min(cap, t.maxStorageBuffersPerShaderStage) : Reflect.get(t, k, t)),
    });
    return { limits, features: a.features, info: a.info, requestDevice: (d?: GPUDeviceDescriptor) => a.requestDevice(d) } as unknown as GPUAdapter;
  };
  return { requestAdapter, getPreferredCanvasFormat: () => gpu.getPreferredCanvasFormat(), wgslLanguageFeatures: gpu.wgslLanguageFeatures } as unknown as GPU;
}

async function main(): Promise<void> {
  const status = byId('status');
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) {
    status.textContent = 'This browser exposes no WebGPU (navigator.gpu is missing). Use a recent Chrome/Edge, Firefox 141+ or Safari 26+, on localhost or HTTPS.';
    status.classList.add('error');
    (window as unknown as { __arbexReady: string }).__arbexReady = 'no-webgpu';
    return;
  }
  // ?storage-buffers=N: pretend the adapter offers at most N storage buffers per shader stage
  // (how the app behaves on the smallest compatibility-mode devices; used by test/web).
  const cap = Number(new URLSearchParams(location.search).get('storage-buffers') ?? 0);
  const rt = await initEngine({ gpu: cap > 0 ? cappedGpu(gpu, cap) : gpu });
  state.rt = rt;
  const a = rt.adapter;
  state.featureLevel = a ? (a.features.has('core-features-and-limits') ? 'core' : 'compatibility') : 'unknown';
  status.textContent = `WebGPU: ${rt.adapterInfo || 'adapter'} · ${state.featureLevel} mode · ${rt.limits.maxStorageBuffersPerShaderStage} storage buffers per stage`;

  const predict = predictView(byId('view-predict'));
  const train = trainView(byId('view-train'));
  const bench = benchView(byId('view-bench'));
  const inside = insideView(byId('view-inside'), () => predict.last());

  const show = (name: string): void => {
    for (const b of document.querySelectorAll<HTMLButtonElement>('#tabs button')) b.classList.toggle('active', b.dataset.view === name);
    for (const v of document.querySelectorAll<HTMLElement>('.view')) v.classList.toggle('active', v.id === `view-${name}`);
    if (name === 'inside') void inside.run();
    location.hash = name;
  };
  for (const b of document.querySelectorAll<HTMLButtonElement>('#tabs button')) b.addEventListener('click', () => show(b.dataset.view ?? 'predict'));

  // The served checkpoint if there is one, else a random-init tiny model so every view works.
  const served = await fetchServedCheckpoint().catch((e: unknown) => {
    console.warn(`served checkpoint: ${(e as Error).message}`);
    return null;
  });
  state.model = served ?? randomModel('tiny');
  changed();
  await predict.run();
  const initial = location.hash.slice(1);
  if (['train', 'bench', 'inside'].includes(initial)) show(initial);

  // For the browser tests (test/web): drive the views and read their numbers.
  Object.assign(window, {
    __arbex: {
      show,
      state,
      featureLevel: () => state.featureLevel,
      limits: () => ({ ...rt.limits }),
      async loadServed() {
        const m = await fetchServedCheckpoint();
        if (!m) throw new Error('no checkpoint served');
        state.model?.model.dispose();
        state.model = m;
        changed();
        return m.name;
      },
      async loadFiles(files: File[]) {
        state.model = await checkpointFromFiles(files);
        changed();
      },
      async imageBytes(bytes: number[], name: string) {
        const img = await imageFromFile(new Blob([Uint8Array.from(bytes)], { type: 'image/png' }), name);
        state.image = img;
        state.imageName = name;
      },
      async predict() {
        const a = await predict.run();
        if (!a) throw new Error('predict: no result (see the page)');
        return { probs: [...a.probs], p: [...a.p], t: [...a.t], v: [...a.v], q: [...a.q], cp: a.cp, ct: a.ct, cv: a.cv, input: [a.input.width, a.input.height] };
      },
      inside: () => inside.run().then((x) => (x ? document.querySelectorAll('#inside-stages .stage').length : 0)),
      train,
      bench: (quick: boolean) => bench.run(quick),
    },
  });
  (window as unknown as { __arbexReady: string }).__arbexReady = 'ready';
}

main().catch((e: unknown) => {
  const status = document.getElementById('status');
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  if (status) {
    status.textContent = `Could not start: ${msg}`;
    status.classList.add('error');
  }
  console.error(msg);
  (window as unknown as { __arbexReady: string }).__arbexReady = `error: ${msg}`;
});
