import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SKIP_REASONS, parseSchedule } from '../../src/cli/schedule-format.js';
import { maskDigits, runVerify, type RuleSummary, type VerifyArgs } from '../../src/cli/verify.js';
import { ValidationError } from '../../src/errors.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLE_POLICY = join(root, 'examples/policy.json');

const dir = mkdtempSync(join(tmpdir(), 'sluice-verify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function writeTemp(content: string, ext: string): string {
  const path = join(dir, `f${++files}.${ext}`);
  writeFileSync(path, content);
  return path;
}

type Row = Record<string, unknown>;

/** Monday 2026-11-23 10:00 UTC: 10:00 in London, 11:00 in Madrid, 05:00 in New York. */
const T0 = Date.parse('2026-11-23T10:00:00Z');
const at = (offsetMs: number): string => new Date(T0 + offsetMs).toISOString();
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** A distinct UK mobile number per index (12 digits after the +). */
const phone = (i: number): string => `+4477009${String(10000 + i)}`;
/** How the output shows any of them: the first 4 characters, then every digit masked. */
const MASKED = `+447${'•'.repeat(9)}`;

/** A send from `phone-1` in portfolio `acme` to a London recipient, at T0 unless told. */
function send(id: string, over: Row = {}): Row {
  return {
    id,
    to: phone(1),
    from: 'phone-1',
    portfolio: 'acme',
    category: 'utility',
    timeZone: 'Europe/London',
    sendAt: at(0),
    ...over,
  };
}

function policyFile(limits: unknown[], sendWindows: unknown[] = []): string {
  return writeTemp(JSON.stringify({ name: 'test', limits, sendWindows }), 'json');
}

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/**
 * Runs verify on `rows` written as a schedule file, and checks what must hold for every run: no
 * digit run of 8 or more from the input (a phone number) appears anywhere in the output.
 */
function verify(policy: string, rows: readonly Row[], args: Partial<VerifyArgs> = {}): Run {
  const schedule = writeTemp(rows.map((r) => JSON.stringify(r)).join('\n') + '\n', 'jsonl');
  const out: string[] = [];
  const err: string[] = [];
  const code = runVerify({ policy, schedule, ...args }, (s) => out.push(s), (s) => err.push(s));
  const all = [...out, ...err].join('\n');
  for (const row of rows) {
    for (const value of Object.values(row)) {
      if (typeof value !== 'string') continue;
      for (const digits of value.match(/\d{8,}/g) ?? []) expect(all).not.toContain(digits);
    }
  }
  return { code, out: out.join('\n'), err: err.join('\n') };
}

interface JsonViolation {
  readonly kind: string;
  readonly rule: string;
  readonly key: string;
  readonly at: string | null;
  readonly detail: string;
  readonly ids: string[];
  readonly lines: number[];
}

interface JsonReport {
  readonly ok: boolean;
  readonly policy: string;
  readonly sends: number;
  readonly skipped: number;
  readonly skippedByReason: { reason: string; count: number }[];
  readonly rules: RuleSummary[];
  readonly violationCount: number;
  readonly violationCountExact: boolean;
  readonly violations: JsonViolation[];
}

function verifyJson(policy: string, rows: readonly Row[], args: Partial<VerifyArgs> = {}): { code: number; report: JsonReport } {
  const r = verify(policy, rows, { ...args, json: true });
  expect(r.err).toBe('');
  return { code: r.code, report: JSON.parse(r.out) as JsonReport };
}

function rule(report: JsonReport, name: string): RuleSummary {
  const found = report.rules.find((r) => r.rule === name);
  if (found === undefined) throw new Error(`no rule ${name} in the report`);
  return found;
}

/** The rules that failed, by name. */
function failed(report: JsonReport): string[] {
  return report.rules.filter((r) => !r.ok).map((r) => r.rule);
}

// ---------------------------------------------------------------------------------------------

describe('parseSchedule', () => {
  it('reads sends and skipped rows, ISO or epoch instants, and skips blank lines', () => {
    const text = [
      JSON.stringify(send('a', { campaign: 'winter', apiKey: 'key-1', cost: 2, batch: 1 })),
      '',
      JSON.stringify(send('b', { sendAt: T0 + 5, category: 'marketing' })),
      '   ',
      JSON.stringify({ id: 'c', row: 7, skipped: 'suppressed', detail: 'asked to stop' }),
      JSON.stringify({ id: 'd', skipped: 'no-such-reason' }),
    ].join('\r\n');
    const schedule = parseSchedule(`\uFEFF${text}\n`);
    expect(schedule.sends).toEqual([
      { id: 'a', sendAt: T0, to: phone(1), from: 'phone-1', portfolio: 'acme', category: 'utility', cost: 2, campaign: 'winter', apiKey: 'key-1', timeZone: 'Europe/London' },
      { id: 'b', sendAt: T0 + 5, to: phone(1), from: 'phone-1', portfolio: 'acme', category: 'marketing', cost: 1, timeZone: 'Europe/London' },
    ]);
    expect(schedule.sendLines).toEqual([1, 3]);
    expect(schedule.skipped).toEqual([
      { id: 'c', reason: 'suppressed', line: 5, row: 7, detail: 'asked to stop' },
      // Parsed as written: verify, not the parser, reports reasons outside the documented set.
      { id: 'd', reason: 'no-such-reason', line: 6 },
    ]);
    expect(parseSchedule('')).toEqual({ sends: [], sendLines: [], skipped: [] });
  });

  it('reads ISO instants exactly, with Z or an offset', () => {
    const sendAt = (value: unknown): number => parseSchedule(JSON.stringify(send('a', { sendAt: value }))).sends[0]?.sendAt ?? NaN;
    expect(sendAt('2026-11-23T10:00:00.000Z')).toBe(T0);
    expect(sendAt('2026-11-23T10:00Z')).toBe(T0);
    expect(sendAt('2026-11-23T10:00:00.5Z')).toBe(T0 + 500);
    expect(sendAt('2026-11-23T10:00:00.05Z')).toBe(T0 + 50);
    expect(sendAt('2026-11-23T11:00:00+01:00')).toBe(T0);
    expect(sendAt('2026-11-23T04:30:00-05:30')).toBe(T0);
    expect(sendAt('2026-11-24T00:45:00+14:45')).toBe(T0);
    expect(sendAt('2028-02-29T00:00:00Z')).toBe(Date.UTC(2028, 1, 29));
    expect(sendAt(T0)).toBe(T0);
  });

  function fieldOf(text: string): { field: string; message: string } {
    try {
      parseSchedule(text);
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      const v = e as ValidationError;
      expect(v.message).not.toContain('7700910001');
      return { field: v.field, message: v.message };
    }
    throw new Error('expected a ValidationError');
  }
  const badSend = (over: Row): string => `${JSON.stringify(send('ok'))}\n\n${JSON.stringify(send('bad', over))}`;

  it('refuses instants that are ambiguous, impossible or probably in seconds, naming the line', () => {
    const zoneless = fieldOf(badSend({ sendAt: '2026-11-23T10:00:00' }));
    expect(zoneless.field).toBe('line 3.sendAt');
    expect(zoneless.message).toContain('ending in Z or ±HH:MM');
    for (const sendAt of [
      '2026-11-23',
      '2026-11-23 10:00:00',
      '2026-11-23T10:00:00.000z',
      '2026-11-23t10:00:00Z',
      '2026-02-30T10:00:00Z',
      '2026-13-01T10:00:00Z',
      '2026-11-00T10:00:00Z',
      '2026-11-23T24:00:00Z',
      '2026-11-23T10:60:00Z',
      '2026-11-23T10:00:60Z',
      '2026-11-23T10:00:00.1234Z',
      '2026-11-23T10:00:00+24:00',
      '2026-11-23T10:00:00+0100',
      '1999-12-31T23:59:59.999Z',
      'yesterday',
      String(T0),
      T0 / 1000, // epoch seconds
      T0 + 0.5,
      -1,
      null,
      true,
    ]) {
      expect(fieldOf(badSend({ sendAt })).field, String(sendAt)).toBe('line 3.sendAt');
    }
    expect(fieldOf(badSend({ sendAt: undefined })).field).toBe('line 3.sendAt');
  });

  it('refuses bad fields and unknown fields, naming the line and the field', () => {
    const cases: [string, string][] = [
      ['{"id": "x", oops}', 'line 1'],
      ['[1, 2]', 'line 1'],
      [badSend({ campain: 'winter' }), 'line 3.campain'],
      [badSend({ to: '4477009100011' }), 'line 3.to'],
      [badSend({ to: '+04477009100' }), 'line 3.to'],
      [badSend({ to: undefined }), 'line 3.to'],
      [badSend({ id: '' }), 'line 3.id'],
      [badSend({ from: 3 }), 'line 3.from'],
      [badSend({ portfolio: undefined }), 'line 3.portfolio'],
      [badSend({ category: 'promo' }), 'line 3.category'],
      [badSend({ timeZone: '+05:30' }), 'line 3.timeZone'],
      [badSend({ timeZone: undefined }), 'line 3.timeZone'],
      [badSend({ cost: 0 }), 'line 3.cost'],
      [badSend({ cost: 1.5 }), 'line 3.cost'],
      [badSend({ batch: -1 }), 'line 3.batch'],
      [badSend({ campaign: '' }), 'line 3.campaign'],
      [JSON.stringify({ id: 'x', skipped: 'stale', sendAt: T0 }), 'line 1.sendAt'],
      [JSON.stringify({ id: 'x', skipped: '' }), 'line 1.skipped'],
      [JSON.stringify({ id: 'x', skipped: 7 }), 'line 1.skipped'],
      [JSON.stringify({ skipped: 'stale' }), 'line 1.id'],
      [JSON.stringify({ id: 'x', skipped: 'stale', row: 1.5 }), 'line 1.row'],
      [JSON.stringify({ id: 'x', skipped: 'stale', detail: 3 }), 'line 1.detail'],
      [`${JSON.stringify(send('a'))}\n{"to": "${phone(1)}"`, 'line 2'],
    ];
    for (const [text, field] of cases) expect(fieldOf(text).field, text).toBe(field);
    // A field name that could be a phone number is not printed as a path.
    expect(fieldOf(badSend({ [phone(1)]: 1 })).field).toBe('line 3.(a field)');
  });
});

// ---------------------------------------------------------------------------------------------

describe('sluice verify: clean schedules pass', () => {
  it('passes a clean conservative schedule and reports every rule with its peak and budget', () => {
    const rows: Row[] = [
      send('a1', { category: 'marketing', campaign: 'winter', apiKey: 'key-1' }),
      send('a2', { to: phone(2), category: 'marketing', campaign: 'winter', apiKey: 'key-1', sendAt: at(SECOND) }),
      send('a3', { to: phone(3), campaign: 'winter', apiKey: 'key-1', sendAt: T0 + 2 * SECOND }),
      // The same person again, two minutes later: pair-spacing asks for one minute.
      send('a4', { campaign: 'winter', apiKey: 'key-1', sendAt: at(2 * MINUTE), batch: 1 }),
      // 23:30 in Madrid: quiet hours hold marketing and utility only, never an OTP.
      send('a5', { to: phone(4), category: 'authentication', timeZone: 'Europe/Madrid', sendAt: '2026-11-23T22:30:00.000Z' }),
      send('a6', { to: phone(5), category: 'marketing', timeZone: 'America/New_York', sendAt: '2026-11-23T14:00:00-05:00' }),
      { id: 'a7', row: 8, skipped: 'suppressed', detail: 'asked to stop' },
      // A repeated input row is skipped under the id of the row that was planned.
      { id: 'a1', row: 9, skipped: 'duplicate' },
      ...SKIP_REASONS.map((reason, i) => ({ id: `s${i}`, skipped: reason })),
    ];
    const text = verify('conservative', rows);
    expect(text.err).toBe('');
    expect(text.code).toBe(0);
    expect(text.out).toContain('against policy "conservative"');
    expect(text.out).toContain('sends      6 checked from 2026-11-23T10:00:00.000Z to 2026-11-23T22:30:00.000Z');
    expect(text.out).toMatch(new RegExp(`skipped\\s+${2 + SKIP_REASONS.length} \\(duplicate 2, suppressed 2, ambiguous-time-zone 1, capacity 1, `));
    expect(text.out).toMatch(/^number-per-minute\s+rate\/number\s+6\s+3 \/ 200\s+ok {2}\(peak at acme\/phone-•\)$/m);
    expect(text.out).toMatch(/^quiet-hours\s+send-window\s+5\s+-\s+ok$/m);
    expect(text.out).toMatch(new RegExp(`^sent-and-skipped\\s+schedule\\s+${2 + SKIP_REASONS.length}\\s+-\\s+ok$`, 'm'));
    expect(text.out).not.toContain('note:');
    expect(text.out).toContain('result     OK: no violation, every rule holds');

    const { code, report } = verifyJson('conservative', rows);
    expect(code).toBe(0);
    expect(report).toMatchObject({ ok: true, policy: 'conservative', sends: 6, skipped: 2 + SKIP_REASONS.length, violationCount: 0, violationCountExact: true, violations: [] });
    expect(failed(report)).toEqual([]);
    expect(report.rules.map((r) => r.rule)).toEqual([
      'number-per-minute',
      'number-ceiling',
      'number-burst-10min',
      'recipient-daily',
      'pair-spacing',
      'api-key',
      'campaign-batches',
      'quiet-hours',
      'duplicate-id',
      'skip-reasons',
      'sent-and-skipped',
    ]);
    expect(rule(report, 'pair-spacing')).toMatchObject({ kind: 'rate', scope: 'pair', checked: 5, observed: 1, budget: 1 });
    expect(rule(report, 'recipient-daily')).toMatchObject({ checked: 6, observed: 2, budget: 5, key: `acme/${MASKED}@2026-11-23` });
    expect(rule(report, 'api-key')).toMatchObject({ checked: 4, observed: 1, budget: 5 });
    expect(rule(report, 'campaign-batches')).toMatchObject({ kind: 'batch', checked: 4, observed: 4, budget: 1000 });
    expect(report.skippedByReason.slice(0, 2)).toEqual([
      { reason: 'duplicate', count: 2 },
      { reason: 'suppressed', count: 2 },
    ]);
  });

  it('notes rules that applied to no send', () => {
    const r = verify('conservative', [send('a1')]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('note: api-key, campaign-batches applied to no send');
  });

  it('loads examples/policy.json: 500 per minute passes what conservative refuses', () => {
    const rows = [send('a1'), send('a2', { to: phone(2), sendAt: at(150) })];
    expect(verifyJson('conservative', rows).report.violations.map((v) => v.rule)).toEqual(['number-per-minute']);
    const { code, report } = verifyJson(EXAMPLE_POLICY, rows);
    expect(code).toBe(0);
    expect(report.policy).toBe('example-campaign');
    expect(rule(report, 'number-per-minute').budget).toBe(500);
    expect(rule(report, 'portfolio-messaging-limit')).toMatchObject({ kind: 'distinct', checked: 2, observed: 2, budget: 2000 });
  });
});

describe('sluice verify: catches each kind of broken schedule', () => {
  it('rate overshoot: two sends 100 ms apart on a number paced at 200 per minute', () => {
    const rows = [send('a1'), send('a2', { to: phone(2), sendAt: at(100) })];
    const { code, report } = verifyJson('conservative', rows);
    expect(code).toBe(1);
    expect(report.violations).toEqual([
      {
        kind: 'rate',
        rule: 'number-per-minute',
        key: 'acme/phone-•',
        at: at(100),
        detail: expect.stringContaining('200 per 60000 ms with burst 1 allows at most 1') as unknown as string,
        ids: ['a1', 'a2'],
        lines: [1, 2],
      },
    ]);
    expect(failed(report)).toEqual(['number-per-minute']);

    const text = verify('conservative', rows);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/^number-per-minute\s+rate\/number\s+2\s+2 \/ 200\s+VIOLATED/m);
    expect(text.out).toContain('violations 1\n  1. rate  number-per-minute  acme/phone-•  at 2026-11-23T10:00:00.100Z');
    expect(text.out).toContain('     ids a1, a2 (lines 1, 2)');
    expect(text.out).toContain('result     FAIL: 1 violation');
  });

  it('rate overshoot with a burst: the fourth back-to-back send of a burst of 3', () => {
    const policy = policyFile([{ name: 'burst-3', kind: 'rate', scope: 'number', count: 10, periodMs: 1000, burst: 3 }]);
    const three = [send('a1'), send('a2', { to: phone(2) }), send('a3', { to: phone(3) })];
    expect(verify(policy, three).code).toBe(0);
    const { code, report } = verifyJson(policy, [...three, send('a4', { to: phone(4), sendAt: at(99) })]);
    expect(code).toBe(1);
    expect(report.violations.map((v) => [v.kind, v.rule])).toEqual([['rate', 'burst-3']]);
    // After one emission interval (100 ms) a fourth fits.
    expect(verify(policy, [...three, send('a4', { to: phone(4), sendAt: at(100) })]).code).toBe(0);
  });

  it('window overshoot: 4 sends inside a half-open window of 10 s that allows 3', () => {
    const policy = policyFile([{ name: 'per-10s', kind: 'window', scope: 'number', count: 3, windowMs: 10_000 }]);
    const first = [0, 3000, 6000].map((t, i) => send(`a${i}`, { to: phone(i), sendAt: at(t) }));
    const { code, report } = verifyJson(policy, [...first, send('a3', { to: phone(3), sendAt: at(9_999) })]);
    expect(code).toBe(1);
    expect(report.violations).toMatchObject([{ kind: 'window', rule: 'per-10s', at: at(9_999), lines: [1, 2, 3, 4] }]);
    expect(rule(report, 'per-10s')).toMatchObject({ observed: 4, budget: 3, ok: false });
    expect(verify(policy, [...first, send('a3', { to: phone(3), sendAt: at(10_000) })]).code).toBe(0);
  });

  it('daily cap per local day: 6 OTPs on one New York day, though they span two UTC days', () => {
    // 18:00 to 23:00 New York (UTC−5) on Nov 23 = 23:00Z on the 23rd to 04:00Z on the 24th.
    const local = (hour: number, minute = 0): string => new Date(Date.UTC(2026, 10, 23, hour + 5, minute)).toISOString();
    const otp = (id: string, sendAt: string): Row => send(id, { category: 'authentication', timeZone: 'America/New_York', sendAt });
    const sameLocalDay = [18, 19, 20, 21, 22, 23].map((h, i) => otp(`otp${i}`, local(h)));
    const { code, report } = verifyJson('conservative', sameLocalDay);
    expect(code).toBe(1);
    expect(report.violations).toMatchObject([
      { kind: 'daily', rule: 'recipient-daily', key: `acme/${MASKED}@2026-11-23`, at: local(23), lines: [1, 2, 3, 4, 5, 6] },
    ]);
    // Six on one UTC day (the 24th) but five on the 23rd local and one on the 24th: clean.
    const twoLocalDays = [...[19, 20, 21, 22, 23].map((h, i) => otp(`otp${i}`, local(h))), otp('otp5', local(24, 30))];
    const clean = verifyJson('conservative', twoLocalDays);
    expect(clean.code).toBe(0);
    expect(rule(clean.report, 'recipient-daily')).toMatchObject({ observed: 5, budget: 5, ok: true });
  });

  it('pair spacing: the same number writes to the same person twice in 30 s', () => {
    const rows = [send('a1', { category: 'marketing' }), send('a2', { category: 'marketing', sendAt: at(30 * SECOND) })];
    const { code, report } = verifyJson('conservative', rows);
    expect(code).toBe(1);
    expect(report.violations).toMatchObject([
      { kind: 'rate', rule: 'pair-spacing', key: `acme/phone-•>${MASKED}`, at: at(30 * SECOND), ids: ['a1', 'a2'] },
    ]);
    expect(failed(report)).toEqual(['pair-spacing']);
    // Another sending number is another pair; an OTP is not spaced at all.
    expect(verify('conservative', [rows[0] as Row, send('a2', { from: 'phone-2', sendAt: at(30 * SECOND) })]).code).toBe(0);
    expect(verify('conservative', [rows[0] as Row, send('a2', { category: 'authentication', sendAt: at(30 * SECOND) })]).code).toBe(0);
  });

  it('distinct limit: a fourth recipient inside 24 h when 3 are allowed', () => {
    const policy = policyFile([{ name: 'reach', kind: 'distinct', scope: 'portfolio', count: 3, windowMs: 24 * HOUR, categories: ['marketing'] }]);
    const hourly = (recipients: number[]): Row[] =>
      recipients.map((p, i) => send(`a${i}`, { to: phone(p), category: 'marketing', sendAt: at(i * HOUR) }));
    const { code, report } = verifyJson(policy, hourly([1, 2, 3, 4]));
    expect(code).toBe(1);
    expect(report.violations).toMatchObject([{ kind: 'distinct', rule: 'reach', key: 'acme', at: at(3 * HOUR) }]);
    // People already reached cost nothing; service replies are not counted.
    expect(verify(policy, [...hourly([1, 2, 3, 1, 2, 3]), send('r', { to: phone(4), category: 'service', sendAt: at(7 * HOUR) })]).code).toBe(0);
    // Exactly 24 h after the first charge, the first person has left the window.
    const later = [...hourly([1, 2, 3]), send('a3', { to: phone(4), category: 'marketing', sendAt: at(24 * HOUR) })];
    expect(verify(policy, later).code).toBe(0);
  });

  it('batch run too long: 4 sends less than a gap apart when a run may hold 3', () => {
    const policy = policyFile([{ name: 'batches', kind: 'batch', scope: 'campaign', size: 3, gapMs: MINUTE }]);
    const inCampaign = (times: number[]): Row[] =>
      times.map((t, i) => send(`c${i}`, { to: phone(i), campaign: 'winter', sendAt: at(t) }));
    const { code, report } = verifyJson(policy, inCampaign([0, 10_000, 20_000, 79_999]));
    expect(code).toBe(1);
    expect(report.violations).toMatchObject([{ kind: 'batch', rule: 'batches', key: 'acme/campaign:winter', at: at(79_999), lines: [1, 2, 3, 4] }]);
    // A pause of a full gap starts a new run; sends without a campaign are not in any run.
    const clean = verifyJson(policy, [...inCampaign([0, 10_000, 20_000, 80_000]), send('x', { to: phone(9), sendAt: at(30_000) })]);
    expect(clean.code).toBe(0);
    expect(rule(clean.report, 'batches')).toMatchObject({ checked: 4, observed: 3, budget: 3 });
  });

  it("a send inside quiet hours: marketing at 23:00 in the recipient's zone", () => {
    const night = '2026-11-23T22:00:00.000Z'; // 23:00 in Madrid, 22:00 in London
    const { code, report } = verifyJson('conservative', [send('m1', { category: 'marketing', timeZone: 'Europe/Madrid', sendAt: night })]);
    expect(code).toBe(1);
    expect(report.violations).toMatchObject([
      { kind: 'send-window', rule: 'quiet-hours', key: `acme/${MASKED}`, at: night, lines: [1] },
    ]);
    expect(report.violations[0]?.detail).toContain('local time Mon 2026-11-23 23:00:00.000 (Europe/Madrid) is outside [09:00, 22:00)');
    expect(failed(report)).toEqual(['quiet-hours']);
    // One millisecond earlier in Madrid is 21:59:59.999; an OTP is never held.
    expect(verify('conservative', [send('m1', { category: 'marketing', timeZone: 'Europe/Madrid', sendAt: '2026-11-23T20:59:59.999Z' })]).code).toBe(0);
    expect(verify('conservative', [send('m1', { category: 'authentication', timeZone: 'Europe/Madrid', sendAt: night })]).code).toBe(0);
  });

  it('a duplicate id, masked when it holds a phone number', () => {
    const id = `${phone(1)}-welcome`;
    const rows = [send(id), send('other', { to: phone(2), sendAt: at(HOUR) }), send(id, { to: phone(3), sendAt: at(2 * HOUR) })];
    const { code, report } = verifyJson('conservative', rows);
    expect(code).toBe(1);
    expect(report.violations).toMatchObject([
      { kind: 'duplicate-id', rule: 'duplicate-id', key: `${MASKED}-welcome`, ids: [`${MASKED}-welcome`], lines: [1, 3], at: at(2 * HOUR) },
    ]);
    expect(failed(report)).toEqual(['duplicate-id']);
  });

  it('with --deadline: a send after the deadline (and none at the deadline itself)', () => {
    const rows = [send('d1'), send('d2', { to: phone(2), sendAt: at(HOUR - MINUTE) }), send('d3', { to: phone(3), sendAt: at(HOUR + 1) })];
    const deadline = T0 + HOUR;
    const { code, report } = verifyJson('conservative', rows, { deadline });
    expect(code).toBe(1);
    expect(report.violations).toEqual([
      {
        kind: 'after-deadline',
        rule: 'deadline',
        key: 'd3',
        at: at(HOUR + 1),
        detail: `sent at ${at(HOUR + 1)}, 1 ms after the deadline ${at(HOUR)}`,
        ids: ['d3'],
        lines: [3],
      },
    ]);
    expect(failed(report)).toEqual(['deadline']);
    // Without the option the deadline is not known, and nothing else is wrong.
    expect(verify('conservative', rows).code).toBe(0);
    expect(verify('conservative', rows.slice(0, 2), { deadline }).code).toBe(0);
    expect(verify('conservative', [send('d1', { sendAt: at(HOUR) })], { deadline }).code).toBe(0);
  });

  it('an id both sent and skipped (unless skipped as a duplicate row)', () => {
    const rows = [send('x1'), { id: 'x1', row: 2, skipped: 'suppressed' }];
    const { code, report } = verifyJson('conservative', rows);
    expect(code).toBe(1);
    expect(report.violations).toEqual([
      {
        kind: 'sent-and-skipped',
        rule: 'sent-and-skipped',
        key: 'x1',
        at: at(0),
        detail: 'id sent on line 1 and skipped ("suppressed") on line 2',
        ids: ['x1'],
        lines: [1, 2],
      },
    ]);
    expect(failed(report)).toEqual(['sent-and-skipped']);
    expect(verify('conservative', [send('x1'), { id: 'x1', skipped: 'duplicate' }]).code).toBe(0);
  });

  it('an unknown skip reason, masked and quoted', () => {
    const rows = [send('a1'), { id: 'y1', skipped: 'opted-out' }, { id: 'y2', skipped: `blocked ${phone(7)}\n` }, { id: 'y3', skipped: 'stale' }];
    const { code, report } = verifyJson('conservative', rows);
    expect(code).toBe(1);
    expect(report.violations).toMatchObject([
      { kind: 'unknown-skip-reason', rule: 'skip-reasons', key: 'y1', at: null, lines: [2] },
      { kind: 'unknown-skip-reason', rule: 'skip-reasons', key: 'y2', at: null, lines: [3] },
    ]);
    expect(report.violations[0]?.detail).toBe(`skip reason "opted-out" is not one of the ${SKIP_REASONS.length} documented reasons`);
    expect(report.violations[1]?.detail).toMatch(/^skip reason "blocked \+447•••••••••\\n" is not one of/);
    expect(verify('conservative', rows).out).toContain(`  documented skip reasons: ${SKIP_REASONS.join(', ')}\n`);
    expect(report.skippedByReason).toEqual([
      { reason: '"blocked +447•••••••••\\n"', count: 1 },
      { reason: '"opted-out"', count: 1 },
      { reason: 'stale', count: 1 },
    ]);
    expect(failed(report)).toEqual(['skip-reasons']);
  });
});

describe('sluice verify: many violations', () => {
  // 30 marketing sends in the Madrid night, then next morning a rate overshoot, and one bad skip.
  const rows: Row[] = [
    ...Array.from({ length: 30 }, (_, i) =>
      send(`n${i}`, { to: phone(100 + i), category: 'marketing', timeZone: 'Europe/Madrid', sendAt: at(12 * HOUR + i * SECOND) }),
    ),
    send('d1', { to: phone(1), sendAt: at(24 * HOUR) }),
    send('d2', { to: phone(2), sendAt: at(24 * HOUR + 100) }),
    { id: 'z', skipped: 'gone' },
  ];

  it('lists the first N (schedule problems first, then by time) and says the count is a lower bound', () => {
    const { code, report } = verifyJson('conservative', rows, { maxViolations: 3 });
    expect(code).toBe(1);
    expect(report.violations.map((v) => `${v.kind}:${v.ids.join(',')}`)).toEqual(['unknown-skip-reason:z', 'send-window:n0', 'send-window:n1']);
    expect({ count: report.violationCount, exact: report.violationCountExact }).toEqual({ count: 5, exact: false });
    // The rate overshoot is past the list, yet its rule is reported as violated, and only it.
    expect(failed(report)).toEqual(['number-per-minute', 'quiet-hours', 'skip-reasons']);

    const text = verify('conservative', rows, { maxViolations: 3 });
    expect(text.out).toContain('violations at least 5 (showing the first 3)');
    expect(text.out).toContain('result     FAIL: at least 5 violations');
  });

  it('counts exactly when the list holds them all; 0 lists none but still fails', () => {
    const all = verifyJson('conservative', rows, { maxViolations: 100 }).report;
    expect({ count: all.violationCount, exact: all.violationCountExact, listed: all.violations.length }).toEqual({ count: 32, exact: true, listed: 32 });
    expect(all.violations.at(-1)).toMatchObject({ kind: 'rate', rule: 'number-per-minute', ids: ['d1', 'd2'] });

    const none = verifyJson('conservative', rows, { maxViolations: 0 });
    expect(none.code).toBe(1);
    expect(none.report).toMatchObject({ ok: false, violations: [], violationCountExact: false });
    expect(failed(none.report)).toEqual(['number-per-minute', 'quiet-hours', 'skip-reasons']);
  });
});

describe('sluice verify: bad input exits 2', () => {
  it.each<[string, () => Run, RegExp]>([
    ['a missing schedule', () => runWith({ schedule: join(dir, 'missing.jsonl') }), /schedule file ".*missing\.jsonl" does not exist/],
    ['a schedule that is a directory', () => runWith({ schedule: dir }), /cannot be read \(EISDIR\)/],
    ['a line that is not JSON', () => verify('conservative', [send('a1')].concat([{ raw: 1 }])), /line 2\.raw/],
    ['a zoneless instant', () => verify('conservative', [send('a1', { sendAt: '2026-11-23T10:00:00' })]), /line 1\.sendAt.*ending in Z or ±HH:MM/],
    ['a misspelt field', () => verify('conservative', [send('a1', { campain: 'winter' })]), /line 1\.campain/],
    ['a missing policy file', () => verify(join(dir, 'nope.json'), [send('a1')]), /policy file ".*nope\.json" does not exist/],
    [
      'an invalid policy file',
      () => verify(writeTemp('{"extends": "conservative", "overrides": {"limits": {"number-per-minute": {"count": 0}}}}', 'json'), [send('a1')]),
      /policy file ".*": Expected `overrides\.limits\.number-per-minute\.count` to be an integer from 1 to 1000000000, got 0/,
    ],
    ['a negative --max-violations', () => verify('conservative', [send('a1')], { maxViolations: -1 }), /--max-violations must be an integer from 0 to/],
    ['a fractional --max-violations', () => verify('conservative', [send('a1')], { maxViolations: 1.5 }), /--max-violations/],
    ['bad input with --json', () => verify('conservative', [send('a1', { sendAt: 'soon' })], { json: true }), /line 1\.sendAt/],
  ])('%s', (_name, run, message) => {
    const r = run();
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^sluice verify: /);
    expect(r.err).toMatch(message);
  });

  function runWith(args: Partial<VerifyArgs>): Run {
    const out: string[] = [];
    const err: string[] = [];
    const code = runVerify({ policy: 'conservative', schedule: '', ...args }, (s) => out.push(s), (s) => err.push(s));
    return { code, out: out.join('\n'), err: err.join('\n') };
  }
});

describe('maskDigits', () => {
  it('masks every run of 8 or more digits past its fourth character, and nothing else', () => {
    expect(maskDigits('+4915112345678')).toBe('+491••••••••••');
    expect(maskDigits('order-4915112345678-x')).toBe('order-4915•••••••••-x');
    expect(maskDigits('a 1234567 b 12345678')).toBe('a 1234567 b 1234••••');
    expect(maskDigits('acme/phone-•@2026-11-23')).toBe('acme/phone-•@2026-11-23');
  });
});
