import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../vitest.shared.ts';

export default mergeConfig(
  sharedConfig,
  defineConfig({
    test: {
      // The sample programs run as child processes (test/samples.test.ts); *.test.ts samples are
      // vitest tests of their own (the testing guide's).
      include: ['test/**/*.test.ts', 'samples/**/*.test.ts'],
      testTimeout: 60_000,
      maxConcurrency: 3,
    },
  }),
);
