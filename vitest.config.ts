import { defineConfig } from 'vitest/config';
import { FaultsLastSequencer } from './test/support/sequencer.ts';

export default defineConfig({
  test: {
    sequence: { sequencer: FaultsLastSequencer },
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Real Kafka, registry and Redis: started (if needed) once before the suite.
          globalSetup: ['test/support/stack.ts'],
          // Each file's topics, groups, subjects, Redis keys and databases are removed when it ends.
          setupFiles: ['test/support/cleanup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          sequence: { sequencer: FaultsLastSequencer },
        },
      },
    ],
  },
});
