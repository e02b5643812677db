import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { ReferenceModel } from '../../src/core/reference.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import type { Message } from '../../src/core/types.js';
import { STARTS, messageOf, opArb, policyArb, same } from '../shared/admission-model.js';
import { startRedis, type RedisHandle } from '../support/redis-server.js';

// Several messages per script call (admitMany, and concurrent admit calls that the store groups):
// the script caches state and writes it once at the end of the call, so every message must still
// see the ones before it. Groups share recipients, numbers and sometimes an id.
let server: RedisHandle;
let client: Redis;
beforeAll(async () => {
  server = await startRedis();
  client = new Redis({ host: server.host, port: server.port });
});
afterAll(async () => {
  client?.disconnect();
  await server?.stop();
});

describe('Redis store, several messages per call, against the reference model', () => {
  it('agrees decision by decision', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(policyArb, fc.constantFrom(...STARTS), fc.array(fc.tuple(opArb, fc.integer({ min: 1, max: 6 }), fc.boolean()), { minLength: 1, maxLength: 30 }), async (policy, start, steps) => {
        const model = new ReferenceModel(policy);
        const store = await RedisStore.connect(policy, client, { prefix: `batched${run++}:`, clock: 'client' });
        let now = start;
        const admitted: Message[] = [];
        let i = 0;
        for (const [o, size, concurrent] of steps) {
          now = Math.max(start, now + o.dt);
          if (o.op === 'admit') {
            const ms: Message[] = [];
            for (let k = 0; k < size; k++) {
              const m = messageOf({ ...o, to: (o.to + Math.floor(k / 2)) % 8, from: (o.from + k) % 2, cost: k % 3 === 2 ? 2 : o.cost }, i++, now);
              ms.push(k === size - 1 && size > 2 ? { ...(ms[0] as Message) } : m); // a repeated id
            }
            const options = { now, maxWaitMs: 2 * 86_400_000 };
            const want = ms.map((m) => model.admit(m, now, { maxWaitMs: 2 * 86_400_000 }));
            const got = concurrent ? await Promise.all(ms.map((m) => store.admit(m, options))) : await store.admitMany(ms, options);
            expect(got.map(same)).toEqual(want.map(same));
            ms.forEach((m, k) => {
              if (want[k]?.ok && !want[k]?.duplicate) admitted.push(m);
            });
          } else if (admitted.length > 0) {
            const m = admitted[o.which % admitted.length] as Message;
            expect(await store.cancel(m.id, { portfolio: m.portfolio })).toBe(model.cancel(m.id));
          }
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 300) },
    );
  });
});
