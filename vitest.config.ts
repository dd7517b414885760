import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Synthesizing the stack bundles every Lambda with esbuild; give it room on a 2-core CI box.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'synth',
          // These files synthesize the stack. Loading aws-cdk-lib and the first synth are most of
          // their time, so they share workers (and test/lib/synth.ts's cache of built apps) instead
          // of paying it once per file. They only read what they synthesize.
          include: ['test/lib/**/*.test.ts', 'test/workflows/**/*.test.ts'],
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'unit',
          // Isolated: handler tests stub SDK clients and set process.env per file.
          include: ['test/**/*.test.ts'],
          exclude: ['test/lib/**', 'test/workflows/**'],
        },
      },
    ],
  },
});
