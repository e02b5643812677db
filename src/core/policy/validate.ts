/**
 * Validation of policies and messages: the only door through which user data enters the core.
 *
 * What must hold for every function here:
 * - Bad input throws `ValidationError(field, rule, received)` naming the full path of the
 *   offending value (`policy.limits[2].count`) and the rule it breaks, before anything is returned.
 * - The input is never mutated and never trusted after the first read: every own property is read
 *   exactly once (through its descriptor, so getters never run and a Proxy cannot answer twice
 *   differently), and the result is a fresh, deep-frozen copy built only from known keys.
 * - `__proto__`, `constructor` and `prototype` keys are refused anywhere, so nothing downstream can
 *   be tricked into writing to a prototype.
 * - Neither `field` nor `rule` ever contains a value taken from the input other than a key name
 *   that cannot be a phone number (see `keyPath`); `received` is masked by ValidationError itself.
 * - Every number that leaves here is a safe integer inside documented bounds, chosen so that the
 *   limit arithmetic (scaled GCRA state, sorted logs, Lua doubles) stays exact until 2100.
 */
import { ValidationError, maskValue } from '../../errors.js';
import { DAY, MAX_INSTANT, MIN_INSTANT } from '../time.js';
import { CATEGORIES, SCOPES, WEEKDAYS } from '../types.js';
import type {
  Category,
  LimitKind,
  LimitRule,
  LocalTimeWindow,
  Message,
  Policy,
  Scope,
  SendWindowRule,
  Weekday,
} from '../types.js';

export const LIMIT_KINDS: readonly LimitKind[] = Object.freeze(['rate', 'window', 'daily', 'distinct', 'batch']);

/**
 * Upper bounds on what a policy or message may say. They are far beyond any platform limit;
 * their job is to keep arithmetic exact, not to second-guess the operator:
 * - `maxDurationMs` (366 days) × 1000 state units per ms stays far below 2^53 even added to an
 *   instant of 2100 (see `rate.ts`).
 * - `maxCount` (10^9) keeps counts × durations comparable exactly.
 */
export const POLICY_BOUNDS = Object.freeze({
  /** Largest count, burst or batch size. */
  maxCount: 1_000_000_000,
  /** Longest period, window or batch gap: 366 days. */
  maxDurationMs: 366 * DAY,
  /** Largest cost of one message. */
  maxCost: 1_000_000,
  /** Most limit rules, send-window rules or allowed intervals in one list. */
  maxItems: 256,
  /** Longest rule or policy name. */
  maxNameLength: 64,
  /** Longest message id. */
  maxIdLength: 256,
  /** Longest `from`, `portfolio`, `campaign` or `apiKey`. */
  maxLabelLength: 128,
  /** Longest time-zone name (the longest IANA name is 32 characters). */
  maxTimeZoneLength: 64,
});

/** Keys that could reach a prototype if some later code copied objects naively. */
const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const RESERVED_RULE = 'not a reserved key (__proto__, constructor, prototype)';

// ---------------------------------------------------------------------------------------------
// Errors

/**
 * A ValidationError whose `received` can always be described: ValidationError masks it with
 * `maskValue`, which calls Array.isArray, and that throws on a revoked Proxy. Such a value is
 * reported as undefined, so a hostile input still ends in a ValidationError.
 * @internal
 */
export function invalid(field: string, rule: string, received: unknown): ValidationError {
  if (typeof received === 'object' && received !== null) {
    try {
      Array.isArray(received);
    } catch {
      return new ValidationError(field, rule, undefined);
    }
  }
  return new ValidationError(field, rule, received);
}

// ---------------------------------------------------------------------------------------------
// Paths

/** A key safe to print verbatim: identifier-like, short, and with fewer digits than any E.164 number. */
const PRINTABLE_KEY = /^[A-Za-z_$-][A-Za-z0-9_$-]{0,63}$/;

function digitCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/**
 * `path.key`, or `path["ab••" (12 chars)]` when the key could carry private data: a full phone
 * number has at least 8 digits, so a key with fewer cannot be one.
 */
export function keyPath(path: string, key: string): string {
  if (PRINTABLE_KEY.test(key) && digitCount(key) < 8) return `${path}.${key}`;
  return `${path}[${maskValue(key)}]`;
}

