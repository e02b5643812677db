// Reliability scenario 9 on a real 3-master Redis Cluster: the slot of a hot portfolio is moved to
// another master (CLUSTER SETSLOT IMPORTING / MIGRATING, MIGRATE in small steps, SETSLOT NODE)
// while 16 admissions are in flight. While the slot is split between two nodes, Redis refuses a
// script whose keys are partly on each (TRYAGAIN) and ioredis retries it; the store must never
// run a script on half of a portfolio's state, never surface CROSSSLOT, and every call must end in
// a decision or a typed error after which a retry with the same id gives the one decision.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, Redis } from 'ioredis';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { validatePolicy } from '../../src/core/policy/index.js';
import { OutcomeUnknownError, StoreUnavailableError } from '../../src/errors.js';
import { checkLedger } from '../../src/verify/checker.js';
import type { CommittedSend, Decision, Message } from '../../src/core/types.js';
import { startCluster, type ClusterHandle, type ClusterNodeAddress } from '../support/redis-cluster.js';

let cluster: ClusterHandle;
beforeAll(async () => {
  cluster = await startCluster({ masters: 3 });
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

const policy = validatePolicy({
  name: 'reshard',
  defaultTimeZone: 'UTC',
  limits: [
    { name: 'number-rate', scope: 'number', kind: 'rate', count: 200, periodMs: 1000, burst: 1 },
    { name: 'number-window', scope: 'number', kind: 'window', count: 500, windowMs: 3000 },
    { name: 'pair', scope: 'pair', kind: 'rate', count: 1, periodMs: 2000, burst: 1 },
    { name: 'daily', scope: 'recipient', kind: 'daily', count: 3 },
    { name: 'reach', scope: 'portfolio', kind: 'distinct', count: 5000, windowMs: 60_000 },
  ],
  sendWindows: [],
});
const PREFIX = 'rs:';
const PORTFOLIO = 'hot';
const message = (i: number): Message => ({
  id: `m${i}`,
  to: `+4477009${String(i % 3_000).padStart(5, '0')}`,
  from: `n${i % 2}`,
  portfolio: PORTFOLIO,
  category: 'utility',
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const key = (a: ClusterNodeAddress) => `${a.host}:${a.port}`;

/**
 * Moves `slot` from `source` to `target` a few keys at a time, and keeps it split for at least
 * `minSplitMs`: longer than ioredis's redirection budget (16 tries, 100 ms apart), so some calls
 * exhaust it whatever the machine's speed.
 */
async function migrateSlot(slot: number, source: Redis, target: Redis, all: Redis[], minSplitMs: number, onSplit: () => void): Promise<number> {
  const began = Date.now();
  const sourceId = String(await source.call('CLUSTER', 'MYID'));
  const targetId = String(await target.call('CLUSTER', 'MYID'));
  await target.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', sourceId);
  await source.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', targetId);
  const { host, port } = target.options;
  let moved = 0;
  for (;;) {
    const keys = (await source.call('CLUSTER', 'GETKEYSINSLOT', slot, 20)) as string[];
    if (keys.length === 0) break;
    await source.call('MIGRATE', host ?? '127.0.0.1', port ?? 0, '', 0, 5_000, 'KEYS', ...keys);
    moved += keys.length;
    onSplit();
    await sleep(5);
  }
  await sleep(Math.max(0, began + minSplitMs - Date.now()));
  // The target first, so that it answers for the slot before the source stops serving it.
  for (const node of [target, source, ...all.filter((n) => n !== target && n !== source)]) {
    await node.call('CLUSTER', 'SETSLOT', slot, 'NODE', targetId);
  }
  return moved;
}

describe('resharding a hot slot under load (scenario 9)', () => {
  it('follows MOVED and ASK, never runs on a split portfolio, and every id is decided once', async () => {
    const client = new Cluster(cluster.nodes.map((n) => ({ host: n.host, port: n.port })));
    const admins = cluster.nodes.map((n) => new Redis({ host: n.host, port: n.port }));
    try {
      const store = await RedisStore.connect(policy, client, { prefix: PREFIX });
      const probe = `${PREFIX}{${PORTFOLIO}}`;
      const slot = cluster.slotOf(probe);
      const sourceAddress = await cluster.nodeForKey(probe);
      const source = admins.find((a) => a.options.port === sourceAddress.port)!;
      const target = admins.find((a) => a !== source)!;

      const first = new Map<string, Decision>();
      const failed = new Map<string, unknown>();
      let splitSeen = 0;
      let next = 0;
      let running = true;
      const loops = Array.from({ length: 16 }, async () => {
        while (running) {
          const m = message(next++);
          try {
            first.set(m.id, await store.admit(m, { maxWaitMs: 60_000 }));
          } catch (error) {
            failed.set(m.id, error);
            // Anything else fails the test below; stop the load rather than pile them up.
            if (!(error instanceof StoreUnavailableError || error instanceof OutcomeUnknownError)) running = false;
          }
        }
      });
      await sleep(800);
      const before = first.size;
      const moved = await migrateSlot(slot, source, target, admins, 2_500, () => splitSeen++);
      await sleep(800);
      running = false;
      await Promise.all(loops);

      // The slot now lives on the target, with the whole portfolio.
      expect(key(await cluster.nodeForKey(probe))).toBe(`${String(target.options.host)}:${String(target.options.port)}`);
      expect(moved).toBeGreaterThan(100);
      expect(splitSeen).toBeGreaterThan(3);
      expect(await source.call('CLUSTER', 'COUNTKEYSINSLOT', slot)).toBe(0);
      // Only typed errors, and admissions went on after the move.
      for (const error of failed.values()) {
        if (!(error instanceof StoreUnavailableError || error instanceof OutcomeUnknownError)) throw error;
      }
      // Calls that outlived the split failed typed: the cluster client's budget ran out.
      expect(failed.size).toBeGreaterThan(0);
      expect(before).toBeGreaterThan(50);
      expect(first.size).toBeGreaterThan(before + 50);

      // Every id asked again: a decided one replays its decision (its record moved with it);
      // a failed one is decided now, once.
      const ledger: CommittedSend[] = [];
      for (let i = 0; i < next; i++) {
        const m = message(i);
        const again = await store.admit(m, { maxWaitMs: 60_000 });
        const was = first.get(m.id);
        if (was?.ok) {
          // A refusal writes nothing, so only admissions replay.
          expect(again).toMatchObject({ ok: true, duplicate: true, sendAt: was.sendAt });
        }
        if (again.ok) ledger.push({ ...m, sendAt: again.sendAt, cost: 1, timeZone: 'UTC' });
      }
      expect(ledger.length).toBeGreaterThan(200);
      expect(checkLedger(policy, ledger).violations).toEqual([]);
      await store.close();
    } finally {
      client.disconnect();
      for (const a of admins) a.disconnect();
    }
  }, 90_000);
});
