/**
 * Loads pretrained landmark-stream weights into ARBEx's landmark stream and freezes it:
 *  - safetensors from `arbex pretrain-landmarks` (our names), or
 *  - a TensorFlow.js model (`model.json` + shards, e.g. shipped inside an npm package), used when
 *    its features fit: weight names are matched after mapping '/' to '.', and 4-D kernels stored
 *    as TF's HWIO (or depthwise HWC1) are transposed to our OIHW when that makes the shapes agree.
 * Every backbone tensor of the stream must be found with a fitting shape; otherwise nothing is
 * loaded and the error lists what did not fit.
 */
import { readSafetensorsFile } from '../io/safetensors-node.js';
import { loadTfjsModelFile } from '../io/tfjs-manifest-node.js';
import type { HostTensor } from '../nn/host-tensor.js';
import type { LandmarkStream } from '../models/arbex/landmark-stream.js';
import { tfToTorchLayout } from '../io/tfjs-convert.js';

export async function loadLandmarkWeights(stream: LandmarkStream, path: string): Promise<{ loaded: number; format: 'safetensors' | 'tfjs' }> {
  const tfjs = path.endsWith('.json');
  const raw: Map<string, HostTensor> = tfjs ? await loadTfjsModelFile(path) : (await readSafetensorsFile(path)).tensors;
  const own = new Map(stream.stateDict());
  const fitted = new Map<string, HostTensor>();
  for (const [name, h] of raw) {
    const key = tfjs ? name.replace(/\//g, '.') : name;
    const target = own.get(key);
    if (!target) continue;
    const same = target.shape.length === h.shape.length && target.shape.every((d, i) => d === h.shape[i]);
    if (same) fitted.set(key, h);
    else if (tfjs && h.shape.length === 4) {
      for (const dw of [false, true]) {
        const t = tfToTorchLayout(h, dw ? 'depthwise' : 'hwio', name);
        if (t.shape.every((d, i) => d === target.shape[i])) {
          fitted.set(key, t);
          break;
        }
      }
    }
  }
  const needed = [...own.keys()].filter((k) => !k.startsWith('last_face_conv.'));
  const missing = needed.filter((k) => !fitted.has(k));
  if (missing.length) {
    throw new Error(`--landmarks ${path}: its features do not fit this landmark stream: ${missing.length} of ${needed.length} tensors missing or of another shape (e.g. ${missing.slice(0, 5).join(', ')})`);
  }
  stream.loadStateDict(fitted, { strict: false });
  stream.freezeBackbone();
  return { loaded: fitted.size, format: tfjs ? 'tfjs' : 'safetensors' };
}