// ---------------------------------------------------------------------------------------------
// Reading untrusted containers

/** Own data properties of a plain object, read once. */
export type Fields = ReadonlyMap<string, unknown>;

/**
 * What object literals and JSON.parse produce: an object whose prototype is null
 * (`Object.create(null)`) or is itself a root, i.e. `Object.prototype` of any realm. Class
 * instances, arrays, Maps, Dates and boxed primitives all have a deeper chain.
 */
function isPlainObjectLike(value: unknown, path: string): value is object {
  if (typeof value !== 'object' || value === null) return false;
  try {
    // Both can throw on a revoked Proxy.
    if (Array.isArray(value)) return false;
    const proto: unknown = Object.getPrototypeOf(value);
    return proto === null || Object.getPrototypeOf(proto) === null;
  } catch {
    throw invalid(path, 'a readable plain object', undefined);
  }
}

/**
 * Snapshot of a plain object's own properties. Refuses non-plain objects, symbol keys, reserved
 * keys and accessors. Unknown keys are left to `rejectUnknown`, which needs the known set (that
 * may depend on a field such as `kind`).
 * @internal shared with `define.ts`; not part of the package API.
 */
export function readObject(value: unknown, path: string): Fields {
  const fields = new Map<string, unknown>();
  forEachOwnField(value, path, (key, v) => fields.set(key, v));
  return fields;
}

/** readObject's reading and refusals, handing each own data property to `visit` in key order. */
function forEachOwnField(value: unknown, path: string, visit: (key: string, value: unknown) => void): void {
  if (!isPlainObjectLike(value, path)) throw invalid(path, 'a plain object', value);
  let keys: (string | symbol)[];
  try {
    keys = Reflect.ownKeys(value);
  } catch {
    throw invalid(path, 'a readable plain object', undefined);
  }
  for (const key of keys) {
    if (typeof key === 'symbol') throw invalid(`${path}[symbol]`, 'a string key', key);
    // The field's path is built only for an error: valid input allocates no path strings.
    if (RESERVED_KEYS.has(key)) throw invalid(keyPath(path, key), RESERVED_RULE, key);
    let desc: PropertyDescriptor | undefined;
    try {
      desc = Reflect.getOwnPropertyDescriptor(value, key);
    } catch {
      throw invalid(keyPath(path, key), 'a readable property', undefined);
    }
    if (desc === undefined) continue; // vanished between ownKeys and the read (Proxy): absent
    if (!('value' in desc)) throw invalid(keyPath(path, key), 'a data property (not a getter or setter)', undefined);
    visit(key, desc.value);
  }
}

function knownFieldRule(known: readonly string[]): string {
  return `a known field (one of: ${known.join(', ')})`;
}

/** @internal */
export function rejectUnknown(fields: Fields, path: string, known: readonly string[]): void {
  for (const [key, value] of fields) {
    if (!known.includes(key)) throw invalid(keyPath(path, key), knownFieldRule(known), value);
  }
}

/** Absent and explicitly `undefined` are the same thing for optional fields. */
function optional(fields: Fields, key: string): unknown {
  return fields.get(key);
}

/**
 * Snapshot of an array's elements (holes read as `undefined`), at most `max` of them.
 * @internal
 */
export function readArray(value: unknown, path: string, max: number, what = 'an array'): unknown[] {
  const items: unknown[] = [];
  try {
    if (!Array.isArray(value)) throw invalid(path, what, value);
    const lengthDesc = Reflect.getOwnPropertyDescriptor(value, 'length');
    const length: unknown = lengthDesc?.value;
    if (typeof length !== 'number' || !Number.isSafeInteger(length) || length > max) {
      throw invalid(path, `${what} of at most ${max} items`, value);
    }
    for (const key of Reflect.ownKeys(value)) {
      if (key === 'length') continue;
      const index = typeof key === 'string' && /^(0|[1-9]\d*)$/.test(key) ? Number(key) : -1;
      if (index < 0 || index >= length) {
        const at = typeof key === 'symbol' ? `${path}[symbol]` : keyPath(path, key);
        throw invalid(at, 'absent (arrays carry only their items)', undefined);
      }
    }
    for (let i = 0; i < length; i++) {
      const desc = Reflect.getOwnPropertyDescriptor(value, String(i));
      if (desc !== undefined && !('value' in desc)) {
        throw invalid(`${path}[${i}]`, 'a data property (not a getter or setter)', undefined);
      }
      items.push(desc?.value);
    }
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    throw invalid(path, `a readable ${what.replace(/^an? /, '')}`, undefined);
  }
  return items;
}

