import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Synthesizing the stack bundles every Lambda with esbuild; give it room on a 2-core CI box.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
