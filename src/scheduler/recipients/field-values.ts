/**
 * Readers for the optional recipient fields. Each returns `undefined` for an absent or blank
 * value and `null` for a value that is present but unreadable, so the caller can tell
 * "not given" (a default applies) from "given wrong" (the row is skipped, never guessed at).
 */
import { CATEGORIES, type Category, type Millis } from '../../core/types.js';

const TRUE_WORDS = new Set(['true', 'yes', '1']);
const FALSE_WORDS = new Set(['false', 'no', '0']);

/** `true/false/yes/no/1/0`, any case, surrounding spaces ignored. */
export function readOptIn(value: string | undefined): boolean | undefined | null {
  if (value === undefined) return undefined;
  const word = value.trim().toLowerCase();
  if (word === '') return undefined;
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return null;
}

/** One of the four categories, any case, surrounding spaces ignored. */
export function readCategory(value: string | undefined): Category | undefined | null {
  if (value === undefined) return undefined;
  const word = value.trim().toLowerCase();
  if (word === '') return undefined;
  for (const category of CATEGORIES) {
    if (category === word) return category;
  }
  return null;
}

/**
 * Instants before this (1973-03-03) are rejected, however written: no WhatsApp message is that
 * old, and an epoch value this small is almost surely in *seconds*; reading seconds as
 * milliseconds would date every recipient to January 1970.
 */
const MIN_EPOCH_MS = 100_000_000_000;
/** Dates past this are rejected as typos (Date's own range ends in 275760). */
const MAX_EPOCH_MS = 8_640_000_000_000; // 2243-10-16
const EPOCH_DIGITS = /^\d{12,13}$/;
const ISO_DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
/**
 * A date without a time is read as the earliest instant that date exists anywhere
 * (00:00 at UTC+14), so a date never makes a recipient look more recent than they can be:
 * staleness and the service window are judged conservatively.
 */
const EARLIEST_OFFSET_MS = 14 * HOUR_MS;

/** Millis of a valid proleptic-Gregorian Y-M-D h:m:s.ms read as UTC, or null if out of range. */
function utcMillis(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number | null {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return null;
  const t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  // Date.UTC rolls 2025-02-30 over to March; a real date survives the round trip.
  if (new Date(t).getUTCDate() !== d) return null;
  return t;
}

/**
 * An instant written as epoch milliseconds (12–13 digits) or ISO 8601 / RFC 3339: a date
 * (`2025-03-01`, see EARLIEST_OFFSET_MS) or a date-time WITH an offset (`Z`, `+05:30`,
 * `+0530`, `+05`). A date-time without an offset is rejected: it would depend on the zone of
 * the machine reading it. Leap seconds (`:60`) and `24:00` are rejected.
 */
export function readInstant(value: string | undefined): Millis | undefined | null {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  let t: number | null;
  if (EPOCH_DIGITS.test(text)) {
    t = Number(text);
  } else {
    const date = ISO_DATE_ONLY.exec(text);
    if (date !== null) {
      const day = utcMillis(Number(date[1]), Number(date[2]), Number(date[3]), 0, 0, 0, 0);
      t = day === null ? null : day - EARLIEST_OFFSET_MS;
    } else {
      t = readDateTime(text);
    }
  }
  if (t === null || !Number.isSafeInteger(t) || t < MIN_EPOCH_MS || t > MAX_EPOCH_MS) return null;
  return t;
}

function readDateTime(text: string): number | null {
  const m = ISO_DATE_TIME.exec(text);
  if (m === null) return null;
  // Milliseconds are the first three fraction digits (truncated), read without floating point.
  const fraction = m[7] === undefined ? 0 : Number(`${m[7]}00`.slice(0, 3));
  const local = utcMillis(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? '0'), fraction);
  if (local === null) return null;
  if (m[8] !== undefined) return local;
  const offsetHours = Number(m[10]);
  const offsetMinutes = Number(m[11] ?? '0');
  if (offsetHours > 14 || offsetMinutes > 59) return null;
  const offset = offsetHours * HOUR_MS + offsetMinutes * MINUTE_MS;
  return m[9] === '-' ? local + offset : local - offset;
}
