import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { ReferenceModel } from '../../src/core/reference.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { checkLedger } from '../../src/verify/checker.js';
import type { CommittedSend, Message } from '../../src/core/types.js';
import { FOUND_CASES, STARTS, messageOf, opArb, policyArb, same } from '../shared/admission-model.js';
import { startRedis, type RedisHandle } from '../support/redis-server.js';

let server: RedisHandle;
let client: Redis;

beforeAll(async () => {
  server = await startRedis();
  client = new Redis({ host: server.host, port: server.port, lazyConnect: true });
  await client.connect();
});

afterAll(async () => {
  client?.disconnect();
  await server?.stop();
});

describe('Redis store (Lua) against the reference model', () => {
  it('agrees decision by decision on random admissions and cancels, and its ledger passes the checker', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(policyArb, fc.constantFrom(...STARTS), fc.array(opArb, { minLength: 1, maxLength: 40 }), async (policy, start, ops) => {
        const model = new ReferenceModel(policy);
        // A fresh key space per run: nothing leaks between runs.
        const store = await RedisStore.connect(policy, client, { prefix: `prop${run++}:`, clock: 'client' });
        let now = start;
        const admitted: Message[] = [];
        const sends = new Map<string, CommittedSend>();
        for (let i = 0; i < ops.length; i++) {
          const o = ops[i]!;
          now = Math.max(start, now + o.dt);
          if (o.op === 'admit') {
            const m = messageOf(o, i, now);
            const want = model.admit(m, now, { maxWaitMs: 2 * 86_400_000 });
            const got = await store.admit(m, { now, maxWaitMs: 2 * 86_400_000 });
            expect(same(got)).toEqual(same(want));
            if (want.ok) {
              admitted.push(m);
              sends.set(m.id, { id: m.id, sendAt: want.sendAt, to: m.to, from: m.from, portfolio: m.portfolio, category: m.category, cost: m.cost ?? 1, timeZone: m.timeZone ?? 'UTC', ...(m.campaign ? { campaign: m.campaign } : {}) });
              expect(same(await store.admit(m, { now }))).toEqual({ ...same(want), by: null, dup: true });
            }
          } else if (admitted.length > 0) {
            const m = admitted[o.which % admitted.length]!;
            const cancelled = await store.cancel(m.id, { portfolio: m.portfolio });
            expect(cancelled).toBe(model.cancel(m.id));
            if (cancelled) sends.delete(m.id);
          }
        }
        expect(checkLedger(policy, [...sends.values()]).violations).toEqual([]);
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 120), examples: FOUND_CASES },
    );
  });
});
