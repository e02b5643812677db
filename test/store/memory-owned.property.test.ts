// MemoryStore.admitOwnedRaw decides a parallel planner's owned limits (its sending numbers' number
// and pair keys) outside the portfolio lock and the shared ones under it. In one thread it must
// pick exactly the slot (or the refusal) that the all-under-the-lock path picks, whatever the
// policy, the order of instants (time going backwards included) and the wait bound; and the two
// stores must stay equal, which the next decisions check. Which rule a delay is attributed to, a
// refusal's code and its retry hint may differ (the fixed point visits the rules in another order).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { STARTS, messageOf, opArb, policyArb } from '../shared/admission-model.js';

describe('MemoryStore.admitOwnedRaw', () => {
  it('gives the slot admitBoundRaw gives, decision by decision', () => {
    fc.assert(
      fc.property(policyArb, fc.constantFrom(...STARTS), fc.array(fc.tuple(opArb, fc.constantFrom(60_000, 3_600_000, 2 * 86_400_000)), { minLength: 1, maxLength: 60 }), (policy, start, steps) => {
        // Small tables: the defaults are sized for production and cost milliseconds to allocate.
        const capacity = { maxMessages: 128, members: 64, keys: Object.fromEntries(policy.limits.map((l) => [l.name, 32])) };
        const locked = MemoryStore.create(policy, { capacity });
        const split = MemoryStore.create(policy, { capacity });
        let now = start;
        let i = 0;
        for (const [o, maxWait] of steps) {
          // dt may be negative: instants before the portfolio's floor take the floor.
          now = now + o.dt;
          if (o.op !== 'admit') continue;
          const m = messageOf(o, i++, now);
          const a = locked.prepare(m);
          const b = split.prepare(m);
          const slots = Int32Array.from(b.recipientLimits, (j) => b.slots[j] as number);
          const members = Int32Array.from(b.recipientLimits, (j) => b.members[j] as number);
          const owned = Uint8Array.from(b.rules, (r) => (policy.limits[r]!.scope === 'number' || policy.limits[r]!.scope === 'pair' ? 1 : 0));
          const want = locked.admitBoundRaw(a, slots, members, 0, now, maxWait);
          const got = split.admitOwnedRaw(b, slots, members, 0, now, maxWait, owned);
          // The same slot; or both refuse. The fixed point stops at the first bound a push
          // crosses, so visiting the rules in another order may name another bound (say
          // `deadline` where the locked path stopped at `wait-exceeds-max` on the way).
          if (want >= 0) expect(got).toBe(want);
          else expect(got).toBeLessThan(0);
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 1000) },
    );
  });

  it('is exercised on every path: shared limits accepting, moving and refusing the owned slot', () => {
    // Hand-made: a number rate (owned) and a campaign batch (shared) on one store.
    const policy = {
      name: 'paths',
      defaultTimeZone: 'UTC',
      limits: [
        { name: 'num', scope: 'number' as const, kind: 'rate' as const, count: 1, periodMs: 1_000, burst: 1 },
        { name: 'runs', scope: 'campaign' as const, kind: 'batch' as const, size: 2, gapMs: 10_000 },
      ],
      sendWindows: [],
    };
    const store = MemoryStore.create(policy as never);
    const t = Date.parse('2026-06-01T10:00:00Z');
    const admit = (from: string, now: number, maxWait = 60_000) => {
      const p = store.prepare({ id: `x${now}${from}`, to: '+447700900001', from, portfolio: 'p', category: 'utility', campaign: 'c' });
      const owned = Uint8Array.from(p.rules, (r) => (r === 0 ? 1 : 0));
      return store.admitOwnedRaw(p, new Int32Array(0), new Int32Array(0), 0, now, maxWait, owned);
    };
    expect(admit('n1', t)).toBe(t); // shared accepts t1 as it is
    expect(admit('n1', t)).toBe(t + 1_000); // the owned rate pushes
    expect(admit('n2', t + 1_000)).toBe(t + 1_000 + 10_000); // the batch is full: the shared limit moves the slot on
    expect(admit('n2', t, 5_000)).toBe(-2); // the number is busy until then: refused by the owned phase
    expect(admit('n3', t + 1_000, 5_000)).toBe(-2); // the batch refuses (wait) under the lock
  });
});
