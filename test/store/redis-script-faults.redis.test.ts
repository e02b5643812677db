// Reliability scenarios 6 and 7 on a real redis-server: the script cache flushed under load,
// clients paused, and another client's script keeping Redis busy. The store must never fail open:
// nothing is admitted twice, nothing is admitted while Redis is paused, and a refusal to run is a
// typed error that says nothing was admitted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { validatePolicy } from '../../src/core/policy/index.js';
import { OutcomeUnknownError, StoreUnavailableError } from '../../src/errors.js';
import type { Decision, Message } from '../../src/core/types.js';
import { startRedis, type RedisHandle } from '../support/redis-server.js';

let server: RedisHandle;
let admin: Redis;
beforeAll(async () => {
  server = await startRedis();
  admin = new Redis({ host: server.host, port: server.port });
});
afterAll(async () => {
  admin?.disconnect();
  await server?.stop();
});

// A window far larger than the run, so every admission of the run counts against one budget.
const policy = validatePolicy({
  name: 'faults',
  defaultTimeZone: 'UTC',
  limits: [{ name: 'hour', scope: 'number', kind: 'window', count: 100_000, windowMs: 3_600_000 }],
  sendWindows: [],
});
const msg = (id: string): Message => ({ id, to: '+447700900001', from: 'n1', portfolio: 'p', category: 'utility' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SCRIPT FLUSH during load (scenario 6)', () => {
  it('no caller sees an error, and each id is consumed exactly once', async () => {
    const client = new Redis({ host: server.host, port: server.port });
    const store = await RedisStore.connect(policy, client, { prefix: 'flush:' });
    let flushes = 0;
    let running = true;
    const flusher = (async () => {
      while (running) {
        await admin.script('FLUSH');
        flushes++;
        await sleep(5);
      }
    })();
    // 16 in flight; a third of the ids are asked twice (a retry after a flush must replay).
    const ids = Array.from({ length: 3_000 }, (_, i) => `m${i % 2_000}`);
    const decisions: Decision[] = [];
    let next = 0;
    try {
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < ids.length) decisions.push(await store.admit(msg(ids[next++] as string)));
        }),
      );
    } finally {
      // Even when a call failed: a flusher left running would break the next test.
      running = false;
      await flusher;
    }
    expect(flushes).toBeGreaterThan(10);
    expect(decisions.every((d) => d.ok)).toBe(true);
    expect(decisions.filter((d) => d.ok && !d.duplicate).length).toBe(2_000);
    // The store's own count agrees: 2,000 consumed from the window, not more.
    const [hour] = await store.capacity(msg('probe'));
    expect(hour).toMatchObject({ limit: 'hour', remaining: 100_000 - 2_000 });
    await store.close();
    client.disconnect();
  }, 60_000);
});

describe('CLIENT PAUSE and a busy script (scenario 7)', () => {
  it('admits nothing during a pause: a call waits it out and its slot is after the pause', async () => {
    const client = new Redis({ host: server.host, port: server.port });
    const store = await RedisStore.connect(policy, client, { prefix: 'pause:' });
    const [s, us] = await admin.time();
    const pausedAt = Number(s) * 1000 + Math.floor(Number(us) / 1000);
    await admin.call('CLIENT', 'PAUSE', '1000', 'WRITE');
    const d = await store.admit(msg('during-pause'));
    expect(d.ok).toBe(true);
    // The server's clock, read by the script itself: it ran once the pause was over.
    if (d.ok) expect(d.sendAt).toBeGreaterThanOrEqual(pausedAt + 1_000);
    await store.close();
    client.disconnect();
  }, 30_000);

  it('a call that times out in a pause is OutcomeUnknownError, and the retry with its id consumes once', async () => {
    const client = new Redis({ host: server.host, port: server.port, commandTimeout: 300 });
    const store = await RedisStore.connect(policy, client, { prefix: 'pause-timeout:' });
    await admin.call('CLIENT', 'PAUSE', '1500', 'WRITE');
    await expect(store.admit(msg('timed-out'))).rejects.toBeInstanceOf(OutcomeUnknownError);
    await sleep(1_700);
    const retry = await store.admit(msg('timed-out'));
    expect(retry.ok).toBe(true);
    const [hour] = await store.capacity(msg('probe'));
    expect(hour).toMatchObject({ remaining: 100_000 - 1 });
    await store.close();
    client.disconnect();
  }, 30_000);

  it('another script keeping Redis busy: StoreUnavailableError, nothing admitted, then normal service', async () => {
    const client = new Redis({ host: server.host, port: server.port, maxRetriesPerRequest: 0 });
    const store = await RedisStore.connect(policy, client, { prefix: 'busy:' });
    // A read-only script that spins past busy-reply-threshold (5 s by default; lowered here).
    await admin.config('SET', 'busy-reply-threshold', '100');
    const hog = new Redis({ host: server.host, port: server.port });
    const spinning = hog.eval('local i = 0 while true do i = i + 1 end', 0).catch((e: Error) => e);
    await sleep(300);
    try {
      const err = await store.admit(msg('while-busy')).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect(String((err as Error).message)).toMatch(/BUSY/);
    } finally {
      await admin.call('SCRIPT', 'KILL').catch(() => undefined);
      await spinning;
      hog.disconnect();
      await admin.config('SET', 'busy-reply-threshold', '5000');
    }
    const [hour] = await store.capacity(msg('probe'));
    expect(hour).toMatchObject({ remaining: 100_000 });
    expect(await store.admit(msg('after-busy'))).toMatchObject({ ok: true, duplicate: false });
    await store.close();
    client.disconnect();
  }, 30_000);
});
