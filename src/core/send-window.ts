/**
 * Send windows: when, in the recipient's local wall-clock time, a message may be sent.
 *
 * A `LocalTimeWindow` `{ from, to, days }` opens one interval per local date D whose weekday is
 * in `days` (every date when `days` is absent). On date D the interval is the half-open range
 * of instants
 *
 *     [ at(D, from), at(D', to) )      D' = D when to > from, else D + 1 (crosses midnight;
 *                                      from === to is the full 24 h starting at `from`)
 *
 * where `at(D, hh:mm)` is the first instant whose local wall clock reads D hh:mm or later
 * (`ZoneCalendar.wallToInstant`). So, on DST days:
 * - a local time that does not exist (spring-forward gap) maps to the first instant after the
 *   gap: London 01:30 on 2025-03-30 is 02:00 BST = 01:00Z;
 * - a local time that occurs twice (fall back) maps to its first occurrence;
 * - `24:00` is the next date's 00:00, i.e. the next day's start (01:00 on Havana's spring day).
 *
 * What this guarantees: an instant is allowed iff its local wall-clock time lies inside one of
 * the intervals, except (1) gap mapping: an interval whose `from` lies in a gap opens at the
 * gap's end (an interval lying wholly inside a gap is empty that day), and (2) repeated hours:
 * when `to` lies inside a repeated stretch, the second pass of that stretch before `to` is not
 * allowed (conservative); when `from` lies inside one, the whole second pass of the stretch is
 * allowed, including wall times just before `from`. Real transitions happen at night, so (2)
 * only matters for windows with an edge between about 00:00 and 04:00.
 *
 * Speed: `nextAllowedInstant` runs per admission. The compiled object keeps the merged
 * intervals of recently asked dates in a small direct-mapped cache of typed arrays, so a query
 * is a `dayOf` plus a few array reads, with no `Intl` and no allocation.
 */

import { ValidationError } from '../errors.js';
import { zoneCalendar, weekdayOfDay, type ZoneCalendar } from './calendar.js';
import { DAY, MINUTE } from './time.js';
import { WEEKDAYS, type LocalTimeWindow, type Millis, type Weekday } from './types.js';

export interface CompiledWindows {
  /** The zone as given to `compileWindows`. */
  readonly timeZone: string;
}

/**
 * Legal contact-hour presets, in the recipient's local time.
 *
 * NEEDS LEGAL REVIEW. These encode our reading of public rules to save typing; they are not
 * legal advice and may be incomplete or out of date. Check them with counsel for your use.
 * - `quiet-hours`: 09:00–22:00 every day (the messaging playbook: avoid 22:00–09:00 local).
 * - `us-telemarketing`: 08:00–21:00 every day (US telemarketing calling hours).
 * - `colombia-messaging`: Mon–Fri 07:00–19:00, Sat 08:00–15:00, never on Sunday. Colombian
 *   public holidays are NOT modelled (sending on them is also restricted), nor is the
 *   one-contact-a-day rule (use a `daily` limit for that).
 */
export const WINDOW_PRESETS: Readonly<
  Record<'quiet-hours' | 'us-telemarketing' | 'colombia-messaging', readonly LocalTimeWindow[]>
> = Object.freeze({
  'quiet-hours': Object.freeze([Object.freeze({ from: '09:00', to: '22:00' })]),
  'us-telemarketing': Object.freeze([Object.freeze({ from: '08:00', to: '21:00' })]),
  'colombia-messaging': Object.freeze([
    Object.freeze({ from: '07:00', to: '19:00', days: Object.freeze(['mon', 'tue', 'wed', 'thu', 'fri'] as Weekday[]) }),
    Object.freeze({ from: '08:00', to: '15:00', days: Object.freeze(['sat'] as Weekday[]) }),
  ]),
});

/** Dates whose intervals are cached per compiled object (a direct-mapped cache by day number). */
const CACHE_SLOTS = 32;
/** Queries look at most this many dates ahead; any non-empty weekly pattern repeats within it. */
const MAX_SCAN_DAYS = 16;
const MINUTES_PER_DAY = 1_440;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;

class Compiled implements CompiledWindows {
  readonly timeZone: string;
  /** Every instant is allowed (the weekly wall-clock pattern has no hole). */
  readonly alwaysOpen: boolean;
  /** No instant is ever allowed (no window opens on any weekday). */
  readonly neverOpen: boolean;

  readonly #cal: ZoneCalendar;
  /** Per window: start minute, end minute (1..1440) and whether the end falls on the next date. */
  readonly #from: Int32Array;
  readonly #to: Int32Array;
  readonly #crosses: Uint8Array;
  /** Per window: bit w set when the interval opens on weekday w (0 = Monday). */
  readonly #dayMask: Uint8Array;

