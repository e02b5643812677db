import { afterAll, describe, expect, it } from 'vitest';
import { Redis, type RedisOptions } from 'ioredis';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { OutcomeUnknownError, StoreUnavailableError, UnsafeConfigError } from '../../src/errors.js';
import { validatePolicy } from '../../src/core/policy/index.js';
import type { Message } from '../../src/core/types.js';
import { startRedis, type RedisHandle } from '../support/redis-server.js';
import { freePort } from '../support/free-port.js';

const policy = validatePolicy({
  name: 'failures',
  defaultTimeZone: 'UTC',
  limits: [{ name: 'num', scope: 'number', kind: 'rate', count: 1, periodMs: 1000, burst: 1 }],
  sendWindows: [],
});
const t0 = Date.parse('2026-06-01T10:00:00Z');
const msg = (id: string): Message => ({ id, to: '+447700900001', from: 'n1', portfolio: 'p', category: 'utility' });

const servers: RedisHandle[] = [];
const clients: Redis[] = [];
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all(servers.map((s) => s.stop()));
});
async function server(options: Parameters<typeof startRedis>[0] = {}): Promise<RedisHandle> {
  const s = await startRedis(options);
  servers.push(s);
  return s;
}
function connect(s: { port: number }, options: Omit<RedisOptions, 'replyMapping'> = {}): Redis {
  const c = new Redis({ host: '127.0.0.1', port: s.port, ...options });
  clients.push(c);
  return c;
}

describe('Redis store fails closed', () => {
  it('refuses to start on an evicting maxmemory-policy unless explicitly allowed', async () => {
    const s = await server({ maxmemory: '64mb', maxmemoryPolicy: 'allkeys-lru' });
    const c = connect(s);
    await expect(RedisStore.connect(policy, c)).rejects.toThrow(UnsafeConfigError);
    await expect(RedisStore.connect(policy, c)).rejects.toThrow(/allkeys-lru/);
    const store = await RedisStore.connect(policy, c, { allowEvictingPolicy: true });
    expect((await store.admit(msg('a'), { now: t0 })).ok).toBe(true);
  });

  it('an unreachable Redis is a typed error, and nothing is admitted', async () => {
    const port = await freePort(); // nothing listens there
    const c = connect({ port }, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    c.on('error', () => {}); // the refused connection is the point of the test
    const store = await RedisStore.connect(policy, c, { allowEvictingPolicy: true });
    await expect(store.admit(msg('a'), { now: t0 })).rejects.toThrow(StoreUnavailableError);
  });

  it('a frozen Redis gives a typed "outcome unknown"; retrying the same id after it wakes consumes once', async () => {
    const s = await server();
    const c = connect(s, { commandTimeout: 300 });
    const store = await RedisStore.connect(policy, c);
    s.pause();
    try {
      await expect(store.admit(msg('frozen'), { now: t0 })).rejects.toThrow(OutcomeUnknownError);
    } finally {
      s.resume();
    }
    // The script queued while frozen ran after SIGCONT (a timeout is not "not executed").
    const retry = await store.admit(msg('frozen'), { now: t0 });
    expect(retry).toMatchObject({ ok: true, sendAt: t0 });
    // One slot was consumed, not two: the next message gets the second slot.
    expect(await store.admit(msg('next'), { now: t0 })).toMatchObject({ ok: true, sendAt: t0 + 1000 });
  });

  it('a limit or record key holding another type is an error: nothing is replaced, no record written', async () => {
    const s = await server();
    const c = connect(s);
    const store = await RedisStore.connect(policy, c, { prefix: 'wt:' });
    // The rate key of number n1, and a record, taken by hashes (e.g. another tool's keys).
    await c.hset('wt:{p}|num|n1', 'x', '1');
    await expect(store.admit(msg('a'), { now: t0 })).rejects.toThrow(/WRONGTYPE/);
    expect(await c.type('wt:{p}|num|n1')).toBe('hash');
    expect(await c.exists('wt:{p}|msg|a')).toBe(0);
    await c.del('wt:{p}|num|n1');
    await c.hset('wt:{p}|msg|b', 'x', '1');
    await expect(store.admit(msg('b'), { now: t0 })).rejects.toThrow(/WRONGTYPE/);
    expect(await c.type('wt:{p}|msg|b')).toBe('hash');
  });
});