// ---------------------------------------------------------------------------------------------
// Scalars

function integerRule(min: number, max: number): string {
  return `an integer from ${min} to ${max}`;
}

/** A safe integer in [min, max]; refuses NaN, ±Infinity, fractions, strings, booleans, null. */
function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

function integerIn(value: unknown, path: string, min: number, max: number): number {
  if (!isIntegerIn(value, min, max)) {
    throw invalid(path, integerRule(min, max), value);
  }
  // -0 cannot pass (min >= 1 everywhere), so the value is returned as is.
  return value;
}

const INSTANT_RULE = `an integer instant in ms from ${MIN_INSTANT} (2020-01-01) to before ${MAX_INSTANT} (2100-01-01)`;

function isInstant(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= MIN_INSTANT && value < MAX_INSTANT;
}

function instant(value: unknown, path: string): number {
  if (!isInstant(value)) {
    throw invalid(path, INSTANT_RULE, value);
  }
  return value;
}

const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const NAME_RULE = 'a name of 1 to 64 characters from [A-Za-z0-9_-], not __proto__, constructor or prototype';

/** A rule or policy name: it becomes part of store keys and of object keys in overrides. */
export function validateName(value: unknown, path: string): string {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value) || RESERVED_KEYS.has(value)) {
    throw invalid(path, NAME_RULE, value);
  }
  return value;
}

function oneOf<T extends string>(value: unknown, path: string, options: readonly T[]): T {
  if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
    throw invalid(path, `one of: ${options.join(', ')}`, value);
  }
  return value as T;
}

/** C0 and C1 control characters and DEL. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** A UTF-16 surrogate without its partner: it would not survive UTF-8 (Redis), merging distinct ids. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** `{`/`}` would create Redis Cluster hash tags; `|` separates the parts of a store key. */
const ID_FORBIDDEN = /[{}]/;
const LABEL_FORBIDDEN = /[{}|]/;

const ID_RULE = `a non-empty string of at most ${POLICY_BOUNDS.maxIdLength} characters without {, }, control characters or unpaired surrogates`;
const LABEL_RULE = `a non-empty string of at most ${POLICY_BOUNDS.maxLabelLength} characters without {, }, |, control characters or unpaired surrogates`;

function cleanString(value: unknown, maxLength: number, forbidden: RegExp): value is string {
  return (
    typeof value === 'string' &&
    value.length >= 1 &&
    value.length <= maxLength &&
    !forbidden.test(value) &&
    !CONTROL.test(value) &&
    !LONE_SURROGATE.test(value)
  );
}

/** A message id (the idempotency key): non-empty, ≤ 256 chars, no `{`, `}` or control characters. */
export function validateMessageId(value: unknown, path = 'message.id'): string {
  if (!isMessageId(value)) throw invalid(path, ID_RULE, value);
  return value;
}

function isMessageId(value: unknown): value is string {
  return cleanString(value, POLICY_BOUNDS.maxIdLength, ID_FORBIDDEN);
}

/** `from`, `portfolio`, `campaign`, `apiKey`: parts of store keys, hence no `|`, `{` or `}`. */
function isLabel(value: unknown): value is string {
  return cleanString(value, POLICY_BOUNDS.maxLabelLength, LABEL_FORBIDDEN);
}

function label(value: unknown, path: string): string {
  if (!isLabel(value)) throw invalid(path, LABEL_RULE, value);
  return value;
}

const E164 = /^\+[1-9][0-9]{7,14}$/;
const E164_RULE = 'a canonical E.164 number: + then 8 to 15 digits, the first not 0';

/** A recipient number as `validateMessage` requires it (throws ValidationError naming `path`). */
export function validateE164(value: unknown, path: string): string {
  if (typeof value !== 'string' || !E164.test(value)) throw invalid(path, E164_RULE, value);
  return value;
}

