import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The path of a Piscina worker script: `file` when given, else `name` beside the bundle that
 * holds this code (as `npm run build` lays out `dist/`). `what` names the worker in the error
 * raised when the script is missing (e.g. running from the TypeScript sources unbuilt).
 */
export function workerScriptPath(file: string | URL | undefined, name: string, what: string): string {
  if (file !== undefined) return file instanceof URL ? fileURLToPath(file) : file;
  const path = fileURLToPath(new URL(`./${name}`, import.meta.url));
  if (!existsSync(path)) throw new Error(`The ${what} worker script is missing at ${path}: build the package (npm run build), or pass \`workerFile\``);
  return path;
}

const NO_REQUIRE_ESM = '--no-experimental-require-module';

/**
 * Node options for sluice's Piscina workers: the parent's, plus `--no-experimental-require-module`
 * where this Node knows the flag. Piscina loads a worker script with require() first and falls
 * back to import(); our scripts are ES modules, and on Node 20 require() of an ES module can race
 * Node's loader and abort the whole process (`FATAL ERROR: v8::Module::IsGraphAsync must be used
 * on an instantiated module`, seen once in CI from a screening pool). Without require(esm),
 * require() refuses the script at once and Piscina imports it, which has no such race.
 */
export function workerExecArgv(): string[] {
  const argv = [...process.execArgv];
  if (process.allowedNodeEnvironmentFlags.has(NO_REQUIRE_ESM) && !argv.includes(NO_REQUIRE_ESM)) argv.push(NO_REQUIRE_ESM);
  return argv;
}
