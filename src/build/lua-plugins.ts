import type { Plugin as EsbuildPlugin } from 'esbuild';
import { bundleLua } from './lua-bundle.js';

/** esbuild (tsup) plugin: `import source from '…/x.lua'` yields the bundled script text. */
export const luaEsbuildPlugin: EsbuildPlugin = {
  name: 'sluice-lua',
  setup(build) {
    build.onLoad({ filter: /\.lua$/ }, (args) => ({
      contents: `export default ${JSON.stringify(bundleLua(args.path))};`,
      loader: 'js',
    }));
  },
};

/** Vite (vitest) plugin doing the same for tests that import the sources directly. */
export const luaVitePlugin = {
  name: 'sluice-lua',
  enforce: 'pre' as const,
  load(id: string): string | null {
    if (!id.endsWith('.lua')) return null;
    return `export default ${JSON.stringify(bundleLua(id))};`;
  },
};
