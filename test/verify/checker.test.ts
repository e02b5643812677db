/**
 * The invariant checker must be shown to FAIL on bad ledgers, not only to pass good ones: a
 * checker that always says "ok" would make every reliability scenario meaningless. Each kind
 * gets a hand-built passing ledger and a minimally broken twin, and a property test compares
 * every rule against a naive brute force written here, independently of src/verify.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Category, LimitRule, LocalTimeWindow, Policy, RateRule, Scope, SendWindowRule, Weekday } from '../../src/core/types.js';
import { ValidationError } from '../../src/errors.js';
import { checkLedger, type CheckReport, type Violation } from '../../src/verify/checker.js';
import type { LedgerEntry } from '../../src/verify/ledger.js';

/* ------------------------------------------------------------------------------------------ */
/* helpers                                                                                     */

/** Monday 2024-01-15 12:00:00.000 UTC. */
const T0 = Date.UTC(2024, 0, 15, 12);
const RECIPIENT = '+4915112345678';

let seq = 0;
function send(sendAt: number, over: Partial<LedgerEntry> = {}): LedgerEntry {
  seq++;
  return {
    id: `m${seq}`,
    sendAt,
    to: RECIPIENT,
    from: '+4930111222333',
    portfolio: 'pf-1',
    category: 'utility',
    cost: 1,
    timeZone: 'UTC',
    ...over,
  };
}

/** Sends at T0 + each offset. */
function sends(offsets: readonly number[], over: Partial<LedgerEntry> = {}): LedgerEntry[] {
  return offsets.map((o) => send(T0 + o, over));
}

function policyOf(limits: readonly LimitRule[], sendWindows: readonly SendWindowRule[] = []): Policy {
  return { name: 'test', limits, sendWindows, defaultTimeZone: 'UTC' };
}

function expectOk(policy: Policy, ledger: readonly LedgerEntry[]): CheckReport {
  const r = checkLedger(policy, ledger);
  expect(r.violations).toEqual([]);
  expect(r.ok).toBe(true);
  return r;
}

/** Fails unless the ledger breaks exactly the named rule (and nothing else). */
function expectBroken(policy: Policy, ledger: readonly LedgerEntry[], kind: Violation['kind'], rule: string): Violation[] {
  const r = checkLedger(policy, ledger);
  expect(r.ok).toBe(false);
  expect(r.violations.length).toBeGreaterThan(0);
  for (const v of r.violations) expect({ kind: v.kind, rule: v.rule }).toEqual({ kind, rule });
  return [...r.violations];
}

const utc = (iso: string): number => Date.parse(iso);

/* ------------------------------------------------------------------------------------------ */
/* rate                                                                                        */

describe('rate (GCRA)', () => {
  const rate: RateRule = { name: 'per-number', kind: 'rate', scope: 'number', count: 2, periodMs: 1000, burst: 1 };
  const p = policyOf([rate]);

  it('passes sends paced at exactly count per period', () => {
    expectOk(p, sends([0, 500, 1000, 1500, 2000]));
  });

  it('fails 3 sends within one period for count 2 burst 1 (one ms early)', () => {
    const ledger = sends([0, 500, 999]);
    const [v] = expectBroken(p, ledger, 'rate', 'per-number');
    expect(v?.at).toBe(T0 + 999);
    expect(v?.ids).toEqual(ledger.map((e) => e.id));
  });

  it('catches an overshoot late in a long conforming history', () => {
    const offsets = Array.from({ length: 200 }, (_, k) => k * 500);
    expectOk(p, sends(offsets));
    const broken = sends([...offsets, 199 * 500 + 499]);
    const [v] = expectBroken(p, broken, 'rate', 'per-number');
    expect(v?.at).toBe(T0 + 199 * 500 + 499);
  });

  it('allows burst back to back, then pacing; burst + 1 or one ms early fails', () => {
    const burst = policyOf([{ ...rate, burst: 3 }]);
    expectOk(burst, sends([0, 0, 0, 500, 1000]));
    expectBroken(burst, sends([0, 0, 0, 499]), 'rate', 'per-number');
    expectBroken(burst, sends([0, 0, 0, 0]), 'rate', 'per-number');
  });

  it('ties cannot hide an overshoot, whatever the ledger order', () => {
    const ledger = sends([0, 0]);
    expectBroken(p, ledger, 'rate', 'per-number');
    expectBroken(p, [...ledger].reverse(), 'rate', 'per-number');
    // Three at the same instant after conforming sends: only the whole tie group overshoots.
    const burst = policyOf([{ ...rate, burst: 2 }]);
    expectOk(burst, sends([0, 1000, 1000]));
    expectBroken(burst, sends([1000, 0, 1000, 1000]), 'rate', 'per-number');
  });

  it('weighs sends by cost', () => {
    const burst2 = policyOf([{ ...rate, burst: 2 }]);
    expectOk(burst2, [send(T0, { cost: 2 }), send(T0 + 500)]);
    expectBroken(burst2, [send(T0, { cost: 2 }), send(T0 + 499)], 'rate', 'per-number');
  });

  it('keys by sending number within a portfolio', () => {
    expectOk(p, [send(T0, { from: 'a' }), send(T0, { from: 'b' }), send(T0, { from: 'a', portfolio: 'pf-2' })]);
    expectBroken(p, [send(T0, { from: 'a' }), send(T0, { from: 'a', to: '+4915199999999' })], 'rate', 'per-number');
  });

  it('stays exact when products pass 2^53 (BigInt path)', () => {
    // 100-unit sends, 200 per 1e14 ms, burst 100: cost * period = 2e16 > 2^53.
    const big = policyOf([{ name: 'big', kind: 'rate', scope: 'number', count: 200, periodMs: 1e14, burst: 100 }]);
    expectOk(big, [send(T0, { cost: 100 }), send(T0 + 5e13, { cost: 100 })]);
    expectBroken(big, [send(T0, { cost: 100 }), send(T0 + 5e13 - 1, { cost: 100 })], 'rate', 'big');
  });

  it('accepts sends rounded up to whole milliseconds, not one ms more', () => {
    // 80/s: exact arrivals every 12.5 ms, sent at the next whole millisecond.
    const p80 = policyOf([{ ...rate, count: 80 }]);
    expectOk(p80, sends([0, 12, 25, 37, 50, 62, 75]));
    expectBroken(p80, sends([0, 12, 24]), 'rate', 'per-number');
    // Never more than count in a half-open period, however the rounding falls.
    const ok = Array.from({ length: 160 }, (_, k) => Math.ceil(k * 12.5 - 0.5));
    expectOk(p80, sends(ok));
    expectBroken(p80, sends([...ok.slice(0, 80), 999]), 'rate', 'per-number');
  });

  it('reports the peak per period against count + burst - 1', () => {
    const r = expectOk(policyOf([{ ...rate, burst: 3 }]), sends([0, 0, 0, 500, 1000, 1500]));
    expect(r.peaks).toEqual([
      { rule: 'per-number', kind: 'rate', observed: 4, budget: 4, key: 'pf-1/+493••••••••••' },
    ]);
  });
});

