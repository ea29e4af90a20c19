// Errors for bad input data, and the summary kept when bad items are skipped instead.

export class DataError extends Error {
  readonly file: string;
  readonly line: number | undefined;
  constructor(file: string, line: number | undefined, what: string) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${what}`);
    this.name = 'DataError';
    this.file = file;
    this.line = line;
  }
}

export interface SkipReason {
  file: string;
  line?: number;
  message: string;
}

export interface LoadSummary {
  /** Samples loaded. */
  loaded: number;
  /** Bad items skipped (only with skipBad). */
  skipped: number;
  reasons: SkipReason[];
  /** Valid items left out by label policy (AffectNet none/uncertain/non-face, contempt with 7 classes, FERPlus ambiguous votes). */
  dropped: number;
}

export function emptySummary(): LoadSummary {
  return { loaded: 0, skipped: 0, reasons: [], dropped: 0 };
}

/**
 * Runs `fn`; a DataError is rethrown unless `skipBad` is set, in which case it is recorded in the
 * summary and undefined is returned. Other errors (bugs) always propagate.
 */
export function guard<T>(summary: LoadSummary, skipBad: boolean, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof DataError) || !skipBad) throw e;
    summary.skipped++;
    const r: SkipReason = { file: e.file, message: e.message };
    if (e.line !== undefined) r.line = e.line;
    summary.reasons.push(r);
    return undefined;
  }
}
