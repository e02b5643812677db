import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidTimeZone, localDateOf, weekdayOfDay, zoneCalendar } from '../../src/core/calendar.js';
import { ValidationError } from '../../src/errors.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Instant of an ISO string. */
const at = (iso: string): number => Date.parse(iso);
/** Day number of a `YYYY-MM-DD` date (days since 1970-01-01). */
const dayNo = (date: string): number => Date.parse(`${date}T00:00:00Z`) / DAY;

// ---------------------------------------------------------------------------------------------
// Independent slow reference: the local date of an instant straight from Intl, no tables.
const slowFormats = new Map<string, Intl.DateTimeFormat>();
function slowWall(timeZone: string, t: number): number {
  let f = slowFormats.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    slowFormats.set(timeZone, f);
  }
  const v: Record<string, number> = {};
  for (const p of f.formatToParts(t)) v[p.type] = Number(p.value);
  const wallSeconds = Date.UTC(v['year'] ?? NaN, (v['month'] ?? NaN) - 1, v['day'], v['hour'], v['minute'], v['second']);
  return wallSeconds + (((t % 1000) + 1000) % 1000);
}
const slowDayOf = (timeZone: string, t: number): number => Math.floor(slowWall(timeZone, t) / DAY);
const slowOffset = (timeZone: string, t: number): number => slowWall(timeZone, t) - t;

// ---------------------------------------------------------------------------------------------

describe('day lengths on DST days', () => {
  // [zone, local date, dayStart of that date (ISO), length of the day in hours]
  const cases: [string, string, string, number][] = [
    ['Europe/London', '2025-03-30', '2025-03-30T00:00:00Z', 23],
    ['Europe/London', '2025-03-31', '2025-03-30T23:00:00Z', 24],
    ['Europe/London', '2025-10-26', '2025-10-25T23:00:00Z', 25],
    ['Europe/London', '2025-10-27', '2025-10-27T00:00:00Z', 24],
    ['Australia/Lord_Howe', '2025-04-06', '2025-04-05T13:00:00Z', 24.5],
    ['Australia/Lord_Howe', '2025-10-05', '2025-10-04T13:30:00Z', 23.5],
    // Havana springs forward AT midnight: no local 00:00, the day starts at 01:00 CDT (05:00Z).
    ['America/Havana', '2025-03-09', '2025-03-09T05:00:00Z', 23],
    ['America/Havana', '2025-11-02', '2025-11-02T04:00:00Z', 25],
    ['Asia/Kathmandu', '2025-01-15', '2025-01-14T18:15:00Z', 24],
    ['Pacific/Chatham', '2025-01-15', '2025-01-14T10:15:00Z', 24], // +13:45 (summer)
    ['Pacific/Chatham', '2025-07-01', '2025-06-30T11:15:00Z', 24], // +12:45
    ['Pacific/Chatham', '2025-04-06', '2025-04-05T10:15:00Z', 25],
    ['Pacific/Kiritimati', '2025-01-01', '2024-12-31T10:00:00Z', 24],
    ['Etc/GMT+12', '2025-01-01', '2025-01-01T12:00:00Z', 24],
    // Monrovia dropped its −00:44:30 offset at 1972-01-07T00:44:30Z: its clocks jumped from
    // Jan 6 23:59:59 to Jan 7 00:44:30, so Jan 7 lasted 23:15:30.
    ['Africa/Monrovia', '1972-01-07', '1972-01-07T00:44:30Z', (23 * 3600 + 15 * 60 + 30) / 3600],
  ];
  it.each(cases)('%s %s starts at %s and lasts %d h', (zone, date, startIso, hours) => {
    const cal = zoneCalendar(zone);
    const start = cal.dayStart(dayNo(date));
    expect(new Date(start).toISOString()).toBe(new Date(at(startIso)).toISOString());
    expect(cal.dayOf(start)).toBe(dayNo(date));
    expect(cal.dayOf(start - 1)).toBe(dayNo(date) - 1);
    const next = cal.nextDayStart(start);
    expect((next - start) / HOUR).toBe(hours);
    expect(cal.dayStart(dayNo(date) + 1)).toBe(next);
    expect(cal.dayOf(next)).toBe(dayNo(date) + 1);
    expect(cal.dayOf(next - 1)).toBe(dayNo(date));
    expect(cal.nextDayStart(next - 1)).toBe(next);
  });
});