/* ------------------------------------------------------------------------------------------ */
/* window                                                                                      */

describe('window', () => {
  const p = policyOf([{ name: 'pf-window', kind: 'window', scope: 'portfolio', count: 2, windowMs: 1000 }]);

  it('fails count + 1 inside one window, passes when shifted 1 ms out (half-open edge)', () => {
    const [v] = expectBroken(p, sends([0, 500, 999]), 'window', 'pf-window');
    expect(v?.at).toBe(T0 + 999);
    expectOk(p, sends([0, 500, 1000]));
    // Sends at 0 and at exactly windowMs are in different windows.
    expectOk(p, sends([0, 0, 1000, 1000]));
    expectBroken(p, sends([0, 0, 999]), 'window', 'pf-window');
  });

  it('catches an overshoot in the middle of a sequence', () => {
    // [0, 1000) holds 2, [600, 1600) holds 3.
    expectBroken(p, sends([0, 600, 1200, 1599]), 'window', 'pf-window');
    expectOk(p, sends([0, 600, 1600, 2200]));
  });

  it('weighs by cost; other portfolios do not count', () => {
    expectBroken(p, [send(T0, { cost: 2 }), send(T0 + 999)], 'window', 'pf-window');
    expectOk(p, [send(T0, { cost: 2 }), send(T0 + 1000), send(T0 + 500, { portfolio: 'pf-2', cost: 2 })]);
  });

  it('reports one violation per overshoot episode, with its extent', () => {
    const r = checkLedger(p, sends([0, 1, 2, 3, 4, 5000, 5001, 5002]));
    expect(r.violations.map((v) => v.at)).toEqual([T0 + 2, T0 + 5002]);
    expect(r.violations[0]?.detail).toContain('still over for 2 more send(s)');
    expect(r.peaks[0]?.observed).toBe(5);
  });

  it('applies only to the listed categories', () => {
    const mk = policyOf([
      { name: 'mk', kind: 'window', scope: 'portfolio', count: 1, windowMs: 1000, categories: ['marketing'] },
    ]);
    expectOk(mk, [...sends([0, 1, 2]), send(T0 + 3, { category: 'marketing' })]);
    expectBroken(mk, sends([0, 1], { category: 'marketing' }), 'window', 'mk');
  });
});

/* ------------------------------------------------------------------------------------------ */
/* daily                                                                                       */

