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
