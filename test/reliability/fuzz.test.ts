// A few hundred seeded mutations of every reader (the script scripts/reliability/fuzz.ts runs
// thousands, isolated in workers): each must end in a clean error naming the file (and row), or
// in an accepted result that passes the consistency checks — never a crash, a slow case or a
// silently wrong result. Seed 2 here; the script defaults to seed 1, so the two try different cases.
import { describe, expect, it } from 'vitest';
import { BAD_OUTCOMES, TARGET_NAMES, makeTarget, runCase, type CaseResult } from '../../scripts/reliability/fuzz-targets.js';

const CASES = 30;

describe('fuzzed readers', () => {
  for (const name of TARGET_NAMES) {
    it(`${name}: ${CASES} mutated files end in a clean error or a consistent result`, async () => {
      const { target, cleanup } = makeTarget(name);
      const results: CaseResult[] = [];
      try {
        for (let i = 0; i < CASES; i++) results.push(await runCase(target, i, 2));
      } finally {
        cleanup();
      }
      const bad = results.filter((r) => BAD_OUTCOMES.includes(r.outcome)).map((r) => `#${r.index} ${r.kind} → ${r.outcome}: ${r.detail}`);
      expect(bad).toEqual([]);
      // The mutations must actually hit the validation (a fuzzer that never errs tests nothing).
      expect(results.filter((r) => r.outcome === 'error').length).toBeGreaterThan(CASES / 3);
    }, 120_000);
  }
});
