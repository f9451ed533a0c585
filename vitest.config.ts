import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    // One moto server for the whole run (contract and e2e suites), see the file.
    globalSetup: ['test/helpers/moto-global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