  /** Cache: slot = day mod CACHE_SLOTS; tag = the day held (NaN = empty). */
  readonly #tag = new Float64Array(CACHE_SLOTS).fill(Number.NaN);
  readonly #count = new Int32Array(CACHE_SLOTS);
  /** Per slot, `stride` numbers: merged intervals `[start, end, ...]` sorted by start. */
  readonly #intervals: Float64Array;
  readonly #stride: number;

  constructor(timeZone: string, cal: ZoneCalendar, parsed: readonly ParsedWindow[]) {
    this.timeZone = timeZone;
    this.#cal = cal;
    const n = parsed.length;
    this.#from = Int32Array.from(parsed, (p) => p.from);
    this.#to = Int32Array.from(parsed, (p) => p.to);
    this.#crosses = Uint8Array.from(parsed, (p) => (p.to <= p.from ? 1 : 0));
    this.#dayMask = Uint8Array.from(parsed, (p) => p.dayMask);
    this.#stride = 2 * Math.max(n, 1);
    this.#intervals = new Float64Array(CACHE_SLOTS * this.#stride);
    const coverage = weeklyCoverage(parsed);
    this.neverOpen = coverage === 0;
    this.alwaysOpen = coverage === MINUTES_PER_WEEK;
  }

  next(t: Millis): Millis {
    if (this.alwaysOpen) return t;
    if (this.neverOpen) return Number.POSITIVE_INFINITY;
    // Intervals opening before date d-1 end by dayStart(d) <= t, so d-1 is the first to look at.
    // Intervals are visited by (date, start), i.e. by start instant: the first one still open
    // after t gives the answer.
    const d = this.#cal.dayOf(t);
    for (let day = d - 1; day <= d + MAX_SCAN_DAYS; day++) {
      const slot = this.#slotFor(day);
      const base = slot * this.#stride;
      const count = this.#count[slot] as number;
      for (let k = 0; k < count; k++) {
        const end = this.#intervals[base + 2 * k + 1] as number;
        if (end > t) {
          const start = this.#intervals[base + 2 * k] as number;
          return start > t ? start : t;
        }
      }
    }
    // Unreachable: a pattern that opens on some weekday opens within any MAX_SCAN_DAYS dates.
    return Number.POSITIVE_INFINITY;
  }

  until(t: Millis): Millis {
    if (this.alwaysOpen) return Number.POSITIVE_INFINITY;
    if (this.neverOpen) return t;
    const d = this.#cal.dayOf(t);
    let end = Number.NaN; // NaN until the interval holding t is found
    for (let day = d - 1; day <= d + MAX_SCAN_DAYS; day++) {
      const slot = this.#slotFor(day);
      const base = slot * this.#stride;
      const count = this.#count[slot] as number;
      for (let k = 0; k < count; k++) {
        const s = this.#intervals[base + 2 * k] as number;
        const e = this.#intervals[base + 2 * k + 1] as number;
        if (Number.isNaN(end)) {
          if (e <= t) continue;
          if (s > t) return t; // the first interval open after t starts later: t is not allowed
          end = e;
        } else {
          // Later intervals start later; the first one not touching `end` closes the run.
          if (s > end) return end;
          if (e > end) end = e;
        }
      }
    }
    // Only reachable if allowed runs exceeded MAX_SCAN_DAYS, which a non-total weekly pattern
    // cannot do; `end` is then a safe (early) answer.
    return Number.isNaN(end) ? t : end;
  }

  /** Cache slot holding `day`'s merged intervals, computing them on a miss. */
  #slotFor(day: number): number {
    const slot = ((day % CACHE_SLOTS) + CACHE_SLOTS) % CACHE_SLOTS;
    if (this.#tag[slot] !== day) this.#computeDay(day, slot);
    return slot;
  }

