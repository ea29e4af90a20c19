/**
 * Applying the name tables (rules.ts) to a model: project ⇄ released key maps, and the two
 * conversions built on them — a released state dict into project tensors (import: every key
 * accounted for, strict by default) and project tensors into a released state dict (export).
 * Pure (host tensors in and out); file access lives in the CLI.
 */
import type { HostTensor } from '../../../nn/host-tensor.js';
import type { ArbexConfig } from '../config.js';
import { ARBEX_RULES, POSTER_RULES, RELEASED_ONLY, BACKBONE_PREFIX, IR50_UNITS, type Rule } from './rules.js';

export type ReleasedFormat = 'arbex' | 'poster' | 'ir50' | 'mobilefacenet';
export const RELEASED_FORMATS: readonly ReleasedFormat[] = ['arbex', 'poster', 'ir50', 'mobilefacenet'];

export class NameMapError extends Error {
  override name = 'NameMapError';
}

function evalExpr(expr: string, groups: string[], vars: Record<string, number>): number {
  const src = expr.replace(/\$(\d)/g, (_, i: string) => groups[Number(i)] ?? 'NaN').replace(/[A-Z]/g, (v) => String(vars[v] ?? NaN));
  if (!/^[\d+\-*() ]+$/.test(src)) throw new NameMapError(`name rule expression '${expr}' → '${src}' is not integer arithmetic`);
  // Integer + - * with precedence: evaluate sums of products.
  return src.split('+').reduce((acc, term) => acc + term.split('-').map((t, i) => (i ? -1 : 1) * t.split('*').reduce((p, f) => p * Number(f.trim()), 1)).reduce((a, b) => a + b, 0), 0);
}

/** Rewrites one project key through a rule pipeline. */
export function applyRules(key: string, rules: readonly Rule[], vars: Record<string, number> = {}): string {
  let k = key;
  for (const [pattern, repl] of rules) {
    const re = new RegExp(pattern);
    const m = re.exec(k);
    if (!m) continue;
    const groups = [...m];
    const out = repl.replace(/\{([^}]+)\}/g, (_, e: string) => String(evalExpr(e, groups, vars))).replace(/\$(\d)/g, (_, i: string) => groups[Number(i)] ?? '');
    k = k.slice(0, m.index) + out + k.slice(m.index + m[0].length);
  }
  return k;
}

/** Project key → released key for every project key that has a counterpart in `format`. */
export function releasedNameMap(format: 'arbex' | 'poster', projectKeys: Iterable<string>, cfg: ArbexConfig): Map<string, string> {
  const vars = { H: cfg.head.mlpHidden.length };
  const out = new Map<string, string>();
  for (const key of projectKeys) {
    if (format === 'poster') {
      if (key.startsWith('head.') && !(key.startsWith('head.classifier.') && cfg.head.mlpHidden.length === 0 && cfg.head.reduceDim === 0)) continue;
      out.set(key, applyRules(key, POSTER_RULES, vars));
    } else {
      if (key.startsWith('head.reduce.')) continue; // the released code has no reduction layer
      out.set(key, applyRules(key, ARBEX_RULES, vars));
    }
  }
  for (const [k, v] of out) if (v === k) throw new NameMapError(`no ${format} name for project key '${k}' (name rules incomplete)`);
  return out;
}

/** Swin relative-position index of a w×w window (the released int64 buffers), row-major [w², w²]. */
export function relativePositionIndex(w: number): Int32Array {
  const n = w * w;
  const out = new Int32Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const dy = Math.floor(i / w) - Math.floor(j / w) + w - 1, dx = (i % w) - (j % w) + w - 1;
      out[i * n + j] = dy * (2 * w - 1) + dx;
    }
  return out;
}

export interface ImportReport {
  format: ReleasedFormat;
  /** [file key, project key] for every tensor placed. */
  mapped: [string, string][];
  /** Released buffers that carry no learnt value, verified against what they must be. */
  checked: string[];
  /** File keys deliberately not used, with the reason. */
  skipped: [string, string][];
  /** File keys with no place in the model (an error when strict). */
  unplaced: string[];
  /** Project keys the file does not provide and that keep their initialisation, with the reason. */
  initialised: [string, string][];
  /** Project keys the file should have provided but did not (an error when strict). */
  missing: string[];
  /** Shape disagreements (always an error). */
  mismatched: string[];
}

