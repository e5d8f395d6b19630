import { defineConfig } from 'vitest/config';

// Two projects: module tests on embedded PGlite, and the same module tests plus the end-to-end and
// race tests on the PostgreSQL server (TEST_DATABASE_URL, default the local server).
export default defineConfig({
  test: {
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'embedded', include: ['src/**/*.test.ts'], env: { TEST_DB: 'pglite' } },
      },
      {
        extends: true,
        test: { name: 'server', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], env: { TEST_DB: 'postgres' } },
      },
    ],
  },
});
