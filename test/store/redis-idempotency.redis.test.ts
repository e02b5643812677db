import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { validatePolicy } from '../../src/core/policy/index.js';
import type { Message } from '../../src/core/types.js';
import { OutcomeUnknownError, StoreUnavailableError } from '../../src/errors.js';
import { startRedis, type RedisHandle } from '../support/redis-server.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';

const policy = validatePolicy({
  name: 'idem',
  defaultTimeZone: 'UTC',
  limits: [
    { name: 'num', scope: 'number', kind: 'rate', count: 1, periodMs: 1000, burst: 1 },
    { name: 'win', scope: 'number', kind: 'window', count: 10, windowMs: 60_000 },
  ],
  sendWindows: [],
});
const t0 = Date.parse('2026-06-01T10:00:00Z');
const msg = (id: string): Message => ({ id, to: '+447700900001', from: 'n1', portfolio: 'p', category: 'utility' });

let server: RedisHandle;
let proxy: FaultProxy;
let client: Redis;
let direct: Redis;
beforeAll(async () => {
  server = await startRedis();
  proxy = await startFaultProxy({ port: server.port });
  // ioredis defaults: on a reset it reconnects and resends the commands still in flight.
  client = new Redis({ host: proxy.host, port: proxy.port });
  client.on('error', () => {}); // the reset is the point of the test
  direct = new Redis({ host: server.host, port: server.port });
});
afterAll(async () => {
  client?.disconnect();
  direct?.disconnect();
  await proxy?.close();
  await server?.stop();
});

describe('a reply lost after the script ran', () => {
  it('the resent admission replays the first decision and consumes once', async () => {
    const store = await RedisStore.connect(policy, client);
    await store.admit(msg('warm-up'), { now: t0 }); // scripts loaded, connection settled
    const dropped = proxy.dropNextReply();
    const decision = await store.admit(msg('lost-reply'), { now: t0 });
    await dropped;
    // The script ran, its reply was lost, ioredis resent it, and the record answered the resend.
    expect(decision).toMatchObject({ ok: true, sendAt: t0 + 1000, duplicate: true });
    expect(proxy.acceptedConnections).toBeGreaterThanOrEqual(2);
    // Consumed once: the window holds two entries (warm-up and this one), and the next slot is the third.
    expect(await direct.zcard('sluice:{p}|win|n1')).toBe(2);
    expect(await store.admit(msg('after'), { now: t0 })).toMatchObject({ ok: true, sendAt: t0 + 2000, duplicate: false });
  });
});

describe('a reply lost, then Redis unreachable until the client gives up', () => {
  it('is "outcome unknown", never "nothing admitted": the script ran, and a retry with the same id replays it', async () => {
    // A proxy of its own, closed for good once the reply is dropped: the resend never gets through.
    const own = await startFaultProxy({ port: server.port });
    const c = new Redis({ host: own.host, port: own.port, maxRetriesPerRequest: 1, retryStrategy: (times) => (times > 3 ? null : 20) });
    c.on('error', () => {});
    try {
      const store = await RedisStore.connect(policy, c, { prefix: 'gone:' });
      await store.admit(msg('warm-up'), { now: t0 });
      const dropped = own.dropNextReply().then(() => own.close());
      const error = await store.admit(msg('ran'), { now: t0 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      await dropped;
      expect(error).toBeInstanceOf(OutcomeUnknownError);
      expect(error).not.toBeInstanceOf(StoreUnavailableError);
      // It did run: the record is there, and the retry (another connection) replays it.
      const again = await (await RedisStore.connect(policy, direct, { prefix: 'gone:' })).admit(msg('ran'), { now: t0 });
      expect(again).toMatchObject({ ok: true, duplicate: true, sendAt: t0 + 1000 });
    } finally {
      c.disconnect();
      await own.close();
    }
  });

  it('a call issued while the client never connects is "nothing admitted"', async () => {
    const own = await startFaultProxy({ port: server.port });
    await own.close(); // nothing listens there any more
    const c = new Redis({ host: own.host, port: own.port, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: (times) => (times > 3 ? null : 20) });
    c.on('error', () => {});
    try {
      const store = await RedisStore.connect(policy, c, { prefix: 'never:', allowEvictingPolicy: true });
      await expect(store.admit(msg('x'), { now: t0 })).rejects.toThrow(StoreUnavailableError);
      expect(await direct.exists('never:{p}|msg|x')).toBe(0);
    } finally {
      c.disconnect();
    }
  });
});
