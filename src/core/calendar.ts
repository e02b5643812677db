/**
 * Local calendar days of IANA time zones, fast enough for the admission hot path.
 *
 * Model. The local wall clock of instant `t` in a zone is `wall(t) = t + offset(t)`, read as
 * if it were UTC; the local date of `t` is `floor(wall(t) / DAY)` (a "day number": days since
 * 1970-01-01 of the local date). `offset` is piecewise constant, changing only at transition
 * instants, so between two transitions the wall clock runs at the speed of real time. That
 * is the whole model: days of 23, 23.5, 24.5 or 25 hours, odd offsets (+05:45, +12:45, −12),
 * a DST change exactly at midnight (America/Havana: no local 00:00, the day starts at 01:00)
 * and a skipped date (Pacific/Apia 2011-12-30) all fall out of it without special cases.
 *
 * Speed. `Intl` is only used to fill tables. The supported instants are cut into fixed chunks
 * of `CHUNK_MS`; per zone, each chunk stores the offset at its first instant and the (rare)
 * transitions inside it. A chunk is filled on first use by sampling `Intl` once a day and
 * bisecting every change down to the second. A query is then one division, one typed-array
 * read and, in the few chunks holding a transition, a scan of one or two entries: no `Intl`,
 * no allocation.
 *
 * Assumptions (checked against tzdata 2025c, the data behind Node 20's ICU):
 * - Transitions happen on whole UTC seconds and offsets are whole seconds (a few zones had
 *   second-precision offsets after 1970, e.g. Africa/Monrovia −00:44:30 until 1972; `Intl`
 *   reports seconds, so those are exact too).
 * - Two offset changes of one zone are never less than a day apart (the closest pair since 1900
 *   is about 96 h apart). Sampling once a day can therefore not miss a change that is undone
 *   before the next sample; a change that is *not* undone is always found by bisection.
 * - |offset| < 24 h (real offsets stay within −12 h … +14 h since 1970).
 *
 * A curiosity the model keeps: where clocks fell back across midnight (America/St_Johns used
 * 00:01 transitions until 2011) the local date goes back by one day for a minute. `dayOf`
 * reports the date the wall clock shows; `nextDayStart(t)` is the first instant *after t* whose
 * date is later than `dayOf(t)`; `dayStart(d)` the first instant whose date is >= d. The
 * invariants `dayStart(dayOf(t)) <= t < nextDayStart(t)` hold everywhere.
 */

import { ValidationError } from '../errors.js';
import { DAY } from './time.js';
import type { Millis } from './types.js';

export interface ZoneCalendar {
  /** The zone name exactly as the caller gave it (after validation). */
  readonly timeZone: string;
  /** Local calendar date of instant t as a day number: days since 1970-01-01 of the LOCAL date (Y-M-D in that zone). */
  dayOf(t: Millis): number;
  /** First instant (ms) whose local date is the day AFTER the local date of t (the next local day's start). */
  nextDayStart(t: Millis): Millis;
  /** First instant whose local date is >= day `day` (day number as in dayOf). For a skipped date (Pacific/Apia 2011-12-30) that is the start of the next existing date. */
  dayStart(day: number): Millis;
  /** Offset local-minus-UTC in ms at instant t. */
  offsetAt(t: Millis): number;
  /**
   * First instant whose local wall clock reads `wall` or later, where `wall` is local
   * milliseconds since 1970-01-01T00:00 local. A wall time inside a spring-forward gap maps to
   * the end of the gap; a wall time that occurs twice maps to its first occurrence.
   * `dayStart(d) === wallToInstant(d * DAY)`.
   */
  wallToInstant(wall: number): Millis;
}

/** First instant the tables cover: 1900-01-01T00:00:00Z. */
export const CALENDAR_MIN: Millis = -2_208_988_800_000;
/** First instant past the tables: 2200-01-01T00:00:00Z. */
export const CALENDAR_MAX: Millis = 7_258_118_400_000;

/** Table granularity: 64 days, about 100 `Intl` calls to fill one chunk. */
const CHUNK_MS = 64 * DAY;
const CHUNK_COUNT = Math.ceil((CALENDAR_MAX - CALENDAR_MIN) / CHUNK_MS);
/** `Intl` sampling step inside a chunk (see the "a day apart" assumption above). */
const SAMPLE_MS = DAY;
const SECOND_MS = 1_000;

/** Per canonical zone: the formatter and the chunked offset tables. */
class ZoneTables {
  /** Offset at each chunk's first instant; NaN = chunk not filled yet. */
  readonly #base = new Float64Array(CHUNK_COUNT).fill(Number.NaN);
  /** Transitions inside each chunk, flat `[instant, offsetAfter, ...]` ascending; null = none. */
  readonly #transitions: (Float64Array | null)[] = new Array<Float64Array | null>(CHUNK_COUNT).fill(null);
  readonly #format: Intl.DateTimeFormat;

