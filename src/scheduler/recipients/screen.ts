/**
 * Screening: every input row gets exactly one outcome, accepted or skipped with a reason.
 * Nothing is dropped silently and nothing is guessed: an unreadable optional field skips the
 * row rather than falling back to a default.
 *
 * Checks, in order (the first that fails is the row's reason):
 *  1. `parse-error`     the reader could not parse the row.
 *  2. `missing-number` / `invalid-number`   `to` (see canonical-number.ts).
 *  3. `suppressed`      the canonical number is in `options.suppression` (reported before
 *                       anything else about the row: the strongest statement).
 *  4. `invalid-field`   `id` (must be a valid message id: no `{` `}` or control characters,
 *                       at most 256 characters).
 *  5. `invalid-category`, `invalid-time-zone`, `invalid-field` (`optIn`, `lastInboundAt`,
 *                       including one more than 5 min in the future).
 *  6. `not-opted-in`    template categories only: explicit `optIn=false`, or no `optIn` while
 *                       `requireOptIn` (default true). Category `service` replies to the
 *                       customer and does not consult `optIn`.
 *  7. `outside-service-window`  category `service` without an inbound message in the last
 *                       `serviceWindowMs` (default 24 h; a missing `lastInboundAt` fails).
 *  8. `stale`           `now - lastInboundAt > staleAfterMs` (default 180 days). A missing
 *                       `lastInboundAt` is not stale unless `staleWithoutLastInbound`.
 *  9. `duplicate`       the number was already ACCEPTED for an earlier row (`duplicateOf`);
 *                       the first accepted row is kept. Checked last, so a row that is bad on
 *                       its own shows its own defect.
 * 10. `duplicate-id`    the `id` was already accepted for an earlier row: two messages with one
 *                       id would be one message to admission (idempotency by id).
 *
 * Row fields: `to`, `id`, `tz`, `optIn`, `lastInboundAt`, `category` (names exact); every
 * other column is a template variable, passed through untouched. Blank values of the known
 * fields count as absent. `id` defaults to the row number as a string.
 *
 * Zones: `tz` when given (the list knows better than the number), else `zonesForNumber`
 * (all candidates; the planner keeps quiet hours in every one), else none (the policy's
 * `defaultTimeZone` applies).
 */
import { isValidTimeZone } from '../../core/calendar.js';
import { validateMessageId } from '../../core/policy/index.js';
import type { Category, Millis } from '../../core/types.js';
import { canonicalNumber, type CanonicalNumber } from './canonical-number.js';
import { NumberTable } from './number-table.js';
import { readCategory, readInstant, readOptIn } from './field-values.js';
import { LAST_INBOUND_FUTURE_TOLERANCE_MS, resolveScreenOptions, type ResolvedScreenOptions, type ScreenOptions } from './screen-options.js';
import type { AcceptedRecipient, RecipientOutcome, RecipientRow, SkippedRecipient, SkipReason } from './types.js';
import { zonesForNumber } from './zone-of-number.js';

/** Field names with a meaning; every other column is a template variable. */
export const KNOWN_FIELDS: readonly string[] = ['to', 'id', 'tz', 'optIn', 'lastInboundAt', 'category'];
const KNOWN = new Set(KNOWN_FIELDS);

const NO_ZONES: readonly string[] = Object.freeze([]);
const NO_VARIABLES: Readonly<Record<string, string>> = Object.freeze(Object.create(null) as Record<string, string>);
/** Zone spellings remembered (valid → `[zone]`, invalid → null); cleared when full. */
const MAX_CACHED_ZONES = 4_096;
const DAY_MS = 86_400_000;

/**
 * A row's number as `canonicalNumber` gives it, and, for a valid number with a country,
 * `zonesForNumber` of it (needed only when the row has no `tz`).
 */
export interface KnownNumber {
  readonly number: CanonicalNumber;
  readonly zones?: readonly string[] | undefined;
}

/** A row that passed checks 1–8, before the duplicate checks and the zone lookup. */
interface Checked {
  readonly status: 'checked';
  readonly row: number;
  readonly line: number;
  readonly id: string;
  readonly to: string;
  readonly country: AcceptedRecipient['country'];
  readonly columnZones: readonly string[] | undefined;
  readonly category: Category;
  readonly optIn: boolean | undefined;
  readonly lastInboundAt: Millis | undefined;
  readonly fields: Readonly<Record<string, string>>;
}

function skipped(row: number, line: number, id: string, reason: SkipReason, detail: string, field?: string, duplicateOf?: number): SkippedRecipient {
  return { status: 'skipped', row, line, id, reason, field, duplicateOf, detail };
}

