import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // End-to-end files start real Prometheus servers; two cores do not take many at once.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'main', include: ['test/**/*.test.ts'], exclude: ['test/perf/**'] } },
      // Timing assertions (latency while loaded, parallel speed-up): after everything else, alone.
      { extends: true, test: { name: 'perf', include: ['test/perf/**/*.test.ts'], sequence: { groupOrder: 1 }, fileParallelism: false } },
    ],
  },
});
