import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PolicyFileError, loadPolicy, policyFromJson } from '../../src/cli/policy-file.js';
import {
  KIND_FIELDS,
  LIMIT_KINDS,
  POLICY_BOUNDS,
  PRESETS,
  PRESET_NAMES,
  definePolicy,
  validatePolicy,
} from '../../src/core/policy/index.js';
import { CATEGORIES, SCOPES, WEEKDAYS } from '../../src/core/types.js';
import { ValidationError } from '../../src/errors.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const schemaPath = join(root, 'src/core/policy/policy.schema.json');
const examplesDir = join(root, 'examples');
const SCHEMA = JSON.parse(readFileSync(schemaPath, 'utf8')) as Schema;

const dir = mkdtempSync(join(tmpdir(), 'sluice-policy-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function writeFile(content: string): string {
  const path = join(dir, `policy-${++files}.json`);
  writeFileSync(path, content);
  return path;
}

function loadError(arg: string): PolicyFileError {
  try {
    loadPolicy(arg);
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyFileError);
    return err as PolicyFileError;
  }
  throw new Error(`expected loadPolicy(${arg}) to throw`);
}

// ---------------------------------------------------------------------------------------------
// A JSON Schema checker for exactly the keywords policy.schema.json uses. No JSON Schema library
// is installed; this one is small enough to read, and a guard test below fails if the schema
// ever uses a keyword it does not know (which it would otherwise silently ignore).

type Schema = { readonly [keyword: string]: unknown };

const KEYWORDS: ReadonlySet<string> = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'enum',
  'const',
  'pattern',
  'minimum',
  'maximum',
  'items',
  'minItems',
  'maxItems',
  'uniqueItems',
  'oneOf',
  '$ref',
]);
/** Keywords that never affect validity. */
const ANNOTATIONS: ReadonlySet<string> = new Set(['$schema', 'title', 'description', 'default', '$defs']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isObject(a) || isObject(b)) {
    if (!isObject(a) || !isObject(b)) return false;
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return a === b;
}

function hasType(value: unknown, type: unknown): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    default:
      throw new Error(`schema checker: unknown type ${String(type)}`);
  }
}

function resolveRef(ref: unknown): Schema {
  const m = typeof ref === 'string' ? /^#\/\$defs\/([A-Za-z0-9_]+)$/.exec(ref) : null;
  const defs = SCHEMA['$defs'];
  const target = m !== null && isObject(defs) ? defs[m[1] as string] : undefined;
  if (!isObject(target)) throw new Error(`schema checker: unresolvable $ref ${String(ref)}`);
  return target;
}

