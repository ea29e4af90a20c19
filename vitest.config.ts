import { defineConfig } from 'vitest/config';

// One forked process per test file: each owns its own Dawn device. Two at a time matches the
// 2-core machines this runs on; software adapters make GPU tests CPU-bound.
// ARBEX_TEST_PROFILE=FILE appends one JSON line per test (wall, CPU, pipelines it compiled):
// test/helpers/profile-setup.ts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    setupFiles: process.env.ARBEX_TEST_PROFILE ? ['test/helpers/profile-setup.ts'] : [],
  },
});
