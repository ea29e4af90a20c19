/**
 * TensorFlow / TF.js weights → PyTorch-style modules of this engine.
 *
 * Layouts differ and are converted by *what the target is*, never guessed from shapes (a square
 * dense or 1×1 filter reshaped instead of transposed would pass a shape check with wrong weights):
 *  - Conv2d weight, TF HWIO [kh, kw, in/groups, out]      → [out, in/groups, kh, kw]
 *  - depthwise Conv2d (groups = in channels), TF [kh, kw, C, multiplier]
 *                                                          → [C·multiplier, 1, kh, kw]
 *  - Linear weight, TF dense [in, out]                     → [out, in]
 *  - everything else (biases, BatchNorm, PReLU, …)         → as is.
 * Names: '/' becomes '.', a trailing ':0' is dropped, and the last segment is mapped from TF's
 * names to PyTorch's (kernel/filters/weights → weight, gamma → weight, beta → bias,
 * moving_mean → running_mean, moving_variance → running_var, depthwise_kernel/depthwise_filter →
 * depthwise.weight, pointwise_kernel/pointwise_filter → pointwise.weight; a SeparableConv2d's own
 * bias → pointwise.bias). Pass `rename` for anything else.
 */
import type { Module, LoadReport } from '../nn/module.js';
import type { HostTensor } from '../nn/host-tensor.js';
import { Conv2d, SeparableConv2d } from '../nn/conv.js';
import { Linear } from '../nn/linear.js';

/** How a TF tensor is laid out: see the file comment. */
export type TfLayout = 'hwio' | 'depthwise' | 'dense' | 'as-is';

/** TF weights that do not fit a module (names and shapes listed). */
export class TfjsConvertError extends Error {
  override name = 'TfjsConvertError';
}

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** Converts one TF tensor to the PyTorch layout (see the file comment). */
export function tfToTorchLayout(h: HostTensor, layout: TfLayout, what = 'tensor'): HostTensor {
  if (layout === 'as-is') return h;
  if (layout === 'dense') {
    if (h.shape.length !== 2) throw new TfjsConvertError(`${what}: a dense kernel must be [in, out], got ${fmt(h.shape)}`);
    const [i, o] = h.shape as [number, number];
    const out = new Float32Array(h.data.length);
    for (let r = 0; r < i; r++) for (let c = 0; c < o; c++) out[c * i + r] = h.data[r * o + c]!;
    return { shape: [o, i], data: out };
  }
  if (h.shape.length !== 4) throw new TfjsConvertError(`${what}: a ${layout === 'hwio' ? 'conv filter must be HWIO [kh, kw, in, out]' : 'depthwise filter must be [kh, kw, channels, multiplier]'}, got ${fmt(h.shape)}`);
  const [kh, kw, ci, co] = h.shape as [number, number, number, number];
  const depthwise = layout === 'depthwise';
  const out = new Float32Array(h.data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) {
          const src = ((y * kw + x) * ci + i) * co + o;
          // Depthwise output channel i·multiplier + o reads input channel i only (groups = C).
          const dst = depthwise ? ((i * co + o) * kh + y) * kw + x : ((o * ci + i) * kh + y) * kw + x;
          out[dst] = h.data[src]!;
        }
  return { shape: depthwise ? [ci * co, 1, kh, kw] : [co, ci, kh, kw], data: out };
}

const SUFFIXES: Readonly<Record<string, string>> = {
  kernel: 'weight', filters: 'weight', filter: 'weight', weights: 'weight', gamma: 'weight', beta: 'bias',
  moving_mean: 'running_mean', moving_variance: 'running_var',
  depthwise_kernel: 'depthwise.weight', depthwise_filter: 'depthwise.weight',
  pointwise_kernel: 'pointwise.weight', pointwise_filter: 'pointwise.weight',
};

/** The default TF → module name mapping (see the file comment). */
export function tfNameToTorch(tfName: string): string {
  const parts = tfName.replace(/:0$/, '').split('/');
  const last = parts.pop()!;
  return [...parts, SUFFIXES[last] ?? last].join('.');
}

export interface TfjsConvertOptions {
  /** TF name → state-dict name (null: skip this weight). Default `tfNameToTorch`. */
  rename?: (tfName: string) => string | null;
  /** Layout per state-dict name, overriding the one inferred from the owning module. */
  layouts?: Readonly<Record<string, TfLayout>>;
  /**
   * Every TF weight must find a target and every parameter/buffer of the module must be given
   * (default true). BatchNorm's `num_batches_tracked` never exists in TF and is not required.
   */
  strict?: boolean;
}