/** Errors of `value` against `schema`, as `path: problem` strings; empty when valid. */
function schemaErrors(schema: Schema, value: unknown, path = '$'): string[] {
  const errors: string[] = [];
  const fail = (problem: string): void => {
    errors.push(`${path}: ${problem}`);
  };
  if ('$ref' in schema) errors.push(...schemaErrors(resolveRef(schema['$ref']), value, path));
  if ('type' in schema && !hasType(value, schema['type'])) fail(`not of type ${String(schema['type'])}`);
  if ('const' in schema && !jsonEqual(value, schema['const'])) fail(`not ${JSON.stringify(schema['const'])}`);
  if ('enum' in schema && !(schema['enum'] as unknown[]).some((option) => jsonEqual(value, option))) fail('not in enum');
  if ('oneOf' in schema) {
    const passing = (schema['oneOf'] as Schema[]).filter((s) => schemaErrors(s, value, path).length === 0).length;
    if (passing !== 1) fail(`matches ${passing} of oneOf, not exactly 1`);
  }
  if (typeof value === 'string' && 'pattern' in schema && !new RegExp(schema['pattern'] as string, 'u').test(value)) {
    fail(`does not match ${String(schema['pattern'])}`);
  }
  if (typeof value === 'number') {
    if ('minimum' in schema && value < (schema['minimum'] as number)) fail(`below ${String(schema['minimum'])}`);
    if ('maximum' in schema && value > (schema['maximum'] as number)) fail(`above ${String(schema['maximum'])}`);
  }
  if (Array.isArray(value)) {
    if ('minItems' in schema && value.length < (schema['minItems'] as number)) fail('too few items');
    if ('maxItems' in schema && value.length > (schema['maxItems'] as number)) fail('too many items');
    if (schema['uniqueItems'] === true && value.some((x, i) => value.findIndex((y) => jsonEqual(x, y)) !== i)) {
      fail('items not unique');
    }
    if ('items' in schema) value.forEach((x, i) => errors.push(...schemaErrors(schema['items'] as Schema, x, `${path}[${i}]`)));
  }
  if (isObject(value)) {
    const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
    for (const key of (schema['required'] ?? []) as string[]) if (!Object.hasOwn(value, key)) fail(`missing ${key}`);
    for (const [key, v] of Object.entries(value)) {
      if (Object.hasOwn(properties, key)) errors.push(...schemaErrors(properties[key] as Schema, v, `${path}.${key}`));
      else if (schema['additionalProperties'] === false) fail(`unexpected property ${key}`);
      else if (isObject(schema['additionalProperties'])) {
        errors.push(...schemaErrors(schema['additionalProperties'], v, `${path}.${key}`));
      }
    }
  }
  return errors;
}

/** Every subschema of the document, with where it sits. */
function* subschemas(schema: Schema, path: string): Generator<[string, Schema]> {
  yield [path, schema];
  const children: [string, unknown][] = [];
  for (const key of ['properties', '$defs']) {
    const group = schema[key];
    if (isObject(group)) for (const [name, s] of Object.entries(group)) children.push([`${path}.${key}.${name}`, s]);
  }
  if (isObject(schema['items'])) children.push([`${path}.items`, schema['items']]);
  if (isObject(schema['additionalProperties'])) children.push([`${path}.additionalProperties`, schema['additionalProperties']]);
  if (Array.isArray(schema['oneOf'])) schema['oneOf'].forEach((s, i) => children.push([`${path}.oneOf[${i}]`, s]));
  for (const [at, child] of children) {
    if (!isObject(child)) throw new Error(`${at} is not a schema object`);
    yield* subschemas(child, at);
  }
}

const def = (name: string): Record<string, unknown> => resolveRef(`#/$defs/${name}`) as Record<string, unknown>;
const propertiesOf = (name: string): string[] => Object.keys(def(name)['properties'] as object);

// ---------------------------------------------------------------------------------------------