describe('offsets and dates at named instants', () => {
  // [zone, instant, expected offset in minutes, expected local date]
  const cases: [string, string, number, string][] = [
    ['Europe/London', '2025-03-30T00:59:59.999Z', 0, '2025-03-30'],
    ['Europe/London', '2025-03-30T01:00:00Z', 60, '2025-03-30'],
    ['Europe/London', '2025-10-26T00:59:59.999Z', 60, '2025-10-26'],
    ['Europe/London', '2025-10-26T01:00:00Z', 0, '2025-10-26'],
    ['Europe/London', '2025-10-25T23:00:00Z', 60, '2025-10-26'],
    ['Europe/London', '2025-10-25T22:59:59.999Z', 60, '2025-10-25'],
    ['Australia/Lord_Howe', '2025-04-05T14:59:59.999Z', 660, '2025-04-06'],
    ['Australia/Lord_Howe', '2025-04-05T15:00:00Z', 630, '2025-04-06'],
    ['Australia/Lord_Howe', '2025-10-04T15:29:59.999Z', 630, '2025-10-05'],
    ['Australia/Lord_Howe', '2025-10-04T15:30:00Z', 660, '2025-10-05'],
    ['America/Havana', '2025-03-09T04:59:59.999Z', -300, '2025-03-08'],
    ['America/Havana', '2025-03-09T05:00:00Z', -240, '2025-03-09'],
    ['Pacific/Apia', '2011-12-30T09:59:59.999Z', -600, '2011-12-29'],
    ['Pacific/Apia', '2011-12-30T10:00:00Z', 840, '2011-12-31'],
    ['Asia/Kathmandu', '2025-06-01T18:14:59.999Z', 345, '2025-06-01'],
    ['Asia/Kathmandu', '2025-06-01T18:15:00Z', 345, '2025-06-02'],
    ['Pacific/Chatham', '2025-01-15T10:14:59.999Z', 825, '2025-01-15'],
    ['Pacific/Chatham', '2025-01-15T10:15:00Z', 825, '2025-01-16'],
    ['Pacific/Chatham', '2025-07-01T11:15:00Z', 765, '2025-07-02'],
    ['Pacific/Kiritimati', '2025-06-01T09:59:59.999Z', 840, '2025-06-01'],
    ['Pacific/Kiritimati', '2025-06-01T10:00:00Z', 840, '2025-06-02'],
    ['Etc/GMT+12', '2025-06-01T11:59:59.999Z', -720, '2025-05-31'],
    ['Etc/GMT+12', '2025-06-01T12:00:00Z', -720, '2025-06-01'],
    ['Africa/Monrovia', '1971-06-01T00:00:00Z', -44.5, '1971-05-31'],
    ['UTC', '2025-06-01T00:00:00Z', 0, '2025-06-01'],
  ];
  it.each(cases)('%s at %s: offset %d min, date %s', (zone, iso, offsetMinutes, date) => {
    const cal = zoneCalendar(zone);
    expect(cal.offsetAt(at(iso))).toBe(offsetMinutes * MINUTE);
    expect(cal.dayOf(at(iso))).toBe(dayNo(date));
  });
});

describe('Pacific/Apia skipped 2011-12-30', () => {
  const apia = zoneCalendar('Pacific/Apia');
  it('jumps from 12-29 to 12-31', () => {
    const jump = at('2011-12-30T10:00:00Z');
    expect(apia.dayOf(jump) - apia.dayOf(jump - 1)).toBe(2);
    expect(apia.nextDayStart(at('2011-12-29T12:00:00Z'))).toBe(jump);
  });
  it('dayStart of the skipped date is the start of 12-31', () => {
    expect(apia.dayStart(dayNo('2011-12-30'))).toBe(at('2011-12-30T10:00:00Z'));
    expect(apia.dayStart(dayNo('2011-12-31'))).toBe(at('2011-12-30T10:00:00Z'));
    expect(apia.dayStart(dayNo('2011-12-29'))).toBe(at('2011-12-29T10:00:00Z'));
  });
});

