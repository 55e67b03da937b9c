import { defineConfig } from 'vitest/config';

// Suites that start real agent processes, clusters or browsers and measure time: they run one file
// at a time after the unit suites, so that two of them never fight over the 2 cores and skew
// each other's timing bounds.
const systemTests = [
  'test/e2e/**/*.test.ts',
  'test/**/*.process.test.ts',
  'test/**/*-processes.test.ts',
  'test/agent/gossip/autonomy.test.ts',
  'test/agent/web/*.browser.test.ts',
  'test/cli/e2e.test.ts',
  'test/cli/node-drain.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: process.env.CI ? ['verbose'] : ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: systemTests,
          pool: 'forks',
          maxWorkers: 2,
        },
      },
      {
        extends: true,
        test: {
          name: 'system',
          include: systemTests,
          pool: 'forks',
          fileParallelism: false,
          // Each step starts real processes (a kedge CLI run, an agent): allow for a slow machine.
          testTimeout: 180_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
