/**
 * `--policy P`: a preset name or the path of a JSON policy file.
 *
 * A file holds one of two shapes (both described by `src/core/policy/policy.schema.json`):
 *
 * - a full policy, `{ "name", "limits", "sendWindows"?, "defaultTimeZone"? }`, checked by
 *   `validatePolicy`;
 * - a preset with overrides, `{ "extends": "conservative" | "cloud-api", "overrides"?: {…} }`,
 *   applied by `definePolicy`, so a typo in a rule name is an error, never a silent no-op.
 *
 * Either may carry a `"$schema"` string: editors use it to find the schema, the loader ignores it.
 *
 * A preset name wins over a file of the same name; write `./conservative` to load such a file.
 *
 * Every failure is a `PolicyFileError` whose message names the file and, for a value that breaks
 * a rule, the path of that value inside the file (`overrides.limits.number-per-minute.count`;
 * for the full shape the root is called `policy`, as `validatePolicy` names it).
 */
import { readFileSync } from 'node:fs';
import { SluiceError, ValidationError } from '../errors.js';
import {
  PRESETS,
  PRESET_NAMES,
  definePolicy,
  isPresetName,
  validatePolicy,
  type PolicyOverrides,
} from '../core/policy/index.js';
import type { Policy } from '../core/types.js';

export type PolicyFileProblem = 'not-found' | 'unreadable' | 'not-json' | 'invalid';

export class PolicyFileError extends SluiceError {
  /** The path as given on the command line. */
  readonly file: string;
  readonly problem: PolicyFileProblem;
  /** Path of the offending value inside the document; null when the file was not read or parsed. */
  readonly field: string | null;
  /** 1-based position of a JSON syntax error, when the parser reported one. */
  readonly line: number | null;
  readonly column: number | null;

  constructor(
    file: string,
    problem: PolicyFileProblem,
    message: string,
    at: { field?: string; line?: number; column?: number; cause?: unknown } = {},
  ) {
    super('SLUICE_VALIDATION', message, at.cause === undefined ? undefined : { cause: at.cause });
    this.file = file;
    this.problem = problem;
    this.field = at.field ?? null;
    this.line = at.line ?? null;
    this.column = at.column ?? null;
  }
}

/** Keys of the `extends` shape. `$schema` is accepted in both shapes for editor support. */
const EXTENDS_FIELDS: readonly string[] = ['$schema', 'extends', 'overrides'];

/**
 * The policy named by `--policy`: a preset (`conservative`, `cloud-api`) or a JSON file.
 * Throws `PolicyFileError` for a missing, unreadable, malformed or invalid file.
 */
export function loadPolicy(arg: string): Policy {
  if (isPresetName(arg)) return PRESETS[arg];
  const text = readPolicyText(arg);
  return policyFromJson(parseJson(text, arg), arg);
}

/**
 * A policy from an already parsed JSON document of either shape; `source` names the document in
 * errors (a file path). Exported so that callers holding the JSON (tests, other tools) get the
 * same rules as `loadPolicy` without writing a file.
 */
export function policyFromJson(doc: unknown, source: string): Policy {
  try {
    return interpret(doc);
  } catch (err) {
    if (err instanceof ValidationError) {
      throw new PolicyFileError(source, 'invalid', `policy file ${quote(source)}: ${err.message}`, {
        field: err.field,
        cause: err,
      });
    }
    throw err;
  }
}