describe('daily (local calendar day)', () => {
  const p = policyOf([{ name: 'per-day', kind: 'daily', scope: 'recipient', count: 2 }]);
  const at = (isos: readonly string[], timeZone: string): LedgerEntry[] => isos.map((i) => send(utc(i), { timeZone }));

  it('Asia/Kathmandu (+05:45): the same UTC instants are one day in London, two in Kathmandu', () => {
    const instants = ['2024-01-15T10:00:00.000Z', '2024-01-15T17:00:00.000Z', '2024-01-15T18:30:00.000Z'];
    const [v] = expectBroken(p, at(instants, 'Europe/London'), 'daily', 'per-day');
    expect(v?.at).toBe(utc('2024-01-15T18:30:00.000Z'));
    expect(v?.key).toContain('@2024-01-15');
    expectOk(p, at(instants, 'Asia/Kathmandu'));
    // The exact local midnight: 18:15 UTC.
    expectOk(p, at(['2024-01-15T10:00:00.000Z', '2024-01-15T18:14:59.999Z', '2024-01-15T18:15:00.000Z'], 'Asia/Kathmandu'));
    expectBroken(
      p,
      at(['2024-01-15T10:00:00.000Z', '2024-01-15T18:14:59.998Z', '2024-01-15T18:14:59.999Z'], 'Asia/Kathmandu'),
      'daily',
      'per-day',
    );
  });

  it('Europe/London 25 h day (2024-10-27): sends 25 h apart can share one local day', () => {
    const day = ['2024-10-26T23:00:00.000Z', '2024-10-27T12:00:00.000Z', '2024-10-27T23:59:59.999Z'];
    const [v] = expectBroken(p, at(day, 'Europe/London'), 'daily', 'per-day');
    expect(v?.key).toContain('@2024-10-27');
    // 1 ms earlier, the first send is 23:59:59.999 BST on the 26th.
    expectOk(p, at(['2024-10-26T22:59:59.999Z', ...day.slice(1)], 'Europe/London'));
  });

  it('Europe/London 23 h day (2024-03-31): the day ends at 23:00 UTC', () => {
    const day = ['2024-03-31T00:00:00.000Z', '2024-03-31T12:00:00.000Z', '2024-03-31T22:59:59.999Z'];
    expectBroken(p, at(day, 'Europe/London'), 'daily', 'per-day');
    expectOk(p, at([...day.slice(0, 2), '2024-03-31T23:00:00.000Z'], 'Europe/London'));
  });

  it('Pacific/Chatham (+13:45 in January): local midnight is 10:15 UTC', () => {
    expectOk(p, at(['2024-01-14T11:00:00.000Z', '2024-01-15T10:14:59.999Z', '2024-01-15T10:15:00.000Z'], 'Pacific/Chatham'));
    expectBroken(
      p,
      at(['2024-01-14T11:00:00.000Z', '2024-01-15T10:14:59.998Z', '2024-01-15T10:14:59.999Z'], 'Pacific/Chatham'),
      'daily',
      'per-day',
    );
  });

  it('counts cost and keeps recipients apart', () => {
    expectBroken(p, [send(T0, { cost: 2 }), send(T0 + 1)], 'daily', 'per-day');
    expectOk(p, [send(T0, { cost: 2 }), send(T0 + 1, { to: '+4915199999999' })]);
  });
});

/* ------------------------------------------------------------------------------------------ */
/* distinct                                                                                    */

describe('distinct (charged recipients)', () => {
  const p = policyOf([{ name: 'messaging-limit', kind: 'distinct', scope: 'portfolio', count: 2, windowMs: 1000 }]);
  const A = '+4915100000001';
  const B = '+4915100000002';
  const C = '+4915100000003';
  const to = (t: number, r: string, over: Partial<LedgerEntry> = {}): LedgerEntry => send(T0 + t, { to: r, ...over });

  it('a recipient re-messaged within the window costs nothing (and cost is ignored)', () => {
    expectOk(p, [to(0, A), to(100, B), to(200, A), to(300, B), to(999, A, { cost: 5 }), to(999, B)]);
  });

  it('one charge too many fails', () => {
    const [v] = expectBroken(p, [to(0, A), to(100, B), to(200, A), to(500, C)], 'distinct', 'messaging-limit');
    expect(v?.at).toBe(T0 + 500);
  });

  it('a recipient is charged again once its charge has left the window (half-open)', () => {
    // Charges at 0 (A), 100 (B), 1000 (A again), 1100 (C): at most 2 in any [s, s+1000).
    expectOk(p, [to(0, A), to(100, B), to(1000, A), to(1100, C)]);
    expectBroken(p, [to(0, A), to(100, B), to(1000, A), to(1099, C)], 'distinct', 'messaging-limit');
  });

  it('only charges restart the window, not free messages', () => {
    // A@600 is free (charged at 0), so A@1000 is a new charge: [1, 1001) holds B, A, C = 3.
    expectBroken(p, [to(0, A), to(600, A), to(700, B), to(1000, A), to(1000, C)], 'distinct', 'messaging-limit');
  });
});

/* ------------------------------------------------------------------------------------------ */
/* batch                                                                                       */

describe('batch (runs)', () => {
  const p = policyOf([{ name: 'progressive', kind: 'batch', scope: 'campaign', size: 3, gapMs: 1000 }]);
  const camp = { campaign: 'spring' };

  it('size + 1 in one run fails; a gap of exactly gapMs splits the run', () => {
    const [v] = expectBroken(p, sends([0, 500, 999, 1998], camp), 'batch', 'progressive');
    expect(v?.at).toBe(T0 + 1998);
    expect(v?.ids).toHaveLength(4);
    expectOk(p, sends([0, 500, 999, 1999], camp));
  });

  it('weighs by cost and ignores messages without a campaign', () => {
    expectBroken(p, [send(T0, { ...camp, cost: 2 }), send(T0 + 10, { ...camp, cost: 2 })], 'batch', 'progressive');
    expectOk(p, [...sends([0, 1, 2, 3, 4, 5]), ...sends([0, 1, 2], camp), ...sends([0, 1, 2], { campaign: 'autumn' })]);
  });
});