describe('America/St_Johns fell back at 00:01 (the date goes back for a minute)', () => {
  // 1990-10-28 00:01 NDT (02:31Z) became 1990-10-27 23:01 NST.
  const cal = zoneCalendar('America/St_Johns');
  it('dayOf follows the wall clock', () => {
    expect(cal.dayOf(at('1990-10-28T02:30:00Z'))).toBe(dayNo('1990-10-28'));
    expect(cal.dayOf(at('1990-10-28T02:31:00Z'))).toBe(dayNo('1990-10-27'));
    expect(cal.dayOf(at('1990-10-28T03:30:00Z'))).toBe(dayNo('1990-10-28'));
  });
  it('keeps dayStart(dayOf(t)) <= t < nextDayStart(t)', () => {
    for (const iso of ['1990-10-28T02:29:00Z', '1990-10-28T02:30:30Z', '1990-10-28T02:31:00Z', '1990-10-28T03:29:59Z']) {
      const t = at(iso);
      expect(cal.dayStart(cal.dayOf(t))).toBeLessThanOrEqual(t);
      expect(cal.nextDayStart(t)).toBeGreaterThan(t);
      expect(cal.dayOf(cal.nextDayStart(t))).toBeGreaterThan(cal.dayOf(t));
    }
    expect(cal.nextDayStart(at('1990-10-28T02:31:00Z'))).toBe(at('1990-10-28T03:30:00Z'));
    expect(cal.dayStart(dayNo('1990-10-28'))).toBe(at('1990-10-28T02:30:00Z'));
  });
});

describe('wallToInstant (gap and repeated local times)', () => {
  const london = zoneCalendar('Europe/London');
  const wall = (iso: string): number => Date.parse(iso);
  it.each([
    ['2025-03-30T00:59:00Z', '2025-03-30T00:59:00Z'], // 00:59 GMT exists
    ['2025-03-30T01:00:00Z', '2025-03-30T01:00:00Z'], // 01:00 local does not exist → 02:00 BST
    ['2025-03-30T01:30:00Z', '2025-03-30T01:00:00Z'], // gap → end of the gap
    ['2025-03-30T02:00:00Z', '2025-03-30T01:00:00Z'], // 02:00 BST
    ['2025-03-30T02:30:00Z', '2025-03-30T01:30:00Z'],
    ['2025-10-26T01:30:00Z', '2025-10-26T00:30:00Z'], // 01:30 twice → first (BST) occurrence
    ['2025-10-26T02:00:00Z', '2025-10-26T02:00:00Z'],
  ])('London wall %s → %s', (wallIso, expected) => {
    expect(new Date(london.wallToInstant(wall(wallIso))).toISOString()).toBe(new Date(at(expected)).toISOString());
  });
});