export interface ImportResult {
  tensors: Map<string, HostTensor>;
  report: ImportReport;
}

const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/**
 * Maps a released state dict onto the project model's keys. `own` is the model's state dict
 * (names and shapes); `file` the tensors read from the checkpoint(s), `module.` prefixes already
 * stripped. Strict: every file key must be placed, skipped for a stated reason or checked, and
 * every key the format covers must be present; otherwise a NameMapError lists what is wrong.
 */
export function importReleased(format: ReleasedFormat, file: ReadonlyMap<string, HostTensor>, own: ReadonlyMap<string, { shape: readonly number[] }>, cfg: ArbexConfig, opts: { strict?: boolean; source?: string } = {}): ImportResult {
  const strict = opts.strict ?? true;
  const report: ImportReport = { format, mapped: [], checked: [], skipped: [], unplaced: [], initialised: [], missing: [], mismatched: [] };
  const tensors = new Map<string, HostTensor>();
  // released key → project key for the keys this format covers
  const toProject = new Map<string, string>();
  let optional: (k: string) => string | null = () => null;
  let extra: [RegExp, string][] = [];
  if (format === 'arbex' || format === 'poster') {
    for (const [p, r] of releasedNameMap(format, own.keys(), cfg)) toProject.set(r, p);
    extra = RELEASED_ONLY[format].map(([p, w]) => [new RegExp(p), w]);
    optional = format === 'arbex'
      ? (k) => (/^head\.attn_/.test(k) ? 'the released train.py saves vit, classifier and anchors but not self_attn' : null)
      : (k) => (k.startsWith('head.') ? 'POSTER++ has no reliability-balancing head' : null);
  } else {
    const b = BACKBONE_PREFIX[format];
    const ex = new RegExp(b.exclude);
    const keys = [...own.keys()].filter((k) => k.startsWith(b.project) && !ex.test(k));
    for (const [p, r] of releasedNameMap('poster', keys, cfg)) toProject.set(r.slice(b.poster.length), p);
    extra = RELEASED_ONLY.poster.filter(([p]) => p.includes(b.poster.replace('.', '\\.'))).map(([p, w]) => [new RegExp(p.replace(b.poster.replace('.', '\\.'), '')), w]);
    if (format === 'ir50') extra.push([/^body\.(2[1-9]|[3-9]\d)\./, "IR-50's fourth stage (POSTER++ uses the first three)"]);
    optional = (k) => (k.startsWith(b.project) && !ex.test(k) ? null : `not part of the ${format} backbone`);
  }
  const windows = cfg.attention.windows;
  for (const [rawKey, t] of file) {
    let key = rawKey;
    // The original IR-50 layout numbers all units in one `body`: map body.N to body1..3.
    if (format === 'ir50' && /^body\.\d+\./.test(key)) {
      const n = Number(key.split('.')[1]);
      let s = 0, i = n;
      while (s < IR50_UNITS.length && i >= IR50_UNITS[s]!) i -= IR50_UNITS[s++]!;
      if (s < 3) key = key.replace(/^body\.\d+\./, `body${s + 1}.${i}.`);
    }
    const p = toProject.get(key);
    if (p) {
      const want = own.get(p)!.shape;
      if (!same(want, t.shape) && !(t.shape.length === 0 && want.length === 0)) {
        report.mismatched.push(`${rawKey} ${fmt(t.shape)} → ${p} ${fmt(want)}`);
        continue;
      }
      tensors.set(p, t);
      report.mapped.push([rawKey, p]);
      continue;
    }
    const idx = /^(?:vit\.attns\.(\d)\.index_relative|attn(\d)\.relative_position_index)$/.exec(key);
    if (idx && (format === 'arbex' || format === 'poster')) {
      const s = idx[1] !== undefined ? Number(idx[1]) : Number(idx[2]) - 1;
      const expect = relativePositionIndex(windows[s]!);
      if (t.data.length !== expect.length || expect.some((v, i) => t.data[i] !== v)) {
        report.mismatched.push(`${rawKey}: relative-position index does not match window ${windows[s]} (different window size?)`);
      } else report.checked.push(rawKey);
      continue;
    }
    const why = extra.find(([re]) => re.test(key));
    if (why) report.skipped.push([rawKey, why[1]]);
    else report.unplaced.push(`${rawKey} ${fmt(t.shape)}`);
  }
  const placed = new Set(tensors.keys());
  for (const k of own.keys()) {
    if (placed.has(k)) continue;
    const covered = [...toProject.values()].includes(k);
    const why = optional(k);
    if (covered && !why) report.missing.push(k);
    else report.initialised.push([k, why ?? 'no counterpart in this format']);
  }
  const src = opts.source ?? format;
  if (report.mismatched.length) throw new NameMapError(`${src}: ${report.mismatched.length} tensor(s) do not fit this configuration (wrong --config?):\n  ${report.mismatched.slice(0, 20).join('\n  ')}`);
  if (strict && (report.unplaced.length || report.missing.length)) {
    const parts: string[] = [];
    if (report.unplaced.length) parts.push(`${report.unplaced.length} key(s) in the file have no place in the model:\n  ${report.unplaced.slice(0, 20).join('\n  ')}`);
    if (report.missing.length) parts.push(`${report.missing.length} key(s) of the model are missing from the file:\n  ${report.missing.slice(0, 20).join('\n  ')}`);
    throw new NameMapError(`${src} (${format}, strict): ${parts.join('\n')}\n(--non-strict loads what fits and reports the rest)`);
  }
  return { tensors, report };
}

