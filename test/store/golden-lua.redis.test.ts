import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import golden from '../golden/limits.json' with { type: 'json' };
import { bundleLua } from '../../src/build/lua-bundle.js';
import { rateParams } from '../../src/core/limits/rate.js';
import { startRedis, type RedisHandle } from '../support/redis-server.js';

// A throwaway entry script beside lua/admit.lua so that its includes resolve the same way.
const includes = (names: string[]) => names.map((n) => `--- @include "${n}"`).join('\n');
const bundle = (body: string) =>
  bundleLua(fileURLToPath(new URL('../../lua/golden-probe.lua', import.meta.url)), (path) => (path.endsWith('golden-probe.lua') ? body : fs.readFileSync(path, 'utf8')));

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

describe('golden vectors: Lua includes', () => {
  it('window search on a sorted set gives the same instants', async () => {
    const script = bundle(`${includes(['int', 'sorted-log'])}
return zwindow_earliest(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))`);
    for (const [i, v] of golden.window.entries()) {
      const key = `golden:w${i}`;
      await client.del(key);
      for (const [k, e] of v.entries.entries()) await client.zadd(key, e, `${e}:${k}`);
      expect(await client.eval(script, 1, key, v.t, v.cost, v.count, v.W), JSON.stringify(v)).toBe(v.want);
    }
  });

  it('GCRA slots are the same instants', async () => {
    const script = bundle(`${includes(['rate'])}
local q, T, tau = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat, out = 0, {}
for i = 4, #ARGV, 2 do
  local at, cost = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local s = rate_earliest(q, T, tau, tat, at, cost)
  tat = rate_commit(q, T, tau, tat, s, cost)
  out[#out + 1] = s
end
return out`);
    for (const v of golden.rate) {
      const p = rateParams(v.count, v.periodMs, v.burst);
      const got = await client.eval(script, 0, p.q, p.T, p.tau, ...v.arrivals.flat());
      expect(got, JSON.stringify(v)).toEqual(v.want);
    }
  });
});
