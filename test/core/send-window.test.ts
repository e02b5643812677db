import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  WINDOW_PRESETS,
  allowedUntil,
  compileWindows,
  isAllowedAt,
  nextAllowedInstant,
  type CompiledWindows,
} from '../../src/core/send-window.js';
import { ValidationError } from '../../src/errors.js';
import { WEEKDAYS, type LocalTimeWindow, type Weekday } from '../../src/core/types.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const at = (iso: string): number => Date.parse(iso);
const iso = (t: number): string => (Number.isFinite(t) ? new Date(t).toISOString() : String(t));

/** [name, windows, zone, instant t, expected nextAllowedInstant(t), expected allowedUntil(of that)] */
type Case = [string, readonly LocalTimeWindow[], string, string, string, string];

const QUIET = WINDOW_PRESETS['quiet-hours'];
const NIGHT: readonly LocalTimeWindow[] = [{ from: '22:00', to: '06:00' }];
const COLOMBIA = WINDOW_PRESETS['colombia-messaging'];

describe('nextAllowedInstant / allowedUntil at named instants', () => {
  const cases: Case[] = [
    // London summer (BST = UTC+1), quiet hours 09:00–22:00.
    ['before opening', QUIET, 'Europe/London', '2025-06-02T07:00:00Z', '2025-06-02T08:00:00Z', '2025-06-02T21:00:00Z'],
    ['inside', QUIET, 'Europe/London', '2025-06-02T12:00:00Z', '2025-06-02T12:00:00Z', '2025-06-02T21:00:00Z'],
    ['at closing (exclusive)', QUIET, 'Europe/London', '2025-06-02T21:00:00Z', '2025-06-03T08:00:00Z', '2025-06-03T21:00:00Z'],
    ['one ms before closing', QUIET, 'Europe/London', '2025-06-02T20:59:59.999Z', '2025-06-02T20:59:59.999Z', '2025-06-02T21:00:00Z'],
    // Crossing midnight, 22:00–06:00 UTC.
    ['night: evening', NIGHT, 'UTC', '2025-06-02T23:00:00Z', '2025-06-02T23:00:00Z', '2025-06-03T06:00:00Z'],
    ['night: early morning', NIGHT, 'UTC', '2025-06-03T03:00:00Z', '2025-06-03T03:00:00Z', '2025-06-03T06:00:00Z'],
    ['night: daytime', NIGHT, 'UTC', '2025-06-03T06:00:00Z', '2025-06-03T22:00:00Z', '2025-06-04T06:00:00Z'],
    // Only intervals STARTING on Friday: Saturday morning still belongs to Friday night.
    ['friday night: sat 03:00', [{ from: '22:00', to: '06:00', days: ['fri'] }], 'UTC', '2025-06-07T03:00:00Z', '2025-06-07T03:00:00Z', '2025-06-07T06:00:00Z'],
    ['friday night: sat 23:00', [{ from: '22:00', to: '06:00', days: ['fri'] }], 'UTC', '2025-06-07T23:00:00Z', '2025-06-13T22:00:00Z', '2025-06-14T06:00:00Z'],
    // Colombia (UTC−5, no DST): Sunday → Monday 07:00; Saturday 08:00–15:00.
    ['colombia sunday', COLOMBIA, 'America/Bogota', '2025-06-08T15:00:00Z', '2025-06-09T12:00:00Z', '2025-06-10T00:00:00Z'],
    ['colombia saturday', COLOMBIA, 'America/Bogota', '2025-06-07T19:00:00Z', '2025-06-07T19:00:00Z', '2025-06-07T20:00:00Z'],
    ['colombia saturday late', COLOMBIA, 'America/Bogota', '2025-06-07T21:00:00Z', '2025-06-09T12:00:00Z', '2025-06-10T00:00:00Z'],
    ['colombia friday evening', COLOMBIA, 'America/Bogota', '2025-06-07T00:00:00Z', '2025-06-07T13:00:00Z', '2025-06-07T20:00:00Z'],
    // London spring forward 2025-03-30: 01:00–02:00 local does not exist.
    ['gap: from inside the gap', [{ from: '01:30', to: '03:00' }], 'Europe/London', '2025-03-30T00:30:00Z', '2025-03-30T01:00:00Z', '2025-03-30T02:00:00Z'],
    ['gap: window wholly in the gap', [{ from: '01:10', to: '01:50' }], 'Europe/London', '2025-03-30T00:30:00Z', '2025-03-31T00:10:00Z', '2025-03-31T00:50:00Z'],
    ['gap: quiet hours on a 23 h day', QUIET, 'Europe/London', '2025-03-29T22:30:00Z', '2025-03-30T08:00:00Z', '2025-03-30T21:00:00Z'],
    // London fall back 2025-10-26: 01:00–02:00 local happens twice; times map to the first pass.
    ['fall back: second pass is outside', [{ from: '01:00', to: '01:30' }], 'Europe/London', '2025-10-26T01:15:00Z', '2025-10-27T01:00:00Z', '2025-10-27T01:30:00Z'],
    ['fall back: first pass', [{ from: '01:00', to: '01:30' }], 'Europe/London', '2025-10-25T23:30:00Z', '2025-10-26T00:00:00Z', '2025-10-26T00:30:00Z'],
    ['fall back: night window spans 25 h day', NIGHT, 'Europe/London', '2025-10-26T03:00:00Z', '2025-10-26T03:00:00Z', '2025-10-26T06:00:00Z'],
    // Havana: no 00:00 on 2025-03-09; '24:00' is the next day's start (01:00 CDT = 05:00Z).
    ['havana 20:00–24:00', [{ from: '20:00', to: '24:00' }], 'America/Havana', '2025-03-09T02:00:00Z', '2025-03-09T02:00:00Z', '2025-03-09T05:00:00Z'],
    ['havana 00:00–02:00', [{ from: '00:00', to: '02:00' }], 'America/Havana', '2025-03-09T04:00:00Z', '2025-03-09T05:00:00Z', '2025-03-09T06:00:00Z'],
    // Odd offsets.
    ['kathmandu', QUIET, 'Asia/Kathmandu', '2025-06-01T00:00:00Z', '2025-06-01T03:15:00Z', '2025-06-01T16:15:00Z'],
    ['chatham', QUIET, 'Pacific/Chatham', '2025-07-01T10:00:00Z', '2025-07-01T20:15:00Z', '2025-07-02T09:15:00Z'],
    ['kiritimati', QUIET, 'Pacific/Kiritimati', '2025-06-01T10:00:00Z', '2025-06-01T19:00:00Z', '2025-06-02T08:00:00Z'],
    ['GMT+12', QUIET, 'Etc/GMT+12', '2025-06-01T00:00:00Z', '2025-06-01T00:00:00Z', '2025-06-01T10:00:00Z'],
    // Merging: touching and overlapping windows, and across midnight.
    [
      'merge same day',
      [{ from: '09:00', to: '12:00' }, { from: '12:00', to: '15:00' }, { from: '14:00', to: '18:00' }],
      'UTC',
      '2025-06-02T10:00:00Z',
      '2025-06-02T10:00:00Z',
      '2025-06-02T18:00:00Z',
    ],
    [
      'merge across midnight',
      [{ from: '20:00', to: '24:00', days: ['mon'] }, { from: '00:00', to: '08:00' }],
      'UTC',
      '2025-06-02T21:00:00Z',
      '2025-06-02T21:00:00Z',
      '2025-06-03T08:00:00Z',
    ],
    [
      'merge a multi-day run',
      [{ from: '00:00', to: '00:00', days: ['mon', 'tue', 'wed'] }, { from: '18:00', to: '02:00', days: ['sun'] }],
      'UTC',
      '2025-06-01T19:00:00Z', // Sunday
      '2025-06-01T19:00:00Z',
      '2025-06-05T00:00:00Z',
    ],
  ];
  it.each(cases)('%s', (_name, windows, zone, t, next, until) => {
    const w = compileWindows(zone, windows);
    const n = nextAllowedInstant(w, at(t));
    expect(iso(n)).toBe(iso(at(next)));
    expect(isAllowedAt(w, n)).toBe(true);
    expect(isAllowedAt(w, at(t))).toBe(n === at(t));
    expect(iso(allowedUntil(w, n))).toBe(iso(at(until)));
    expect(isAllowedAt(w, at(until))).toBe(false);
    expect(isAllowedAt(w, at(until) - 1)).toBe(true);
    if (n > at(t)) expect(allowedUntil(w, at(t))).toBe(at(t));
  });
});

