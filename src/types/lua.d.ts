/** Lua scripts are imported as their bundled source text (see src/build/lua-plugins.ts). */
declare module '*.lua' {
  const source: string;
  export default source;
}