export interface ExportTensor {
  shape: readonly number[];
  data: Float32Array | Int32Array | Uint32Array;
  dtype: 'float32' | 'int64';
}

export interface ExportReport {
  format: 'arbex' | 'poster';
  mapped: number;
  /** Released keys the project has no tensor for, filled so the file loads strictly; with how. */
  filled: [string, string][];
  /** Project keys with no released counterpart (left out). */
  dropped: [string, string][];
}

const INT64 = /(num_batches_tracked|index_relative|relative_position_index)$/;

/**
 * Project tensors → a released state dict that the released code's `load_state_dict(strict=True)`
 * accepts. Released keys the project has no tensor for are filled (derived from the config) and
 * listed in the report.
 */
export function exportReleased(format: 'arbex' | 'poster', state: ReadonlyMap<string, HostTensor>, cfg: ArbexConfig): { tensors: Map<string, ExportTensor>; report: ExportReport } {
  if (format === 'arbex' && cfg.head.reduceDim > 0) {
    throw new NameMapError(`export to arbex: the released head has no reduction layer (this model has head.reduceDim ${cfg.head.reduceDim}; its classifier would not fit the released one)`);
  }
  const names = releasedNameMap(format, state.keys(), cfg);
  const report: ExportReport = { format, mapped: 0, filled: [], dropped: [] };
  const out = new Map<string, ExportTensor>();
  const put = (k: string, shape: readonly number[], data: Float32Array | Int32Array | Uint32Array): void => {
    out.set(k, { shape, data, dtype: INT64.test(k) ? 'int64' : 'float32' });
  };
  for (const [k, t] of state) {
    const r = names.get(k);
    if (!r) {
      report.dropped.push([k, 'POSTER++ has no reliability-balancing head / reduction']);
      continue;
    }
    put(r, t.shape, t.data);
    report.mapped++;
  }
  const fill = (k: string, shape: number[], data: Float32Array | Int32Array, how: string): void => {
    put(k, shape, data);
    report.filled.push([k, how]);
  };
  const eye = (n: number): Float32Array => Float32Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));
  cfg.attention.windows.forEach((w, i) => {
    const k = format === 'arbex' ? `vit.attns.${i}.index_relative` : `attn${i + 1}.relative_position_index`;
    fill(k, [w * w, w * w], relativePositionIndex(w), 'generated (Swin relative-position index)');
  });
  if (format === 'arbex' && !state.has('head.attn_q_bias')) {
    // The project head ≡ the released branch with zero biases and identity projections
    // (exact for attentionScope 'batch' with 1 head, the released behaviour).
    const J = cfg.numClasses * cfg.head.anchorsPerClass;
    const how = 'identity/zero: the project head has no biases or MultiheadAttention projections (equivalent for scope batch, 1 head)';
    for (const q of ['Q', 'K', 'V']) fill(`self_attn.${q}.bias`, [J], new Float32Array(J), how);
    const inProj = new Float32Array(3 * J * J);
    for (let s = 0; s < 3; s++) inProj.set(eye(J), s * J * J);
    fill('self_attn.attn_fn.in_proj_weight', [3 * J, J], inProj, how);
    fill('self_attn.attn_fn.in_proj_bias', [3 * J], new Float32Array(3 * J), how);
    fill('self_attn.attn_fn.out_proj.weight', [J, J], eye(J), how);
    fill('self_attn.attn_fn.out_proj.bias', [J], new Float32Array(J), how);
  }
  if (format === 'poster') {
    const T = cfg.tokenDim, L = cfg.landmark.lastConv, m = Math.ceil(cfg.backboneSize / 16), O = 512;
    const bn = (p: string, n: number, how: string): void => {
      fill(`${p}.weight`, [n], new Float32Array(n).fill(1), how);
      fill(`${p}.bias`, [n], new Float32Array(n), how);
      fill(`${p}.running_mean`, [n], new Float32Array(n), how);
      fill(`${p}.running_var`, [n], new Float32Array(n).fill(1), how);
      fill(`${p}.num_batches_tracked`, [], new Int32Array(1), how);
    };
    const unused = 'neutral values (module never used by the POSTER++ forward)';
    bn('ir_back.output_layer.0', O, unused);
    fill('ir_back.output_layer.3.weight', [O, O * m * m], new Float32Array(O * O * m * m), unused);
    fill('ir_back.output_layer.3.bias', [O], new Float32Array(O), unused);
    bn('ir_back.output_layer.4', O, unused);
    const discarded = 'neutral values (its output is discarded by POSTER++)';
    fill('face_landback.output_layer.conv_6_dw.conv.weight', [L, 1, m, m], new Float32Array(L * m * m), discarded);
    bn('face_landback.output_layer.conv_6_dw.bn', L, discarded);
    fill('face_landback.output_layer.linear.weight', [136, L], new Float32Array(136 * L), discarded);
    bn('face_landback.output_layer.bn', 136, discarded);
    fill('VIT.eca_block.conv.weight', [1, 1, 5], new Float32Array(5), unused);
    if (!out.has('VIT.head.linear.weight')) {
      const how = 'zeros: the project head is not a single Linear, so POSTER++ needs its classifier trained';
      fill('VIT.head.linear.weight', [cfg.numClasses, T], new Float32Array(cfg.numClasses * T), how);
      fill('VIT.head.linear.bias', [cfg.numClasses], new Float32Array(cfg.numClasses), how);
    }
  }
  return { tensors: out, report };
}