/* ------------------------------------------------------------------------------------------ */
/* send windows                                                                                */

describe('send windows (local wall-clock time)', () => {
  const quiet: SendWindowRule = { name: 'quiet-hours', categories: ['marketing'], allowed: [{ from: '09:00', to: '22:00' }] };
  const p = policyOf([], [quiet]);
  const mk = (iso: string, timeZone: string, over: Partial<LedgerEntry> = {}): LedgerEntry =>
    send(utc(iso), { category: 'marketing', timeZone, ...over });

  it('[09:00, 22:00): 21:59:59.999 is inside, 22:00:00.000 is not', () => {
    expectOk(p, [mk('2024-01-15T21:59:59.999Z', 'Europe/London'), mk('2024-01-15T09:00:00.000Z', 'Europe/London')]);
    const [v] = expectBroken(p, [mk('2024-01-15T22:00:00.000Z', 'Europe/London')], 'send-window', 'quiet-hours');
    expect(v?.detail).toContain('22:00:00.000');
    expectBroken(p, [mk('2024-01-15T08:59:59.999Z', 'Europe/London')], 'send-window', 'quiet-hours');
    // In summer, London is UTC+1.
    expectOk(p, [mk('2024-07-01T20:59:59.999Z', 'Europe/London')]);
    expectBroken(p, [mk('2024-07-01T21:00:00.000Z', 'Europe/London')], 'send-window', 'quiet-hours');
    // Kathmandu: 22:00 local is 16:15 UTC.
    expectOk(p, [mk('2024-01-15T16:14:59.999Z', 'Asia/Kathmandu')]);
    expectBroken(p, [mk('2024-01-15T16:15:00.000Z', 'Asia/Kathmandu')], 'send-window', 'quiet-hours');
  });

  it('applies only to its categories', () => {
    expectOk(p, [mk('2024-01-15T23:00:00.000Z', 'UTC', { category: 'utility' })]);
  });

  it('crossing midnight with days: the part after midnight belongs to the start day', () => {
    const night = policyOf([], [{ name: 'fri-night', categories: ['marketing'], allowed: [{ from: '22:00', to: '02:00', days: ['fri'] }] }]);
    // 2024-01-19 is a Friday.
    for (const ok of ['2024-01-19T22:00:00.000Z', '2024-01-19T23:59:59.999Z', '2024-01-20T00:00:00.000Z', '2024-01-20T01:59:59.999Z']) {
      expectOk(night, [mk(ok, 'UTC')]);
    }
    for (const bad of [
      '2024-01-19T21:59:59.999Z', // Friday before the start
      '2024-01-20T02:00:00.000Z', // Saturday, the interval has ended
      '2024-01-20T22:00:00.000Z', // Saturday evening: no interval starts on Saturday
      '2024-01-19T01:00:00.000Z', // Friday early morning belongs to Thursday's interval
    ]) {
      expectBroken(night, [mk(bad, 'UTC')], 'send-window', 'fri-night');
    }
    // Same wall-clock logic in Kathmandu: Friday 22:00 local is 16:15 UTC.
    expectOk(night, [mk('2024-01-19T16:15:00.000Z', 'Asia/Kathmandu'), mk('2024-01-19T20:14:59.999Z', 'Asia/Kathmandu')]);
    expectBroken(night, [mk('2024-01-19T20:15:00.000Z', 'Asia/Kathmandu')], 'send-window', 'fri-night');
  });

  it("'24:00' ends at the end of the day", () => {
    const late = policyOf([], [{ name: 'late', categories: ['marketing'], allowed: [{ from: '20:00', to: '24:00' }] }]);
    expectOk(late, [mk('2024-01-15T23:59:59.999Z', 'UTC')]);
    expectBroken(late, [mk('2024-01-16T00:00:00.000Z', 'UTC')], 'send-window', 'late');
  });

  it('DST: local 01:30 is inside [01:00, 02:00) both times on the fall-back day, never on spring-forward', () => {
    const w = policyOf([], [{ name: 'one-am', categories: ['marketing'], allowed: [{ from: '01:00', to: '02:00' }] }]);
    expectOk(w, [mk('2024-10-27T00:30:00.000Z', 'Europe/London'), mk('2024-10-27T01:30:00.000Z', 'Europe/London')]);
    expectBroken(w, [mk('2024-10-27T02:00:00.000Z', 'Europe/London')], 'send-window', 'one-am');
    // 2024-03-31: 00:59:59.999 GMT is followed by 02:00:00.000 BST.
    const r = checkLedger(w, [mk('2024-03-31T00:59:59.999Z', 'Europe/London'), mk('2024-03-31T01:00:00.000Z', 'Europe/London')]);
    expect(r.violations.map((v) => v.kind)).toEqual(['send-window', 'send-window']);
  });

  it('no allowed interval at all: every send of the category fails', () => {
    const never = policyOf([], [{ name: 'never', categories: ['marketing'], allowed: [] }]);
    expectBroken(never, [mk('2024-01-15T12:00:00.000Z', 'UTC')], 'send-window', 'never');
  });
});

