import { Redis } from 'ioredis';
import * as hdr from 'hdr-histogram-js';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { RedisStore, validatePolicy, type Message, type Policy } from '../src/index.js';
import { startRedis } from '../test/support/redis-server.js';
import { watchGc, type GcDuringRun } from './gc-pauses.js';

export interface RedisThroughput {
  readonly name: string;
  readonly inFlight: number;
  readonly batch: number;
  readonly perSecond: number;
  /**
   * Redis's own time per operation (message admitted or consume), from INFO commandstats: the
   * usec of the script calls (EVAL, EVALSHA, FCALL: both sluice and the peer run one script per
   * call) over the run / operations. Commands a script runs are listed under their own names as
   * well, and already inside the script's usec: summing every line would count them twice.
   * With `redisCpu`, where the time goes.
   */
  readonly serverUsPerOp: number;
  /** Cores of CPU redis-server used during the run (INFO cpu user + sys / wall): 1.0 = saturated. */
  readonly redisCpu: number;
}
export interface RedisLatency {
  readonly name: string;
  readonly inFlight: number;
  readonly p50us: number;
  readonly p99us: number;
  readonly p999us: number;
  readonly maxUs: number;
  /** The client's garbage collection during the run, and the operations over 1 ms it overlapped (absent in results of older versions). */
  readonly gc?: GcDuringRun;
}
export interface RedisResults {
  readonly redisVersion: string;
  readonly throughput: RedisThroughput[];
  readonly latency: RedisLatency[];
}

/** A limit that never binds: the bench measures the cost of checking it. */
export const OPEN = 1_000_000_000;
/** The bench's Redis policies and messages (bench/lua-instructions.ts counts instructions on the same). */
export const single = validatePolicy({
  name: 'single',
  defaultTimeZone: 'UTC',
  limits: [{ name: 'number', scope: 'number', kind: 'rate', count: OPEN, periodMs: 1000, burst: OPEN }],
  sendWindows: [],
});
export const four = validatePolicy({
  name: 'four',
  defaultTimeZone: 'Europe/Madrid',
  limits: [
    { name: 'number', scope: 'number', kind: 'rate', count: OPEN, periodMs: 1000, burst: OPEN },
    { name: 'pair', scope: 'pair', kind: 'rate', count: 1, periodMs: 1, burst: 1 },
    { name: 'daily', scope: 'recipient', kind: 'daily', count: OPEN },
    { name: 'api', scope: 'apiKey', kind: 'rate', count: OPEN, periodMs: 1000, burst: OPEN },
  ],
  sendWindows: [],
});

let seq = 0;
export const message = (i: number): Message => ({
  id: `b${seq++}`,
  to: `+3460${String(i % 100_000).padStart(7, '0')}`,
  from: `num-${i % 4}`,
  portfolio: 'acme',
  category: 'utility',
  apiKey: 'key-1',
});

/** Run `inFlight` loops calling `op` until `ms` elapse; returns the operations completed. */
async function drive(inFlight: number, ms: number, op: () => Promise<number>, histogram?: hdr.Histogram, onSlow?: (start: number, end: number) => void): Promise<number> {
  const end = performance.now() + ms;
  let done = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        // Not `done += await op()`: that reads `done` before the await and loses concurrent updates.
        const n = await op();
        done += n;
        const end = performance.now();
        histogram?.recordValue(Math.max(1, Math.round((end - t) * 1000)));
        if (end - t > 1) onSlow?.(t, end);
      }
    }),
  );
  return done;
}

/** Sum of usec over the script calls in INFO commandstats, and used CPU seconds (user + sys). */
async function serverCost(client: Redis): Promise<{ usec: number; cpu: number }> {
  const stats = await client.info('commandstats');
  let usec = 0;
  for (const m of stats.matchAll(/^cmdstat_(?:eval|evalsha|eval_ro|evalsha_ro|fcall|fcall_ro):calls=\d+,usec=(\d+),/gm)) usec += Number(m[1]);
  const cpu = await client.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(cpu)?.[1] ?? 0);
  return { usec, cpu: field('used_cpu_user') + field('used_cpu_sys') };
}

/** Runs `drive` with the server's cost measured around it (differences of the cumulative counters). */
async function measured(client: Redis, inFlight: number, ms: number, op: () => Promise<number>, histogram?: hdr.Histogram, onSlow?: (start: number, end: number) => void): Promise<{ perSecond: number; serverUsPerOp: number; redisCpu: number }> {
  const before = await serverCost(client);
  const began = performance.now();
  const done = await drive(inFlight, ms, op, histogram, onSlow);
  const wall = (performance.now() - began) / 1000;
  const after = await serverCost(client);
  return {
    perSecond: done / (ms / 1000),
    serverUsPerOp: Number(((after.usec - before.usec) / Math.max(1, done)).toFixed(2)),
    redisCpu: Number(((after.cpu - before.cpu) / wall).toFixed(2)),
  };
}

export async function runRedis(ms: number): Promise<RedisResults> {
  const server = await startRedis();
  const client = new Redis({ host: server.host, port: server.port });
  try {
    const info = await client.info('server');
    const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    const throughput: RedisThroughput[] = [];
    const latency: RedisLatency[] = [];
    const stores: [string, Policy][] = [['sluice 1 limit (rate)', single], ['sluice 4-limit atomic admission', four]];
    for (const [name, policy] of stores) {
      const store = await RedisStore.connect(policy, client, { prefix: `${policy.name}:` });
      for (const inFlight of [1, 16, 256]) {
        const h = inFlight === 16 ? hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000, numberOfSignificantValueDigits: 3 }) : undefined;
        const gc = h ? watchGc() : undefined;
        const run = await measured(client, inFlight, ms, async () => ((await store.admit(message(seq))).ok ? 1 : 1), h, gc?.slow);
        throughput.push({ name, inFlight, batch: 1, ...run });
        if (h && gc) latency.push({ name, inFlight, p50us: h.getValueAtPercentile(50), p99us: h.getValueAtPercentile(99), p999us: h.getValueAtPercentile(99.9), maxUs: h.maxValue, gc: gc.stop() });
      }
      for (const inFlight of [1, 16]) {
        const batch = 128;
        const run = await measured(client, inFlight, ms, async () => (await store.admitMany(Array.from({ length: batch }, () => message(seq)))).length);
        throughput.push({ name: `${name}, batched`, inFlight, batch, ...run });
      }
      await client.flushall();
    }
    const peer = new RateLimiterRedis({ storeClient: client, points: OPEN, duration: 1, keyPrefix: 'rlf' });
    for (const inFlight of [1, 16, 256]) {
      const h = inFlight === 16 ? hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000, numberOfSignificantValueDigits: 3 }) : undefined;
      let k = 0;
      const gc = h ? watchGc() : undefined;
      const run = await measured(client, inFlight, ms, async () => {
        await peer.consume(`num-${k++ % 4}`);
        return 1;
      }, h, gc?.slow);
      throughput.push({ name: 'rate-limiter-flexible RateLimiterRedis.consume (1 limit)', inFlight, batch: 1, ...run });
      if (h && gc) latency.push({ name: 'rate-limiter-flexible RateLimiterRedis.consume', inFlight, p50us: h.getValueAtPercentile(50), p99us: h.getValueAtPercentile(99), p999us: h.getValueAtPercentile(99.9), maxUs: h.maxValue, gc: gc.stop() });
    }
    return { redisVersion, throughput, latency };
  } finally {
    client.disconnect();
    await server.stop();
  }
}