describe('loadPolicy', () => {
  it('takes a preset name', () => {
    for (const name of PRESET_NAMES) expect(loadPolicy(name)).toBe(PRESETS[name]);
  });

  it('loads examples/policy.json: conservative with 500 per minute and the 2,000-recipient messaging limit', () => {
    const policy = loadPolicy(join(examplesDir, 'policy.json'));
    expect(policy.name).toBe('example-campaign');
    const byName = new Map(policy.limits.map((r) => [r.name, r]));
    expect(byName.get('number-per-minute')).toEqual({ ...PRESETS.conservative.limits[0], count: 500 });
    expect(byName.get('portfolio-messaging-limit')).toEqual({
      name: 'portfolio-messaging-limit',
      kind: 'distinct',
      scope: 'portfolio',
      categories: ['authentication', 'utility', 'marketing'],
      count: 2000,
      windowMs: 86_400_000,
    });
    // Everything else is the preset's, in the preset's order, with the addition last.
    expect(policy.limits.map((r) => r.name)).toEqual([...PRESETS.conservative.limits.map((r) => r.name), 'portfolio-messaging-limit']);
    for (const rule of PRESETS.conservative.limits.slice(1)) expect(byName.get(rule.name)).toEqual(rule);
    expect(policy.sendWindows).toEqual(PRESETS.conservative.sendWindows);
    expect(Object.isFrozen(policy)).toBe(true);
  });

  it('loads a full policy file, as validatePolicy reads it', () => {
    const doc = {
      name: 'tiny',
      limits: [{ name: 'per-second', kind: 'rate', scope: 'number', count: 10, periodMs: 1000 }],
      sendWindows: [{ name: 'office', categories: ['marketing'], allowed: [{ from: '22:00', to: '06:00', days: ['fri'] }] }],
      defaultTimeZone: 'Europe/Madrid',
    };
    expect(loadPolicy(writeFile(JSON.stringify(doc)))).toEqual(validatePolicy(doc));
    // `$schema` is for editors; in either shape it is accepted and ignored.
    expect(loadPolicy(writeFile(JSON.stringify({ $schema: './policy.schema.json', ...doc })))).toEqual(validatePolicy(doc));
  });

  it('loads a preset with overrides, as definePolicy applies them; a byte-order mark is ignored', () => {
    const overrides = { limits: { 'api-key': null, 'pair-spacing': { categories: null } }, defaultTimeZone: 'Asia/Kolkata' };
    const file = writeFile(`\uFEFF${JSON.stringify({ $schema: 'x', extends: 'conservative', overrides })}`);
    expect(loadPolicy(file)).toEqual(definePolicy('conservative', overrides));
    expect(loadPolicy(writeFile('{"extends": "cloud-api"}'))).toEqual(PRESETS['cloud-api']);
  });

  it('reports a missing or unreadable file by name', () => {
    const missing = join(dir, 'nope.json');
    const e = loadError(missing);
    expect(e.problem).toBe('not-found');
    expect(e.file).toBe(missing);
    expect(e.message).toContain(JSON.stringify(missing));
    expect(e.message).toMatch(/does not exist, and .* is not a preset \(conservative, cloud-api\)/);
    // A misspelt preset ends up here too, and the message lists the presets.
    expect(loadError('conservatve').message).toContain('conservative, cloud-api');
    const d = loadError(dir);
    expect(d.problem).toBe('unreadable');
    expect(d.message).toMatch(/cannot be read \(EISDIR\)/);
  });

  it('reports JSON syntax errors with line and column, never quoting the file', () => {
    const missingComma = writeFile('{\n  "extends": "conservative"\n  "overrides": {}\n}\n');
    const e = loadError(missingComma);
    expect(e.problem).toBe('not-json');
    expect({ line: e.line, column: e.column }).toEqual({ line: 3, column: 3 });
    expect(e.message).toBe(
      `policy file ${JSON.stringify(missingComma)} is not valid JSON at line 3, column 3: Expected ',' or '}' after property value`,
    );

    const truncated = loadError(writeFile('{\n  "extends": '));
    expect(truncated.message).toMatch(/not valid JSON at line 2, column 14: unexpected end of input$/);
    expect(loadError(writeFile('')).message).toMatch(/not valid JSON at line 1, column 1: unexpected end of input$/);

    // V8 quotes the input in this message; the loader must not pass the quote on.
    const secret = loadError(writeFile('{"name": "+4915112345678", "limits": oops}'));
    expect(secret.problem).toBe('not-json');
    expect(secret.message).toMatch(/is not valid JSON: unexpected character 'o'$/);
    expect(secret.message).not.toContain('4915112345678');
  });

  it('names the file and the path of an invalid value', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ extends: 'conservative', overrides: { limits: { 'number-per-minute': { count: 0 } } } }, 'overrides.limits.number-per-minute.count', /an integer from 1 to 1000000000, got 0/],
      [{ extends: 'conservative', overrides: { limits: { 'number-per-minut': { count: 500 } } } }, 'overrides.limits.number-per-minut', /the name of a rule in the base policy/],
      [{ extends: 'conservative', overrides: { limits: { 'pair-spacing': { windowMs: 1000 } } } }, 'overrides.limits.pair-spacing.windowMs', /a known field/],
      [{ extends: 'conservative', overrides: { addLimits: [{ name: 'api-key', kind: 'daily', scope: 'number', count: 1 }] } }, 'overrides.addLimits[0].name', /unique/],
      [{ extends: 'aggressive' }, 'extends', /one of: conservative, cloud-api/],
      [{ extends: 'conservative', limits: [] }, 'limits', /put rule changes under "overrides"/],
      [{ extends: 'conservative', $schema: 7 }, '$schema', /a string/],
      [{ name: 'p', limits: [{ name: 'r', kind: 'rate', scope: 'number', count: 1.5, periodMs: 1000 }] }, 'policy.limits[0].count', /an integer/],
      [{ name: 'p', limits: [], sendWindows: [{ name: 'w', categories: ['marketing'], allowed: [{ from: '9:00', to: '17:00' }] }] }, 'policy.sendWindows[0].allowed[0].from', /HH:MM/],
      [{ name: 'p' }, 'policy.limits', /an array/],
      [JSON.parse('{"name": "p", "limits": [], "__proto__": {"x": 1}}'), 'policy.__proto__', /not a reserved key/],
      [[1, 2], '(document)', /a JSON object/],
    ];
    for (const [doc, field, rule] of cases) {
      const file = writeFile(JSON.stringify(doc));
      const e = loadError(file);
      expect(e.problem, field).toBe('invalid');
      expect(e.field, JSON.stringify(doc)).toBe(field);
      expect(e.message).toContain(`policy file ${JSON.stringify(file)}: Expected \`${field}\` to be`);
      expect(e.message).toMatch(rule);
      expect(e.cause).toBeInstanceOf(ValidationError);
    }
  });
});

