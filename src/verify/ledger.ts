/**
 * The ledger the invariant checker reads: one record per committed send.
 *
 * Only *types* come from the core; validation and every derived value are re-done here, so
 * a bug in the core cannot hide itself by also living in the checker.
 */
import { ValidationError } from '../errors.js';
import type { Category, CommittedSend, Millis } from '../core/types.js';
import { isValidTimeZone } from './localtime.js';

/**
 * One committed send: the record a store commits is exactly what the checker reads. The checker
 * re-validates every field of it (`toLedgerEntry`) rather than trusting the type.
 */
export type LedgerEntry = CommittedSend;

/** The checker's own copy of the category list (independence from core values). */
const CATEGORY_SET: ReadonlySet<string> = new Set(['authentication', 'utility', 'marketing', 'service']);

/** 9999-12-31T23:59:59.999Z: keeps local years at four digits, well inside `Date`'s range. */
export const MAX_SEND_AT = 253_402_300_799_999;

const REQUIRED_STRINGS = ['id', 'to', 'from', 'portfolio', 'timeZone'] as const;
const OPTIONAL_STRINGS = ['campaign', 'apiKey'] as const;

/**
 * Checks one ledger record's shape and returns it as a fresh, typed object (extra fields of
 * the source record are dropped). `where` prefixes field names in errors (`ledger[12]`,
 * `line 13`). `defaultCost` fills a missing `cost` (JSONL lines may omit it, as messages may);
 * without it `cost` is required.
 */
export function toLedgerEntry(value: unknown, where: string, defaultCost?: number): LedgerEntry {
  const v = assertLedgerRecord(value, where, defaultCost);
  const campaign = v['campaign'] as string | undefined;
  const apiKey = v['apiKey'] as string | undefined;
  return {
    id: v['id'] as string,
    sendAt: v['sendAt'] as number,
    to: v['to'] as string,
    from: v['from'] as string,
    portfolio: v['portfolio'] as string,
    category: v['category'] as Category,
    cost: (v['cost'] ?? defaultCost) as number,
    ...(campaign === undefined ? {} : { campaign }),
    ...(apiKey === undefined ? {} : { apiKey }),
    timeZone: v['timeZone'] as string,
  };
}

/**
 * Validates a ledger record in place, without copying (the checker runs this over a
 * million entries). Throws a `ValidationError` naming the first bad field.
 */
export function assertLedgerRecord(value: unknown, where: string, defaultCost?: number): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(where, 'a ledger record (a JSON object)', value);
  }
  const v = value as Record<string, unknown>;
  for (const field of REQUIRED_STRINGS) {
    const s = v[field];
    if (typeof s !== 'string' || s === '') {
      throw new ValidationError(`${where}.${field}`, 'a non-empty string', s);
    }
  }
  for (const field of OPTIONAL_STRINGS) {
    const s = v[field];
    if (s !== undefined && (typeof s !== 'string' || s === '')) {
      throw new ValidationError(`${where}.${field}`, 'absent or a non-empty string', s);
    }
  }
  const sendAt = v['sendAt'];
  if (typeof sendAt !== 'number' || !Number.isSafeInteger(sendAt) || sendAt < 0 || sendAt > MAX_SEND_AT) {
    throw new ValidationError(`${where}.sendAt`, `an integer ms timestamp in 0..${MAX_SEND_AT}`, sendAt);
  }
  const category = v['category'];
  if (typeof category !== 'string' || !CATEGORY_SET.has(category)) {
    throw new ValidationError(`${where}.category`, 'one of authentication, utility, marketing, service', category);
  }
  const cost = v['cost'] === undefined ? defaultCost : v['cost'];
  if (typeof cost !== 'number' || !Number.isSafeInteger(cost) || cost < 0) {
    throw new ValidationError(`${where}.cost`, 'a non-negative integer', cost);
  }
  if (!isValidTimeZone(v['timeZone'] as string)) {
    throw new ValidationError(`${where}.timeZone`, 'an IANA time zone known to Intl', v['timeZone']);
  }
  return v;
}

/**
 * Masks a phone number (or number id) for reports: the first 4 characters stay, every later
 * digit becomes `•`. `+4915112345678` → `+491••••••••••`.
 */
export function maskNumber(s: string): string {
  return s.slice(0, 4) + s.slice(4).replace(/\d/g, '•');
}

/** Masks a secret (API key): the first 4 characters stay, everything after becomes `•`. */
export function maskSecret(s: string): string {
  return s.slice(0, 4) + '•'.repeat(Math.max(0, s.length - 4));
}
