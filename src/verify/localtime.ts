/**
 * Local wall-clock time for the invariant checker, derived from `Intl` alone.
 *
 * Independence: nothing here comes from `src/core/`. The checker must be able to catch a
 * calendar bug in the core, so it re-derives local dates and times with its own code.
 *
 * Model: the local wall clock of an instant `t` in zone `z` is `t + offset(z, t)`, read as if
 * it were UTC. `offset` is measured by asking `Intl` for the local Y-M-D h:m:s of `t` and
 * subtracting `t` (truncated to the second, since `Intl` reports whole seconds). Everything
 * else (day number, weekday, time of day) is plain integer arithmetic on that wall clock.
 */

export const MS_PER_DAY = 86_400_000;
const MS_PER_HOUR = 3_600_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** One formatter per zone: constructing them is far more expensive than using them. */
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    // `hourCycle: 'h23'` so midnight is "00", never "24" (Node 20 ICU prints "24" with hour12: false).
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `Intl` accepts the zone (it throws a RangeError for unknown zones and offsets like `+05:30`). */
export function isValidTimeZone(timeZone: string): boolean {
  if (timeZone === '') return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * The zone's offset at `t` in ms, measured directly with `Intl.formatToParts` (about 4 µs).
 * This is the reference that everything else is checked against.
 */
export function offsetAtDirect(timeZone: string, t: number): number {
  const parts = formatterFor(timeZone).formatToParts(t);
  let y = NaN;
  let mo = NaN;
  let d = NaN;
  let h = NaN;
  let mi = NaN;
  let s = NaN;
  for (const p of parts) {
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
  // Ledger instants are validated to years 1970..9999, so the local year is >= 1969 and
  // Date.UTC's "years 0..99 mean 19xx" rule cannot bite.
  const wallSeconds = Date.UTC(y, mo - 1, d, h, mi, s);
  if (!Number.isFinite(wallSeconds)) {
    throw new Error(`Intl returned unusable parts for ${timeZone} at ${t}`);
  }
  const tSeconds = t - mod(t, 1000);
  return wallSeconds - tSeconds;
}

/**
 * Offsets cached per (zone, UTC hour). A bucket is cached only when the offset at its first
 * and at its last millisecond agree; otherwise (the hour holds a transition) every instant in
 * it is measured directly. This relies on no zone having two transitions within one hour that
 * cancel out, which holds for every zone in the tz database; the tests compare this cache
 * against `offsetAtDirect` on random instants around real transitions.
 */
const MIXED = Number.NaN;
const bucketCache = new Map<string, Map<number, number>>();

export function offsetAt(timeZone: string, t: number): number {
  let zoneCache = bucketCache.get(timeZone);
  if (zoneCache === undefined) {
    zoneCache = new Map();
    bucketCache.set(timeZone, zoneCache);
  }
  const bucket = Math.floor(t / MS_PER_HOUR);
  let off = zoneCache.get(bucket);
  if (off === undefined) {
    const start = bucket * MS_PER_HOUR;
    const a = offsetAtDirect(timeZone, start);
    const b = offsetAtDirect(timeZone, start + MS_PER_HOUR - 1);
    off = a === b ? a : MIXED;
    zoneCache.set(bucket, off);
  }
  return Number.isNaN(off) ? offsetAtDirect(timeZone, t) : off;
}

/** Local wall clock of `t` in `timeZone`, as ms since 1970-01-01T00:00 *local*. */
export function wallClock(timeZone: string, t: number): number {
  return t + offsetAt(timeZone, t);
}

/** Local day number (days since 1970-01-01 local) of a wall clock. */
export function dayOf(wall: number): number {
  return Math.floor(wall / MS_PER_DAY);
}

/** Milliseconds since local midnight, 0 .. 86_399_999. */
export function msOfDay(wall: number): number {
  return mod(wall, MS_PER_DAY);
}

/** Local weekday of a day number, 0 = Sunday .. 6 = Saturday (1970-01-01 was a Thursday). */
export function weekdayOf(day: number): number {
  return mod(day + 4, 7);
}

/** `YYYY-MM-DD` of a local day number. */
export function dateLabel(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/** `YYYY-MM-DD HH:MM:SS.mmm` of a wall clock (for violation details). */
export function wallLabel(wall: number): string {
  const iso = new Date(wall).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

const WEEKDAY_LABELS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
export function weekdayLabel(weekday: number): string {
  return WEEKDAY_LABELS[weekday] ?? '?';
}

function mod(a: number, m: number): number {
  const r = a % m;
  return r < 0 ? r + m : r;
}