function isValidId(id: string): boolean {
  try {
    validateMessageId(id, 'id');
    return true;
  } catch {
    return false;
  }
}

/**
 * Screens rows one at a time, remembering accepted numbers and ids (for duplicates): about
 * 100 bytes per accepted row. Create one per campaign list.
 */
export class RecipientScreener {
  readonly #options: ResolvedScreenOptions;
  /** Canonical number → row that was accepted with it. */
  readonly #acceptedNumbers = new NumberTable();
  /** Id → row that was accepted with it. */
  readonly #acceptedIds = new Map<string, number>();
  readonly #zoneOfColumn = new Map<string, readonly string[] | null>();

  /** Validates the options (throws `ValidationError`). */
  constructor(options: ScreenOptions) {
    this.#options = resolveScreenOptions(options);
  }

  /**
   * `known`: the row's canonical number (and its candidate zones) computed elsewhere, by the same
   * functions, e.g. on a worker thread (see parallel-screen.ts); the outcome is the same.
   */
  screen(input: RecipientRow, known?: KnownNumber): RecipientOutcome {
    const checked = this.#check(input, known);
    if (checked.status === 'skipped') return checked;
    // Duplicates before the zone lookup: a repeated number costs no second parse.
    const duplicate = this.#duplicateOf(checked);
    if (duplicate !== undefined) return duplicate;
    const accepted = this.#finish(checked, known?.zones);
    this.#acceptedNumbers.setIfAbsent(accepted.to, accepted.row);
    this.#acceptedIds.set(ownCopy(accepted.id), accepted.row);
    return accepted;
  }

