import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // No unit test may reach a real network by mistake (see the file).
          setupFiles: ['test/unit/no-network.ts'],
          // A guard, not an assertion: property tests take seconds on a loaded 2-core machine.
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'tun',
          include: ['test/tun/**/*.test.ts'],
          environment: 'node',
          // Each file owns a private namespace; a global teardown proves none is left behind.
          globalSetup: ['test/tun/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          pool: 'forks',
        },
      },
    ],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'json-summary'],
    },
  },
});