describe('never and always open', () => {
  it.each<[string, readonly LocalTimeWindow[]]>([
    ['empty list', []],
    ['all days empty', [{ from: '09:00', to: '17:00', days: [] }]],
  ])('%s → Infinity', (_name, windows) => {
    const w = compileWindows('Europe/London', windows);
    const t = at('2025-06-02T12:00:00Z');
    expect(nextAllowedInstant(w, t)).toBe(Number.POSITIVE_INFINITY);
    expect(isAllowedAt(w, t)).toBe(false);
    expect(allowedUntil(w, t)).toBe(t);
  });
  it.each<[string, readonly LocalTimeWindow[]]>([
    ['from === to', [{ from: '07:00', to: '07:00' }]],
    ['00:00–24:00', [{ from: '00:00', to: '24:00' }]],
    ['day and night', [{ from: '06:00', to: '22:00' }, { from: '22:00', to: '06:00' }]],
  ])('%s → always allowed, until Infinity', (_name, windows) => {
    const w = compileWindows('Europe/London', windows);
    for (const t of [at('2025-03-30T01:00:00Z'), at('2025-10-26T01:30:00Z'), at('2025-06-02T12:00:00Z')]) {
      expect(nextAllowedInstant(w, t)).toBe(t);
      expect(allowedUntil(w, t)).toBe(Number.POSITIVE_INFINITY);
    }
  });
});

