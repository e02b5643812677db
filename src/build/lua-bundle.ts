/**
 * Build-time Lua include preprocessor. A line `--- @include "name"` is replaced by the file
 * `includes/name.lua` (relative to the including file's directory for entry scripts, and to the
 * includes directory for includes), each include inlined at most once per script. Cycles are
 * reported with the include stack.
 *
 * Why not `luabundle`: it bundles Lua *modules* behind a generated `require` runtime; Redis
 * scripts have no `require`, and plain inlining keeps the script small, its line numbers close to
 * the sources, and the SHA stable. (The product card's `lua-bundler` does not exist on npm.)
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const INCLUDE = /^\s*---\s*@include\s+"([A-Za-z0-9_\-/]+)"\s*$/;

export function bundleLua(entry: string, read: (path: string) => string = (p) => readFileSync(p, 'utf8')): string {
  const includesDir = join(dirname(entry), 'includes');
  const done = new Set<string>();
  const expand = (path: string, stack: readonly string[]): string => {
    if (stack.includes(path)) throw new Error(`Lua include cycle: ${[...stack, path].join(' -> ')}`);
    const lines = read(path).split('\n');
    return lines
      .map((line) => {
        const m = INCLUDE.exec(line);
        if (!m) return line;
        const target = join(includesDir, `${m[1]}.lua`);
        if (done.has(target)) return `-- (already included: ${m[1]})`;
        const body = expand(target, [...stack, path]);
        done.add(target);
        return `-- >>> include ${m[1]}\n${body}\n-- <<< include ${m[1]}`;
      })
      .join('\n');
  };
  return expand(entry, []);
}
