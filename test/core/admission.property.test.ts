import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ReferenceModel } from '../../src/core/reference.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { checkLedger } from '../../src/verify/checker.js';
import { FOUND_CASES, STARTS, messageOf, opArb, policyArb, same } from '../shared/admission-model.js';

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
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 250), examples: FOUND_CASES },
    );
  });
});
