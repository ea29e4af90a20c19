/** A small strict flag parser: `--name value`, `--name=value`, boolean `--flag`; unknown flags are errors. */
export interface FlagSpec {
  /** 'string' | 'number' | 'boolean' | 'list' (repeatable string). */
  type: 'string' | 'number' | 'boolean' | 'list';
  help: string;
}

export interface Parsed {
  flags: Record<string, string | number | boolean | string[]>;
  positional: string[];
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseArgs(argv: string[], spec: Record<string, FlagSpec>, command: string): Parsed {
  const flags: Parsed['flags'] = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const s = spec[name];
    if (!s) throw new UsageError(`${command}: unknown option --${name} (see --help)`);
    if (s.type === 'boolean') {
      flags[name] = eq < 0 ? true : a.slice(eq + 1) !== 'false';
      continue;
    }
    const value = eq < 0 ? argv[++i] : a.slice(eq + 1);
    if (value === undefined) throw new UsageError(`${command}: --${name} needs a value`);
    if (s.type === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new UsageError(`${command}: --${name} expects a number, got '${value}'`);
      flags[name] = n;
    } else if (s.type === 'list') {
      ((flags[name] ??= []) as string[]).push(value);
    } else flags[name] = value;
  }
  return { flags, positional };
}

export function helpText(usage: string, spec: Record<string, FlagSpec>): string {
  const rows = Object.entries(spec).map(([k, s]) => `  --${k}${s.type === 'boolean' ? '' : ` <${s.type === 'list' ? 'value' : s.type}>`}`.padEnd(30) + s.help);
  return `${usage}\n\nOptions:\n${rows.join('\n')}`;
}