  #duplicateOf(c: Checked): SkippedRecipient | undefined {
    const firstOfNumber = this.#acceptedNumbers.get(c.to);
    if (firstOfNumber !== undefined) return skipped(c.row, c.line, c.id, 'duplicate', `same number as row ${firstOfNumber}`, undefined, firstOfNumber);
    const firstOfId = this.#acceptedIds.get(c.id);
    if (firstOfId !== undefined) return skipped(c.row, c.line, c.id, 'duplicate-id', `same id as row ${firstOfId}`, 'id', firstOfId);
    return undefined;
  }

  #check(input: RecipientRow, known: KnownNumber | undefined): SkippedRecipient | Checked {
    const { row, line } = input;
    if (input.kind === 'parse-error') return skipped(row, line, String(row), 'parse-error', input.detail);
    const o = this.#options;
    const f = input.fields;

    const rawId = (f['id'] ?? '').trim();
    const idValid = rawId === '' || isValidId(rawId);
    const id = rawId !== '' && idValid ? rawId : String(row);

    const number = known?.number ?? canonicalNumber(f['to'] ?? '', o.defaultCountry);
    if (!number.ok) {
      const detail = number.reason === 'missing-number' ? 'no number in `to`' : '`to` is not a valid number in international form (+ or 00, then the country code)';
      return skipped(row, line, id, number.reason, detail);
    }
    const to = number.e164;
    if (o.suppression.has(to)) return skipped(row, line, id, 'suppressed', 'the number is on the suppression list');
    if (!idValid) return skipped(row, line, id, 'invalid-field', '`id` must be at most 256 characters without {, } or control characters', 'id');

    const category = readCategory(f['category']);
    if (category === null) return skipped(row, line, id, 'invalid-category', '`category` must be authentication, utility, marketing or service');
    const tz = (f['tz'] ?? '').trim();
    const columnZones = tz === '' ? undefined : this.#zonesOfColumn(tz);
    if (columnZones === null) return skipped(row, line, id, 'invalid-time-zone', '`tz` is not an IANA time zone name');
    const optIn = readOptIn(f['optIn']);
    if (optIn === null) return skipped(row, line, id, 'invalid-field', '`optIn` must be true, false, yes, no, 1 or 0', 'optIn');
    const lastInboundAt = readInstant(f['lastInboundAt']);
    if (lastInboundAt === null) {
      return skipped(row, line, id, 'invalid-field', '`lastInboundAt` must be ISO 8601 with an offset, a date, or epoch milliseconds', 'lastInboundAt');
    }
    if (lastInboundAt !== undefined && lastInboundAt > o.now + LAST_INBOUND_FUTURE_TOLERANCE_MS) {
      return skipped(row, line, id, 'invalid-field', '`lastInboundAt` lies in the future', 'lastInboundAt');
    }

    const cat: Category = category ?? o.defaultCategory;
    const gate = this.#gate(cat, optIn, lastInboundAt);
    if (gate !== undefined) return skipped(row, line, id, gate[0], gate[1]);
    return { status: 'checked', row, line, id, to, country: number.country, columnZones, category: cat, optIn, lastInboundAt, fields: f };
  }

  /** The accepted outcome of a row that passed checks 1–8. */
  #finish(c: Checked, knownZones: readonly string[] | undefined): AcceptedRecipient {
    const o = this.#options;
    // A non-geographic number (no country) has no zone: no need to parse it again.
    const timeZones = c.columnZones ?? (c.country === undefined ? NO_ZONES : (knownZones ?? zonesForNumber(c.to, c.country)));
    return {
      status: 'accepted',
      row: c.row,
      line: c.line,
      id: c.id,
      to: c.to,
      country: c.country,
      timeZones,
      timeZone: timeZones.length === 1 ? timeZones[0] : undefined,
      timeZoneSource: c.columnZones !== undefined ? 'column' : timeZones.length > 0 ? 'number' : 'none',
      category: c.category,
      optIn: c.optIn,
      lastInboundAt: c.lastInboundAt,
      // A tolerated future timestamp (clock skew) counts as now: the window never ends later than it can.
      serviceWindowEndsAt: c.category === 'service' && c.lastInboundAt !== undefined ? Math.min(c.lastInboundAt, o.now) + o.serviceWindowMs : undefined,
      variables: variablesOf(c.fields),
    };
  }

  /** Consent, service window and staleness (checks 6–8), or undefined when all pass. */
  #gate(category: Category, optIn: boolean | undefined, lastInboundAt: Millis | undefined): readonly [SkipReason, string] | undefined {
    const o = this.#options;
    if (category !== 'service') {
      if (optIn === false) return ['not-opted-in', 'the row records no consent (`optIn` is false)'];
      if (optIn === undefined && o.requireOptIn) return ['not-opted-in', 'no `optIn` recorded; template categories need consent'];
    } else if (lastInboundAt === undefined || o.now - lastInboundAt >= o.serviceWindowMs) {
      return ['outside-service-window', 'free-form (service) messages need an inbound message inside the service window; use a template category'];
    }
    const stale = lastInboundAt === undefined ? o.staleWithoutLastInbound : o.now - lastInboundAt > o.staleAfterMs;
    if (stale) {
      const age = Number.isFinite(o.staleAfterMs) ? `${Math.round(o.staleAfterMs / DAY_MS)} days` : 'the limit';
      return ['stale', lastInboundAt === undefined ? 'no `lastInboundAt` recorded' : `no inbound message for more than ${age}`];
    }
    return undefined;
  }

  #zonesOfColumn(tz: string): readonly string[] | null {
    const cached = this.#zoneOfColumn.get(tz);
    if (cached !== undefined) return cached;
    const zones = isValidTimeZone(tz) ? Object.freeze([tz]) : null;
    // Spellings are unbounded (Intl ignores case): forget them all rather than grow forever.
    if (this.#zoneOfColumn.size >= MAX_CACHED_ZONES) this.#zoneOfColumn.clear();
    this.#zoneOfColumn.set(tz, zones);
    return zones;
  }
}

/**
 * A copy of `s` that does not keep its source text alive. A value read from a file is a slice
 * of a whole read chunk, and V8 keeps the chunk as long as the slice lives; an id held for
 * the duplicate check would otherwise pin every chunk of the file. (V8 only makes slices of
 * 13 characters or more; `' ' + s` is flattened into a fresh string before being sliced.)
 */
function ownCopy(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

function variablesOf(fields: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  let out: Record<string, string> | undefined;
  for (const key of Object.keys(fields)) {
    if (KNOWN.has(key)) continue;
    out ??= Object.create(null) as Record<string, string>;
    out[key] = fields[key] as string;
  }
  return out ?? NO_VARIABLES;
}

/** Outcomes of `rows`, one per row, in order. Options are validated at once (not on first read). */
export function screenRecipients(rows: Iterable<RecipientRow>, options: ScreenOptions): Generator<RecipientOutcome, void, undefined> {
  const screener = new RecipientScreener(options);
  return (function* screenAll() {
    for (const row of rows) yield screener.screen(row);
  })();
}

/** As `screenRecipients`, for rows read asynchronously (e.g. `readRecipientFile`). */
export function screenRecipientsAsync(
  rows: AsyncIterable<RecipientRow> | Iterable<RecipientRow>,
  options: ScreenOptions,
): AsyncGenerator<RecipientOutcome, void, undefined> {
  const screener = new RecipientScreener(options);
  return (async function* screenAll() {
    for await (const row of rows) yield screener.screen(row);
  })();
}