// Time zones. Kept private so that validation does not depend on the calendar module, which
// has its own check; the two should agree (IANA names only).
const TIME_ZONE_SHAPE = /^[A-Za-z][A-Za-z0-9_/+-]*$/;
const TIME_ZONE_RULE = 'an IANA time zone name such as "Europe/Paris" (UTC offsets like "+05:30" are not accepted)';
/** Names Intl accepted; bounded so that hostile input cannot grow it without limit. */
const knownZones = new Set<string>();
const MAX_CACHED_ZONES = 1024;

/**
 * An IANA name that Intl knows, starting with a letter. Newer engines also accept bare UTC
 * offsets (`+05:30`, `-0500`); those are refused: an offset has no daylight-saving rules, so for
 * a recipient it is almost always a mistake. IANA's own fixed-offset names (`Etc/GMT+5`, whose
 * sign is inverted) are names and stay accepted, like the calendar module accepts them.
 */
function isZoneName(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  if (knownZones.has(value)) return true;
  if (value.length > POLICY_BOUNDS.maxTimeZoneLength || !TIME_ZONE_SHAPE.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
  } catch {
    return false;
  }
  if (knownZones.size < MAX_CACHED_ZONES) knownZones.add(value);
  return true;
}

/** An IANA time-zone name (see `isZoneName`). */
export function validateTimeZone(value: unknown, path: string): string {
  if (!isZoneName(value)) throw invalid(path, TIME_ZONE_RULE, value);
  return value;
}

const FROM_CLOCK = /^(?:[01][0-9]|2[0-3]):[0-5][0-9]$/;
const TO_CLOCK = /^(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00)$/;

function clock(value: unknown, path: string, isEnd: boolean): string {
  const ok = typeof value === 'string' && (isEnd ? TO_CLOCK : FROM_CLOCK).test(value);
  if (!ok) {
    throw invalid(path, isEnd ? 'a time HH:MM from 00:00 to 24:00' : 'a time HH:MM from 00:00 to 23:59', value);
  }
  return value;
}

/**
 * A non-empty list of distinct members of `options`, frozen, in the order given. Up to
 * `maxItems` are read so that ['mon', 'mon', …] is reported as a duplicate at its index rather
 * than as "too long" (a longer list than `options` always holds a duplicate or a stranger).
 */
function distinctList<T extends string>(value: unknown, path: string, options: readonly T[]): readonly T[] {
  const items = readArray(value, path, POLICY_BOUNDS.maxItems, 'a non-empty array');
  if (items.length === 0) throw invalid(path, 'a non-empty array', value);
  const out: T[] = [];
  items.forEach((item, i) => {
    const v = oneOf(item, `${path}[${i}]`, options);
    if (out.includes(v)) throw invalid(`${path}[${i}]`, 'unique', v);
    out.push(v);
  });
  return Object.freeze(out);
}

function categoryList(value: unknown, path: string): readonly Category[] {
  return distinctList(value, path, CATEGORIES);
}

// ---------------------------------------------------------------------------------------------
// Limit rules

const COMMON_RULE_FIELDS = ['name', 'kind', 'scope', 'categories'] as const;

/** The numeric fields of each kind, in output order. */
export const KIND_FIELDS: Readonly<Record<LimitKind, readonly string[]>> = Object.freeze({
  rate: Object.freeze(['count', 'periodMs', 'burst']),
  window: Object.freeze(['count', 'windowMs']),
  daily: Object.freeze(['count']),
  distinct: Object.freeze(['count', 'windowMs']),
  batch: Object.freeze(['size', 'gapMs']),
});

/** Bounds of each numeric field: counts up to `maxCount`, durations up to `maxDurationMs`. */
const NUMERIC_BOUNDS: Readonly<Record<string, readonly [number, number]>> = {
  count: [1, POLICY_BOUNDS.maxCount],
  burst: [1, POLICY_BOUNDS.maxCount],
  size: [1, POLICY_BOUNDS.maxCount],
  periodMs: [1, POLICY_BOUNDS.maxDurationMs],
  windowMs: [1, POLICY_BOUNDS.maxDurationMs],
  // A gap of 0 would make every send its own run: the rule would limit nothing.
  gapMs: [1, POLICY_BOUNDS.maxDurationMs],
};

