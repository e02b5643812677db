/**
 * The schedule format: the plan of a campaign as JSON Lines, one line per input row, as a
 * planner writes it and `sluice verify` reads it.
 *
 * A planned send:
 *
 *     {"id": "order-1042", "to": "+447700900123", "from": "phone-1", "portfolio": "acme",
 *      "category": "utility", "campaign": "winter-sale", "apiKey": "key-1",
 *      "timeZone": "Europe/London", "cost": 1, "sendAt": "2026-11-23T09:00:00.000Z", "batch": 1}
 *
 * | field       | required | value                                                            |
 * |-------------|----------|------------------------------------------------------------------|
 * | `id`        | yes      | the message id (non-empty string)                                |
 * | `to`        | yes      | recipient, canonical E.164: `+` then 8 to 15 digits, not `+0…`   |
 * | `from`      | yes      | sending business number id (non-empty string)                   |
 * | `portfolio` | yes      | business portfolio (non-empty string)                            |
 * | `category`  | yes      | `authentication`, `utility`, `marketing` or `service`           |
 * | `campaign`  | no       | non-empty string; `campaign`-scoped rules skip sends without it  |
 * | `apiKey`    | no       | non-empty string; `apiKey`-scoped rules skip sends without it    |
 * | `timeZone`  | yes      | the recipient's IANA zone (`Europe/London`), known to `Intl`     |
 * | `cost`      | no       | positive integer, default 1                                      |
 * | `sendAt`    | yes      | the planned instant: ISO 8601 with `Z` or `±HH:MM`, or epoch ms  |
 * | `batch`     | no       | non-negative integer: the planner's batch number (informational) |
 *
 * A skipped row (planned for no send):
 *
 *     {"id": "order-1043", "row": 17, "skipped": "not-opted-in", "detail": "no opt-in on file"}
 *
 * | field     | required | value                                                              |
 * |-----------|----------|--------------------------------------------------------------------|
 * | `id`      | yes      | the message id (non-empty string)                                  |
 * | `row`     | no       | non-negative integer: the input row, as the planner numbers them   |
 * | `skipped` | yes      | the reason, one of `SKIP_REASONS` (others parse, but verify flags them) |
 * | `detail`  | no       | free text for people (never printed by verify)                     |
 *
 * Rules that hold for every line:
 * - One JSON object per line; blank lines are ignored, `\r\n` is accepted, a leading byte-order
 *   mark is ignored. A line with `skipped` is a skipped row; any other line is a send.
 * - Unknown fields are errors, not ignored: a misspelt `campain` would otherwise drop the send
 *   out of every campaign rule and hide the violations verify exists to find.
 * - `sendAt` as a string must carry its zone (`Z` or `±HH:MM`): `2026-11-23T09:00:00` is refused
 *   because readers disagree on whether it is UTC or local time. Seconds and up to 3 fraction
 *   digits are optional; the date must exist (no `02-30`). As a number it is integer epoch
 *   milliseconds. Either way the instant lies in 2000-01-01 .. 9999-12-31: an earlier one is
 *   almost surely epoch *seconds*.
 * - Every error is a `ValidationError` whose field names the 1-based line (`line 7.sendAt`), so
 *   a broken schedule is never half-checked.
 *
 * Only types and the checker's own ledger validation are used here (not the core's validators),
 * in keeping with the checker's independence from the code that produced the schedule.
 */
import { ValidationError } from '../errors.js';
import { MAX_SEND_AT, toLedgerEntry, type LedgerEntry } from '../verify/ledger.js';
import { jsonLines } from '../verify/jsonl.js';

/**
 * Why a planner may skip a row. Limit-related refusals (`deadline`, `never`, `capacity`,
 * `wait-exceeds-max`) carry the admission's refusal reason; the others are about the input row.
 */
export const SKIP_REASONS = Object.freeze([
  'not-opted-in',
  'suppressed',
  'stale',
  'outside-service-window',
  'invalid-number',
  'missing-number',
  'duplicate',
  'duplicate-id',
  'ambiguous-time-zone',
  'parse-error',
  'invalid-time-zone',
  'invalid-category',
  'invalid-field',
  'deadline',
  'never',
  'capacity',
  'wait-exceeds-max',
] as const);

export type SkipReason = (typeof SKIP_REASONS)[number];

export function isSkipReason(value: string): value is SkipReason {
  return (SKIP_REASONS as readonly string[]).includes(value);
}

export interface SkippedRow {
  readonly id: string;
  /** As written; not checked against `SKIP_REASONS` here, so verify can report it as a violation. */
  readonly reason: string;
  /** 1-based line of the schedule. */
  readonly line: number;
  readonly row?: number;
  readonly detail?: string;
}

export interface Schedule {
  /** Planned sends, as the checker reads them (`sendAt` in epoch ms, `cost` defaulted to 1). */
  readonly sends: LedgerEntry[];
  /** 1-based schedule line of each send: `sendLines[i]` is the line of `sends[i]`. */
  readonly sendLines: number[];
  readonly skipped: SkippedRow[];
}

const SEND_FIELDS: readonly string[] = [
  'id',
  'to',
  'from',
  'portfolio',
  'category',
  'campaign',
  'apiKey',
  'timeZone',
  'cost',
  'sendAt',
  'batch',
];
const SKIPPED_FIELDS: readonly string[] = ['id', 'row', 'skipped', 'detail'];

/** The checker's key derivation relies on `+` and digits only; the format promises E.164. */
const E164 = /^\+[1-9][0-9]{7,14}$/;

/** 2000-01-01T00:00:00Z: any real plan is later; epoch seconds of any date before 2286 are earlier. */
export const MIN_SEND_AT = 946_684_800_000;