/* ------------------------------------------------------------------------------------------ */
/* duplicate ids and reporting                                                                 */

describe('duplicate ids', () => {
  it('the same id twice fails, once per id, at the second occurrence', () => {
    const p = policyOf([]);
    expectOk(p, sends([0, 1, 2]));
    const r = checkLedger(p, [send(T0 + 5, { id: 'x' }), send(T0 + 1, { id: 'x' }), send(T0 + 9, { id: 'x' }), send(T0 + 2, { id: 'y' })]);
    expect(r.ok).toBe(false);
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]).toMatchObject({ kind: 'duplicate-id', rule: 'duplicate-id', key: 'x', at: T0 + 5, ids: ['x'] });
    expect(r.violations[0]?.detail).toContain('3 times');
  });
});

describe('report', () => {
  const p = policyOf(
    [
      { name: 'w', kind: 'window', scope: 'pair', count: 1, windowMs: 1000 },
      { name: 'd', kind: 'daily', scope: 'recipient', count: 1 },
      { name: 'unused', kind: 'batch', scope: 'apiKey', size: 1, gapMs: 10 },
    ],
    [{ name: 'sw', categories: ['utility'], allowed: [{ from: '13:00', to: '14:00' }] }],
  );

  it('sorts by time, caps at maxViolations, stays not-ok beyond the cap', () => {
    const ledger = sends([0, 2000, 1, 3000, 2001]);
    const all = checkLedger(p, ledger, { maxViolations: Infinity });
    const ats = all.violations.map((v) => v.at);
    expect(ats).toEqual([...ats].sort((a, b) => a - b));
    expect(all.violations.length).toBeGreaterThan(3);
    const capped = checkLedger(p, ledger, { maxViolations: 3 });
    expect(capped.ok).toBe(false);
    expect(capped.violations).toEqual(all.violations.slice(0, 3));
    const none = checkLedger(p, ledger, { maxViolations: 0 });
    expect(none).toMatchObject({ ok: false, violations: [], entries: 5 });
  });

  it('never prints a full phone number', () => {
    const from = '+4930111222333';
    const r = checkLedger(p, sends([0, 1, 2], { from, apiKey: 'sk_live_secret' }), { maxViolations: Infinity });
    expect(r.violations.length).toBeGreaterThan(0);
    const text = [...r.violations.map((v) => `${v.key} ${v.detail}`), ...r.peaks.map((pk) => pk.key)].join('\n');
    expect(text).not.toContain(RECIPIENT);
    expect(text).not.toContain(from);
    expect(text).not.toMatch(/\d{5}/);
    expect(text).toContain('+491••••••••••');
    expect(text).not.toContain('secret');
  });

  it('reports a peak for every rule, zero for a rule that matched nothing', () => {
    const r = checkLedger(p, sends([0]));
    expect(r.peaks).toEqual([
      { rule: 'w', kind: 'window', observed: 1, budget: 1, key: 'pf-1/+493••••••••••>+491••••••••••' },
      { rule: 'd', kind: 'daily', observed: 1, budget: 1, key: 'pf-1/+491••••••••••@2024-01-15' },
      { rule: 'unused', kind: 'batch', observed: 0, budget: 1, key: '' },
    ]);
  });

  it('rejects bad entries, policies and options with a ValidationError naming the field', () => {
    const bad = (f: () => unknown, field: string): void => {
      try {
        f();
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(ValidationError);
        expect((e as ValidationError).field).toBe(field);
      }
    };
    bad(() => checkLedger(p, [send(T0), send(T0, { cost: 1.5 })]), 'ledger[1].cost');
    bad(() => checkLedger(p, [send(1.5)]), 'ledger[0].sendAt');
    bad(() => checkLedger(p, [send(T0, { timeZone: '+05:30' })]), 'ledger[0].timeZone');
    bad(() => checkLedger(p, [send(T0, { category: 'promo' as Category })]), 'ledger[0].category');
    bad(() => checkLedger(policyOf([{ name: 'r', kind: 'rate', scope: 'number', count: 1, periodMs: 0, burst: 1 }]), []), 'policy.limits[0].periodMs');
    bad(() => checkLedger(policyOf([], [{ name: 's', categories: ['utility'], allowed: [{ from: '24:00', to: '01:00' }] }]), []), 'policy.sendWindows[0].allowed[0].from');
    bad(() => checkLedger(policyOf([], [{ name: 's', categories: ['utility'], allowed: [{ from: '9:00', to: '10:00' }] }]), []), 'policy.sendWindows[0].allowed[0].from');
    bad(() => checkLedger(p, [], { maxViolations: -1 }), 'options.maxViolations');
  });
});

/* ------------------------------------------------------------------------------------------ */
/* property test: the checker agrees with a brute force on every rule                          */