/**
 * Joins the state dicts of one or more files into one released state dict: strips DataParallel's
 * `module.` prefix, and for ARBEx gives each separately saved module (the released train.py
 * writes vit.*.pth, classifier.*.pth, anchors.*.pth) its prefix, recognised by its keys.
 */
export function mergeReleasedParts(format: ReleasedFormat, parts: readonly { source: string; tensors: ReadonlyMap<string, HostTensor> }[]): { tensors: Map<string, HostTensor>; notes: string[] } {
  const out = new Map<string, HostTensor>();
  const notes: string[] = [];
  for (const { source, tensors } of parts) {
    let keys = [...tensors.keys()];
    let strip = '';
    if (keys.every((k) => k.startsWith('module.'))) {
      strip = 'module.';
      notes.push(`${source}: stripped the 'module.' prefix (saved from nn.DataParallel)`);
    }
    keys = keys.map((k) => k.slice(strip.length));
    let prefix = '';
    // (the ViT inside the released `vit` module is itself named `vit`, so look deeper)
    if (format === 'arbex' && !keys.some((k) => /^(vit\.(landmark|ir)\.|classifier\.|anchors\.|self_attn\.)/.test(k))) {
      prefix = keys.every((k) => k.startsWith('net.')) ? 'classifier.'
        : keys.every((k) => k === 'anchors') ? 'anchors.'
        : keys.every((k) => /^(Q|K|V|attn_fn)\./.test(k)) ? 'self_attn.' : 'vit.';
      notes.push(`${source}: read as the released '${prefix.slice(0, -1)}' module`);
    }
    for (const [k, t] of tensors) {
      const name = prefix + k.slice(strip.length);
      if (out.has(name)) throw new NameMapError(`${source}: key '${name}' also appears in an earlier file`);
      out.set(name, t);
    }
  }
  return { tensors: out, notes };
}
