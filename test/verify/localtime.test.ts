/**
 * The checker's calendar: the per-hour offset cache must agree with asking Intl directly,
 * including in hours that hold a transition not aligned to a UTC hour (Lord Howe +10:30 →
 * +11:00 at 15:30 UTC, Kathmandu +05:30 → +05:45 in 1985) and with offsets in seconds
 * (Monrovia −00:44:30 until 1972).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayOf, msOfDay, offsetAt, offsetAtDirect, wallClock, weekdayOf } from '../../src/verify/localtime.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

/** Local fields of `t` straight from Intl, as a reference independent of offsets. */
function intlFields(timeZone: string, t: number): string {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    weekday: 'short',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const p = Object.fromEntries(f.formatToParts(t).map((x) => [x.type, x.value]));
  const ms = String(t % 1000).padStart(3, '0');
  return `${p['weekday']} ${p['year']}-${p['month']}-${p['day']} ${p['hour']}:${p['minute']}:${p['second']}.${ms}`;
}

/** The same fields computed from the checker's wall clock. */
function checkerFields(timeZone: string, t: number): string {
  const wall = wallClock(timeZone, t);
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][weekdayOf(dayOf(wall))];
  const iso = new Date(dayOf(wall) * 86_400_000 + msOfDay(wall)).toISOString();
  return `${weekday} ${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

describe('local time', () => {
  it('knows some offsets', () => {
    expect(offsetAt('Asia/Kathmandu', Date.UTC(2024, 0, 15))).toBe(5 * HOUR + 45 * MIN);
    expect(offsetAt('Pacific/Chatham', Date.UTC(2024, 0, 15))).toBe(13 * HOUR + 45 * MIN);
    expect(offsetAt('Europe/London', Date.UTC(2024, 6, 1))).toBe(HOUR);
    expect(offsetAt('Africa/Monrovia', Date.UTC(1971, 5, 1))).toBe(-(44 * MIN + 30_000));
    expect(checkerFields('Australia/Lord_Howe', Date.parse('2024-10-05T15:29:59.999Z'))).toBe('Sun 2024-10-06 01:59:59.999');
    expect(checkerFields('Australia/Lord_Howe', Date.parse('2024-10-05T15:30:00.000Z'))).toBe('Sun 2024-10-06 02:30:00.000');
  });

  it('the cached wall clock equals Intl field by field, around unaligned transitions too', () => {
    const around = [
      ['Australia/Lord_Howe', Date.parse('2024-10-05T15:30:00Z')],
      ['Australia/Lord_Howe', Date.parse('2024-04-06T15:00:00Z')],
      ['Asia/Kathmandu', Date.parse('1985-12-31T18:30:00Z')],
      ['Australia/Adelaide', Date.parse('2024-10-05T16:30:00Z')],
      ['America/St_Johns', Date.parse('2024-03-10T05:30:00Z')],
      ['Europe/London', Date.parse('2024-10-27T01:00:00Z')],
      ['America/Havana', Date.parse('2024-03-10T05:00:00Z')],
      ['Pacific/Apia', Date.parse('2011-12-30T10:00:00Z')],
      ['Africa/Monrovia', Date.parse('1972-01-07T00:44:30Z')],
      ['Pacific/Chatham', Date.parse('2024-04-06T14:00:00Z')],
    ] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...around),
        fc.oneof(fc.integer({ min: -2 * HOUR, max: 2 * HOUR }), fc.integer({ min: -8, max: 8 }).map((k) => k * 15 * MIN + (k % 2))),
        ([zone, at], d) => {
          const t = at + d;
          // Ask in random order so both "cache filled by this instant" and "by another" occur.
          expect(offsetAt(zone, t)).toBe(offsetAtDirect(zone, t));
          expect(checkerFields(zone, t)).toBe(intlFields(zone, t));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('agrees with Intl on random instants 1970..2100 in many zones', () => {
    const zones = ['UTC', 'Europe/London', 'Asia/Kathmandu', 'Pacific/Chatham', 'America/Havana', 'Australia/Lord_Howe', 'Pacific/Apia', 'America/New_York', 'Asia/Calcutta', 'Pacific/Kiritimati', 'Africa/Monrovia'];
    fc.assert(
      fc.property(fc.constantFrom(...zones), fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) }), (zone, t) => {
        expect(checkerFields(zone, t)).toBe(intlFields(zone, t));
      }),
      { numRuns: 2000 },
    );
  });
});
