import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { PRESETS } from '../../src/core/policy/index.js';
import { startRedis, type RedisHandle } from '../support/redis-server.js';
import { createReadmeAclUser } from '../support/readme-acl.js';


let server: RedisHandle;
let admin: Redis;
let limited: Redis;
beforeAll(async () => {
  server = await startRedis();
  admin = new Redis({ host: server.host, port: server.port });
  await createReadmeAclUser(admin, 'sluice', 's3cret-pass');
  limited = new Redis({ host: server.host, port: server.port, username: 'sluice', password: 's3cret-pass' });
});
afterAll(async () => {
  limited?.disconnect();
  admin?.disconnect();
  await server?.stop();
});

describe('Redis store under a least-privilege ACL user', () => {
  it('admits, replays, peeks, reports capacity and cancels with only the documented commands and key prefix', async () => {
    const store = await RedisStore.connect(PRESETS.conservative, limited);
    const m = { id: 'acl-1', to: '+447700900001', from: 'n1', portfolio: 'acme', category: 'utility' as const, campaign: 'c', apiKey: 'k1', timeZone: 'Europe/London' };
    const now = Date.parse('2026-06-01T10:00:00Z');
    expect(await store.admit(m, { now })).toMatchObject({ ok: true });
    expect(await store.admit(m, { now })).toMatchObject({ ok: true, duplicate: true });
    expect(await store.peek({ ...m, id: 'acl-2' }, { now })).toMatchObject({ ok: true });
    expect((await store.capacity(m, { now })).length).toBe(PRESETS.conservative.limits.length);
    expect(await store.cancel('acl-1', { portfolio: 'acme' })).toBe(true);
    // Server clock: TIME inside the script is allowed too.
    expect(await store.admit({ ...m, id: 'acl-3' })).toMatchObject({ ok: true });
  });

  it('anything outside the prefix or the command list is refused by Redis (NOPERM)', async () => {
    await expect(limited.set('other:key', '1')).rejects.toThrow(/NOPERM/);
    await expect(limited.flushall()).rejects.toThrow(/NOPERM/);
  });
});