  constructor(format: Intl.DateTimeFormat) {
    this.#format = format;
  }

  /** Index of the chunk holding t; throws for instants outside [CALENDAR_MIN, CALENDAR_MAX). */
  chunkOf(t: Millis): number {
    const i = Math.floor((t - CALENDAR_MIN) / CHUNK_MS);
    if (!(i >= 0 && i < CHUNK_COUNT)) throw outOfRange(t);
    if (Number.isNaN(this.#base[i])) this.#fill(i);
    return i;
  }

  baseOffset(chunk: number): number {
    return this.#base[chunk] as number;
  }

  transitions(chunk: number): Float64Array | null {
    return this.#transitions[chunk] ?? null;
  }

  /**
   * The last segment of constant offset that `offsetAt` looked up, [#segStart, #segEnd): the hot
   * path asks about the same day over and over, so most calls end at the first comparison.
   */
  #segStart = 0;
  #segEnd = -1;
  #segOffset = 0;

  offsetAt(t: Millis): number {
    if (t >= this.#segStart && t < this.#segEnd) return this.#segOffset;
    const i = this.chunkOf(t);
    let off = this.#base[i] as number;
    let start = CALENDAR_MIN + i * CHUNK_MS;
    let end = start + CHUNK_MS;
    const tr = this.#transitions[i];
    if (tr != null) {
      let k = 0;
      for (; k < tr.length && (tr[k] as number) <= t; k += 2) {
        start = tr[k] as number;
        off = tr[k + 1] as number;
      }
      if (k < tr.length) end = tr[k] as number;
    }
    this.#segStart = start;
    this.#segEnd = end;
    this.#segOffset = off;
    return off;
  }

  /**
   * min { s >= from : wall(s) >= target }. Walks the segments of constant offset from `from`
   * on; inside a segment the wall clock reaches `target` at `target - offset`, so each segment
   * costs O(1) and only transitions and chunk boundaries are visited.
   */
  firstAtOrAfterWall(from: Millis, target: number): Millis {
    let i = this.chunkOf(from);
    let off = this.#base[i] as number;
    let tr = this.#transitions[i] ?? null;
    let k = 0;
    if (tr !== null) {
      for (; k < tr.length && (tr[k] as number) <= from; k += 2) off = tr[k + 1] as number;
    }
    if (from + off >= target) return from;
    // Invariant at the top of the loop: wall < target at the segment's start, so the crossing
    // instant `target - off` lies after it.
    for (;;) {
      const segmentEnd = tr !== null && k < tr.length ? (tr[k] as number) : CALENDAR_MIN + (i + 1) * CHUNK_MS;
      const crossing = target - off;
      if (crossing < segmentEnd) return crossing;
      if (tr !== null && k < tr.length) {
        off = tr[k + 1] as number;
        k += 2;
      } else {
        i = this.chunkOf(segmentEnd);
        off = this.#base[i] as number;
        tr = this.#transitions[i] ?? null;
        k = 0;
      }
      // A jump forward may carry the wall clock past the target at the segment boundary itself.
      if (segmentEnd + off >= target) return segmentEnd;
    }
  }

  /** Samples chunk i once a day and bisects every offset change to the second. */
  #fill(i: number): void {
    const start = CALENDAR_MIN + i * CHUNK_MS;
    const end = start + CHUNK_MS;
    const found: number[] = [];
    let prevT = start;
    let prevOff = this.#measure(start);
    const base = prevOff;
    for (let s = Math.min(start + SAMPLE_MS, end); ; s = Math.min(s + SAMPLE_MS, end)) {
      const off = this.#measure(s);
      // Several changes may lie in (prevT, s] (none that cancel out: see the assumptions).
      while (off !== prevOff) {
        const at = this.#bisect(prevT, prevOff, s);
        // A change exactly at `end` is the next chunk's base offset, not ours.
        if (at >= end) break;
        const after = this.#measure(at);
        found.push(at, after);
        prevT = at;
        prevOff = after;
      }
      prevT = s;
      prevOff = off;
      if (s >= end) break;
    }
    this.#transitions[i] = found.length === 0 ? null : Float64Array.from(found);
    this.#base[i] = base;
  }

  /** First whole second in (lo, hi] whose offset differs from `loOff` (given offset(hi) differs). */
  #bisect(lo: Millis, loOff: number, hi: Millis): Millis {
    while (hi - lo > SECOND_MS) {
      const mid = lo + Math.floor((hi - lo) / (2 * SECOND_MS)) * SECOND_MS;
      if (this.#measure(mid) === loOff) lo = mid;
      else hi = mid;
    }
    return hi;
  }

  /** Offset at a whole-second instant, straight from `Intl` (a few microseconds). */
  #measure(t: Millis): number {
    let y = Number.NaN;
    let mo = Number.NaN;
    let d = Number.NaN;
    let h = Number.NaN;
    let mi = Number.NaN;
    let s = Number.NaN;
    for (const p of this.#format.formatToParts(t)) {
      switch (p.type) {
        case 'year':
          y = Number(p.value);
          break;
        case 'month':
          mo = Number(p.value);
          break;
        case 'day':
          d = Number(p.value);
          break;
        case 'hour':
          h = Number(p.value);
          break;
        case 'minute':
          mi = Number(p.value);
          break;
        case 'second':
          s = Number(p.value);
          break;
        default:
          break;
      }
    }
    // Local years in range are >= 1899, so Date.UTC's "0..99 means 19xx" rule cannot apply.
    const wall = Date.UTC(y, mo - 1, d, h, mi, s);
    if (!Number.isFinite(wall)) throw new Error(`Intl returned unusable date parts at ${t}`);
    return wall - t;
  }
}

class Calendar implements ZoneCalendar {
  readonly timeZone: string;
  readonly #z: ZoneTables;

