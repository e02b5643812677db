import { defineConfig } from 'tsup';
import { luaEsbuildPlugin } from './src/build/lua-plugins.js';

// Two builds: the library (ESM + CJS + types) and the executables (ESM only).
// Worker entry points are separate files because worker threads load them by path.
export default defineConfig([
  {
    // `plan-worker` and `screen-worker` are the parallel planner's and screener's worker files,
    // loaded by path beside the bundle.
    entry: { index: 'src/index.ts', 'plan-worker': 'src/scheduler/plan-worker.ts', 'screen-worker': 'src/scheduler/recipients/screen-worker.ts' },
    esbuildPlugins: [luaEsbuildPlugin],
    format: ['esm', 'cjs'],
    dts: { entry: { index: 'src/index.ts' } },
    sourcemap: true,
    clean: true,
    // import.meta.url (which locates the worker file) in the CommonJS build too.
    shims: true,
    target: 'node20',
    platform: 'node',
  },
  {
    entry: {
      'cli/main': 'src/cli/main.ts',
      'bench/main': 'bench/main.ts',
      'bench/lua-instructions': 'bench/lua-instructions.ts',
      'bench/hammer-worker': 'bench/hammer-worker.ts',
      'bench/sustained-runner': 'bench/sustained/runner-entry.ts',
      // The planner's worker file again, beside each executable that bundles the planner.
      'cli/plan-worker': 'src/scheduler/plan-worker.ts',
      'cli/screen-worker': 'src/scheduler/recipients/screen-worker.ts',
      'bench/plan-worker': 'src/scheduler/plan-worker.ts',
      'bench/screen-worker': 'src/scheduler/recipients/screen-worker.ts',
    },
    format: ['esm'],
    esbuildPlugins: [luaEsbuildPlugin],
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
    // Peers in the benchmark are dev dependencies: load them from node_modules, never bundle them.
    skipNodeModulesBundle: true,
  },
]);