function interpret(doc: unknown): Policy {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ValidationError('(document)', 'a JSON object: a full policy or { "extends", "overrides" }', doc);
  }
  const record = doc as Record<string, unknown>;
  const schema = Object.hasOwn(record, '$schema') ? record['$schema'] : undefined;
  if (schema !== undefined && typeof schema !== 'string') {
    throw new ValidationError('$schema', 'a string (the schema location, for editors)', schema);
  }
  if (Object.hasOwn(record, 'extends')) {
    for (const key of Object.keys(record)) {
      if (!EXTENDS_FIELDS.includes(key)) {
        // Printed as a plain path: a key next to `extends` is almost always a full-policy field put
        // in the wrong place, and naming it is the useful hint.
        throw new ValidationError(
          printableKey(key) ? key : '(a key)',
          `a known field of a preset-with-overrides file (one of: ${EXTENDS_FIELDS.join(', ')}); ` +
            'put rule changes under "overrides"',
          record[key],
        );
      }
    }
    const base = record['extends'];
    if (!isPresetName(base)) throw new ValidationError('extends', `one of: ${PRESET_NAMES.join(', ')}`, base);
    const overrides = record['overrides'];
    // definePolicy validates the overrides field by field and names paths under `overrides`, so
    // the cast only hands it the untrusted value; nothing here reads it as PolicyOverrides.
    return definePolicy(base, overrides === undefined ? undefined : (overrides as PolicyOverrides));
  }
  // Full shape: `$schema` is not a policy field, so it is dropped before validation (which
  // refuses unknown keys). defineProperty, not assignment: JSON.parse makes `"__proto__"` an own
  // key, and assigning it would set the copy's prototype instead, hiding the key from the
  // validator, which refuses it.
  const policy: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    if (key !== '$schema') Object.defineProperty(policy, key, { value: record[key], enumerable: true });
  }
  return validatePolicy(policy, 'policy');
}

function readPolicyText(file: string): string {
  try {
    const text = readFileSync(file, 'utf8');
    // Editors on Windows may save a byte-order mark; JSON.parse refuses it.
    return text.startsWith('\uFEFF') ? text.slice(1) : text;
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT') {
      throw new PolicyFileError(
        file,
        'not-found',
        `policy file ${quote(file)} does not exist, and ${quote(file)} is not a preset (${PRESET_NAMES.join(', ')})`,
        { cause: err },
      );
    }
    throw new PolicyFileError(file, 'unreadable', `policy file ${quote(file)} cannot be read (${code ?? 'unknown error'})`, {
      cause: err,
    });
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const syntax = describeSyntaxError(err instanceof Error ? err.message : '', text);
    const where = syntax.position === null ? '' : ` at line ${syntax.position.line}, column ${syntax.position.column}`;
    throw new PolicyFileError(file, 'not-json', `policy file ${quote(file)} is not valid JSON${where}: ${syntax.reason}`, {
      ...(syntax.position ?? {}),
      cause: err,
    });
  }
}

interface SyntaxProblem {
  readonly reason: string;
  readonly position: { line: number; column: number } | null;
}

/**
 * V8's message, reduced to what is safe and useful. Some of its messages quote a stretch of the
 * input (`Unexpected token 'o', "{"a": oops}" is not valid JSON`); that quote is cut, since a
 * policy file is user data. The offset, when V8 gives one, becomes a line and a column (in UTF-16
 * code units, as editors count them for most text).
 */
function describeSyntaxError(message: string, text: string): SyntaxProblem {
  const positioned = /^(.*?) in JSON at position (\d+)/.exec(message);
  if (positioned !== null) {
    return { reason: positioned[1] ?? 'syntax error', position: lineColumn(text, Number(positioned[2])) };
  }
  if (message.startsWith('Unexpected end of JSON input')) {
    return { reason: 'unexpected end of input', position: lineColumn(text, text.length) };
  }
  const token = /^Unexpected token '(.)'/u.exec(message);
  if (token !== null) return { reason: `unexpected character '${token[1] ?? '?'}'`, position: null };
  return { reason: 'syntax error', position: null };
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/** Identifier-like and with fewer digits than any E.164 number: safe to print as a path. */
function printableKey(key: string): boolean {
  return /^[A-Za-z_$][A-Za-z0-9_$-]{0,63}$/.test(key) && (key.match(/\d/g) ?? []).length < 8;
}

function errorCode(err: unknown): string | null {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return null;
}

function quote(file: string): string {
  return JSON.stringify(file);
}
