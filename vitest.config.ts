import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    // One folder for every temporary file of the run, removed at the end; one moto server
    // for the whole run (contract and e2e suites). See the files.
    globalSetup: ['test/helpers/temp-global-setup.ts', 'test/helpers/moto-global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Most e2e time is spent waiting on the spawned claw and on moto, so more files than
    // cores run at once: on 2 cores, vitest's default (cores - 1) took 9 min, 3 took 5.
    maxWorkers: Math.max(3, availableParallelism() - 1),
  },
});
