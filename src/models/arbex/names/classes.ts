/**
 * Reordering the class dimension of imported head tensors: released checkpoints use their
 * dataset's class order (RAF-DB folders, Aff-Wild2 indices, …); the project uses
 * neutral, happy, sad, surprise, fear, disgust, anger (, contempt). Every tensor indexed by class
 * is permuted consistently — classifier rows, anchors, and the C·K attention slots (Q/K/V rows and
 * biases, and the MultiheadAttention projections on both sides, which leaves the attention
 * itself unchanged) — so the model computes the same function with relabelled outputs.
 */
import type { HostTensor } from '../../../nn/host-tensor.js';
import { classFromName, CANONICAL_CLASSES } from '../../../data/labels.js';
import type { ArbexConfig } from '../config.js';
import { NameMapError } from './map.js';

/** File class names in file order → for each project class, the file's index. */
export function parseClassOrder(list: string, numClasses: number): number[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length !== numClasses) throw new NameMapError(`--classes: ${names.length} names for a ${numClasses}-class checkpoint`);
  const src = new Array<number>(numClasses).fill(-1);
  names.forEach((n, i) => {
    const c = classFromName(n);
    if (c < 0 || c >= numClasses) throw new NameMapError(`--classes: '${n}' is not one of ${CANONICAL_CLASSES.slice(0, numClasses).join(', ')} (or a synonym)`);
    if (src[c] !== -1) throw new NameMapError(`--classes: '${n}' names class '${CANONICAL_CLASSES[c]}' twice`);
    src[c] = i;
  });
  return src;
}

/** Returns a copy of `tensors` with the head's class dimension reordered (`src[c]` = file index of project class c). */
export function permuteClasses(tensors: ReadonlyMap<string, HostTensor>, src: readonly number[], cfg: ArbexConfig): Map<string, HostTensor> {
  const C = cfg.numClasses, K = cfg.head.anchorsPerClass, J = C * K;
  const slot = Array.from({ length: J }, (_, s) => src[Math.floor(s / K)]! * K + (s % K)); // new slot → old slot
  const out = new Map(tensors);
  const rows = (key: string, perm: readonly number[], blocks = 1): void => {
    const t = tensors.get(key);
    if (!t) return;
    const n = perm.length * blocks, w = t.data.length / n;
    const d = new (t.data.constructor as Float32ArrayConstructor)(t.data.length);
    for (let b = 0; b < blocks; b++)
      for (let r = 0; r < perm.length; r++) d.set(t.data.subarray((b * perm.length + perm[r]!) * w, (b * perm.length + perm[r]! + 1) * w), (b * perm.length + r) * w);
    out.set(key, { shape: t.shape, data: d });
  };
  const cols = (key: string, perm: readonly number[]): void => {
    const t = out.get(key);
    if (!t) return;
    const w = perm.length, h = t.data.length / w;
    const d = new Float32Array(t.data.length);
    for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) d[r * w + c] = t.data[r * w + perm[c]!]!;
    out.set(key, { shape: t.shape, data: d });
  };
  rows('head.classifier.weight', src);
  rows('head.classifier.bias', src);
  rows('head.anchors', src);
  for (const q of ['q', 'k', 'v']) {
    rows(`head.attn_${q}.weight`, slot);
    rows(`head.attn_${q}_bias`, slot);
  }
  rows('head.attn_fn.in_proj_weight', slot, 3);
  cols('head.attn_fn.in_proj_weight', slot);
  rows('head.attn_fn.in_proj_bias', slot, 3);
  rows('head.attn_fn.out_proj.weight', slot);
  cols('head.attn_fn.out_proj.weight', slot);
  rows('head.attn_fn.out_proj.bias', slot);
  return out;
}
