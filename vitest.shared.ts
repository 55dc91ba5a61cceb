import { defineConfig } from 'vitest/config';

/** Shared vitest settings: resolve workspace packages to their TypeScript sources. */
export const sharedConfig = defineConfig({
  resolve: { conditions: ['@eventlog/source'] },
  ssr: { resolve: { conditions: ['@eventlog/source'], externalConditions: ['@eventlog/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
