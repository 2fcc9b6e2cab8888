import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Two groups: everything on virtual time first, in parallel (one worker per CPU: Vitest's default of one fewer
// leaves a 2-CPU machine running files one at a time); then the Linux kernel tests alone, since they run on the
// wall clock and must not compete for the CPU with the rest (timing is judged).
const REAL_TIME = ['test/stacks/linux.test.ts', 'test/stacks/packetdrill.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'text'],
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'virtual-time',
          include: ['test/**/*.test.ts', 'properties/**/*.test.ts'],
          exclude: REAL_TIME,
          maxWorkers: availableParallelism(),
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'real-time', include: REAL_TIME, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