const FIELDS_OF_KIND: Readonly<Record<LimitKind, readonly string[]>> = {
  rate: [...COMMON_RULE_FIELDS, ...KIND_FIELDS.rate],
  window: [...COMMON_RULE_FIELDS, ...KIND_FIELDS.window],
  daily: [...COMMON_RULE_FIELDS, ...KIND_FIELDS.daily],
  distinct: [...COMMON_RULE_FIELDS, ...KIND_FIELDS.distinct],
  batch: [...COMMON_RULE_FIELDS, ...KIND_FIELDS.batch],
};

function numericField(fields: Fields, key: string, path: string): number {
  const bounds = NUMERIC_BOUNDS[key];
  if (bounds === undefined) throw new Error(`internal: no bounds for ${key}`);
  return integerIn(fields.get(key), keyPath(path, key), bounds[0], bounds[1]);
}

/**
 * One limit rule. The known fields depend on `kind`, so `kind` is checked before unknown keys.
 * `burst` defaults to 1 (evenly paced) when absent.
 */
export function validateLimitRule(input: unknown, path: string): LimitRule {
  const fields = readObject(input, path);
  const kind = oneOf(fields.get('kind'), keyPath(path, 'kind'), LIMIT_KINDS);
  rejectUnknown(fields, path, FIELDS_OF_KIND[kind]);
  const name = validateName(fields.get('name'), keyPath(path, 'name'));
  const scope: Scope = oneOf(fields.get('scope'), keyPath(path, 'scope'), SCOPES);
  const rawCategories = optional(fields, 'categories');
  // Spread so that the output's keys come in one order: name, kind, scope, categories, numbers.
  const categories =
    rawCategories === undefined ? {} : { categories: categoryList(rawCategories, keyPath(path, 'categories')) };
  let rule: LimitRule;
  switch (kind) {
    case 'rate': {
      const count = numericField(fields, 'count', path);
      const periodMs = numericField(fields, 'periodMs', path);
      const burst = fields.get('burst') === undefined ? 1 : numericField(fields, 'burst', path);
      // The tolerance of a full burst, (burst − 1) · periodMs / count, is a span of time kept in
      // scaled integer state; bound it like any other duration so that state stays exact.
      if (BigInt(burst - 1) * BigInt(periodMs) > BigInt(count) * BigInt(POLICY_BOUNDS.maxDurationMs)) {
        throw invalid(
          keyPath(path, 'burst'),
          `at most 1 + count × ${POLICY_BOUNDS.maxDurationMs} / periodMs (a burst may span at most 366 days)`,
          burst,
        );
      }
      rule = { name, kind, scope, ...categories, count, periodMs, burst };
      break;
    }
    case 'window':
    case 'distinct': {
      const count = numericField(fields, 'count', path);
      const windowMs = numericField(fields, 'windowMs', path);
      rule = { name, kind, scope, ...categories, count, windowMs };
      break;
    }
    case 'daily':
      rule = { name, kind, scope, ...categories, count: numericField(fields, 'count', path) };
      break;
    case 'batch':
      rule = {
        name,
        kind,
        scope,
        ...categories,
        size: numericField(fields, 'size', path),
        gapMs: numericField(fields, 'gapMs', path),
      };
      break;
  }
  return Object.freeze(rule);
}

// ---------------------------------------------------------------------------------------------
// Send windows

const LOCAL_WINDOW_FIELDS = ['from', 'to', 'days'] as const;
const SEND_WINDOW_FIELDS = ['name', 'categories', 'allowed'] as const;

/** `[from, to)` local time; `to <= from` crosses midnight; `days` are the weekdays it starts on. */
export function validateLocalTimeWindow(input: unknown, path: string): LocalTimeWindow {
  const fields = readObject(input, path);
  rejectUnknown(fields, path, LOCAL_WINDOW_FIELDS);
  const from = clock(fields.get('from'), keyPath(path, 'from'), false);
  const to = clock(fields.get('to'), keyPath(path, 'to'), true);
  const rawDays = optional(fields, 'days');
  if (rawDays === undefined) return Object.freeze({ from, to });
  // An empty `days` would be a window that never opens: refused, since it is almost surely a mistake.
  const days: readonly Weekday[] = distinctList(rawDays, keyPath(path, 'days'), WEEKDAYS);
  return Object.freeze({ from, to, days });
}

