import fc from 'fast-check';
import { validatePolicy } from '../../src/core/policy/index.js';
import type { Category, Decision, Message, Policy } from '../../src/core/types.js';

/**
 * Generators shared by the property tests of every store: random policies with every limit kind
 * (numbers small enough that limits bind) and random sequences of admissions and cancels around
 * DST changes in odd zones.
 */
export const ZONES = ['Europe/London', 'Australia/Lord_Howe', 'America/Havana', 'Asia/Kathmandu', 'Pacific/Chatham', 'Pacific/Kiritimati', 'Etc/GMT+12', 'UTC'];
export const CATS: Category[] = ['authentication', 'utility', 'marketing', 'service'];
// Around the London autumn change and the Havana/Lord Howe spring changes of 2026.
export const STARTS = [Date.parse('2026-10-24T20:00:00Z'), Date.parse('2026-03-07T20:00:00Z'), Date.parse('2026-04-04T12:00:00Z')];

/** A policy with every limit kind, its numbers drawn small so that limits actually bind. */
export const policyArb = fc
  .record({
    rateCount: fc.integer({ min: 1, max: 5 }),
    ratePeriod: fc.integer({ min: 100, max: 5_000 }),
    burst: fc.integer({ min: 1, max: 3 }),
    pairPeriod: fc.integer({ min: 500, max: 60_000 }),
    windowCount: fc.integer({ min: 2, max: 8 }),
    windowMs: fc.integer({ min: 1_000, max: 120_000 }),
    daily: fc.integer({ min: 1, max: 4 }),
    distinct: fc.integer({ min: 1, max: 6 }),
    distinctMs: fc.integer({ min: 10_000, max: 7_200_000 }),
    batchSize: fc.integer({ min: 1, max: 6 }),
    batchGap: fc.integer({ min: 1, max: 600_000 }),
    quiet: fc.boolean(),
  })
  .map((r): Policy =>
    validatePolicy({
      name: 'prop',
      defaultTimeZone: 'UTC',
      limits: [
        { name: 'num', scope: 'number', kind: 'rate', count: r.rateCount, periodMs: r.ratePeriod, burst: r.burst },
        { name: 'pair', scope: 'pair', kind: 'rate', count: 1, periodMs: r.pairPeriod, burst: 1 },
        { name: 'win', scope: 'number', kind: 'window', count: r.windowCount, windowMs: r.windowMs },
        { name: 'day', scope: 'recipient', kind: 'daily', count: r.daily, categories: ['utility', 'marketing'] },
        { name: 'reach', scope: 'portfolio', kind: 'distinct', count: r.distinct, windowMs: r.distinctMs, categories: ['authentication', 'utility', 'marketing'] },
        { name: 'runs', scope: 'campaign', kind: 'batch', size: r.batchSize, gapMs: r.batchGap },
      ],
      sendWindows: r.quiet ? [{ name: 'quiet', categories: ['marketing'], allowed: [{ from: '09:00', to: '22:00' }, { from: '23:30', to: '00:15' }] }] : [],
    }),
  );

export type Op =
  | { op: 'admit'; to: number; from: number; zone: number; cat: number; cost: number; delay: number; campaign: boolean; deadline: number | null; dt: number }
  | { op: 'cancel'; which: number; dt: number };

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('admit' as const), to: fc.integer({ min: 0, max: 7 }), from: fc.integer({ min: 0, max: 1 }), zone: fc.integer({ min: 0, max: ZONES.length - 1 }), cat: fc.integer({ min: 0, max: 3 }), cost: fc.integer({ min: 1, max: 2 }), delay: fc.integer({ min: 0, max: 3_600_000 }), campaign: fc.boolean(), deadline: fc.option(fc.integer({ min: 0, max: 86_400_000 }), { nil: null }), dt: fc.integer({ min: -2_000, max: 900_000 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('cancel' as const), which: fc.nat(), dt: fc.integer({ min: 0, max: 60_000 }) }) },
);

export function messageOf(o: Extract<Op, { op: 'admit' }>, i: number, now: number): Message {
  const notBefore = now + (o.delay % 3 === 0 ? 0 : o.delay);
  return {
    id: `m${i}`,
    // One zone per recipient: a recipient's local days must not depend on the message.
    to: `+4477009000${o.to}${o.zone}`,
    from: `n${o.from}`,
    portfolio: 'p',
    category: CATS[o.cat] as Category,
    cost: o.cost,
    notBefore,
    timeZone: ZONES[o.zone] as string,
    ...(o.campaign ? { campaign: 'c' } : {}),
    ...(o.deadline !== null ? { deadline: notBefore + o.deadline } : {}),
  };
}

export const same = (d: Decision) => (d.ok ? { ok: true, sendAt: d.sendAt, by: d.duplicate ? null : d.delayedBy, dup: d.duplicate } : { ok: false, reason: d.reason, limit: d.limit, retryAt: d.retryAt });


/**
 * Cases found by the property tests, replayed on every run (fast-check `examples`) besides the
 * random ones: [policy, start, ops].
 */
export const FOUND_CASES: [Policy, number, Op[]][] = [
  // A cancelled first send to a recipient whose second send rode on its distinct charge: the
  // recipient's charge moved to the second send, and a new recipient admitted 10 s after the
  // first send shared a window with it (2 distinct recipients where 1 is allowed). Since then a
  // cancel is refused while a later send rides on the charge.
  [
    validatePolicy({
      name: 'prop',
      limits: [
        { name: 'num', kind: 'rate', scope: 'number', count: 1, periodMs: 100, burst: 1 },
        { name: 'pair', kind: 'rate', scope: 'pair', count: 1, periodMs: 500, burst: 1 },
        { name: 'win', kind: 'window', scope: 'number', count: 2, windowMs: 1000 },
        { name: 'day', kind: 'daily', scope: 'recipient', categories: ['utility', 'marketing'], count: 1 },
        { name: 'reach', kind: 'distinct', scope: 'portfolio', categories: ['authentication', 'utility', 'marketing'], count: 1, windowMs: 10000 },
        { name: 'runs', kind: 'batch', scope: 'campaign', size: 1, gapMs: 1 },
      ],
      sendWindows: [],
      defaultTimeZone: 'UTC',
    }),
    1792872000000,
    [
      { op: 'admit', to: 3, from: 0, zone: 1, cat: 0, cost: 1, delay: 0, campaign: false, deadline: null, dt: 0 },
      { op: 'admit', to: 3, from: 0, zone: 1, cat: 0, cost: 1, delay: 0, campaign: false, deadline: null, dt: 0 },
      { op: 'cancel', which: 0, dt: 0 },
      { op: 'admit', to: 0, from: 0, zone: 1, cat: 0, cost: 1, delay: 0, campaign: false, deadline: null, dt: 0 },
    ],
  ],
];
