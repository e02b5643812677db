import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { PRESETS, POLICY_BOUNDS, validateMessage, validateMessageId, validatePolicy } from '../../src/core/policy/index.js';

// ---------------------------------------------------------------------------------------------
// Helpers

type Json = Record<string, unknown>;
type PathStep = string | number;

/** Every validation error must be a ValidationError naming this exact field and rule. */
function expectValidationError(fn: () => unknown, field: string, rule: string): ValidationError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected a ValidationError at ${field}`).toBeInstanceOf(ValidationError);
  const err = caught as ValidationError;
  expect({ field: err.field, rule: err.rule }).toEqual({ field, rule });
  return err;
}

/** Returns `obj` after setting (or, with `DELETE`, removing) the value at `path`. */
const DELETE = Symbol('delete');
function setAt<T>(obj: T, path: readonly PathStep[], value: unknown): T {
  let target = obj as unknown as Record<PathStep, unknown>;
  for (const step of path.slice(0, -1)) target = target[step] as Record<PathStep, unknown>;
  const last = path[path.length - 1]!;
  if (value === DELETE) delete target[last];
  else target[last] = value;
  return obj;
}

/**
 * The input is unchanged: deep equality with a twin built the same way. node's
 * isDeepStrictEqual rather than toStrictEqual, which would read an own `constructor` key.
 */
function expectUnchanged(input: unknown, twin: unknown): void {
  expect(isDeepStrictEqual(input, twin), 'input was mutated').toBe(true);
}

function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (!Object.isFrozen(value)) return false;
  return Object.values(value).every(isDeepFrozen);
}

/** A valid policy using every kind, scope style and optional field. Fresh on every call. */
function validPolicy(): Json {
  return {
    name: 'test-policy',
    limits: [
      { name: 'r', kind: 'rate', scope: 'number', count: 10, periodMs: 1000, burst: 2 },
      { name: 'w', kind: 'window', scope: 'pair', categories: ['marketing'], count: 5, windowMs: 60_000 },
      { name: 'd', kind: 'daily', scope: 'recipient', count: 5 },
      { name: 'x', kind: 'distinct', scope: 'portfolio', count: 250, windowMs: 86_400_000 },
      { name: 'b', kind: 'batch', scope: 'campaign', size: 1000, gapMs: 900_000 },
    ],
    sendWindows: [
      {
        name: 'quiet',
        categories: ['marketing', 'utility'],
        allowed: [{ from: '09:00', to: '22:00', days: ['mon', 'tue'] }],
      },
    ],
    defaultTimeZone: 'Europe/Paris',
  };
}

function validMessage(): Json {
  return {
    id: 'msg-1',
    to: '+33612345678',
    from: 'phone-1',
    portfolio: 'acme',
    category: 'marketing',
  };
}

const MAX_COUNT = POLICY_BOUNDS.maxCount;
const MAX_MS = POLICY_BOUNDS.maxDurationMs;
const COUNT_RULE = `an integer from 1 to ${MAX_COUNT}`;
const DURATION_RULE = `an integer from 1 to ${MAX_MS}`;
const RESERVED_RULE = 'not a reserved key (__proto__, constructor, prototype)';
const NAME_RULE = 'a name of 1 to 64 characters from [A-Za-z0-9_-], not __proto__, constructor or prototype';
const ZONE_RULE = 'an IANA time zone name such as "Europe/Paris" (UTC offsets like "+05:30" are not accepted)';
const FROM_RULE = 'a time HH:MM from 00:00 to 23:59';
const TO_RULE = 'a time HH:MM from 00:00 to 24:00';
const CATEGORY_RULE = 'one of: authentication, utility, marketing, service';
const WEEKDAY_RULE = 'one of: mon, tue, wed, thu, fri, sat, sun';
const LABEL_RULE = 'a non-empty string of at most 128 characters without {, }, |, control characters or unpaired surrogates';
const ID_RULE = 'a non-empty string of at most 256 characters without {, }, control characters or unpaired surrogates';
const E164_RULE = 'a canonical E.164 number: + then 8 to 15 digits, the first not 0';
const INSTANT_RULE =
  'an integer instant in ms from 1577836800000 (2020-01-01) to before 4102444800000 (2100-01-01)';

/** Values no integer field accepts. */
const BAD_NUMBERS: readonly [string, unknown][] = [
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['-1', -1],
  ['0', 0],
  ['-0', -0],
  ['1.5', 1.5],
  ['1e308', 1e308],
  ['2**53+1', 2 ** 53 + 1],
  ['"10"', '10'],
  ['null', null],
  ['true', true],
  ['[]', []],
  ['{}', {}],
];

// ---------------------------------------------------------------------------------------------
// Policies

interface PolicyCase {
  readonly title: string;
  readonly make: () => unknown;
  readonly field: string;
  readonly rule: string;
}

const NUMERIC_FIELDS: readonly [number, string, string][] = [
  [0, 'count', COUNT_RULE],
  [0, 'periodMs', DURATION_RULE],
  [0, 'burst', COUNT_RULE],
  [1, 'count', COUNT_RULE],
  [1, 'windowMs', DURATION_RULE],
  [2, 'count', COUNT_RULE],
  [3, 'count', COUNT_RULE],
  [3, 'windowMs', DURATION_RULE],
  [4, 'size', COUNT_RULE],
  [4, 'gapMs', DURATION_RULE],
];

const numericCases: PolicyCase[] = NUMERIC_FIELDS.flatMap(([i, key, rule]) =>
  BAD_NUMBERS.map(([label, value]) => ({
    title: `limits[${i}].${key} = ${label}`,
    make: () => setAt(validPolicy(), ['limits', i, key], value),
    field: `policy.limits[${i}].${key}`,
    rule,
  })),
);

class NotPlain {
  readonly name = 'p';
  readonly limits = [];
}
const SYMBOL_KEY = Symbol('key');
const A_DATE = new Date(Date.UTC(2026, 0, 1));

const policyCases: PolicyCase[] = [
  ...numericCases,
  { title: 'count above the bound', make: () => setAt(validPolicy(), ['limits', 2, 'count'], MAX_COUNT + 1), field: 'policy.limits[2].count', rule: COUNT_RULE },
  { title: 'period above 366 days', make: () => setAt(validPolicy(), ['limits', 0, 'periodMs'], MAX_MS + 1), field: 'policy.limits[0].periodMs', rule: DURATION_RULE },
  {
    title: 'a burst spanning more than 366 days',
    make: () => setAt(setAt(setAt(validPolicy(), ['limits', 0, 'count'], 1), ['limits', 0, 'periodMs'], MAX_MS), ['limits', 0, 'burst'], 3),
    field: 'policy.limits[0].burst',
    rule: `at most 1 + count × ${MAX_MS} / periodMs (a burst may span at most 366 days)`,
  },
  // Containers
  { title: 'policy null', make: () => null, field: 'policy', rule: 'a plain object' },
  { title: 'policy array', make: () => [], field: 'policy', rule: 'a plain object' },
  { title: 'policy string', make: () => 'conservative', field: 'policy', rule: 'a plain object' },
  { title: 'policy Map', make: () => new Map(), field: 'policy', rule: 'a plain object' },
  { title: 'policy class instance', make: () => new NotPlain(), field: 'policy', rule: 'a plain object' },
  { title: 'policy Date', make: () => new Date(A_DATE), field: 'policy', rule: 'a plain object' },
  { title: 'limits missing', make: () => setAt(validPolicy(), ['limits'], DELETE), field: 'policy.limits', rule: 'an array' },
  { title: 'limits an object', make: () => setAt(validPolicy(), ['limits'], {}), field: 'policy.limits', rule: 'an array' },
  { title: 'too many limits', make: () => setAt(validPolicy(), ['limits'], new Array(257).fill(null)), field: 'policy.limits', rule: 'an array of at most 256 items' },
  { title: 'a hole in limits', make: () => setAt(validPolicy(), ['limits', 7], validPolicy()), field: 'policy.limits[5]', rule: 'a plain object' },
  { title: 'a rule null', make: () => setAt(validPolicy(), ['limits', 1], null), field: 'policy.limits[1]', rule: 'a plain object' },
  { title: 'a rule an array', make: () => setAt(validPolicy(), ['limits', 1], []), field: 'policy.limits[1]', rule: 'a plain object' },
  { title: 'an extra property on the limits array', make: () => setAt(validPolicy(), ['limits', 'extra'], 1), field: 'policy.limits.extra', rule: 'absent (arrays carry only their items)' },
  // Unknown and reserved keys
  {
    title: 'unknown key in a rate rule',
    make: () => setAt(validPolicy(), ['limits', 0, 'cuont'], 10),
    field: 'policy.limits[0].cuont',
    rule: 'a known field (one of: name, kind, scope, categories, count, periodMs, burst)',
  },
  {
    title: 'a field of another kind',
    make: () => setAt(validPolicy(), ['limits', 2, 'windowMs'], 1000),
    field: 'policy.limits[2].windowMs',
    rule: 'a known field (one of: name, kind, scope, categories, count)',
  },
  {
    title: 'unknown top-level key',
    make: () => setAt(validPolicy(), ['limit'], []),
    field: 'policy.limit',
    rule: 'a known field (one of: name, limits, sendWindows, defaultTimeZone)',
  },
  {
    title: 'unknown key in a send window',
    make: () => setAt(validPolicy(), ['sendWindows', 0, 'timeZone'], 'UTC'),
    field: 'policy.sendWindows[0].timeZone',
    rule: 'a known field (one of: name, categories, allowed)',
  },
  {
    title: 'unknown key in an allowed interval',
    make: () => setAt(validPolicy(), ['sendWindows', 0, 'allowed', 0, 'until'], '10:00'),
    field: 'policy.sendWindows[0].allowed[0].until',
    rule: 'a known field (one of: from, to, days)',
  },
  {
    title: 'unknown key that looks like a phone number is masked in the path',
    make: () => setAt(validPolicy(), ['+33612345678'], 1),
    field: 'policy["+336••••" (12 chars)]',
    rule: 'a known field (one of: name, limits, sendWindows, defaultTimeZone)',
  },
  { title: '__proto__ at top level', make: () => JSON.parse('{"__proto__": {"polluted": 1}}'), field: 'policy.__proto__', rule: RESERVED_RULE },
  {
    title: '__proto__ in a rule',
    make: () => setAt(validPolicy(), ['limits', 0], JSON.parse('{"name":"r","kind":"rate","__proto__":{"polluted":1}}')),
    field: 'policy.limits[0].__proto__',
    rule: RESERVED_RULE,
  },
  { title: 'constructor key', make: () => setAt(validPolicy(), ['constructor'], {}), field: 'policy.constructor', rule: RESERVED_RULE },
  { title: 'prototype key in a window', make: () => setAt(validPolicy(), ['sendWindows', 0, 'prototype'], {}), field: 'policy.sendWindows[0].prototype', rule: RESERVED_RULE },
  { title: 'symbol key', make: () => Object.assign(validPolicy(), { [SYMBOL_KEY]: 1 }), field: 'policy[symbol]', rule: 'a string key' },
  // Names
  { title: 'duplicate limit name', make: () => setAt(validPolicy(), ['limits', 3, 'name'], 'r'), field: 'policy.limits[3].name', rule: 'unique' },
  { title: 'send window named like a limit', make: () => setAt(validPolicy(), ['sendWindows', 0, 'name'], 'b'), field: 'policy.sendWindows[0].name', rule: 'unique' },
  { title: 'name with a space', make: () => setAt(validPolicy(), ['limits', 0, 'name'], 'per minute'), field: 'policy.limits[0].name', rule: NAME_RULE },
  { title: 'name with a pipe', make: () => setAt(validPolicy(), ['limits', 0, 'name'], 'a|b'), field: 'policy.limits[0].name', rule: NAME_RULE },
  { title: 'empty name', make: () => setAt(validPolicy(), ['limits', 0, 'name'], ''), field: 'policy.limits[0].name', rule: NAME_RULE },
  { title: 'name of 65 characters', make: () => setAt(validPolicy(), ['limits', 0, 'name'], 'a'.repeat(65)), field: 'policy.limits[0].name', rule: NAME_RULE },
  { title: 'reserved name', make: () => setAt(validPolicy(), ['limits', 0, 'name'], 'constructor'), field: 'policy.limits[0].name', rule: NAME_RULE },
  { title: 'missing name', make: () => setAt(validPolicy(), ['limits', 0, 'name'], DELETE), field: 'policy.limits[0].name', rule: NAME_RULE },
  { title: 'policy name a number', make: () => setAt(validPolicy(), ['name'], 7), field: 'policy.name', rule: NAME_RULE },
  // Kinds, scopes, categories
  { title: 'unknown kind', make: () => setAt(validPolicy(), ['limits', 0, 'kind'], 'leaky'), field: 'policy.limits[0].kind', rule: 'one of: rate, window, daily, distinct, batch' },
  { title: 'missing kind', make: () => setAt(validPolicy(), ['limits', 0, 'kind'], DELETE), field: 'policy.limits[0].kind', rule: 'one of: rate, window, daily, distinct, batch' },
  { title: 'unknown scope', make: () => setAt(validPolicy(), ['limits', 0, 'scope'], 'global'), field: 'policy.limits[0].scope', rule: 'one of: number, pair, recipient, portfolio, campaign, apiKey' },
  { title: 'empty categories', make: () => setAt(validPolicy(), ['limits', 1, 'categories'], []), field: 'policy.limits[1].categories', rule: 'a non-empty array' },
  { title: 'categories not an array', make: () => setAt(validPolicy(), ['limits', 1, 'categories'], 'marketing'), field: 'policy.limits[1].categories', rule: 'a non-empty array' },
  { title: 'categories null', make: () => setAt(validPolicy(), ['limits', 1, 'categories'], null), field: 'policy.limits[1].categories', rule: 'a non-empty array' },
  { title: 'duplicate category', make: () => setAt(validPolicy(), ['limits', 1, 'categories'], ['marketing', 'marketing']), field: 'policy.limits[1].categories[1]', rule: 'unique' },
  { title: 'unknown category', make: () => setAt(validPolicy(), ['limits', 1, 'categories'], ['promo']), field: 'policy.limits[1].categories[0]', rule: CATEGORY_RULE },
  { title: 'window without categories', make: () => setAt(validPolicy(), ['sendWindows', 0, 'categories'], DELETE), field: 'policy.sendWindows[0].categories', rule: 'a non-empty array' },
  // Time zones
  { title: 'offset zone +05:30', make: () => setAt(validPolicy(), ['defaultTimeZone'], '+05:30'), field: 'policy.defaultTimeZone', rule: ZONE_RULE },
  { title: 'offset zone -0500', make: () => setAt(validPolicy(), ['defaultTimeZone'], '-0500'), field: 'policy.defaultTimeZone', rule: ZONE_RULE },
  { title: 'offset zone 0530', make: () => setAt(validPolicy(), ['defaultTimeZone'], '0530'), field: 'policy.defaultTimeZone', rule: ZONE_RULE },
  { title: 'offset zone with a minus sign', make: () => setAt(validPolicy(), ['defaultTimeZone'], '\u221205:00'), field: 'policy.defaultTimeZone', rule: ZONE_RULE },
  { title: 'zone with a space', make: () => setAt(validPolicy(), ['defaultTimeZone'], ' UTC'), field: 'policy.defaultTimeZone', rule: ZONE_RULE },
  { title: 'unknown zone', make: () => setAt(validPolicy(), ['defaultTimeZone'], 'Mars/Olympus_Mons'), field: 'policy.defaultTimeZone', rule: ZONE_RULE },
  { title: 'empty zone', make: () => setAt(validPolicy(), ['defaultTimeZone'], ''), field: 'policy.defaultTimeZone', rule: ZONE_RULE },
  { title: 'zone null', make: () => setAt(validPolicy(), ['defaultTimeZone'], null), field: 'policy.defaultTimeZone', rule: ZONE_RULE },
  // Send windows
  { title: 'from 25:00', make: () => setAt(validPolicy(), ['sendWindows', 0, 'allowed', 0, 'from'], '25:00'), field: 'policy.sendWindows[0].allowed[0].from', rule: FROM_RULE },
  { title: 'from 7:00', make: () => setAt(validPolicy(), ['sendWindows', 0, 'allowed', 0, 'from'], '7:00'), field: 'policy.sendWindows[0].allowed[0].from', rule: FROM_RULE },
  { title: 'from 24:00', make: () => setAt(validPolicy(), ['sendWindows', 0, 'allowed', 0, 'from'], '24:00'), field: 'policy.sendWindows[0].allowed[0].from', rule: FROM_RULE },
  { title: 'from 09:60', make: () => setAt(validPolicy(), ['sendWindows', 0, 'allowed', 0, 'from'], '09:60'), field: 'policy.sendWindows[0].allowed[0].from', rule: FROM_RULE },
  { title: 'from 09:00:00', make: () => setAt(validPolicy(), ['sendWindows', 0, 'allowed', 0, 'from'], '09:00:00'), field: 'policy.sendWindows[0].allowed[0].from', rule: FROM_RULE },
  { title: 'from a number', make: () => setAt(validPolicy(), ['sendWindows', 0, 'allowed', 0, 'from'], 900), field: 'policy.sendWindows[0].allowed[0].from', rule: FROM_RULE },
  { title: 'to 24:01', make: () => setAt(validPolicy(), ['sendWindows', 0, 'allowed', 0, 'to'], '24:01'), field: 'policy.sendWindows[0].allowed[0].to', rule: TO_RULE },
  { title: 'to missing', make: () => setAt(validPolicy(), ['sendWindows', 0, 'allowed', 0, 'to'], DELETE), field: 'policy.sendWindows[0].allowed[0].to', rule: TO_RULE },
  { title: "days ['mon','mon']", make: () => setAt(validPolicy(), ['sendWindows', 0, 'allowed', 0, 'days'], ['mon', 'mon']), field: 'policy.sendWindows[0].allowed[0].days[1]', rule: 'unique' },
  { title: 'unknown day', make: () => setAt(validPolicy(), ['sendWindows', 0, 'allowed', 0, 'days'], ['Monday']), field: 'policy.sendWindows[0].allowed[0].days[0]', rule: WEEKDAY_RULE },
  { title: 'empty days', make: () => setAt(validPolicy(), ['sendWindows', 0, 'allowed', 0, 'days'], []), field: 'policy.sendWindows[0].allowed[0].days', rule: 'a non-empty array' },
  { title: 'empty allowed', make: () => setAt(validPolicy(), ['sendWindows', 0, 'allowed'], []), field: 'policy.sendWindows[0].allowed', rule: 'a non-empty array' },
  { title: 'sendWindows null', make: () => setAt(validPolicy(), ['sendWindows'], null), field: 'policy.sendWindows', rule: 'an array' },
];

describe('validatePolicy: illegal input', () => {
  it.each(policyCases.map((c) => [c.title, c] as const))('%s', (_title, c) => {
    const input = c.make();
    const twin = c.make(); // built the same way: what the input must still look like afterwards
    const err = expectValidationError(() => validatePolicy(input), c.field, c.rule);
    expect(err.code).toBe('SLUICE_VALIDATION');
    expect(err.message).toContain(c.field);
    expectUnchanged(input, twin);
  });

  it('honours a custom path', () => {
    expectValidationError(() => validatePolicy(setAt(validPolicy(), ['limits', 0, 'count'], 0), 'options.policy'), 'options.policy.limits[0].count', COUNT_RULE);
  });
});

describe('validatePolicy: valid input', () => {
  it('returns a deep-frozen copy with defaults filled in, never the input', () => {
    const input = validPolicy();
    const before = structuredClone(input);
    const policy = validatePolicy(input);
    expect(input).toStrictEqual(before);
    expect(policy).not.toBe(input);
    expect(policy.limits).not.toBe(input['limits']);
    expect(policy.limits[0]).not.toBe((input['limits'] as unknown[])[0]);
    expect(isDeepFrozen(policy)).toBe(true);
    expect(policy).toEqual(before);
  });

  it('defaults burst to 1, sendWindows to none and the time zone to UTC', () => {
    const policy = validatePolicy({
      name: 'p',
      limits: [{ name: 'r', kind: 'rate', scope: 'number', count: 80, periodMs: 1000 }],
    });
    expect(policy).toEqual({
      name: 'p',
      limits: [{ name: 'r', kind: 'rate', scope: 'number', count: 80, periodMs: 1000, burst: 1 }],
      sendWindows: [],
      defaultTimeZone: 'UTC',
    });
  });

  it('treats explicit undefined optional fields as absent and leaves them out', () => {
    const policy = validatePolicy({
      name: 'p',
      limits: [{ name: 'r', kind: 'rate', scope: 'number', count: 1, periodMs: 1, burst: undefined, categories: undefined }],
      sendWindows: undefined,
      defaultTimeZone: undefined,
    });
    expect(Object.keys(policy.limits[0]!)).toEqual(['name', 'kind', 'scope', 'count', 'periodMs', 'burst']);
  });

  it('accepts the edges of every range', () => {
    const policy = validatePolicy({
      name: 'a'.repeat(64),
      limits: [
        { name: 'r', kind: 'rate', scope: 'number', count: MAX_COUNT, periodMs: MAX_MS, burst: MAX_COUNT },
        { name: 'r1', kind: 'rate', scope: 'apiKey', count: 1, periodMs: 1, burst: 1 },
        { name: 'b', kind: 'batch', scope: 'campaign', size: 1, gapMs: 1 },
      ],
      sendWindows: [
        {
          name: 'w',
          categories: ['authentication', 'utility', 'marketing', 'service'],
          allowed: [
            { from: '00:00', to: '24:00' },
            { from: '23:59', to: '00:00', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] },
          ],
        },
      ],
      defaultTimeZone: 'Asia/Kathmandu',
    });
    expect(policy.limits).toHaveLength(3);
    // IANA fixed-offset names are names, not offsets
    expect(validatePolicy({ name: 'p', limits: [], defaultTimeZone: 'Etc/GMT+5' }).defaultTimeZone).toBe('Etc/GMT+5');
  });

  it('accepts objects without a prototype', () => {
    const rule = Object.assign(Object.create(null) as object, { name: 'd', kind: 'daily', scope: 'recipient', count: 5 });
    const input = Object.assign(Object.create(null) as object, { name: 'p', limits: [rule] });
    const policy = validatePolicy(input);
    expect(Object.getPrototypeOf(policy)).toBe(Object.prototype);
    expect(policy.limits[0]).toEqual({ name: 'd', kind: 'daily', scope: 'recipient', count: 5 });
  });

  it('reads a Proxy once per field and returns a plain copy', () => {
    let reads = 0;
    const target = validPolicy();
    const proxy = new Proxy(target, {
      getOwnPropertyDescriptor(t, key) {
        reads++;
        return Reflect.getOwnPropertyDescriptor(t, key);
      },
    });
    const policy = validatePolicy(proxy);
    expect(reads).toBe(Object.keys(target).length);
    expect(policy).toEqual(validatePolicy(validPolicy()));
    expect(policy).not.toBe(proxy);
  });

  it('turns a throwing Proxy or a getter into a ValidationError', () => {
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('boom');
        },
      },
    );
    expectValidationError(() => validatePolicy(hostile), 'policy', 'a readable plain object');
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    expectValidationError(() => validatePolicy(revocable.proxy), 'policy', 'a readable plain object');
    const revokedArray = Proxy.revocable([], {});
    revokedArray.revoke();
    expectValidationError(() => validatePolicy({ ...validPolicy(), limits: revokedArray.proxy }), 'policy.limits', 'a readable array');
    expectValidationError(() => validatePolicy({ ...validPolicy(), name: revokedArray.proxy }), 'policy.name', NAME_RULE);
    expectValidationError(() => validateMessage({ ...validMessage(), cost: revocable.proxy }), 'message.cost', `an integer from 1 to ${POLICY_BOUNDS.maxCost}`);
    let ran = false;
    const withGetter = Object.defineProperty(validPolicy(), 'name', {
      enumerable: true,
      get() {
        ran = true;
        return 'p';
      },
    });
    expectValidationError(() => validatePolicy(withGetter), 'policy.name', 'a data property (not a getter or setter)');
    expect(ran).toBe(false);
  });

  it('does not pollute Object.prototype', () => {
    const inputs = [
      JSON.parse('{"__proto__": {"polluted": 1}}'),
      JSON.parse('{"name":"p","limits":[{"__proto__":{"polluted":1}}]}'),
      JSON.parse('{"name":"p","limits":[],"sendWindows":[{"name":"w","categories":["marketing"],"allowed":[{"constructor":{"prototype":{"polluted":1}}}]}]}'),
    ];
    for (const input of inputs) {
      expect(() => validatePolicy(input)).toThrow(ValidationError);
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});

// ---------------------------------------------------------------------------------------------
// Messages

interface MessageCase {
  readonly title: string;
  readonly make: () => unknown;
  readonly field: string;
  readonly rule: string;
}

const COST_RULE = `an integer from 1 to ${POLICY_BOUNDS.maxCost}`;
const labelFields = ['from', 'portfolio', 'campaign', 'apiKey'] as const;
const badLabels: readonly [string, unknown][] = [
  ['empty', ''],
  ['a pipe', 'a|b'],
  ['an opening brace', 'a{b'],
  ['a closing brace', 'b}'],
  ['a newline', 'a\nb'],
  ['129 characters', 'x'.repeat(129)],
  ['a number', 42],
  ['null', null],
];

const messageCases: MessageCase[] = [
  { title: 'message null', make: () => null, field: 'message', rule: 'a plain object' },
  { title: 'message array', make: () => [validMessage()], field: 'message', rule: 'a plain object' },
  { title: 'unknown key', make: () => setAt(validMessage(), ['To'], '+33612345678'), field: 'message.To', rule: 'a known field (one of: id, to, from, portfolio, category, cost, notBefore, deadline, campaign, apiKey, timeZone)' },
  { title: '__proto__ key', make: () => ({ ...JSON.parse('{"__proto__": {"polluted": 1}}'), ...validMessage() }), field: 'message.__proto__', rule: RESERVED_RULE },
  // id
  { title: 'id missing', make: () => setAt(validMessage(), ['id'], DELETE), field: 'message.id', rule: ID_RULE },
  { title: 'id empty', make: () => setAt(validMessage(), ['id'], ''), field: 'message.id', rule: ID_RULE },
  { title: 'id with a hash tag', make: () => setAt(validMessage(), ['id'], 'a{b}'), field: 'message.id', rule: ID_RULE },
  { title: 'id with a control character', make: () => setAt(validMessage(), ['id'], 'a\u0000b'), field: 'message.id', rule: ID_RULE },
  { title: 'id with a C1 control character', make: () => setAt(validMessage(), ['id'], 'a\u0085b'), field: 'message.id', rule: ID_RULE },
  { title: 'id with a lone surrogate', make: () => setAt(validMessage(), ['id'], 'a\uD800b'), field: 'message.id', rule: ID_RULE },
  { title: 'id of 257 characters', make: () => setAt(validMessage(), ['id'], 'i'.repeat(257)), field: 'message.id', rule: ID_RULE },
  { title: 'id a number', make: () => setAt(validMessage(), ['id'], 1), field: 'message.id', rule: ID_RULE },
  // to
  ...(
    [
      ['without +', '33612345678'],
      ['first digit 0', '+0612345678'],
      ['7 digits', '+1234567'],
      ['16 digits', '+1234567890123456'],
      ['with spaces', '+33 6 12 34 56 78'],
      ['with a trailing newline', '+33612345678\n'],
      ['a number', 33612345678],
      ['missing', DELETE],
    ] as const
  ).map(([label, value]) => ({ title: `to ${label}`, make: () => setAt(validMessage(), ['to'], value), field: 'message.to', rule: E164_RULE })),
  // from, portfolio, campaign, apiKey
  ...labelFields.flatMap((key) =>
    badLabels.map(([label, value]) => ({ title: `${key} ${label}`, make: () => setAt(validMessage(), [key], value), field: `message.${key}`, rule: LABEL_RULE })),
  ),
  // category
  { title: 'category unknown', make: () => setAt(validMessage(), ['category'], 'promo'), field: 'message.category', rule: CATEGORY_RULE },
  { title: 'category missing', make: () => setAt(validMessage(), ['category'], DELETE), field: 'message.category', rule: CATEGORY_RULE },
  // cost
  ...BAD_NUMBERS.map(([label, value]) => ({ title: `cost ${label}`, make: () => setAt(validMessage(), ['cost'], value), field: 'message.cost', rule: COST_RULE })),
  { title: 'cost above the bound', make: () => setAt(validMessage(), ['cost'], POLICY_BOUNDS.maxCost + 1), field: 'message.cost', rule: COST_RULE },
  // instants
  ...(['notBefore', 'deadline'] as const).flatMap((key) => [
    ...BAD_NUMBERS.map(([label, value]) => ({ title: `${key} ${label}`, make: () => setAt(validMessage(), [key], value), field: `message.${key}`, rule: INSTANT_RULE })),
    { title: `${key} before 2020`, make: () => setAt(validMessage(), [key], Date.UTC(2020, 0, 1) - 1), field: `message.${key}`, rule: INSTANT_RULE },
    { title: `${key} at 2100`, make: () => setAt(validMessage(), [key], Date.UTC(2100, 0, 1)), field: `message.${key}`, rule: INSTANT_RULE },
    { title: `${key} a Date`, make: () => setAt(validMessage(), [key], new Date(Date.UTC(2026, 0, 1))), field: `message.${key}`, rule: INSTANT_RULE },
  ]),
  {
    title: 'deadline before notBefore',
    make: () => setAt(setAt(validMessage(), ['notBefore'], Date.UTC(2026, 5, 1)), ['deadline'], Date.UTC(2026, 5, 1) - 1),
    field: 'message.deadline',
    rule: 'an instant at or after notBefore',
  },
  // time zone
  { title: 'timeZone +05:30', make: () => setAt(validMessage(), ['timeZone'], '+05:30'), field: 'message.timeZone', rule: ZONE_RULE },
  { title: 'timeZone 5', make: () => setAt(validMessage(), ['timeZone'], 5), field: 'message.timeZone', rule: ZONE_RULE },
  { title: 'timeZone unknown', make: () => setAt(validMessage(), ['timeZone'], 'Europe/Atlantis'), field: 'message.timeZone', rule: ZONE_RULE },
];

describe('validateMessage: illegal input', () => {
  it.each(messageCases.map((c) => [c.title, c] as const))('%s', (_title, c) => {
    const input = c.make();
    const twin = c.make();
    const err = expectValidationError(() => validateMessage(input), c.field, c.rule);
    expect(err.message).toContain(c.field);
    expectUnchanged(input, twin);
  });

  it('never puts a full phone number in the error', () => {
    const phone = '+33612345678';
    const inputs: unknown[] = [
      setAt(validMessage(), ['to'], `${phone}99999`),
      setAt(validMessage(), ['to'], phone.slice(1)),
      setAt(validMessage(), ['from'], `${phone}|x`),
      setAt(validMessage(), ['id'], `${phone}{`),
      setAt(validMessage(), [phone], 1),
      setAt(validMessage(), ['timeZone'], phone),
    ];
    for (const input of inputs) {
      try {
        validateMessage(input);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(ValidationError);
        const e = err as ValidationError;
        for (const text of [e.message, e.field, e.rule]) expect(text).not.toMatch(/\d{5}/);
      }
    }
  });
});

describe('validateMessage: valid input', () => {
  it('returns a frozen copy with cost defaulted to 1', () => {
    const input = validMessage();
    const before = structuredClone(input);
    const message = validateMessage(input);
    expect(input).toStrictEqual(before);
    expect(message).not.toBe(input);
    expect(Object.isFrozen(message)).toBe(true);
    expect(message).toEqual({ ...before, cost: 1 });
  });

  it('keeps every optional field and drops undefined ones', () => {
    const full = {
      ...validMessage(),
      cost: 3,
      notBefore: Date.UTC(2026, 0, 1),
      deadline: Date.UTC(2026, 0, 1),
      campaign: 'spring-sale',
      apiKey: 'key-1',
      timeZone: 'America/Sao_Paulo',
    };
    expect(validateMessage(full)).toEqual(full);
    const sparse = validateMessage({ ...validMessage(), campaign: undefined, apiKey: undefined, timeZone: undefined });
    expect(Object.keys(sparse)).toEqual(['id', 'to', 'from', 'portfolio', 'category', 'cost']);
  });

  it('accepts the edges', () => {
    expect(() =>
      validateMessage({
        ...validMessage(),
        id: 'i'.repeat(256),
        to: '+123456789012345',
        from: 'f'.repeat(128),
        cost: POLICY_BOUNDS.maxCost,
        notBefore: Date.UTC(2020, 0, 1),
        deadline: Date.UTC(2100, 0, 1) - 1,
      }),
    ).not.toThrow();
    expect(() => validateMessage({ ...validMessage(), to: '+12345678', id: 'emoji-😀' })).not.toThrow();
  });

  it('validateMessageId uses the given path', () => {
    expect(validateMessageId('abc', 'ids[0]')).toBe('abc');
    expectValidationError(() => validateMessageId('{x}', 'ids[0]'), 'ids[0]', ID_RULE);
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzz: any value either validates or throws a ValidationError, and is never mutated.

// No Dates: isDeepStrictEqual finds two `new Date(NaN)` different, which would fail the
// no-mutation check for nothing. Dates are refused like any class instance (see the table).
const anything = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  maxDepth: 3,
});

/** Every path in a JSON tree, to pick mutation points from. */
function pathsOf(value: unknown, prefix: PathStep[] = []): PathStep[][] {
  const out: PathStep[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])));
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  }
  return out;
}

type Mutation = { readonly op: 'replace' | 'delete' | 'add'; readonly at: number; readonly key: string; readonly value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('replace', 'delete', 'add'),
  at: fc.nat(),
  key: fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'count', 'burst', 'days', 'categories')),
  value: anything,
});

/** A valid document with a few random mutations. Built from scratch each time, so clones are independent. */
function mutate(base: unknown, mutations: readonly Mutation[]): unknown {
  const doc: unknown = structuredClone(base);
  let root: unknown = doc;
  for (const m of mutations) {
    const paths = pathsOf(root);
    const path = paths[m.at % paths.length]!;
    if (path.length === 0) {
      if (m.op === 'replace') root = m.value;
      continue;
    }
    const parent = path.slice(0, -1).reduce<unknown>((o, k) => (o as Record<PathStep, unknown>)[k], root);
    if (typeof parent !== 'object' || parent === null) continue;
    const target = parent as Record<PathStep, unknown>;
    const last = path[path.length - 1]!;
    try {
      if (m.op === 'replace') target[last] = m.value;
      else if (m.op === 'delete') delete target[last];
      else {
        const holder = target[last];
        if (typeof holder === 'object' && holder !== null && !Array.isArray(holder)) {
          // defineProperty, not assignment: an own `__proto__` key, as JSON.parse would make.
          Object.defineProperty(holder, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
        }
      }
    } catch {
      // Read-only targets inside generated values (boxed strings, frozen objects): skip.
    }
  }
  return root;
}

function validatesOrThrowsValidationError(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
  }
}

describe('fuzz', () => {
  const polluted = (): unknown => ({} as Record<string, unknown>)['polluted'];

  it('validatePolicy: arbitrary values', () => {
    fc.assert(
      fc.property(fc.clone(anything, 2), ([input, twin]) => {
        validatesOrThrowsValidationError(() => validatePolicy(input));
        expectUnchanged(input, twin);
      }),
      { numRuns: 500 },
    );
  });

  it('validateMessage: arbitrary values', () => {
    fc.assert(
      fc.property(fc.clone(anything, 2), ([input, twin]) => {
        validatesOrThrowsValidationError(() => validateMessage(input));
        expectUnchanged(input, twin);
      }),
      { numRuns: 500 },
    );
  });

  const bases: readonly unknown[] = [validPolicy(), structuredClone(PRESETS.conservative), structuredClone(PRESETS['cloud-api'])];

  it('validatePolicy: mutated valid policies', () => {
    const arb = fc.tuple(fc.nat(bases.length - 1), fc.array(mutation, { minLength: 1, maxLength: 3 }));
    fc.assert(
      fc.property(fc.clone(arb, 2), ([[b, ms], [b2, ms2]]) => {
        const input = mutate(bases[b], ms);
        const twin = mutate(bases[b2], ms2);
        validatesOrThrowsValidationError(() => validatePolicy(input));
        expectUnchanged(input, twin);
        expect(polluted()).toBeUndefined();
      }),
      { numRuns: 1000 },
    );
  });

  it('validateMessage: mutated valid messages', () => {
    const base = { ...validMessage(), cost: 2, notBefore: Date.UTC(2026, 0, 1), campaign: 'c', apiKey: 'k', timeZone: 'UTC' };
    fc.assert(
      fc.property(fc.clone(fc.array(mutation, { minLength: 1, maxLength: 3 }), 2), ([ms, ms2]) => {
        const input = mutate(base, ms);
        const twin = mutate(base, ms2);
        validatesOrThrowsValidationError(() => validateMessage(input));
        expectUnchanged(input, twin);
        expect(polluted()).toBeUndefined();
      }),
      { numRuns: 1000 },
    );
  });
});
