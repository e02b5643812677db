import { describe, expect, it } from 'vitest';
import { validateMessage } from '../../../src/core/policy/index.js';
import { ValidationError } from '../../../src/errors.js';
import {
  parseCsv,
  parseJsonl,
  screenRecipients,
  screenRecipientsAsync,
  SKIP_REASONS,
  type AcceptedRecipient,
  type RecipientOutcome,
  type RecipientRow,
  type ScreenOptions,
  type SkippedRecipient,
  type SkipReason,
} from '../../../src/scheduler/recipients/index.js';

const NOW = Date.UTC(2025, 5, 1, 12);
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const GB = '+447400123456';
const GB_NSN = '7400123456';

type Row = Record<string, string | number | boolean | null>;
const jsonl = (rows: readonly Row[]): string => rows.map((r) => JSON.stringify(r)).join('\n');
const screen = (rows: readonly Row[], options: Partial<ScreenOptions> = {}): RecipientOutcome[] => [...screenRecipients(parseJsonl(jsonl(rows)), { now: NOW, ...options })];
const one = (row: Row, options: Partial<ScreenOptions> = {}): RecipientOutcome => {
  const [o] = screen([row], options);
  if (o === undefined) throw new Error('no outcome');
  return o;
};
const accepted = (o: RecipientOutcome | undefined): AcceptedRecipient => {
  if (o?.status !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(o)}`);
  return o;
};
const skippedAs = (o: RecipientOutcome | undefined, reason: SkipReason): SkippedRecipient => {
  if (o?.status !== 'skipped') throw new Error(`expected skipped, got ${JSON.stringify(o)}`);
  expect(o.reason).toBe(reason);
  return o;
};

/** A row that passes every check with the default options. */
const ok: Row = { to: GB, optIn: 'yes' };

describe('screenRecipients: every skip reason', () => {
  it.each<[string, Row | string, Partial<ScreenOptions>, SkipReason, string | undefined]>([
    ['malformed line', '{"to": +447400123456', {}, 'parse-error', undefined],
    ['no `to` column', { optIn: 'yes' }, {}, 'missing-number', undefined],
    ['blank `to`', { to: ' \u00a0- ', optIn: 'yes' }, {}, 'missing-number', undefined],
    ['national number, no default country', { to: '07400 123456', optIn: 'yes' }, {}, 'invalid-number', undefined],
    ['letters', { to: 'tel:+447400123456', optIn: 'yes' }, {}, 'invalid-number', undefined],
    ['suppressed (any notation)', { to: '0044 7400-123456', optIn: 'yes' }, { suppression: new Set([GB]) }, 'suppressed', undefined],
    ['suppression wins over other defects', { to: GB, optIn: 'maybe', category: 'promo' }, { suppression: new Set([GB]) }, 'suppressed', undefined],
    ['id with braces', { ...ok, id: 'a{b}' }, {}, 'invalid-field', 'id'],
    ['id with a control character', { ...ok, id: 'a\u0000b' }, {}, 'invalid-field', 'id'],
    ['unknown category', { ...ok, category: 'promo' }, {}, 'invalid-category', undefined],
    ['unknown zone', { ...ok, tz: 'Mars/Olympus' }, {}, 'invalid-time-zone', undefined],
    ['UTC offset as zone', { ...ok, tz: '+05:30' }, {}, 'invalid-time-zone', undefined],
    ['unreadable optIn', { ...ok, optIn: 'maybe' }, {}, 'invalid-field', 'optIn'],
    ['unreadable lastInboundAt', { ...ok, lastInboundAt: 'yesterday' }, {}, 'invalid-field', 'lastInboundAt'],
    ['lastInboundAt in epoch seconds', { ...ok, lastInboundAt: Math.floor(NOW / 1000) }, {}, 'invalid-field', 'lastInboundAt'],
    ['lastInboundAt in the future', { ...ok, lastInboundAt: NOW + 6 * MINUTE }, {}, 'invalid-field', 'lastInboundAt'],
    ['explicit opt-out', { to: GB, optIn: 'no' }, {}, 'not-opted-in', undefined],
    ['explicit opt-out even when opt-in is not required', { to: GB, optIn: false }, { requireOptIn: false }, 'not-opted-in', undefined],
    ['no optIn for a template category', { to: GB }, {}, 'not-opted-in', undefined],
    ['no optIn, utility', { to: GB, category: 'utility' }, {}, 'not-opted-in', undefined],
    ['no optIn, authentication', { to: GB, category: 'authentication' }, {}, 'not-opted-in', undefined],
    ['service without lastInboundAt', { to: GB, category: 'service' }, {}, 'outside-service-window', undefined],
    ['service, last inbound exactly 24 h ago', { to: GB, category: 'service', lastInboundAt: NOW - DAY }, {}, 'outside-service-window', undefined],
    ['service, custom window', { to: GB, category: 'service', lastInboundAt: NOW - 2 * HOUR }, { serviceWindowMs: HOUR }, 'outside-service-window', undefined],
    ['stale', { ...ok, lastInboundAt: NOW - 180 * DAY - 1 }, {}, 'stale', undefined],
    ['stale (ISO date)', { ...ok, lastInboundAt: '2024-01-01' }, {}, 'stale', undefined],
    ['stale, custom limit', { ...ok, lastInboundAt: NOW - 31 * DAY }, { staleAfterMs: 30 * DAY }, 'stale', undefined],
    ['missing lastInboundAt when required', ok, { staleWithoutLastInbound: true }, 'stale', undefined],
  ])('%s', (_name, row, options, reason, field) => {
    const outcomes = typeof row === 'string' ? [...screenRecipients(parseJsonl(row), { now: NOW, ...options })] : screen([row], options);
    expect(outcomes).toHaveLength(1);
    const o = skippedAs(outcomes[0], reason);
    expect(o.field).toBe(field);
    expect(o.row).toBe(1);
    expect(o.id).toBe('1');
    expect(SKIP_REASONS).toContain(o.reason);
  });

  it('duplicate: the same number in other notations, reported against the first accepted row', () => {
    const out = screen([
      { to: '+44 7400 123456', optIn: 'yes', id: 'first' },
      { to: '0044 7400-123456', optIn: 'yes' },
      { to: '＋４４ ７４００ １２３４５６', optIn: 'yes' },
      { to: '+٤٤ ٧٤٠٠ ١٢٣٤٥٦', optIn: 'yes' },
      { to: '۰۰۴۴ ۷۴۰۰ ۱۲۳۴۵۶', optIn: 'yes' },
      { to: '+44 (0)7400\u00a0123\u2013456', optIn: 'yes' },
      { to: '+44 7400 123457', optIn: 'yes' },
    ]);
    expect(accepted(out[0]).id).toBe('first');
    for (const o of out.slice(1, 6)) {
      const s = skippedAs(o, 'duplicate');
      expect(s.duplicateOf).toBe(1);
      expect(s.detail).toBe('same number as row 1');
    }
    expect(accepted(out[6]).to).toBe('+447400123457');
  });

  it('duplicates count against ACCEPTED rows only; a row bad on its own shows its own defect', () => {
    const out = screen([
      { to: GB, optIn: 'no' }, // not accepted
      { to: GB, optIn: 'yes' }, // first accepted
      { to: GB, optIn: 'no' }, // own defect first
      { to: GB, optIn: 'yes' }, // duplicate of row 2
    ]);
    skippedAs(out[0], 'not-opted-in');
    expect(accepted(out[1]).row).toBe(2);
    skippedAs(out[2], 'not-opted-in');
    expect(skippedAs(out[3], 'duplicate').duplicateOf).toBe(2);
  });

  it('duplicate-id: two accepted rows may not share an id (admission is idempotent by id)', () => {
    const out = screen([
      { to: GB, optIn: 1, id: 'c-1' },
      { to: '+447400123457', optIn: 1, id: 'c-1' },
      { to: '+447400123458', optIn: 1, id: '1' }, // collides with no explicit id: row 1 had "c-1"
      { to: '+447400123459', optIn: 1 }, // default id "4"
    ]);
    expect(accepted(out[0]).id).toBe('c-1');
    const dup = skippedAs(out[1], 'duplicate-id');
    expect(dup.duplicateOf).toBe(1);
    expect(dup.field).toBe('id');
    expect(accepted(out[2]).id).toBe('1');
    expect(accepted(out[3]).id).toBe('4');
  });
});

describe('screenRecipients: accepted rows', () => {
  it('carries the canonical number, zones, category, consent and variables', () => {
    const o = accepted(one({ to: '0044 7400 123456', id: ' r-7 ', optIn: 'YES', lastInboundAt: '2025-05-01T09:30:00+01:00', name: 'Zoë', code: 'A1', empty: '' }));
    expect(o).toEqual({
      status: 'accepted',
      row: 1,
      line: 1,
      id: 'r-7',
      to: GB,
      country: 'GB',
      timeZones: ['Europe/London'],
      timeZone: 'Europe/London',
      timeZoneSource: 'number',
      category: 'marketing',
      optIn: true,
      lastInboundAt: Date.UTC(2025, 4, 1, 8, 30),
      serviceWindowEndsAt: undefined,
      variables: { name: 'Zoë', code: 'A1', empty: '' },
    });
    expect(Object.getPrototypeOf(o.variables)).toBeNull();
  });

  it('the tz column wins over the number; spelling is kept', () => {
    const o = accepted(one({ ...ok, to: '+1 212 555 1234', tz: ' america/los_angeles ' }));
    expect(o.timeZones).toEqual(['america/los_angeles']);
    expect(o.timeZoneSource).toBe('column');
  });

  it('multi-zone numbers give every candidate zone and no single timeZone', () => {
    const o = accepted(one({ ...ok, to: '+34 612 345 678' }));
    expect(o.timeZones).toEqual(['Europe/Madrid', 'Atlantic/Canary']);
    expect(o.timeZone).toBeUndefined();
    expect(o.timeZoneSource).toBe('number');
  });

  it('a non-geographic number has no zone: the policy default applies', () => {
    const o = accepted(one({ ...ok, to: '+800 1234 5678' }));
    expect(o.timeZones).toEqual([]);
    expect(o.timeZoneSource).toBe('none');
    expect(o.country).toBeUndefined();
  });

  it('defaults: category, default country, opt-in not required, no lastInboundAt is not stale', () => {
    expect(accepted(one(ok)).category).toBe('marketing');
    expect(accepted(one(ok, { defaultCategory: 'utility' })).category).toBe('utility');
    expect(accepted(one({ ...ok, category: ' Utility ' })).category).toBe('utility');
    expect(accepted(one({ to: '07400 123456', optIn: 'yes' }, { defaultCountry: 'GB' })).to).toBe(GB);
    expect(accepted(one({ to: GB }, { requireOptIn: false })).optIn).toBeUndefined();
    expect(accepted(one(ok)).lastInboundAt).toBeUndefined();
  });

  it('boundaries: 180 days exactly is not stale; 5 min in the future is tolerated; Infinity disables staleness', () => {
    expect(accepted(one({ ...ok, lastInboundAt: NOW - 180 * DAY })).lastInboundAt).toBe(NOW - 180 * DAY);
    accepted(one({ ...ok, lastInboundAt: NOW + 5 * MINUTE }));
    accepted(one({ ...ok, lastInboundAt: '2020-01-01T00:00:00Z' }, { staleAfterMs: Infinity }));
  });

  it('service: needs no opt-in, only a recent inbound message; reports when the window closes', () => {
    const last = NOW - DAY + 1;
    const o = accepted(one({ to: GB, category: 'service', optIn: 'no', lastInboundAt: last }));
    expect(o.serviceWindowEndsAt).toBe(last + DAY);
    expect(accepted(one({ to: GB, category: 'service', lastInboundAt: NOW - HOUR }, { serviceWindowMs: 2 * HOUR })).serviceWindowEndsAt).toBe(NOW + HOUR);
    // A slightly future timestamp (clock skew) is read as now, never later.
    expect(accepted(one({ to: GB, category: 'service', lastInboundAt: NOW + 2 * MINUTE })).serviceWindowEndsAt).toBe(NOW + DAY);
  });

  it('accepted recipients are valid admission messages', () => {
    const rows: Row[] = ['+44 7400 123456', '+1 212 555 1234', '+91 98765 43210', '+55 11 91234 5678', '+977 980 1234567', '+61 2 9123 4567'].map((to, k) => ({ to, optIn: 1, id: `r${k}` }));
    for (const o of screen(rows)) {
      const a = accepted(o);
      const timeZone = a.timeZone;
      expect(timeZone).toBeDefined();
      expect(() =>
        validateMessage({ id: a.id, to: a.to, from: 'n1', portfolio: 'p', category: a.category, ...(timeZone === undefined ? {} : { timeZone }) }),
      ).not.toThrow();
    }
  });
});

describe('screenRecipients: nothing is lost, nothing leaks', () => {
  const MIXED = [
    'to,id,optIn,tz,category,lastInboundAt,name',
    `${GB},a,yes,,,,"Smith, J"`,
    `0044 7400 123456,b,yes,,,,x`, // duplicate
    `+44 7400 123457,c,no,,,,x`, // not opted in
    `+44 7700 900123,d,yes,,,,x`, // invalid (drama range)
    `+44 7400 123458,e,yes,Mars/Olympus,,,x`,
    `+44 7400 123459,f,yes,,promo,,x`,
    `+44 7400 123460,g,maybe,,,,x`,
    `+44 7400 123461,h,yes,,,2020-01-01,x`,
    `+44 7400 123462,i,yes,,service,,x`,
    `+44 7400 123463,j,yes`, // wrong field count
    `"+44 7400 123464",k,yes,,,,"unterminated`,
  ].join('\n');

  it('one outcome per row, in order', () => {
    const rows: RecipientRow[] = [...parseCsv(MIXED)];
    const out = [...screenRecipients(rows, { now: NOW })];
    expect(out.map((o) => o.row)).toEqual(rows.map((r) => r.row));
    expect(out.map((o) => (o.status === 'accepted' ? 'accepted' : o.reason))).toEqual([
      'accepted',
      'duplicate',
      'not-opted-in',
      'invalid-number',
      'invalid-time-zone',
      'invalid-category',
      'invalid-field',
      'stale',
      'outside-service-window',
      'parse-error',
      'parse-error',
    ]);
  });

  it('skip outcomes never contain a phone number (any notation, any run of 6+ digits)', () => {
    for (const o of screenRecipients(parseCsv(MIXED), { now: NOW })) {
      if (o.status === 'accepted') continue;
      const text = JSON.stringify(o);
      expect(text).not.toMatch(/\d{6,}/);
      expect(text).not.toContain(GB_NSN.slice(0, 6));
    }
  });

  it('option errors name the field and never echo a number', () => {
    const cases: [Partial<ScreenOptions> | Record<string, unknown>, string][] = [
      [{ now: Number.NaN }, 'options.now'],
      [{ now: 1.5 }, 'options.now'],
      [{ now: '2025-06-01' }, 'options.now'],
      [{ staleAfterMs: 0 }, 'options.staleAfterMs'],
      [{ staleAfterMs: -DAY }, 'options.staleAfterMs'],
      [{ staleAfterMs: Number.NaN }, 'options.staleAfterMs'],
      [{ serviceWindowMs: Infinity }, 'options.serviceWindowMs'],
      [{ defaultCategory: 'promo' }, 'options.defaultCategory'],
      [{ defaultCountry: 'XX' }, 'options.defaultCountry'],
      [{ requireOptIn: 'yes' }, 'options.requireOptIn'],
      [{ staleWithoutLastInbound: 1 }, 'options.staleWithoutLastInbound'],
      [{ suppression: [GB] }, 'options.suppression'],
      [{ suppression: new Set(['447400123456']) }, 'options.suppression'],
      [{ suppression: new Set(['+44 7400 123456']) }, 'options.suppression'],
    ];
    for (const [options, field] of cases) {
      let caught: unknown;
      try {
        // Thrown at the call, before any row is read.
        screenRecipients([], { now: NOW, ...options } as ScreenOptions);
      } catch (e) {
        caught = e;
      }
      expect(caught, field).toBeInstanceOf(ValidationError);
      expect((caught as ValidationError).field).toBe(field);
      expect((caught as Error).message).not.toContain(GB_NSN);
      expect((caught as Error).message).not.toContain('123456');
    }
    expect(() => screenRecipients([], null as unknown as ScreenOptions)).toThrow(ValidationError);
  });

  it('works on async row sources', async () => {
    async function* source(): AsyncGenerator<RecipientRow> {
      yield* parseCsv(MIXED);
    }
    const out: RecipientOutcome[] = [];
    for await (const o of screenRecipientsAsync(source(), { now: NOW })) out.push(o);
    expect(out).toHaveLength(11);
    expect(out.filter((o) => o.status === 'accepted')).toHaveLength(1);
  });
});

