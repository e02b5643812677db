import { defineConfig } from 'vitest/config';
import { luaVitePlugin } from './src/build/lua-plugins.js';

export default defineConfig({
  plugins: [luaVitePlugin],
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: keep worker-thread tests from starving each other.
    maxWorkers: 2,
  },
});
