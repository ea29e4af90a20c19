/**
 * Splitting a dispatch's constants between the shader text and pipeline overrides.
 *
 * WGSL sizes a private (function-scope) array only with a const-expression, never an override,
 * so a kernel whose register blocks depend on a per-pipeline size would have to declare them at
 * the largest size it supports. On a software adapter (llvmpipe) dynamically indexed private
 * arrays cost JIT time in proportion to their declared size (attention: 9.6 s → 3.2 s of CPU for
 * one pipeline with exact sizes), so such constants are written into the source instead: a
 * shader marks them with a trailing `// @specialised` comment,
 *
 *   const MAXV: u32 = 32u; // @specialised
 *
 * and a dispatch that passes `MAXV` among its constants gets a module with that line rewritten.
 * Every other constant stays a pipeline-overridable one.
 */
import { SHADERS } from './shaders.gen.js';
import { GpuError } from './errors.js';

const MARKED = /^const ([A-Za-z_][A-Za-z0-9_]*): (u32|i32|f32) = [^;]+; *\/\/ @specialised.*$/gm;
const markedNames = new Map<string, Set<string>>();

function source(shader: string, op: string): string {
  const src = SHADERS[shader];
  if (src === undefined) throw new GpuError(`op '${op}': no shader named '${shader}' in shaders/`);
  return src;
}

/** Names a shader marks `// @specialised`. */
function marked(shader: string, op: string): Set<string> {
  let names = markedNames.get(shader);
  if (!names) {
    names = new Set([...source(shader, op).matchAll(MARKED)].map((m) => m[1]!));
    markedNames.set(shader, names);
  }
  return names;
}

export interface Specialised {
  /** Module cache key: the shader name plus the substituted values. */
  moduleKey: string;
  /** Constants left as pipeline overrides (undefined when none). */
  overrides?: Record<string, number>;
  /** The substituted constants (empty when none). */
  text: Record<string, number>;
}

export function specialise(shader: string, op: string, constants?: Record<string, number>): Specialised {
  const names = marked(shader, op);
  if (!constants || names.size === 0) return { moduleKey: shader, overrides: constants, text: {} };
  const text: Record<string, number> = {};
  const overrides: Record<string, number> = {};
  for (const [k, v] of Object.entries(constants)) {
    if (names.has(k)) text[k] = v;
    else overrides[k] = v;
  }
  const keys = Object.keys(text);
  if (keys.length === 0) return { moduleKey: shader, overrides: constants, text };
  return {
    moduleKey: `${shader}|${keys.map((k) => `${k}=${text[k]}`).join(',')}`,
    overrides: Object.keys(overrides).length ? overrides : undefined,
    text,
  };
}

/** The WGSL of `shader` (common helpers first) with the `text` constants written in. */
export function shaderCode(shader: string, op: string, text: Record<string, number> = {}): string {
  let src = source(shader, op);
  if (Object.keys(text).length) {
    src = src.replace(MARKED, (line, name: string, type: string) => {
      const v = text[name];
      if (v === undefined) return line;
      if (type !== 'f32' && !Number.isInteger(v)) throw new GpuError(`op '${op}': constant ${name} of ${shader}.wgsl must be an integer, got ${v}`);
      const lit = type === 'f32' ? `${v}f` : type === 'u32' ? `${v}u` : `${v}i`;
      return `const ${name}: ${type} = ${lit};`;
    });
  }
  return (SHADERS['common'] ?? '') + '\n' + src;
}

/**
 * The compute stage of a dispatch on `device`: the shader module (made once per shader and
 * text-constant values, kept in `modules`), the entry point and the remaining overrides.
 */
export function computeStage(
  device: GPUDevice,
  modules: Map<string, GPUShaderModule>,
  spec: { shader: string; op: string; entry: string; constants?: Record<string, number> },
): GPUProgrammableStage {
  const s = specialise(spec.shader, spec.op, spec.constants);
  let module = modules.get(s.moduleKey);
  if (!module) {
    module = device.createShaderModule({ code: shaderCode(spec.shader, spec.op, s.text), label: s.moduleKey });
    modules.set(s.moduleKey, module);
  }
  return { module, entryPoint: spec.entry, constants: s.overrides };
}
