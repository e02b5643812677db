import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Cluster } from 'ioredis';
import { ReferenceModel } from '../../src/core/reference.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { ValidationError } from '../../src/errors.js';
import type { Message } from '../../src/core/types.js';
import { FOUND_CASES, STARTS, messageOf, opArb, policyArb, same } from '../shared/admission-model.js';
import { startCluster, type ClusterHandle } from '../support/redis-cluster.js';

let cluster: ClusterHandle;
let client: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ masters: 3 });
  client = new Cluster(cluster.nodes.map((n) => ({ host: n.host, port: n.port })));
  await client.ping();
}, 60_000);

afterAll(async () => {
  client?.disconnect();
  await cluster?.stop();
});

describe('Redis store on a real 3-master cluster', () => {
  it('keeps every key of a portfolio in one slot, and portfolios spread over the masters', async () => {
    const owners = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const node = await cluster.nodeForKey(`sluice:{portfolio-${i}}|floor`);
      owners.add(`${node.host}:${node.port}`);
      expect(cluster.slotOf(`sluice:{portfolio-${i}}|msg|x`)).toBe(cluster.slotOf(`sluice:{portfolio-${i}}|pair-rate|n|+447700900001`));
    }
    expect(owners.size).toBeGreaterThan(1);
  });

  it('agrees with the reference model across portfolios (no CROSSSLOT, MOVED followed)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(policyArb, fc.constantFrom(...STARTS), fc.array(opArb, { minLength: 1, maxLength: 25 }), async (policy, start, ops) => {
        const model = new ReferenceModel(policy);
        const store = await RedisStore.connect(policy, client, { prefix: `c${run++}:`, clock: 'client' });
        let now = start;
        const admitted: Message[] = [];
        for (let i = 0; i < ops.length; i++) {
          const o = ops[i]!;
          now = Math.max(start, now + o.dt);
          if (o.op === 'admit') {
            // Two portfolios, so calls land on different masters.
            const m = { ...messageOf(o, i, now), portfolio: o.from === 0 ? 'acme' : 'globex' };
            const want = model.admit(m, now, { maxWaitMs: 2 * 86_400_000 });
            expect(same(await store.admit(m, { now, maxWaitMs: 2 * 86_400_000 }))).toEqual(same(want));
            if (want.ok) admitted.push(m);
          } else if (admitted.length > 0) {
            const m = admitted[o.which % admitted.length]!;
            expect(await store.cancel(m.id, { portfolio: m.portfolio })).toBe(model.cancel(m.id));
          }
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 30), examples: FOUND_CASES },
    );
  }, 120_000);

  it('admitMany splits a mixed batch by portfolio (one script per slot) and keeps input order', async () => {
    const { PRESETS } = await import('../../src/core/policy/index.js');
    const store = await RedisStore.connect(PRESETS['cloud-api'], client, { prefix: 'batch:' });
    const now = Date.parse('2026-06-01T10:00:00Z');
    const messages: Message[] = Array.from({ length: 300 }, (_, i) => ({
      id: `b${i}`,
      to: `+4477009${String(i).padStart(5, '0')}`,
      from: 'n1',
      portfolio: `pf-${i % 5}`,
      category: 'utility',
    }));
    const ds = await store.admitMany(messages, { now });
    expect(ds.map((d) => d.id)).toEqual(messages.map((m) => m.id));
    // 250 recipients per portfolio per 24 h: 60 each here, all admitted, paced at 72/s per number.
    expect(ds.every((d) => d.ok)).toBe(true);
  });

  it('rejects ids and portfolios that would break hash tags before touching Redis', async () => {
    const { PRESETS } = await import('../../src/core/policy/index.js');
    const store = await RedisStore.connect(PRESETS['cloud-api'], client);
    const base: Message = { id: 'x', to: '+447700900001', from: 'n1', portfolio: 'acme', category: 'utility' };
    await expect(store.admit({ ...base, id: 'a{b}' })).rejects.toThrow(ValidationError);
    await expect(store.admit({ ...base, portfolio: '{acme}' })).rejects.toThrow(ValidationError);
    await expect(store.admit({ ...base, id: '' })).rejects.toThrow(ValidationError);
  });
});