describe('policy.schema.json', () => {
  it('uses only keywords the test checker implements, and every $ref resolves', () => {
    expect(SCHEMA['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    for (const [at, schema] of subschemas(SCHEMA, '$')) {
      for (const key of Object.keys(schema)) {
        expect(KEYWORDS.has(key) || ANNOTATIONS.has(key), `${at}: keyword ${key}`).toBe(true);
      }
      if ('$ref' in schema) expect(() => resolveRef(schema['$ref'])).not.toThrow();
      if ('pattern' in schema) expect(() => new RegExp(schema['pattern'] as string, 'u')).not.toThrow();
    }
  });

  it('describes every field', () => {
    for (const [at, schema] of subschemas(SCHEMA, '$')) {
      if (!/\.properties\.[^.]+$/.test(at)) continue;
      // A property described either directly or by the definition it refers to.
      const described = 'description' in schema || ('$ref' in schema && 'description' in resolveRef(schema['$ref']));
      expect(described, at).toBe(true);
    }
  });

  it("matches the validator's vocabulary and bounds", () => {
    expect(def('category')['enum']).toEqual(CATEGORIES);
    expect(def('scope')['enum']).toEqual(SCOPES);
    expect(def('weekday')['enum']).toEqual(WEEKDAYS);
    expect(def('presetWithOverrides')['properties']).toMatchObject({ extends: { enum: PRESET_NAMES } });
    expect(def('count')).toMatchObject({ type: 'integer', minimum: 1, maximum: POLICY_BOUNDS.maxCount });
    expect(def('durationMs')).toMatchObject({ type: 'integer', minimum: 1, maximum: POLICY_BOUNDS.maxDurationMs });
    for (const list of ['limitRules', 'sendWindowRules', 'allowedWindows']) expect(def(list)['maxItems']).toBe(POLICY_BOUNDS.maxItems);
    expect(def('name')['pattern']).toContain(`{1,${POLICY_BOUNDS.maxNameLength}}`);
    expect(def('timeZone')['pattern']).toContain(`{0,${POLICY_BOUNDS.maxTimeZoneLength - 1}}`);
    // One rule definition per kind, each with the common fields plus exactly the kind's own.
    const kinds = (def('limitRule')['oneOf'] as Schema[]).map((s) => resolveRef(s['$ref']));
    expect(kinds.map((s) => (s['properties'] as Record<string, Schema>)['kind']?.['const'])).toEqual(LIMIT_KINDS);
    for (const s of kinds) {
      const kind = (s['properties'] as Record<string, Schema>)['kind']?.['const'] as keyof typeof KIND_FIELDS;
      expect(Object.keys(s['properties'] as object).sort()).toEqual(['name', 'kind', 'scope', 'categories', ...KIND_FIELDS[kind]].sort());
    }
    expect(propertiesOf('limitOverride').sort()).toEqual([...new Set(['categories', ...Object.values(KIND_FIELDS).flat()])].sort());
    expect(propertiesOf('overrides').sort()).toEqual(['addLimits', 'addSendWindows', 'defaultTimeZone', 'limits', 'name', 'sendWindows']);
  });

  it('accepts both presets, every example file and policies using every feature; so does the loader', () => {
    const docs: [string, unknown][] = PRESET_NAMES.map((name) => [name, JSON.parse(JSON.stringify(PRESETS[name])) as unknown]);
    const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.json'));
    expect(examples).toContain('policy.json');
    for (const f of examples) docs.push([f, JSON.parse(readFileSync(join(examplesDir, f), 'utf8')) as unknown]);
    docs.push([
      'every kind',
      {
        name: 'all-kinds',
        limits: [
          { name: 'r', kind: 'rate', scope: 'pair', count: 1, periodMs: 6000, burst: 3, categories: ['utility'] },
          { name: 'w', kind: 'window', scope: 'number', count: POLICY_BOUNDS.maxCount, windowMs: POLICY_BOUNDS.maxDurationMs },
          { name: 'd', kind: 'daily', scope: 'recipient', count: 5 },
          { name: 'x', kind: 'distinct', scope: 'portfolio', count: 250, windowMs: 86_400_000 },
          { name: 'b', kind: 'batch', scope: 'campaign', size: 1000, gapMs: 900_000 },
          { name: 'k', kind: 'rate', scope: 'apiKey', count: 5, periodMs: 1000 },
        ],
        sendWindows: [
          { name: 'nights', categories: ['marketing', 'utility'], allowed: [{ from: '22:00', to: '06:00', days: ['fri', 'sat'] }, { from: '00:00', to: '24:00', days: ['sun'] }] },
        ],
        defaultTimeZone: 'America/Argentina/Buenos_Aires',
      },
    ]);
    docs.push([
      'every override',
      {
        extends: 'conservative',
        overrides: {
          name: 'changed',
          defaultTimeZone: 'Etc/GMT+5',
          limits: { 'api-key': null, 'pair-spacing': { categories: null, periodMs: 120_000 }, 'campaign-batches': { size: 500, gapMs: 60_000 } },
          addLimits: [{ name: 'extra', kind: 'window', scope: 'recipient', count: 2, windowMs: 3_600_000 }],
          sendWindows: { 'quiet-hours': { allowed: [{ from: '10:00', to: '20:00' }] } },
          addSendWindows: [{ name: 'auth-days', categories: ['authentication'], allowed: [{ from: '00:00', to: '00:00' }] }],
        },
      },
    ]);
    for (const [name, doc] of docs) {
      expect(schemaErrors(SCHEMA, doc), name).toEqual([]);
      expect(() => policyFromJson(doc, name), name).not.toThrow();
    }
  });

  it('rejects invalid policies, and so does the loader (validatePolicy / definePolicy)', () => {
    const rate = { name: 'r', kind: 'rate', scope: 'number', count: 10, periodMs: 1000 };
    const windowRule = { name: 'w', categories: ['marketing'], allowed: [{ from: '09:00', to: '17:00' }] };
    const full = (over: Record<string, unknown>): unknown => ({ name: 'p', limits: [rate], ...over });
    const withRule = (over: Record<string, unknown>): unknown => full({ limits: [{ ...rate, ...over }] });
    const withWindow = (over: Record<string, unknown>): unknown => full({ sendWindows: [{ ...windowRule, ...over }] });
    const interval = (over: Record<string, unknown>): unknown => withWindow({ allowed: [{ from: '09:00', to: '17:00', ...over }] });
    const extending = (overrides: unknown): unknown => ({ extends: 'conservative', overrides });
    // The unbroken bases pass both, so each rejection below is due to its one change.
    for (const base of [withRule({}), interval({}), extending({ limits: { 'number-per-minute': { count: 1 } } })]) {
      expect(schemaErrors(SCHEMA, base)).toEqual([]);
      expect(() => policyFromJson(base, 'base')).not.toThrow();
    }
    const invalid: [string, unknown][] = [
      ['count 0', withRule({ count: 0 })],
      ['fractional count', withRule({ count: 1.5 })],
      ['count above maxCount', withRule({ count: POLICY_BOUNDS.maxCount + 1 })],
      ['count as a string', withRule({ count: '10' })],
      ['period above 366 days', withRule({ periodMs: POLICY_BOUNDS.maxDurationMs + 1 })],
      ['burst 0', withRule({ burst: 0 })],
      ['unknown kind', withRule({ kind: 'token-bucket' })],
      ['unknown scope', withRule({ scope: 'sender' })],
      ["a field of another kind", withRule({ windowMs: 1000 })],
      ['missing periodMs', withRule({ periodMs: undefined })],
      ['empty categories', withRule({ categories: [] })],
      ['repeated category', withRule({ categories: ['utility', 'utility'] })],
      ['unknown category', withRule({ categories: ['promotional'] })],
      ['reserved rule name', withRule({ name: 'constructor' })],
      ['name with a space', withRule({ name: 'per minute' })],
      ['name too long', withRule({ name: 'n'.repeat(65) })],
      ['from 24:00', interval({ from: '24:00' })],
      ['to 24:30', interval({ to: '24:30' })],
      ['H:MM', interval({ from: '9:00' })],
      ['repeated day', interval({ days: ['mon', 'mon'] })],
      ['empty days', interval({ days: [] })],
      ['unknown day', interval({ days: ['monday'] })],
      ['interval field', interval({ tz: 'UTC' })],
      ['no allowed interval', withWindow({ allowed: [] })],
      ['send window without categories', withWindow({ categories: undefined })],
      ['UTC offset as zone', full({ defaultTimeZone: '+05:30' })],
      ['unknown policy field', full({ version: 2 })],
      ['missing limits', { name: 'p' }],
      ['too many limits', full({ limits: Array.from({ length: 257 }, (_, i) => ({ ...rate, name: `r${i}` })) })],
      ['unknown preset', { extends: 'aggressive' }],
      ['policy fields next to extends', { extends: 'conservative', name: 'x' }],
      ['override count 0', extending({ limits: { 'number-per-minute': { count: 0 } } })],
      ['override with a kind', extending({ limits: { 'number-per-minute': { kind: 'window' } } })],
      ['override empty categories', extending({ limits: { 'pair-spacing': { categories: [] } } })],
      ['added rule without windowMs', extending({ addLimits: [{ name: 'm', kind: 'distinct', scope: 'portfolio', count: 2000 }] })],
      ['send-window override without intervals', extending({ sendWindows: { 'quiet-hours': { allowed: [] } } })],
      ['send-window override renaming', extending({ sendWindows: { 'quiet-hours': { name: 'quiet' } } })],
      ['unknown override field', extending({ limit: {} })],
      ['overrides not an object', extending([])],
    ];
    for (const [name, doc] of invalid) {
      // JSON round trip: `undefined` fields disappear, as they would in a file.
      const json = JSON.parse(JSON.stringify(doc)) as unknown;
      expect(schemaErrors(SCHEMA, json), name).not.toEqual([]);
      expect(() => policyFromJson(json, name), name).toThrow(PolicyFileError);
    }
  });
});
