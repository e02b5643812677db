// The Redis store keeps a daily limit's counts as one string per key ('day:count' entries for the
// local days not yet over): read by the call's MGET and written by one SET, instead of a hash read
// with HGET and written with HINCRBY and PEXPIRE. What must hold: days that are over are dropped,
// the key lives until its last day ends (plus an hour), and cancel takes the unit off its own day.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { validatePolicy } from '../../src/core/policy/index.js';
import { zoneCalendar } from '../../src/core/calendar.js';
import { startRedis, type RedisHandle } from '../support/redis-server.js';

const HOUR = 3_600_000;
const policy = validatePolicy({
  name: 'daily-state',
  defaultTimeZone: 'Europe/Madrid',
  limits: [{ name: 'daily', scope: 'recipient', kind: 'daily', count: 2 }],
  sendWindows: [],
});
const calendar = zoneCalendar('Europe/Madrid');
const to = '+34600000001';
const key = `t:{acme}|daily|${to}`;
const message = (id: string) => ({ id, to, from: 'n1', portfolio: 'acme', category: 'utility' as const });

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

describe('Redis store: daily state', () => {
  it('counts per local day in one string, moves the third message to the next day, drops days that are over, and lives until its last day ends', async () => {
    const store = await RedisStore.connect(policy, client, { prefix: 't:', clock: 'client' });
    // 23:00 in Madrid (UTC+1 in January): an hour before local midnight.
    const now = Date.parse('2027-01-10T22:00:00Z');
    const today = calendar.dayOf(now);
    expect((await store.admit(message('d1'), { now })).ok).toBe(true);
    expect((await store.admit(message('d2'), { now })).ok).toBe(true);
    const third = await store.admit(message('d3'), { now });
    expect(third).toMatchObject({ ok: true, sendAt: calendar.dayStart(today + 1), delayedBy: 'daily' });
    expect(await client.get(key)).toBe(`${today}:2,${today + 1}:1`);
    // Redis expires by its own clock: the TTL is the last day's end (plus an hour) seen from `now`.
    const ttl = await client.pttl(key);
    const expected = calendar.dayStart(today + 2) - now + HOUR;
    expect(ttl).toBeGreaterThan(expected - 60_000);
    expect(ttl).toBeLessThanOrEqual(expected);

    // The next day: today's entry is over and goes at the next write.
    const later = calendar.dayStart(today + 1) + 2 * HOUR;
    expect((await store.admit(message('d4'), { now: later })).ok).toBe(true);
    expect(await client.get(key)).toBe(`${today + 1}:2`);
    expect((await store.capacity(message('x'), { now: later }))[0]).toMatchObject({ limit: 'daily', remaining: 0 });

    // Cancel refunds the unit on the day it was counted, and leaves other days alone.
    expect(await store.cancel('d3', { portfolio: 'acme' })).toBe(true);
    expect(await client.get(key)).toBe(`${today + 1}:1`);
    expect((await store.capacity(message('x'), { now: later }))[0]).toMatchObject({ remaining: 1 });
    expect(await store.cancel('d4', { portfolio: 'acme' })).toBe(true);
    expect(await client.get(key)).toBe('');
    expect((await store.capacity(message('x'), { now: later }))[0]).toMatchObject({ remaining: 2 });
    expect((await store.admit(message('d5'), { now: later })).ok).toBe(true);
    expect(await client.get(key)).toBe(`${today + 1}:1`);
  });

  it('refuses a daily key that is not in the format instead of reading it as zero', async () => {
    const store = await RedisStore.connect(policy, client, { prefix: 'u:', clock: 'client' });
    await client.set(`u:{acme}|daily|${to}`, 'garbage');
    await expect(store.admit(message('g1'), { now: Date.parse('2027-01-10T10:00:00Z') })).rejects.toThrow(/malformed daily state/);
  });
});
