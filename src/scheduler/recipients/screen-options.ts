/**
 * Options of `screenRecipients`, their defaults and their validation. Every option is read
 * once and checked before the first row is screened; a bad one throws `ValidationError`
 * naming `options.<field>`, with the received value masked.
 */
import type { CountryCode } from 'libphonenumber-js/max';
import { ValidationError } from '../../errors.js';
import { isInstant, DAY, HOUR, MINUTE } from '../../core/time.js';
import { CATEGORIES, type Category, type Millis } from '../../core/types.js';
import { assertDefaultCountry, E164_PATTERN } from './canonical-number.js';

export interface ScreenOptions {
  /** The instant staleness and the service window are judged at (integer ms, 2020–2100). */
  readonly now: Millis;
  /** A last inbound message older than this makes the row `stale`. Default 180 days; `Infinity` turns the check off. */
  readonly staleAfterMs?: number;
  /**
   * Whether a row WITHOUT `lastInboundAt` is `stale`. Default false: the 180-day rule needs a
   * date the list may not carry, and opt-in already gates template messages; set true to
   * require proof of a recent interaction.
   */
  readonly staleWithoutLastInbound?: boolean;
  /** Canonical E.164 numbers never to message (opt-outs, 131050, 131026). Entries must be canonical. */
  readonly suppression?: ReadonlySet<string>;
  /** Category of rows without one. Default `marketing`. */
  readonly defaultCategory?: Category;
  /** Region used to read numbers written without `+`/`00`. Default none: such numbers are invalid. */
  readonly defaultCountry?: CountryCode;
  /**
   * Whether a template-category row (authentication, utility, marketing) without `optIn` is
   * `not-opted-in`. Default true (DOMAIN.md: only opted-in recipients). An explicit
   * `optIn=false` is always honoured, whatever this says. Category `service` never needs it.
   */
  readonly requireOptIn?: boolean;
  /** Length of the customer-service window after the last inbound message. Default 24 h. */
  readonly serviceWindowMs?: number;
}

export const DEFAULT_STALE_AFTER_MS = 180 * DAY;
export const DEFAULT_SERVICE_WINDOW_MS = 24 * HOUR;
/**
 * How far in the future a `lastInboundAt` may lie (clocks of different systems disagree a
 * little); beyond it the value is `invalid-field`, not trusted as "very recent".
 */
export const LAST_INBOUND_FUTURE_TOLERANCE_MS = 5 * MINUTE;

export interface ResolvedScreenOptions {
  readonly now: Millis;
  readonly staleAfterMs: number;
  readonly staleWithoutLastInbound: boolean;
  readonly suppression: ReadonlySet<string>;
  readonly defaultCategory: Category;
  readonly defaultCountry: CountryCode | undefined;
  readonly requireOptIn: boolean;
  readonly serviceWindowMs: number;
}

function positiveDuration(value: unknown, field: string, fallback: number, allowInfinity: boolean): number {
  if (value === undefined) return fallback;
  const ok = typeof value === 'number' && value > 0 && (Number.isSafeInteger(value) || (allowInfinity && value === Infinity));
  if (!ok) throw new ValidationError(field, allowInfinity ? 'a positive integer of milliseconds or Infinity' : 'a positive integer of milliseconds', value);
  return value;
}

function flag(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ValidationError(field, 'a boolean', value);
  return value;
}

const EMPTY_SET: ReadonlySet<string> = new Set();

function suppressionSet(value: unknown): ReadonlySet<string> {
  if (value === undefined) return EMPTY_SET;
  const set = value as { readonly has?: unknown; readonly [Symbol.iterator]?: unknown } | null;
  if (typeof set !== 'object' || set === null || typeof set.has !== 'function' || typeof set[Symbol.iterator] !== 'function') {
    throw new ValidationError('options.suppression', 'a Set of canonical E.164 numbers', value);
  }
  // A non-canonical entry would silently never match: refuse it instead of failing open.
  for (const entry of value as Iterable<unknown>) {
    if (typeof entry !== 'string' || !E164_PATTERN.test(entry)) {
      throw new ValidationError('options.suppression', 'a Set of canonical E.164 numbers (+ then 8 to 15 digits; use canonicalNumber)', entry);
    }
  }
  return value as ReadonlySet<string>;
}

export function resolveScreenOptions(options: ScreenOptions): ResolvedScreenOptions {
  if (typeof options !== 'object' || options === null) throw new ValidationError('options', 'an object', options);
  const now: unknown = options.now;
  if (!isInstant(now)) throw new ValidationError('options.now', 'an integer instant in milliseconds from 2020 to 2100', now);
  const defaultCategory: unknown = options.defaultCategory ?? 'marketing';
  if (typeof defaultCategory !== 'string' || !(CATEGORIES as readonly string[]).includes(defaultCategory)) {
    throw new ValidationError('options.defaultCategory', `one of ${CATEGORIES.join(', ')}`, defaultCategory);
  }
  const defaultCountry: unknown = options.defaultCountry;
  assertDefaultCountry(defaultCountry, 'options.defaultCountry');
  return {
    now,
    staleAfterMs: positiveDuration(options.staleAfterMs, 'options.staleAfterMs', DEFAULT_STALE_AFTER_MS, true),
    staleWithoutLastInbound: flag(options.staleWithoutLastInbound, 'options.staleWithoutLastInbound', false),
    suppression: suppressionSet(options.suppression),
    defaultCategory: defaultCategory as Category,
    defaultCountry,
    requireOptIn: flag(options.requireOptIn, 'options.requireOptIn', true),
    serviceWindowMs: positiveDuration(options.serviceWindowMs, 'options.serviceWindowMs', DEFAULT_SERVICE_WINDOW_MS, false),
  };
}
