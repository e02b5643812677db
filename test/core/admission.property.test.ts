import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ReferenceModel } from '../../src/core/reference.js';
import { validatePolicy } from '../../src/core/policy/index.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { checkLedger } from '../../src/verify/checker.js';
import type { Category, Decision, Message, Policy } from '../../src/core/types.js';

const ZONES = ['Europe/London', 'Australia/Lord_Howe', 'America/Havana', 'Asia/Kathmandu', 'Pacific/Chatham', 'Pacific/Kiritimati', 'Etc/GMT+12', 'UTC'];
const CATS: Category[] = ['authentication', 'utility', 'marketing', 'service'];
// Around the London autumn change and the Havana/Lord Howe spring changes of 2026.
const STARTS = [Date.parse('2026-10-24T20:00:00Z'), Date.parse('2026-03-07T20:00:00Z'), Date.parse('2026-04-04T12:00:00Z')];

/** A policy with every limit kind, its numbers drawn small so that limits actually bind. */
const policyArb = fc
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

type Op =
  | { op: 'admit'; to: number; from: number; zone: number; cat: number; cost: number; delay: number; campaign: boolean; deadline: number | null; dt: number }
  | { op: 'cancel'; which: number; dt: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('admit' as const), to: fc.integer({ min: 0, max: 7 }), from: fc.integer({ min: 0, max: 1 }), zone: fc.integer({ min: 0, max: ZONES.length - 1 }), cat: fc.integer({ min: 0, max: 3 }), cost: fc.integer({ min: 1, max: 2 }), delay: fc.integer({ min: 0, max: 3_600_000 }), campaign: fc.boolean(), deadline: fc.option(fc.integer({ min: 0, max: 86_400_000 }), { nil: null }), dt: fc.integer({ min: -2_000, max: 900_000 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('cancel' as const), which: fc.nat(), dt: fc.integer({ min: 0, max: 60_000 }) }) },
);

function messageOf(o: Extract<Op, { op: 'admit' }>, i: number, now: number): Message {
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

const same = (d: Decision) => (d.ok ? { ok: true, sendAt: d.sendAt, by: d.duplicate ? null : d.delayedBy, dup: d.duplicate } : { ok: false, reason: d.reason, limit: d.limit, retryAt: d.retryAt });

describe('admission: random sequences of admissions and cancels', () => {
  it('no committed schedule violates a limit (reference model, independent checker), and the embedded store agrees decision by decision', () => {
    fc.assert(
      fc.property(policyArb, fc.constantFrom(...STARTS), fc.array(opArb, { minLength: 1, maxLength: 60 }), (policy, start, ops) => {
        const model = new ReferenceModel(policy);
        const store = MemoryStore.create(policy, { recordLedger: true, capacity: { maxMessages: 256, members: 256, keys: { pair: 64, day: 64, num: 8, win: 8, reach: 4, runs: 4 } } });
        let now = start;
        const admitted: string[] = [];
        ops.forEach((o, i) => {
          now = Math.max(start, now + o.dt);
          if (o.op === 'admit') {
            const m = messageOf(o, i, now);
            const want = model.admit(m, now, { maxWaitMs: 2 * 86_400_000 });
            const got = store.admitSync(m, { now, maxWaitMs: 2 * 86_400_000 });
            expect(same(got)).toEqual(same(want));
            if (want.ok) {
              admitted.push(m.id);
              expect(want.sendAt).toBeGreaterThanOrEqual(Math.max(now, m.notBefore ?? now));
              // Idempotent: asking again returns the first decision and consumes nothing.
              expect(same(model.admit(m, now))).toEqual({ ...same(want), by: null, dup: true });
              expect(same(store.admitSync(m, { now }))).toEqual({ ...same(want), by: null, dup: true });
            }
          } else if (admitted.length > 0) {
            const id = admitted[o.which % admitted.length] as string;
            expect(store.cancelSync(id)).toBe(model.cancel(id));
          }
        });
        const ledger = model.committed();
        const report = checkLedger(policy, ledger);
        expect(report.violations).toEqual([]);
        expect(checkLedger(policy, store.committed()).violations).toEqual([]);
        expect(store.committed().map((s) => [s.id, s.sendAt]).sort()).toEqual(ledger.map((s) => [s.id, s.sendAt]).sort());
      }),
      { numRuns: 250 },
    );
  });
});