  constructor(timeZone: string, tables: ZoneTables) {
    this.timeZone = timeZone;
    this.#z = tables;
  }

  dayOf(t: Millis): number {
    return Math.floor((t + this.#z.offsetAt(t)) / DAY);
  }

  nextDayStart(t: Millis): Millis {
    // The next local midnight as a wall time; firstAtOrAfterWall(t, ·) > t because wall(t) < it.
    return this.#z.firstAtOrAfterWall(t, (this.dayOf(t) + 1) * DAY);
  }

  dayStart(day: number): Millis {
    return this.wallToInstant(day * DAY);
  }

  offsetAt(t: Millis): number {
    return this.#z.offsetAt(t);
  }

  wallToInstant(wall: number): Millis {
    // Every s < wall - DAY has wall(s) < wall (|offset| < 24 h), so scanning from there finds
    // the global first instant even where the wall clock goes backwards.
    return this.#z.firstAtOrAfterWall(wall - DAY, wall);
  }
}

const TIME_ZONE_RULE = 'a valid IANA time zone';

/** Tables per canonical zone (`Intl`'s resolved name): bounded by the number of real zones. */
const tablesByCanonical = new Map<string, ZoneTables>();
/**
 * Calendars per caller spelling. Spellings are unbounded (`Intl` ignores case), so this map is
 * cleared when it grows past a bound; the expensive tables live on in `tablesByCanonical`.
 */
const calendarsBySpelling = new Map<string, Calendar>();
const MAX_SPELLINGS = 4_096;

/** Creates the formatter, or returns null when `Intl` (or our own rules) reject the name. */
function formatterFor(tz: unknown): Intl.DateTimeFormat | null {
  if (typeof tz !== 'string' || tz === '') return null;
  // Newer engines accept UTC offsets ('+05:30') as zones; sluice wants named IANA zones only.
  if (/^[-+\u2212]/.test(tz) || /^\s|\s$/.test(tz)) return null;
  try {
    // 'h23' so midnight prints as 00, never 24.
    return new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  } catch {
    return null;
  }
}

/** True when `tz` is a zone name `Intl` accepts (any case), not a UTC offset. */
export function isValidTimeZone(tz: unknown): tz is string {
  if (typeof tz === 'string' && calendarsBySpelling.has(tz)) return true;
  return formatterFor(tz) !== null;
}

/** The calendar of a zone, cached per name; throws `ValidationError` on field `timeZone`. */
export function zoneCalendar(timeZone: string): ZoneCalendar {
  const cached = calendarsBySpelling.get(timeZone);
  if (cached !== undefined) return cached;
  const format = formatterFor(timeZone);
  if (format === null) throw new ValidationError('timeZone', TIME_ZONE_RULE, timeZone);
  const canonical = format.resolvedOptions().timeZone;
  let tables = tablesByCanonical.get(canonical);
  if (tables === undefined) {
    tables = new ZoneTables(format);
    tablesByCanonical.set(canonical, tables);
  }
  if (calendarsBySpelling.size >= MAX_SPELLINGS) calendarsBySpelling.clear();
  const calendar = new Calendar(timeZone, tables);
  calendarsBySpelling.set(timeZone, calendar);
  return calendar;
}

/** Y-M-D (month 1-12) of a day number, for printing. */
export function localDateOf(day: number): { year: number; month: number; day: number } {
  const d = new Date(day * DAY);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** Weekday of a day number, 0 = Monday … 6 = Sunday (day 0, 1970-01-01, was a Thursday). */
export function weekdayOfDay(day: number): 0 | 1 | 2 | 3 | 4 | 5 | 6 {
  // Double modulo: JS `%` keeps the dividend's sign (and can yield -0).
  return ((((day + 3) % 7) + 7) % 7) as 0 | 1 | 2 | 3 | 4 | 5 | 6;
}

function outOfRange(t: Millis): RangeError {
  return new RangeError(
    `Instant ${String(t)} is outside the calendar's range [1900-01-01, 2200-01-01) or not a number`,
  );
}