describe('presets', () => {
  it('have the documented shape', () => {
    expect(WINDOW_PRESETS['quiet-hours']).toEqual([{ from: '09:00', to: '22:00' }]);
    expect(WINDOW_PRESETS['us-telemarketing']).toEqual([{ from: '08:00', to: '21:00' }]);
    expect(WINDOW_PRESETS['colombia-messaging']).toEqual([
      { from: '07:00', to: '19:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] },
      { from: '08:00', to: '15:00', days: ['sat'] },
    ]);
    expect(Object.isFrozen(WINDOW_PRESETS['colombia-messaging'])).toBe(true);
  });
  it('us-telemarketing in New York', () => {
    const w = compileWindows('America/New_York', WINDOW_PRESETS['us-telemarketing']);
    // 07:59 EDT → 08:00 EDT (12:00Z); 21:00 EDT (01:00Z) is closed.
    expect(iso(nextAllowedInstant(w, at('2025-06-02T11:59:00Z')))).toBe('2025-06-02T12:00:00.000Z');
    expect(isAllowedAt(w, at('2025-06-03T01:00:00Z'))).toBe(false);
  });
});

describe('validation', () => {
  const expectField = (fn: () => unknown, field: string, rule?: string): void => {
    let thrown: unknown;
    try {
      fn();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as ValidationError).field).toBe(field);
    if (rule !== undefined) expect((thrown as ValidationError).rule).toBe(rule);
  };
  const ok = { from: '09:00', to: '17:00' };
  it.each<[string, unknown, string, string?]>([
    ['bad from', [ok, { from: '9:00', to: '17:00' }], 'allowed[1].from', 'a time HH:MM between 00:00 and 23:59'],
    ['24:00 as from', [{ from: '24:00', to: '17:00' }], 'allowed[0].from'],
    ['minutes 60', [{ from: '09:60', to: '17:00' }], 'allowed[0].from'],
    ['to past 24:00', [{ from: '09:00', to: '24:01' }], 'allowed[0].to', 'a time HH:MM between 00:00 and 24:00'],
    ['to not a string', [{ from: '09:00', to: 1700 }], 'allowed[0].to'],
    ['bad weekday', [{ from: '09:00', to: '17:00', days: ['mon', 'monday'] }], 'allowed[0].days[1]'],
    ['days not an array', [{ from: '09:00', to: '17:00', days: 'mon' }], 'allowed[0].days'],
    ['window not an object', [ok, null], 'allowed[1]'],
    ['list not an array', { from: '09:00', to: '17:00' }, 'allowed'],
  ])('%s', (_name, allowed, field, rule) => {
    expectField(() => compileWindows('UTC', allowed as readonly LocalTimeWindow[]), field, rule);
  });
  it('rejects bad zones on field timeZone', () => {
    expectField(() => compileWindows('+05:30', [ok]), 'timeZone');
    expectField(() => compileWindows('Mars/Olympus', [ok]), 'timeZone');
  });
  it('rejects objects not made by compileWindows', () => {
    const fake: CompiledWindows = { timeZone: 'UTC' };
    expect(() => nextAllowedInstant(fake, 0)).toThrow(TypeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties. The wall-clock reference below uses Intl alone (not src/core/calendar.ts).

const slowFormats = new Map<string, Intl.DateTimeFormat>();
/** Local day number and minute of day of t, straight from Intl. */
function slowLocal(zone: string, t: number): { day: number; minute: number; offset: number } {
  let f = slowFormats.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    slowFormats.set(zone, f);
  }
  const v: Record<string, number> = {};
  for (const p of f.formatToParts(t)) v[p.type] = Number(p.value);
  const wall =
    Date.UTC(v['year'] ?? NaN, (v['month'] ?? NaN) - 1, v['day'], v['hour'], v['minute'], v['second']) +
    (((t % 1000) + 1000) % 1000);
  return { day: Math.floor(wall / DAY), minute: Math.floor((wall % DAY) / MINUTE), offset: wall - t };
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
const weekdayOf = (day: number): Weekday => WEEKDAYS[(((day + 3) % 7) + 7) % 7] as Weekday;

/** Is the wall clock of t inside one of the windows (plain wall-clock reading, no DST mapping)? */
function wallAllowed(zone: string, windows: readonly LocalTimeWindow[], t: number): boolean {
  const { day, minute } = slowLocal(zone, t);
  return windows.some((w) => {
    const from = minutesOf(w.from);
    const to = w.to === '24:00' ? 1440 : minutesOf(w.to);
    const opensOn = (d: number): boolean => w.days === undefined || w.days.includes(weekdayOf(d));
    if (to > from) return opensOn(day) && minute >= from && minute < to;
    return (opensOn(day) && minute >= from) || (opensOn(day - 1) && minute < to);
  });
}

/** No offset change within ±26 h of t: the instant model and the wall-clock reading agree there. */
function stableAround(zone: string, t: number): boolean {
  return slowLocal(zone, t - 26 * HOUR).offset === slowLocal(zone, t + 26 * HOUR).offset;
}

const ZONES = [
  'Europe/London',
  'Australia/Lord_Howe',
  'America/Havana',
  'Pacific/Apia',
  'Asia/Kathmandu',
  'Pacific/Chatham',
  'Pacific/Kiritimati',
  'Etc/GMT+12',
  'America/Bogota',
  'America/Sao_Paulo',
] as const;

const hhmm = (m: number): string => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
const arbWindow: fc.Arbitrary<LocalTimeWindow> = fc
  .record({
    // Quarter hours, so edges often coincide with DST transitions and with each other.
    from: fc.integer({ min: 0, max: 95 }).map((q) => hhmm(q * 15)),
    to: fc.integer({ min: 0, max: 96 }).map((q) => (q === 96 ? '24:00' : hhmm(q * 15))),
    days: fc.option(fc.subarray([...WEEKDAYS]), { nil: undefined }),
  })
  .map(({ from, to, days }) => (days === undefined ? { from, to } : { from, to, days }));

describe('properties', () => {
  it('nextAllowedInstant is the first allowed instant >= t', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.array(arbWindow, { maxLength: 3 }),
        fc.integer({ min: at('1971-01-01T00:00:00Z'), max: at('2099-12-24T00:00:00Z') }),
        (zone, windows, t) => {
          const w = compileWindows(zone, windows);
          const next = nextAllowedInstant(w, t);
          if (next === Number.POSITIVE_INFINITY) {
            expect(windows.every((x) => x.days !== undefined && x.days.length === 0)).toBe(true);
            return;
          }
          expect(next).toBeGreaterThanOrEqual(t);
          expect(isAllowedAt(w, next)).toBe(true);
          const until = allowedUntil(w, next);
          expect(until).toBeGreaterThan(next);
          if (Number.isFinite(until)) {
            expect(isAllowedAt(w, until - 1)).toBe(true);
            expect(isAllowedAt(w, until)).toBe(false);
          }
          if (stableAround(zone, next)) expect(wallAllowed(zone, windows, next)).toBe(true);
          // Sample points in [t, next): none allowed.
          for (const f of [0, 0.1, 0.37, 0.5, 0.81, 0.999]) {
            const s = t + Math.floor((next - t) * f);
            if (s >= next) continue;
            expect(isAllowedAt(w, s)).toBe(false);
            if (stableAround(zone, s)) expect(wallAllowed(zone, windows, s)).toBe(false);
          }
          if (next > t) expect(isAllowedAt(w, next - 1)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('isAllowedAt agrees with the wall clock away from transitions', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.array(arbWindow, { maxLength: 3 }),
        fc.integer({ min: at('1971-01-01T00:00:00Z'), max: at('2099-12-24T00:00:00Z') }),
        (zone, windows, t) => {
          fc.pre(stableAround(zone, t));
          const w = compileWindows(zone, windows);
          expect(isAllowedAt(w, t)).toBe(wallAllowed(zone, windows, t));
        },
      ),
      { numRuns: 300 },
    );
  });
});
