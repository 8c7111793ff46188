import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One test file at a time: the integration files run real-time calls (a server child process,
    // speech recognition, Chromium), and two of them sharing a 2-core machine that is also busy
    // with other work would measure the machine instead of the code. Unit files take seconds.
    fileParallelism: false,
    reporters: ['default'],
    // Servers started by tests keep their call store in a temp directory, not in ./data.
    setupFiles: ['test/setup/data-dir.ts'],
  },
});