export function validateSendWindowRule(input: unknown, path: string): SendWindowRule {
  const fields = readObject(input, path);
  rejectUnknown(fields, path, SEND_WINDOW_FIELDS);
  const name = validateName(fields.get('name'), keyPath(path, 'name'));
  const categories = categoryList(fields.get('categories'), keyPath(path, 'categories'));
  const allowedPath = keyPath(path, 'allowed');
  const rawAllowed = readArray(fields.get('allowed'), allowedPath, POLICY_BOUNDS.maxItems);
  // No allowed interval at all would hold these categories forever; refuse it up front.
  if (rawAllowed.length === 0) throw invalid(allowedPath, 'a non-empty array', fields.get('allowed'));
  const allowed = Object.freeze(rawAllowed.map((w, i) => validateLocalTimeWindow(w, `${allowedPath}[${i}]`)));
  return Object.freeze({ name, categories, allowed });
}

// ---------------------------------------------------------------------------------------------
// Policy

const POLICY_FIELDS = ['name', 'limits', 'sendWindows', 'defaultTimeZone'] as const;
/** Used when a policy does not say; messages may still carry their own `timeZone`. */
export const DEFAULT_TIME_ZONE = 'UTC';

/**
 * A policy: `name` and `limits` are required; `sendWindows` defaults to none and
 * `defaultTimeZone` to UTC. Rule names share one namespace across limits and send windows, so a
 * refusal's `limit` names exactly one rule.
 */
export function validatePolicy(input: unknown, path = 'policy'): Policy {
  const fields = readObject(input, path);
  rejectUnknown(fields, path, POLICY_FIELDS);
  const name = validateName(fields.get('name'), keyPath(path, 'name'));
  const names = new Set<string>();
  const claim = (ruleName: string, at: string): void => {
    if (names.has(ruleName)) throw invalid(at, 'unique', ruleName);
    names.add(ruleName);
  };

  const limitsPath = keyPath(path, 'limits');
  const limits = readArray(fields.get('limits'), limitsPath, POLICY_BOUNDS.maxItems).map((raw, i) => {
    const rule = validateLimitRule(raw, `${limitsPath}[${i}]`);
    claim(rule.name, `${limitsPath}[${i}].name`);
    return rule;
  });

  const windowsPath = keyPath(path, 'sendWindows');
  const rawWindows = optional(fields, 'sendWindows');
  const sendWindows =
    rawWindows === undefined
      ? []
      : readArray(rawWindows, windowsPath, POLICY_BOUNDS.maxItems).map((raw, i) => {
          const rule = validateSendWindowRule(raw, `${windowsPath}[${i}]`);
          claim(rule.name, `${windowsPath}[${i}].name`);
          return rule;
        });

  const rawZone = optional(fields, 'defaultTimeZone');
  const defaultTimeZone = rawZone === undefined ? DEFAULT_TIME_ZONE : validateTimeZone(rawZone, keyPath(path, 'defaultTimeZone'));

  return Object.freeze({
    name,
    limits: Object.freeze(limits),
    sendWindows: Object.freeze(sendWindows),
    defaultTimeZone,
  });
}

// ---------------------------------------------------------------------------------------------
// Message

const MESSAGE_FIELDS = [
  'id',
  'to',
  'from',
  'portfolio',
  'category',
  'cost',
  'notBefore',
  'deadline',
  'campaign',
  'apiKey',
  'timeZone',
] as const;

type MutableMessage = { -readonly [K in keyof Message]: Message[K] };

type MessageField = (typeof MESSAGE_FIELDS)[number];
/** Where each field's value sits in the array readMessageFields returns. */
const AT: Readonly<Record<MessageField, number>> = Object.fromEntries(MESSAGE_FIELDS.map((f, i) => [f, i])) as Record<MessageField, number>;
const MESSAGE_FIELD_AT: ReadonlyMap<string, number> = new Map(MESSAGE_FIELDS.map((f, i) => [f, i]));
const MESSAGE_FIELD_RULE = knownFieldRule(MESSAGE_FIELDS);

