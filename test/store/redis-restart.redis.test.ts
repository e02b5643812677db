import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { validatePolicy } from '../../src/core/policy/index.js';
import type { Message } from '../../src/core/types.js';
import { startRedis, type RedisHandle } from '../support/redis-server.js';

const policy = validatePolicy({
  name: 'restart',
  defaultTimeZone: 'UTC',
  limits: [
    { name: 'num', scope: 'number', kind: 'rate', count: 1, periodMs: 1000, burst: 1 },
    { name: 'win', scope: 'number', kind: 'window', count: 5, windowMs: 30_000 },
  ],
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
async function setup(appendonly: boolean) {
  const server = await startRedis({ appendonly });
  servers.push(server);
  const client = new Redis({ host: server.host, port: server.port });
  client.on('error', () => {}); // the restart drops connections on purpose
  clients.push(client);
  return { server, client };
}

describe('Redis restarts', () => {
  it('without persistence: the loss is detected and the portfolio is held (fail closed) for maxWait + the longest window', async () => {
    const { server, client } = await setup(false);
    const store = await RedisStore.connect(policy, client, { maxWaitMs: 60_000 });
    expect(await store.admit(msg('a'), { now: t0 })).toMatchObject({ ok: true, sendAt: t0 });
    server.kill('SIGKILL');
    await server.restart();
    const hold = t0 + 10 + 60_000 + 30_000;
    expect(await store.admit(msg('b'), { now: t0 + 10 })).toMatchObject({ ok: false, reason: 'state-lost', retryAt: hold });
    // The hold is in Redis: a process that never saw the old state is held too.
    const fresh = await RedisStore.connect(policy, client, { maxWaitMs: 60_000 });
    expect(await fresh.admit(msg('c'), { now: t0 + 20 })).toMatchObject({ ok: false, reason: 'state-lost', retryAt: hold });
    expect(await store.admit(msg('d'), { now: hold })).toMatchObject({ ok: true, sendAt: hold });
  });

  it('a brand-new Redis is not mistaken for a lost one', async () => {
    const { client } = await setup(false);
    const store = await RedisStore.connect(policy, client);
    expect(await store.admit(msg('first'), { now: t0 })).toMatchObject({ ok: true });
  });

  it('with AOF: a killed and restarted Redis keeps every acknowledged admission; replays are not consumed again', async () => {
    const { server, client } = await setup(true);
    const store = await RedisStore.connect(policy, client);
    const before = await Promise.all(['a', 'b', 'c'].map((id) => store.admit(msg(id), { now: t0 })));
    expect(before.map((d) => (d.ok ? d.sendAt : null))).toEqual([t0, t0 + 1000, t0 + 2000]);
    server.kill('SIGKILL');
    await server.restart();
    const replay = await Promise.all(['a', 'b', 'c'].map((id) => store.admit(msg(id), { now: t0 + 5 })));
    expect(replay).toEqual(before.map((d) => ({ ...d, delayedBy: null, duplicate: true })));
    expect(await store.admit(msg('d'), { now: t0 + 5 })).toMatchObject({ ok: true, sendAt: t0 + 3000 });
  });

  it('acknowledged writes lost while the state survives (a partial loss) are detected and held', async () => {
    const { client } = await setup(false);
    const store = await RedisStore.connect(policy, client, { maxWaitMs: 60_000 });
    await store.admit(msg('x'), { now: t0 });
    await store.admit(msg('y'), { now: t0 });
    // Simulate an AOF that kept the first write but not the second: roll the meta back one call.
    const meta = 'sluice:{p}|meta';
    const [floor, epoch, hold, seq] = ((await client.get(meta)) ?? '').split(':');
    await client.set(meta, `${floor}:${epoch}:${hold}:${Number(seq) - 1}`, 'KEEPTTL');
    await client.del('sluice:{p}|msg|y');
    const held = await store.admit(msg('y'), { now: t0 + 10 });
    expect(held).toMatchObject({ ok: false, reason: 'state-lost', retryAt: t0 + 10 + 60_000 + 30_000 });
  });
});
