import { defineConfig } from 'vitest/config';
import SummaryReporter from './tests/support/summary-reporter.js';

// Unit and end-to-end tests. The interop suite (Debian peers: h5py, ismrmrd-tools, dcmtk, BART)
// lives in tests/interop and runs with vitest.interop.config.ts from .ci/run.
export default defineConfig({
  test: {
    reporters: ['default', new SummaryReporter('unit')],
    include: ['packages/*/src/**/*.test.ts', 'tests/e2e/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // A failing toEqual on a large typed array (the thread-count tests compare whole images) is
    // diffed line by line: untruncated that took over 5 minutes and looked like a hang.
    diff: { truncateThreshold: 1000 },
  },
});