  /** The intervals opening on `day`, empty ones dropped, sorted by start and merged. */
  #computeDay(day: number, slot: number): void {
    const buf = this.#intervals;
    const base = slot * this.#stride;
    const bit = 1 << weekdayOfDay(day);
    let count = 0;
    for (let j = 0; j < this.#from.length; j++) {
      if (((this.#dayMask[j] as number) & bit) === 0) continue;
      const s = this.#cal.wallToInstant(day * DAY + (this.#from[j] as number) * MINUTE);
      const endDay = day + (this.#crosses[j] as number);
      const e = this.#cal.wallToInstant(endDay * DAY + (this.#to[j] as number) * MINUTE);
      if (e <= s) continue; // wholly inside a spring-forward gap
      // Insertion sort by start: there are only a handful of windows.
      let k = count;
      while (k > 0 && (buf[base + 2 * (k - 1)] as number) > s) {
        buf[base + 2 * k] = buf[base + 2 * (k - 1)] as number;
        buf[base + 2 * k + 1] = buf[base + 2 * (k - 1) + 1] as number;
        k--;
      }
      buf[base + 2 * k] = s;
      buf[base + 2 * k + 1] = e;
      count++;
    }
    // Merge overlapping or touching intervals in place.
    let merged = 0;
    for (let k = 0; k < count; k++) {
      const s = buf[base + 2 * k] as number;
      const e = buf[base + 2 * k + 1] as number;
      if (merged > 0 && s <= (buf[base + 2 * (merged - 1) + 1] as number)) {
        if (e > (buf[base + 2 * (merged - 1) + 1] as number)) buf[base + 2 * (merged - 1) + 1] = e;
      } else {
        buf[base + 2 * merged] = s;
        buf[base + 2 * merged + 1] = e;
        merged++;
      }
    }
    this.#count[slot] = merged;
    this.#tag[slot] = day;
  }
}

interface ParsedWindow {
  /** Minutes after local midnight, 0..1439. */
  readonly from: number;
  /** Minutes after local midnight, 0..1440 (1440 = '24:00'). */
  readonly to: number;
  readonly dayMask: number;
}

/**
 * How many minutes of the local week (Monday 00:00 … Sunday 24:00, wall clock) the windows
 * cover: 0 = never open, the whole week = always open.
 */
function weeklyCoverage(parsed: readonly ParsedWindow[]): number {
  const week = new Uint8Array(MINUTES_PER_WEEK);
  for (const p of parsed) {
    const length = p.to > p.from ? p.to - p.from : p.to + MINUTES_PER_DAY - p.from;
    for (let w = 0; w < 7; w++) {
      if ((p.dayMask & (1 << w)) === 0) continue;
      const first = w * MINUTES_PER_DAY + p.from;
      for (let m = 0; m < length; m++) week[(first + m) % MINUTES_PER_WEEK] = 1;
    }
  }
  let covered = 0;
  for (const v of week) covered += v;
  return covered;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const FROM_RULE = 'a time HH:MM between 00:00 and 23:59';
const TO_RULE = 'a time HH:MM between 00:00 and 24:00';

function parseTime(value: unknown, field: string, allow24: boolean): number {
  if (typeof value === 'string') {
    if (allow24 && value === '24:00') return MINUTES_PER_DAY;
    const m = HHMM.exec(value);
    if (m !== null) return Number(m[1]) * 60 + Number(m[2]);
  }
  throw new ValidationError(field, allow24 ? TO_RULE : FROM_RULE, value);
}

function parseDays(value: unknown, field: string): number {
  if (value === undefined) return 0x7f;
  if (!Array.isArray(value)) throw new ValidationError(field, 'an array of weekdays (mon … sun)', value);
  const days: readonly unknown[] = value;
  let mask = 0;
  days.forEach((v, i) => {
    const w = WEEKDAYS.indexOf(v as Weekday);
    if (typeof v !== 'string' || w < 0) {
      throw new ValidationError(`${field}[${i}]`, `one of ${WEEKDAYS.join(', ')}`, v);
    }
    mask |= 1 << w;
  });
  return mask;
}

function parseWindow(value: unknown, field: string): ParsedWindow {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(field, 'an object { from, to, days? }', value);
  }
  const w = value as Record<string, unknown>;
  return {
    from: parseTime(w['from'], `${field}.from`, false),
    to: parseTime(w['to'], `${field}.to`, true),
    dayMask: parseDays(w['days'], `${field}.days`),
  };
}

/**
 * Validates and precompiles a zone's window list. Throws `ValidationError` with the field
 * path (`timeZone`, `allowed[1].from`, `allowed[0].days[2]`, …).
 */
export function compileWindows(timeZone: string, allowed: readonly LocalTimeWindow[]): CompiledWindows {
  const cal = zoneCalendar(timeZone);
  if (!Array.isArray(allowed)) throw new ValidationError('allowed', 'an array of local time windows', allowed);
  const list: readonly unknown[] = allowed;
  const parsed = list.map((w, i) => parseWindow(w, `allowed[${i}]`));
  return new Compiled(timeZone, cal, parsed);
}

function compiled(w: CompiledWindows): Compiled {
  if (w instanceof Compiled) return w;
  throw new TypeError('Expected windows compiled by compileWindows()');
}

/** Earliest instant >= t at which sending is allowed; Infinity if no window is ever open (empty list or all days empty). */
export function nextAllowedInstant(w: CompiledWindows, t: Millis): Millis {
  return compiled(w).next(t);
}

/** If t is inside an allowed interval, the end (exclusive) of that maximal allowed interval (merging adjacent/overlapping intervals); else t itself. Infinity when always open. */
export function allowedUntil(w: CompiledWindows, t: Millis): Millis {
  return compiled(w).until(t);
}

export function isAllowedAt(w: CompiledWindows, t: Millis): boolean {
  return compiled(w).next(t) === t;
}