/** Parses a schedule (see the format above). Throws `ValidationError` at the first bad line. */
export function parseSchedule(text: string): Schedule {
  const sends: LedgerEntry[] = [];
  const sendLines: number[] = [];
  const skipped: SkippedRow[] = [];
  for (const { value, where, line } of jsonLines(text)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ValidationError(where, 'a schedule row (a JSON object)', value);
    }
    const record = value as Record<string, unknown>;
    if (Object.hasOwn(record, 'skipped')) {
      skipped.push(toSkippedRow(record, where, line));
    } else {
      sends.push(toSend(record, where));
      sendLines.push(line);
    }
  }
  return { sends, sendLines, skipped };
}

function rejectUnknown(record: Record<string, unknown>, where: string, known: readonly string[], what: string): void {
  for (const key of Object.keys(record)) {
    if (!known.includes(key)) {
      throw new ValidationError(`${where}.${printable(key)}`, `a known field of ${what} (one of: ${known.join(', ')})`, record[key]);
    }
  }
}

function toSend(record: Record<string, unknown>, where: string): LedgerEntry {
  rejectUnknown(record, where, SEND_FIELDS, 'a send');
  const to = record['to'];
  if (typeof to !== 'string' || !E164.test(to)) {
    throw new ValidationError(`${where}.to`, 'a canonical E.164 number: + then 8 to 15 digits, the first not 0', to);
  }
  const cost = record['cost'];
  if (cost !== undefined && (typeof cost !== 'number' || !Number.isSafeInteger(cost) || cost < 1)) {
    throw new ValidationError(`${where}.cost`, 'absent or a positive integer', cost);
  }
  const batch = record['batch'];
  if (batch !== undefined && !isCount(batch)) {
    throw new ValidationError(`${where}.batch`, 'absent or a non-negative integer', batch);
  }
  const sendAt = toInstant(record['sendAt'], `${where}.sendAt`);
  // The ledger's own validation does the rest (non-empty strings, category, time zone), so the
  // schedule accepts exactly what the checker would; `batch` is not part of a ledger entry.
  return toLedgerEntry({ ...record, sendAt }, where, 1);
}

function toSkippedRow(record: Record<string, unknown>, where: string, line: number): SkippedRow {
  rejectUnknown(record, where, SKIPPED_FIELDS, 'a skipped row');
  const id = record['id'];
  if (typeof id !== 'string' || id === '') throw new ValidationError(`${where}.id`, 'a non-empty string', id);
  const reason = record['skipped'];
  if (typeof reason !== 'string' || reason === '') {
    throw new ValidationError(`${where}.skipped`, `a skip reason (one of: ${SKIP_REASONS.join(', ')})`, reason);
  }
  const row = record['row'];
  if (row !== undefined && !isCount(row)) throw new ValidationError(`${where}.row`, 'absent or a non-negative integer', row);
  const detail = record['detail'];
  if (detail !== undefined && typeof detail !== 'string') {
    throw new ValidationError(`${where}.detail`, 'absent or a string', detail);
  }
  return {
    id,
    reason,
    line,
    ...(row === undefined ? {} : { row }),
    ...(detail === undefined ? {} : { detail }),
  };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

const INSTANT_RULE =
  'an instant: integer epoch ms, or ISO 8601 with Z or ±HH:MM such as "2026-11-23T09:00:00.000Z", ' +
  'from 2000-01-01 to 9999-12-31';
const ZONELESS_RULE =
  'an ISO 8601 instant ending in Z or ±HH:MM (without one, the time could be UTC or local: refused)';

/** `YYYY-MM-DDTHH:MM[:SS[.fff]]` then `Z` or `±HH:MM`. */
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;
/** The same without a zone: recognised only to explain why it is refused. */
const ZONELESS = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$/;

/**
 * Epoch ms from either form. `Date.parse` is not used: it reads a zoneless date-time as local
 * time and rolls `02-30` over into March, both of which would shift a send silently.
 */
function toInstant(value: unknown, field: string): number {
  let t: number;
  if (typeof value === 'number') {
    t = value;
  } else if (typeof value === 'string') {
    const m = ISO_INSTANT.exec(value);
    if (m === null) throw new ValidationError(field, ZONELESS.test(value) ? ZONELESS_RULE : INSTANT_RULE, value);
    t = isoToMillis(m);
    if (Number.isNaN(t)) throw new ValidationError(field, `${INSTANT_RULE} (a real date and time)`, value);
  } else {
    throw new ValidationError(field, INSTANT_RULE, value);
  }
  if (!Number.isSafeInteger(t) || t < MIN_SEND_AT || t > MAX_SEND_AT) throw new ValidationError(field, INSTANT_RULE, value);
  return t;
}

/** NaN when a part is out of range (month 13, Feb 30, 24:00, second 60, offset hour 24). */
function isoToMillis(m: RegExpExecArray): number {
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return NaN;
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC rolls an impossible day into the next month; reading the date back catches it.
  if (new Date(wall).getUTCDate() !== day) return NaN;
  if (m[8] === 'Z') return wall;
  const offsetHours = Number(m[10]);
  const offsetMinutes = Number(m[11]);
  if (offsetHours > 23 || offsetMinutes > 59) return NaN;
  const offset = (offsetHours * 60 + offsetMinutes) * 60_000;
  // Local time = UTC + offset, so UTC = local − offset.
  return m[9] === '-' ? wall + offset : wall - offset;
}

/** A field name safe to put in an error path: identifier-like and never phone-number-like. */
function printable(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$-]{0,63}$/.test(key) && (key.match(/\d/g) ?? []).length < 8 ? key : '(a field)';
}