/**
 * Naive, O(n^2)-and-worse reference implementations. They share no code with src/verify and
 * use different formulations on purpose (window starts instead of window ends, all pairs
 * instead of a running minimum, Intl `format` instead of offsets).
 */
  interface Outcome {
    readonly violated: boolean;
    readonly peak: number;
  }

  function keyOf(scope: Scope, e: LedgerEntry): string | null {
    switch (scope) {
      case 'number':
        return `${e.portfolio}|${e.from}`;
      case 'pair':
        return `${e.portfolio}|${e.from}|${e.to}`;
      case 'recipient':
        return `${e.portfolio}|${e.to}`;
      case 'portfolio':
        return e.portfolio;
      case 'campaign':
        return e.campaign === undefined ? null : `${e.portfolio}|${e.campaign}`;
      case 'apiKey':
        return e.apiKey === undefined ? null : `${e.portfolio}|${e.apiKey}`;
    }
  }

  function groups(rule: LimitRule, ledger: readonly LedgerEntry[]): LedgerEntry[][] {
    const m = new Map<string, LedgerEntry[]>();
    for (const e of ledger) {
      if (rule.categories !== undefined && !rule.categories.includes(e.category)) continue;
      const k = keyOf(rule.scope, e);
      if (k === null) continue;
      m.set(k, [...(m.get(k) ?? []), e]);
    }
    return [...m.values()].map((g) => [...g].sort((a, b) => a.sendAt - b.sendAt));
  }

  /** Max total weight in [s, s + w) over window starts s at each send time. */
  function maxInWindows(items: readonly { t: number; w: number }[], w: number): number {
    let best = 0;
    for (const s of items) {
      let sum = 0;
      for (const x of items) if (x.t >= s.t && x.t < s.t + w) sum += x.w;
      best = Math.max(best, sum);
    }
    return best;
  }

  const dateFormatters = new Map<string, Intl.DateTimeFormat>();
  function localDate(e: LedgerEntry): string {
    let f = dateFormatters.get(e.timeZone);
    if (f === undefined) {
      f = new Intl.DateTimeFormat('en-CA', { timeZone: e.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
      dateFormatters.set(e.timeZone, f);
    }
    return f.format(e.sendAt);
  }

  function bruteLimit(rule: LimitRule, ledger: readonly LedgerEntry[]): Outcome {
    let violated = false;
    let peak = 0;
    for (const g of groups(rule, ledger)) {
      switch (rule.kind) {
        case 'rate': {
          for (let i = 0; i < g.length; i++) {
            let sum = 0n;
            for (let j = i; j < g.length; j++) {
              sum += BigInt(g[j]!.cost);
              const lhs = sum * BigInt(rule.periodMs);
              // Whole-millisecond sends of exact virtual arrivals: 1 ms of rounding slack, strict.
              const rhs = BigInt(g[j]!.sendAt - g[i]!.sendAt + 1) * BigInt(rule.count) + BigInt(rule.burst * rule.periodMs);
              if (lhs >= rhs) violated = true;
            }
          }
          peak = Math.max(peak, maxInWindows(g.map((e) => ({ t: e.sendAt, w: e.cost })), rule.periodMs));
          break;
        }
        case 'window': {
          const m = maxInWindows(g.map((e) => ({ t: e.sendAt, w: e.cost })), rule.windowMs);
          if (m > rule.count) violated = true;
          peak = Math.max(peak, m);
          break;
        }
        case 'daily': {
          const perDay = new Map<string, number>();
          for (const e of g) perDay.set(localDate(e), (perDay.get(localDate(e)) ?? 0) + e.cost);
          for (const v of perDay.values()) {
            if (v > rule.count) violated = true;
            peak = Math.max(peak, v);
          }
          break;
        }
        case 'distinct': {
          const charges: { to: string; t: number }[] = [];
          for (const e of g) {
            const covered = charges.some((c) => c.to === e.to && e.sendAt - rule.windowMs < c.t && c.t <= e.sendAt);
            if (!covered) charges.push({ to: e.to, t: e.sendAt });
          }
          const m = maxInWindows(charges.map((c) => ({ t: c.t, w: 1 })), rule.windowMs);
          if (m > rule.count) violated = true;
          peak = Math.max(peak, m);
          break;
        }
        case 'batch': {
          for (let i = 0; i < g.length; i++) {
            for (let j = i; j < g.length; j++) {
              let joined = true;
              let sum = 0;
              for (let k = i; k <= j; k++) {
                sum += g[k]!.cost;
                if (k > i && g[k]!.sendAt - g[k - 1]!.sendAt >= rule.gapMs) joined = false;
              }
              if (!joined) continue;
              if (sum > rule.size) violated = true;
              peak = Math.max(peak, sum);
            }
          }
          break;
        }
      }
    }
    return { violated, peak };
  }

  const WD: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
  const partFormatters = new Map<string, Intl.DateTimeFormat>();
  function localParts(e: LedgerEntry): { weekday: number; msOfDay: number } {
    let f = partFormatters.get(e.timeZone);
    if (f === undefined) {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: e.timeZone,
        weekday: 'short',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
      });
      partFormatters.set(e.timeZone, f);
    }
    const parts = Object.fromEntries(f.formatToParts(e.sendAt).map((p) => [p.type, p.value]));
    const weekday = WD.indexOf(String(parts['weekday']).toLowerCase().slice(0, 3) as Weekday);
    const ms = ((Number(parts['hour']) * 60 + Number(parts['minute'])) * 60 + Number(parts['second'])) * 1000 + (e.sendAt % 1000);
    return { weekday, msOfDay: ms };
  }

  const clock = (s: string): number => (Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5))) * 60_000;

  /** Inside if, for the interval started today or yesterday, start <= position < end. */
  function bruteSendWindow(rule: SendWindowRule, ledger: readonly LedgerEntry[]): boolean {
    const DAY = 86_400_000;
    for (const e of ledger) {
      if (!rule.categories.includes(e.category)) continue;
      const { weekday, msOfDay } = localParts(e);
      let inside = false;
      for (const iv of rule.allowed) {
        const from = clock(iv.from);
        const to = clock(iv.to);
        const end = to > from ? to : to + DAY;
        for (const back of [0, 1]) {
          const startDay = WD[(weekday - back + 7) % 7]!;
          if (iv.days !== undefined && !iv.days.includes(startDay)) continue;
          const pos = back * DAY + msOfDay;
          if (from <= pos && pos < end) inside = true;
        }
      }
      if (!inside) return true;
    }
    return false;
  }