describe('screenRecipients at scale', () => {
  it('200,000 CSV rows: exact counts per outcome', () => {
    // Every 20 rows: 14 accepted and one of each of six skip reasons. Brazilian numbers: +55
    // belongs to one region, so libphonenumber checks one plan (shared codes like +44 cost 3x).
    const N = 200_000;
    const suppression = new Set<string>();
    const lines: string[] = ['to,id,optIn,tz,lastInboundAt,name,note'];
    const num = (i: number): string => String(i).padStart(8, '0');
    const recent = new Date(NOW - 3 * DAY).toISOString();
    for (let i = 0; i < N; i++) {
      const eight = num(i);
      let to = `+55 11 9${eight}`;
      let optIn = 'yes';
      let tz = '';
      let last = recent;
      switch (i % 20) {
        case 1:
          to = `0055 (11) 9${num(i - 1).slice(0, 4)}-${num(i - 1).slice(4)}`; // duplicate of the previous row, other notation
          break;
        case 2:
          optIn = 'no';
          break;
        case 3:
          to = `11 9${eight}`; // national form, no default country
          break;
        case 4:
          last = String(NOW - 200 * DAY);
          break;
        case 5:
          tz = 'Mars/Olympus';
          break;
        case 6:
          suppression.add(`+55119${eight}`);
          break;
        case 7:
          tz = 'Asia/Kolkata';
          break;
      }
      lines.push(`${to},id-${i},${optIn},${tz},${last},"Name ${i}, ""quoted""",note ${i % 7}`);
    }
    const csv = `${lines.join('\r\n')}\r\n`;
    const counts = new Map<string, number>();
    const seen = new Set<string>();
    let rows = 0;
    let lastRow = 0;
    for (const o of screenRecipients(parseCsv(csv), { now: NOW, suppression })) {
      rows++;
      // Plain checks in the loop: a vitest expect per row would dominate the run time.
      if (o.row !== lastRow + 1) throw new Error(`row ${o.row} after ${lastRow}`);
      lastRow = o.row;
      const key = o.status === 'accepted' ? 'accepted' : o.reason;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (o.status === 'accepted') {
        if (seen.has(o.to)) throw new Error('accepted twice');
        seen.add(o.to);
        if (o.row % 20 === 8 && o.timeZone !== 'Asia/Kolkata') throw new Error('tz column lost');
      }
    }
    expect(rows).toBe(N);
    expect(Object.fromEntries(counts)).toEqual({
      accepted: (N / 20) * 14,
      duplicate: N / 20,
      'not-opted-in': N / 20,
      'invalid-number': N / 20,
      stale: N / 20,
      'invalid-time-zone': N / 20,
      suppressed: N / 20,
    });
  });
});
