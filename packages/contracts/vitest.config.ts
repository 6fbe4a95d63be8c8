import { defineConfig } from 'vitest/config';

// Pure zod contracts: no database, no global setup.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
  },
});