const NUMBERS = ['+4915100000001', '+4915100000002', '+4915100000003'];
const ZONES = [
  'UTC',
  'Europe/London',
  'Asia/Kathmandu',
  'Pacific/Chatham',
  'America/Havana',
  'Australia/Lord_Howe',
  'Pacific/Apia',
  'America/New_York',
];
const arbScope = fc.constantFrom<Scope>('number', 'pair', 'recipient', 'portfolio', 'campaign', 'apiKey');
const arbCategories = fc.option(fc.subarray<Category>(['marketing', 'utility', 'authentication'], { minLength: 1 }), {
  nil: undefined,
});
const withCats = <T extends object>(r: T, categories: readonly Category[] | undefined): T =>
  categories === undefined ? r : { ...r, categories };

interface RawEntry {
  t: number;
  to: string;
  from: string;
  portfolio: string;
  category: Category;
  cost: number;
  campaign: string | undefined;
  apiKey: string | undefined;
  timeZone: string;
}

function toLedger(raw: readonly RawEntry[], base: number): LedgerEntry[] {
  return raw.map((r, k) => ({
    id: `e${k}`,
    sendAt: base + r.t,
    to: r.to,
    from: r.from,
    portfolio: r.portfolio,
    category: r.category,
    cost: r.cost,
    timeZone: r.timeZone,
    ...(r.campaign === undefined ? {} : { campaign: r.campaign }),
    ...(r.apiKey === undefined ? {} : { apiKey: r.apiKey }),
  }));
}

const arbRaw = (arbT: fc.Arbitrary<number>, zones: readonly string[]): fc.Arbitrary<RawEntry> =>
  fc.record({
    t: arbT,
    to: fc.constantFrom(...NUMBERS),
    from: fc.constantFrom('n1', 'n2'),
    portfolio: fc.constantFrom('p1', 'p2'),
    category: fc.constantFrom<Category>('marketing', 'utility'),
    cost: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 3 })),
    campaign: fc.option(fc.constantFrom('c1', 'c2'), { nil: undefined }),
    apiKey: fc.option(fc.constantFrom('k1', 'k2'), { nil: undefined }),
    timeZone: fc.constantFrom(...zones),
  });

/** Agreement on every limit rule (violated or not, and the peak) and on `ok`. */
function compare(policy: Policy, ledger: readonly LedgerEntry[], seen: Map<string, Set<boolean>>): void {
  const report = checkLedger(policy, ledger, { maxViolations: Infinity });
  const violatedRules = new Set(report.violations.map((v) => v.rule));
  let anyBrute = false;
  policy.limits.forEach((rule, k) => {
    const brute = bruteLimit(rule, ledger);
    expect({ rule: rule.name, violated: violatedRules.has(rule.name) }).toEqual({ rule: rule.name, violated: brute.violated });
    expect({ rule: rule.name, peak: report.peaks[k]?.observed }).toEqual({ rule: rule.name, peak: brute.peak });
    anyBrute ||= brute.violated;
    seen.set(rule.kind, (seen.get(rule.kind) ?? new Set()).add(brute.violated));
  });
  for (const w of policy.sendWindows) {
    const bad = bruteSendWindow(w, ledger);
    expect({ rule: w.name, violated: violatedRules.has(w.name) }).toEqual({ rule: w.name, violated: bad });
    anyBrute ||= bad;
    seen.set('send-window', (seen.get('send-window') ?? new Set()).add(bad));
  }
  expect(report.ok).toBe(!anyBrute);
}

