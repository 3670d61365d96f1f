import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/interop/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
