/**
 * Checks the model configuration stored in a checkpoint JSON before a model is built from it
 * (eval, predict): the file is user input, and a hostile or damaged config would otherwise reach
 * the model constructor (wrong types → TypeErrors deep inside; a width of 1e9 → an out-of-memory).
 * Every leaf must have the type it has in the tiny or the full config, sizes must be integers
 * no larger than twice the full config's (so a hostile width cannot ask for terabytes), arrays
 * keep their lengths, enums hold known values, and the result must pass
 * validateConfig. Errors name the file and the field.
 */
import { FULL, TINY, validateConfig, type ArbexConfig } from '../models/arbex/config.js';

/** Bound on any integer size in a config (the full model's largest is 2048). */
export const MAX_CONFIG_SIZE = 65_536;

export class CheckpointConfigError extends Error {
  override name = 'CheckpointConfigError';
}

/** Sizes and counts (paths with list indices stripped). */
const INTEGER_FIELDS = /^(inputSize|backboneSize|tokenDim|numClasses|landmark\.(stem|taps|expand|downExpand|blocks|lastConv)|image\.(widths|units)|attention\.(heads|windows)|vit\.(depth|heads)|head\.(reduceDim|mlpHidden|anchorsPerClass|attentionHeads))(\[\d+\])?$/;
const ENUMS: Record<string, readonly string[]> = { querySplit: ['heads', 'released-reshape'], 'head.attentionScope': ['batch', 'sample'], 'vit.init': ['xavier'] };

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function checkStoredConfig(value: unknown, source: string): ArbexConfig {
  const fail = (field: string, msg: string): never => {
    throw new CheckpointConfigError(`${source}: state.options.config${field ? '.' + field : ''}: ${msg}`);
  };
  const walk = (v: unknown, a: unknown, b: unknown, path: string): void => {
    const show = (): string => (JSON.stringify(v) ?? String(v)).slice(0, 60);
    if (isObj(a) && isObj(b)) {
      if (!isObj(v)) fail(path, `expected an object, got ${show()}`);
      for (const k of Object.keys(a)) if (!(k in (v as object))) fail(path ? `${path}.${k}` : k, 'missing');
      for (const k of Object.keys(v as object)) if (!(k in a)) fail(path ? `${path}.${k}` : k, 'unknown field');
      for (const k of Object.keys(a)) walk((v as Record<string, unknown>)[k], a[k], b[k], path ? `${path}.${k}` : k);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      if (!Array.isArray(v)) fail(path, `expected a list, got ${show()}`);
      const arr = v as unknown[];
      // Fixed-size tuples (per scale) keep their length; variable lists (hidden layers) may not.
      if (a.length === b.length && arr.length !== a.length) fail(path, `expected ${a.length} values, got ${arr.length}`);
      if (arr.length > 64) fail(path, `${arr.length} values is implausibly many`);
      const proto = a[0] ?? b[0] ?? 0;
      arr.forEach((x, i) => walk(x, a[i] ?? proto, b[i] ?? proto, `${path}[${i}]`));
      return;
    }
    const types = new Set([typeof a, typeof b]);
    if (!types.has(typeof v)) fail(path, `expected ${[...types].join(' or ')}, got ${show()}`);
    if (typeof v === 'number') {
      if (!Number.isFinite(v) || Math.abs(v) > 1e6) fail(path, `expected a finite number of sensible size, got ${show()}`);
      if (INTEGER_FIELDS.test(path)) {
        // At most twice the larger released size: a hostile width cannot make the model huge.
        const cap = Math.min(MAX_CONFIG_SIZE, Math.max(16, 2 * (typeof a === 'number' ? a : 0), 2 * (typeof b === 'number' ? b : 0)));
        if (!Number.isInteger(v) || v < 0 || v > cap) fail(path, `expected an integer in [0, ${cap}], got ${show()}`);
      }
    }
    const allowed = ENUMS[path];
    if (allowed && typeof v === 'string' && !allowed.includes(v)) fail(path, `expected one of ${allowed.join(', ')}, got ${show()}`);
  };
  walk(value, TINY, FULL, '');
  const cfg = value as ArbexConfig;
  if (cfg.numClasses !== 7 && cfg.numClasses !== 8) fail('numClasses', `expected 7 or 8, got ${JSON.stringify(cfg.numClasses)}`);
  if (cfg.inputSize < 16 || cfg.backboneSize < 16) fail('inputSize', `sizes below 16 pixels cannot pass three stride-2 stages (inputSize ${cfg.inputSize}, backboneSize ${cfg.backboneSize})`);
  for (const [k, xs] of [['attention.heads', cfg.attention.heads], ['attention.windows', cfg.attention.windows], ['image.widths', cfg.image.widths]] as const) {
    xs.forEach((x, i) => x < 1 && fail(`${k}[${i}]`, `must be at least 1, got ${x}`));
  }
  if (cfg.vit.heads < 1) fail('vit.heads', `must be at least 1, got ${cfg.vit.heads}`);
  try {
    validateConfig(cfg);
  } catch (e) {
    fail('', (e as Error).message);
  }
  return structuredClone(cfg);
}