describe('property: agrees with a brute force', () => {
  it('rate, window, distinct, batch on dense ledgers with ties and exact edges', () => {
    const arbT = fc.oneof(fc.integer({ min: 0, max: 4000 }), fc.integer({ min: 0, max: 16 }).map((k) => k * 250));
    const arbPolicy = fc
      .record({
        rate: fc.record({
          scope: arbScope,
          count: fc.integer({ min: 1, max: 4 }),
          periodMs: fc.constantFrom(250, 1000, 1500),
          burst: fc.integer({ min: 1, max: 3 }),
          cats: arbCategories,
        }),
        window: fc.record({ scope: arbScope, count: fc.integer({ min: 1, max: 6 }), windowMs: fc.constantFrom(250, 1000, 1001), cats: arbCategories }),
        distinct: fc.record({ scope: arbScope, count: fc.integer({ min: 1, max: 3 }), windowMs: fc.constantFrom(250, 1000, 2000), cats: arbCategories }),
        batch: fc.record({ scope: arbScope, size: fc.integer({ min: 1, max: 6 }), gapMs: fc.constantFrom(1, 100, 250, 600), cats: arbCategories }),
      })
      .map(({ rate, window, distinct, batch }) =>
        policyOf([
          withCats({ name: 'r', kind: 'rate', scope: rate.scope, count: rate.count, periodMs: rate.periodMs, burst: rate.burst } as const, rate.cats),
          withCats({ name: 'w', kind: 'window', scope: window.scope, count: window.count, windowMs: window.windowMs } as const, window.cats),
          withCats({ name: 'd', kind: 'distinct', scope: distinct.scope, count: distinct.count, windowMs: distinct.windowMs } as const, distinct.cats),
          withCats({ name: 'b', kind: 'batch', scope: batch.scope, size: batch.size, gapMs: batch.gapMs } as const, batch.cats),
        ]),
      );
    const seen = new Map<string, Set<boolean>>();
    fc.assert(
      fc.property(arbPolicy, fc.array(arbRaw(arbT, ['UTC']), { maxLength: 40 }), (policy, raw) => {
        compare(policy, toLedger(raw, T0), seen);
      }),
      { numRuns: 400 },
    );
    // Not vacuous: every kind was seen both passing and failing.
    for (const kind of ['rate', 'window', 'distinct', 'batch']) expect([kind, seen.get(kind)?.size]).toEqual([kind, 2]);
  });

  it('daily and send windows around DST changes and odd offsets', () => {
    const HOUR = 3_600_000;
    // Noon UTC before: London/Lord Howe/Havana/Chatham DST changes, Apia's skipped 2011-12-30.
    const anchors = [
      Date.UTC(2024, 9, 26, 12),
      Date.UTC(2024, 2, 30, 12),
      Date.UTC(2024, 3, 6, 12),
      Date.UTC(2024, 2, 9, 12),
      Date.UTC(2024, 8, 28, 12),
      Date.UTC(2011, 11, 29, 12),
      Date.UTC(2024, 0, 15, 12),
      Date.UTC(2024, 9, 5, 12), // Lord Howe +10:30 → +11:00 at 15:30 UTC
    ];
    const arbT = fc.oneof(
      fc.integer({ min: -48 * HOUR, max: 48 * HOUR }),
      fc.integer({ min: -192, max: 192 }).map((k) => k * 15 * 60_000),
      fc.integer({ min: -192, max: 192 }).map((k) => k * 15 * 60_000 - 1),
    );
    const clocks = ['00:00', '01:00', '01:30', '02:00', '05:45', '09:00', '12:00', '21:45', '22:00', '23:59'];
    const arbWindow: fc.Arbitrary<LocalTimeWindow> = fc
      .record({
        from: fc.constantFrom(...clocks),
        to: fc.constantFrom(...clocks, '24:00'),
        days: fc.option(fc.subarray<Weekday>(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], { minLength: 1 }), { nil: undefined }),
      })
      .map(({ from, to, days }) => (days === undefined ? { from, to } : { from, to, days }));
    const arbPolicy = fc
      .record({
        daily: fc.record({ scope: arbScope, count: fc.integer({ min: 1, max: 4 }), cats: arbCategories }),
        windows: fc.array(
          fc.record({
            categories: fc.subarray<Category>(['marketing', 'utility'], { minLength: 1 }),
            allowed: fc.array(arbWindow, { maxLength: 3 }),
          }),
          { maxLength: 2 },
        ),
      })
      .map(({ daily, windows }) =>
        policyOf(
          [withCats({ name: 'day', kind: 'daily', scope: daily.scope, count: daily.count } as const, daily.cats)],
          windows.map((w, k) => ({ name: `sw${k}`, ...w })),
        ),
      );
    const seen = new Map<string, Set<boolean>>();
    fc.assert(
      fc.property(arbPolicy, fc.constantFrom(...anchors), fc.array(arbRaw(arbT, ZONES), { maxLength: 30 }), (policy, base, raw) => {
        compare(policy, toLedger(raw, base), seen);
      }),
      { numRuns: 300 },
    );
    for (const kind of ['daily', 'send-window']) expect([kind, seen.get(kind)?.size]).toEqual([kind, 2]);
  });
});