function layoutFor(owner: Module | undefined, leaf: string, h: HostTensor): TfLayout {
  if (leaf !== 'weight') return 'as-is';
  if (owner instanceof Linear) return 'dense';
  if (owner instanceof Conv2d) {
    const depthwise = owner.groups > 1 && owner.groups === owner.inChannels;
    // TF's depthwise filters are [kh, kw, C, multiplier]; a grouped HWIO filter has in/groups = 1 there.
    return depthwise && h.shape.length === 4 && h.shape[2] === owner.inChannels ? 'depthwise' : 'hwio';
  }
  return 'as-is';
}

/**
 * Converts TF weights (e.g. from `loadTfjsWeights` / `loadTfjsModelFile`) into a state dict for
 * `module`, checking every converted shape against the module; errors name the TF weight, its
 * shape, the target and its shape.
 */
export function tfjsToStateDict(module: Module, weights: ReadonlyMap<string, HostTensor>, opts: TfjsConvertOptions = {}): Map<string, HostTensor> {
  const rename = opts.rename ?? tfNameToTorch;
  const modules = new Map(module.namedModules());
  const targets = new Map<string, readonly number[]>([...module.stateDict()].map(([k, t]) => [k, t.shape]));
  const out = new Map<string, HostTensor>();
  const unused: string[] = [];
  const problems: string[] = [];
  for (const [tfName, h] of weights) {
    let name = rename(tfName);
    if (name === null) continue;
    const cut = name.lastIndexOf('.');
    let prefix = cut < 0 ? '' : name.slice(0, cut);
    let leaf = name.slice(cut + 1);
    // TF keeps a separable conv's bias on the layer; here it belongs to the pointwise conv.
    if (!targets.has(name) && modules.get(prefix) instanceof SeparableConv2d && leaf === 'bias') {
      prefix = prefix ? `${prefix}.pointwise` : 'pointwise';
      name = `${prefix}.${leaf}`;
    }
    // A DepthwiseConv2D layer's `depthwise_kernel` is a plain depthwise Conv2d's weight here.
    if (!targets.has(name) && name.endsWith('depthwise.weight')) {
      const owner = name.slice(0, -'depthwise.weight'.length).replace(/\.$/, '');
      if (modules.get(owner) instanceof Conv2d) {
        prefix = owner;
        name = owner ? `${owner}.weight` : 'weight';
      }
    }
    const want = targets.get(name);
    if (!want) {
      unused.push(`${tfName} (→ ${name})`);
      continue;
    }
    if (out.has(name)) {
      problems.push(`${tfName}: a second TF weight maps to '${name}'`);
      continue;
    }
    leaf = name.slice(name.lastIndexOf('.') + 1);
    const layout = opts.layouts?.[name] ?? layoutFor(modules.get(prefix), leaf, h);
    let converted: HostTensor;
    try {
      converted = tfToTorchLayout(h, layout, `TF weight '${tfName}' → '${name}'`);
    } catch (e) {
      problems.push((e as Error).message);
      continue;
    }
    const n = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
    const same = converted.shape.length === want.length && converted.shape.every((d, i) => d === want[i]);
    const scalar = n(converted.shape) === 1 && n(want) === 1 && want.length <= 1 && converted.shape.length <= 1;
    if (!same && !scalar) {
      problems.push(`TF weight '${tfName}' ${fmt(h.shape)} (${layout}) becomes ${fmt(converted.shape)}, but '${name}' is ${fmt(want)}`);
      continue;
    }
    out.set(name, converted);
  }
  if (opts.strict ?? true) {
    const missing = [...targets.keys()].filter((k) => !out.has(k) && !k.endsWith('num_batches_tracked'));
    if (unused.length) problems.push(`no target in the module for ${unused.length} TF weight(s): ${unused.slice(0, 8).join(', ')}${unused.length > 8 ? ', …' : ''}`);
    if (missing.length) problems.push(`${missing.length} module tensor(s) not given by the TF weights: ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', …' : ''}`);
  }
  if (problems.length) throw new TfjsConvertError(`TF weights do not fit ${module.constructor.name}:\n  ${problems.join('\n  ')}`);
  return out;
}

/** Converts (see `tfjsToStateDict`) and loads the weights into `module`; all or nothing. */
export function loadTfjsInto(module: Module, weights: ReadonlyMap<string, HostTensor>, opts: TfjsConvertOptions = {}): LoadReport {
  const state = tfjsToStateDict(module, weights, opts);
  return module.loadStateDict(state, { strict: false });
}
