import { defineConfig } from 'vitest/config';
import SummaryReporter from './tests/support/summary-reporter.js';

export default defineConfig({
  test: {
    reporters: ['default', new SummaryReporter('interop')],
    include: ['tests/interop/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // A failing toEqual on a large typed array (the thread-count tests compare whole images) is
    // diffed line by line: untruncated that took over 5 minutes and looked like a hang.
    diff: { truncateThreshold: 1000 },
    fileParallelism: false,
  },
});