describe('zone names', () => {
  it('accepts any name Intl accepts and keeps the caller spelling', () => {
    const cal = zoneCalendar('asia/kolkata');
    expect(cal.timeZone).toBe('asia/kolkata');
    expect(cal.offsetAt(at('2025-06-01T00:00:00Z'))).toBe(330 * MINUTE);
    expect(zoneCalendar('Asia/Kolkata').timeZone).toBe('Asia/Kolkata');
    expect(zoneCalendar('asia/kolkata')).toBe(cal); // cached per spelling
    expect(isValidTimeZone('asia/kolkata')).toBe(true);
    expect(isValidTimeZone('Etc/GMT+12')).toBe(true);
  });
  it.each<[unknown]>([['+05:30'], ['-03:00'], ['Mars/Olympus'], [''], [' UTC'], [42], [null], [undefined]])(
    'rejects %o with a ValidationError on field timeZone',
    (bad) => {
      expect(isValidTimeZone(bad)).toBe(false);
      let thrown: unknown;
      try {
        zoneCalendar(bad as string);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(ValidationError);
      expect((thrown as ValidationError).field).toBe('timeZone');
      expect((thrown as ValidationError).rule).toBe('a valid IANA time zone');
    },
  );
});

describe('helpers', () => {
  it('localDateOf and weekdayOfDay', () => {
    expect(localDateOf(0)).toEqual({ year: 1970, month: 1, day: 1 });
    expect(localDateOf(dayNo('2024-02-29'))).toEqual({ year: 2024, month: 2, day: 29 });
    expect(localDateOf(-1)).toEqual({ year: 1969, month: 12, day: 31 });
    expect(weekdayOfDay(0)).toBe(3); // Thursday
    expect(weekdayOfDay(dayNo('2025-03-30'))).toBe(6); // Sunday
    expect(weekdayOfDay(dayNo('2025-03-31'))).toBe(0); // Monday
    expect(weekdayOfDay(-4)).toBe(6);
    expect(Object.is(weekdayOfDay(-3), 0)).toBe(true); // never -0
  });
  it('rejects instants outside the tables', () => {
    const cal = zoneCalendar('UTC');
    expect(() => cal.dayOf(Number.NaN)).toThrow(RangeError);
    expect(() => cal.dayOf(at('2300-01-01T00:00:00Z'))).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------

const ZONES = [
  'Europe/London',
  'Australia/Lord_Howe',
  'America/Havana',
  'Pacific/Apia',
  'Asia/Kathmandu',
  'Pacific/Chatham',
  'Pacific/Kiritimati',
  'Etc/GMT+12',
  'America/St_Johns',
  'America/Sao_Paulo',
  'Africa/Casablanca',
  'asia/kolkata',
] as const;

/** The checks every instant must pass, against the slow Intl reference. */
function checkInstant(zone: string, t: number): void {
  const cal = zoneCalendar(zone);
  const d = cal.dayOf(t);
  expect(d).toBe(slowDayOf(zone, t));
  expect(cal.offsetAt(t)).toBe(slowOffset(zone, t));
  const start = cal.dayStart(d);
  const next = cal.nextDayStart(t);
  expect(start).toBeLessThanOrEqual(t);
  expect(t).toBeLessThan(next);
  expect(cal.dayOf(next)).toBeGreaterThan(d);
  expect(slowDayOf(zone, next)).toBe(cal.dayOf(next));
  // nextDayStart is the FIRST such instant: the millisecond before still shows a date <= d.
  expect(slowDayOf(zone, next - 1)).toBeLessThanOrEqual(d);
  // dayStart is the first instant of its date (or later date).
  expect(slowDayOf(zone, start)).toBeGreaterThanOrEqual(d);
  expect(slowDayOf(zone, start - 1)).toBeLessThan(d);
}

describe('properties against Intl', () => {
  it('random instants 1971–2099', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: at('1971-01-01T00:00:00Z'), max: at('2099-12-31T23:59:59.999Z') }),
        (zone, t) => checkInstant(zone, t),
      ),
      { numRuns: 400 },
    );
  });

  it('instants within minutes of transitions', () => {
    const transitions = [
      '2025-03-30T01:00:00Z',
      '2025-10-26T01:00:00Z',
      '2025-04-05T15:00:00Z',
      '2025-10-04T15:30:00Z',
      '2025-03-09T05:00:00Z',
      '2011-12-30T10:00:00Z',
      '1990-10-28T02:31:00Z',
      '2031-03-30T01:00:00Z',
      '2099-10-25T01:00:00Z',
    ].map(at);
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.constantFrom(...transitions),
        fc.integer({ min: -3 * HOUR, max: 3 * HOUR }),
        (zone, tr, delta) => checkInstant(zone, tr + delta),
      ),
      { numRuns: 400 },
    );
  });

  it('every minute of the odd days agrees with Intl', () => {
    const days: [string, string][] = [
      ['Europe/London', '2025-03-29T12:00:00Z'],
      ['Australia/Lord_Howe', '2025-04-05T00:00:00Z'],
      ['America/Havana', '2025-03-08T12:00:00Z'],
      ['Pacific/Apia', '2011-12-29T00:00:00Z'],
    ];
    for (const [zone, fromIso] of days) {
      const cal = zoneCalendar(zone);
      const from = at(fromIso);
      for (let t = from; t < from + 2 * DAY; t += MINUTE) {
        for (const s of [t - 1, t]) {
          const expected = slowDayOf(zone, s);
          if (cal.dayOf(s) !== expected) expect(`${zone} ${new Date(s).toISOString()} → ${cal.dayOf(s)}`).toBe(expected);
        }
      }
    }
  });
});