/**
 * A message's own properties by field position: readObject's refusals (symbol and reserved keys,
 * accessors, unreadable properties) and then rejectUnknown's (the first unknown key), in the same
 * order and with the same errors, into one small array instead of a Map per message: every
 * admission validates its message, and the client's garbage collections show in its latency.
 */
function readMessageFields(value: unknown, path: string): unknown[] {
  const values = new Array<unknown>(MESSAGE_FIELDS.length);
  let unknownKey: string | undefined;
  let unknownValue: unknown;
  forEachOwnField(value, path, (key, v) => {
    const at = MESSAGE_FIELD_AT.get(key);
    if (at !== undefined) {
      values[at] = v;
    } else if (unknownKey === undefined) {
      unknownKey = key;
      unknownValue = v;
    }
  });
  if (unknownKey !== undefined) throw invalid(keyPath(path, unknownKey), MESSAGE_FIELD_RULE, unknownValue);
  return values;
}

/**
 * A message as admission sees it. The result always carries `cost` (default 1); optional fields
 * that are absent or `undefined` are omitted.
 */
export function validateMessage(input: unknown, path = 'message'): Message {
  const fields = readMessageFields(input, path);
  // The checks of validateMessageId, label, oneOf, integerIn, instant and validateTimeZone through
  // their predicates, each field's path built only for an error (valid input allocates none).
  const id = fields[AT.id];
  if (!isMessageId(id)) throw invalid(keyPath(path, 'id'), ID_RULE, id);
  const to = fields[AT.to];
  if (typeof to !== 'string' || !E164.test(to)) throw invalid(keyPath(path, 'to'), E164_RULE, to);
  const from = fields[AT.from];
  if (!isLabel(from)) throw invalid(keyPath(path, 'from'), LABEL_RULE, from);
  const portfolio = fields[AT.portfolio];
  if (!isLabel(portfolio)) throw invalid(keyPath(path, 'portfolio'), LABEL_RULE, portfolio);
  const rawCategory = fields[AT.category];
  const category = typeof rawCategory === 'string' && (CATEGORIES as readonly string[]).includes(rawCategory) ? (rawCategory as Category) : oneOf(rawCategory, keyPath(path, 'category'), CATEGORIES);
  const rawCost = fields[AT.cost];
  const cost = rawCost === undefined ? 1 : isIntegerIn(rawCost, 1, POLICY_BOUNDS.maxCost) ? rawCost : integerIn(rawCost, keyPath(path, 'cost'), 1, POLICY_BOUNDS.maxCost);

  const out: MutableMessage = { id, to, from, portfolio, category, cost };
  const rawNotBefore = fields[AT.notBefore];
  if (rawNotBefore !== undefined) out.notBefore = isInstant(rawNotBefore) ? rawNotBefore : instant(rawNotBefore, keyPath(path, 'notBefore'));
  const rawDeadline = fields[AT.deadline];
  if (rawDeadline !== undefined) {
    const deadline = isInstant(rawDeadline) ? rawDeadline : instant(rawDeadline, keyPath(path, 'deadline'));
    if (out.notBefore !== undefined && deadline < out.notBefore) {
      throw invalid(keyPath(path, 'deadline'), 'an instant at or after notBefore', deadline);
    }
    out.deadline = deadline;
  }
  const rawCampaign = fields[AT.campaign];
  if (rawCampaign !== undefined) {
    if (!isLabel(rawCampaign)) throw invalid(keyPath(path, 'campaign'), LABEL_RULE, rawCampaign);
    out.campaign = rawCampaign;
  }
  const rawApiKey = fields[AT.apiKey];
  if (rawApiKey !== undefined) {
    if (!isLabel(rawApiKey)) throw invalid(keyPath(path, 'apiKey'), LABEL_RULE, rawApiKey);
    out.apiKey = rawApiKey;
  }
  const rawZone = fields[AT.timeZone];
  if (rawZone !== undefined) {
    if (!isZoneName(rawZone)) throw invalid(keyPath(path, 'timeZone'), TIME_ZONE_RULE, rawZone);
    out.timeZone = rawZone;
  }
  return Object.freeze(out);
}
