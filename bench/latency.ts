import { Redis } from 'ioredis';
import * as hdr from 'hdr-histogram-js';
import { MemoryStore, RedisStore, SharedRateLimiter, validatePolicy, type Message, type Policy, type PreparedMessage } from '../src/index.js';
import { startRedis } from '../test/support/redis-server.js';

/**
 * Admission latency, corrected for coordinated omission.
 *
 * A closed loop ("call, wait for the answer, call again") under-reports the tail: while one call is
 * stuck (a GC pause, a slow Redis reply, a descheduled thread) the loop sends nothing, so the
 * calls that a real caller would have made during the stall are never measured. This suite drives
 * each store *open loop* at a fixed rate instead: call i has an intended start
 * `t0 + i × interval` fixed before the run, and its latency is measured from that intended start
 * to the moment its answer is in hand. A stall therefore charges every call that should have
 * started during it with the time it waited (what a caller feeding messages at that rate sees).
 *
 * We measure from the intended start rather than use hdr-histogram's
 * `recordValueWithExpectedInterval`: that correction back-fills synthetic samples from a closed
 * loop's measured times, assuming a steady rate it never actually offered; measuring from the
 * intended start is exact for the load really offered, and also charges the harness's own lateness
 * in starting a call (a late start is a delay the caller sees too). The plain service time (from
 * the actual start) is kept alongside, so the report shows how much the correction adds.
 *
 * Embedded stores: a single thread spins on `performance.now()` until each intended start (the
 * decision itself takes well under the interval). Redis: the loop issues every call that is due,
 * yields to the event loop (setImmediate) so replies are read, and never waits for a reply before
 * issuing the next call; concurrent calls are grouped into script calls by the store, as in use.
 */

export interface LatencyPoint {
  /** Percentile in [0, 100]. */
  readonly percentile: number;
  readonly us: number;
}

export interface LatencySeries {
  readonly name: string;
  readonly store: 'memory' | 'redis';
  /** Intended calls per second (the open-loop rate). */
  readonly ratePerSecond: number;
  readonly durationMs: number;
  /**
   * Calls answered per second, from the first intended start to the last answer: below the
   * intended rate, the store (or the machine) did not keep up and the latencies grow with the queue.
   */
  readonly achievedPerSecond: number;
  readonly count: number;
  /** Calls that threw (counted, not timed). */
  readonly errors: number;
  /** Latency from the intended start, µs. */
  readonly p50Us: number;
  readonly p90Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly p9999Us: number;
  readonly maxUs: number;
  readonly meanUs: number;
  /** Uncorrected service time (from the actual start), µs: what a closed loop would report. */
  readonly serviceP50Us: number;
  readonly serviceP99Us: number;
  readonly serviceMaxUs: number;
  /** The percentile curve for the plots (only percentiles the sample count resolves, then max). */
  readonly curve: readonly LatencyPoint[];
}

export interface LatencyResults {
  /** How the figures were corrected for coordinated omission (one sentence, for the report). */
  readonly method: string;
  readonly series: readonly LatencySeries[];
  /** The Redis server version, or why the Redis rows are missing. */
  readonly redis: { readonly version: string } | { readonly skipped: string };
}

export const CO_METHOD =
  'open loop at a fixed rate; latency measured from each call\'s intended start (t0 + i × interval) to its answer, so stalls are charged to every call that should have started during them';

const CURVE_PERCENTILES = [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.995, 99.999];
const MAX_NS = 60e9;

function histogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: MAX_NS, numberOfSignificantValueDigits: 3 });
}
const recordNs = (h: hdr.Histogram, ms: number) => h.recordValue(Math.min(MAX_NS, Math.max(1, Math.round(ms * 1e6))));
const us = (ns: number) => Math.round(ns) / 1000;

function summarise(name: string, store: 'memory' | 'redis', ratePerSecond: number, durationMs: number, elapsedMs: number, corrected: hdr.Histogram, service: hdr.Histogram, errors: number): LatencySeries {
  const count = corrected.totalCount;
  // A percentile is resolved when at least one sample lies above it.
  const curve = CURVE_PERCENTILES.filter((p) => count * (1 - p / 100) >= 1).map((percentile) => ({ percentile, us: us(corrected.getValueAtPercentile(percentile)) }));
  curve.push({ percentile: 100, us: us(corrected.maxValue) });
  const out: LatencySeries = {
    name,
    store,
    ratePerSecond,
    durationMs,
    achievedPerSecond: Math.round((count * 1000) / Math.max(elapsedMs, 1)),
    count,
    errors,
    p50Us: us(corrected.getValueAtPercentile(50)),
    p90Us: us(corrected.getValueAtPercentile(90)),
    p99Us: us(corrected.getValueAtPercentile(99)),
    p999Us: us(corrected.getValueAtPercentile(99.9)),
    p9999Us: us(corrected.getValueAtPercentile(99.99)),
    maxUs: us(corrected.maxValue),
    meanUs: Math.round(corrected.mean) / 1000,
    serviceP50Us: us(service.getValueAtPercentile(50)),
    serviceP99Us: us(service.getValueAtPercentile(99)),
    serviceMaxUs: us(service.maxValue),
    curve,
  };
  corrected.destroy();
  service.destroy();
  return out;
}

/** Open loop on this thread: spin to each intended start, call, record. */
function driveSync(name: string, store: 'memory', ratePerSecond: number, durationMs: number, op: (i: number) => void): LatencySeries {
  // Warm-up (not recorded): let the JIT settle so the first calls' compilation is not the tail.
  const warmEnd = performance.now() + Math.min(300, durationMs / 4);
  let w = 0;
  while (performance.now() < warmEnd) op(w++);
  const corrected = histogram();
  const service = histogram();
  const interval = 1000 / ratePerSecond;
  const n = Math.floor((ratePerSecond * durationMs) / 1000);
  const t0 = performance.now() + 1;
  let errors = 0;
  for (let i = 0; i < n; i++) {
    const intended = t0 + i * interval;
    let start = performance.now();
    while (start < intended) start = performance.now();
    try {
      op(w + i);
    } catch {
      errors++;
      continue;
    }
    const end = performance.now();
    recordNs(corrected, end - intended);
    recordNs(service, end - start);
  }
  return summarise(name, store, ratePerSecond, durationMs, performance.now() - t0, corrected, service, errors);
}

/** Open loop against an async store: issue what is due, yield for replies, never wait for one. */
async function driveAsync(name: string, store: 'redis', ratePerSecond: number, durationMs: number, op: (i: number) => Promise<unknown>): Promise<LatencySeries> {
  const warm = Math.min(200, Math.round(ratePerSecond / 10));
  await Promise.all(Array.from({ length: warm }, (_, i) => op(i)));
  const corrected = histogram();
  const service = histogram();
  const interval = 1000 / ratePerSecond;
  const n = Math.floor((ratePerSecond * durationMs) / 1000);
  const pending: Promise<void>[] = [];
  let errors = 0;
  const t0 = performance.now() + 1;
  let issued = 0;
  while (issued < n) {
    const now = performance.now();
    while (issued < n && t0 + issued * interval <= now) {
      const intended = t0 + issued * interval;
      const start = performance.now();
      pending.push(
        op(warm + issued).then(
          () => {
            const end = performance.now();
            recordNs(corrected, end - intended);
            recordNs(service, end - start);
          },
          () => {
            errors++;
          },
        ),
      );
      issued++;
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await Promise.all(pending);
  return summarise(name, store, ratePerSecond, durationMs, performance.now() - t0, corrected, service, errors);
}

const OPEN = 1_000_000_000;

/** The same four limits as the micro and Redis suites: number rate, pair rate, recipient daily cap, API-key rate. */
function fourLimits(): Policy {
  return validatePolicy({
    name: 'latency',
    defaultTimeZone: 'Europe/Madrid',
    limits: [
      { name: 'number', scope: 'number', kind: 'rate', count: OPEN, periodMs: 1000, burst: OPEN },
      { name: 'pair', scope: 'pair', kind: 'rate', count: 1, periodMs: 1, burst: 1 },
      { name: 'daily', scope: 'recipient', kind: 'daily', count: OPEN },
      { name: 'api', scope: 'apiKey', kind: 'rate', count: OPEN, periodMs: 1000, burst: OPEN },
    ],
    sendWindows: [],
  });
}

const message = (run: string, i: number): Message => ({
  id: `${run}-${i}`,
  to: `+3461${String(i % 10_000).padStart(6, '0')}`,
  from: `num-${i % 4}`,
  portfolio: 'acme',
  category: 'utility',
  apiKey: 'key-1',
});

export interface LatencyOptions {
  readonly quick: boolean;
  readonly log?: (line: string) => void;
}

export async function runLatency(options: LatencyOptions): Promise<LatencyResults> {
  const seconds = options.quick ? 1.5 : 10;
  const ms = seconds * 1000;
  const log = options.log ?? (() => {});
  const series: LatencySeries[] = [];

  const limiter = SharedRateLimiter.create({ count: OPEN, periodMs: 1000, burst: OPEN });
  try {
    const keys = Array.from({ length: 64 }, (_, i) => limiter.key(`number-${i}`));
    series.push(driveSync('SharedRateLimiter.tryAcquire (1 limit, 64 keys)', 'memory', 100_000, ms, (i) => void limiter.tryAcquire(keys[i & 63] as number)));
  } finally {
    await limiter.close();
  }
  log(`latency: ${series.at(-1)?.name} done`);

  // The decision alone, on messages validated and resolved beforehand (what the planner does).
  const decide = MemoryStore.create(fourLimits(), { capacity: { maxMessages: 1024 } });
  const prepared = Array.from({ length: 1024 }, (_, i) => decide.prepare(message('p', i)));
  series.push(driveSync('MemoryStore.admitPreparedRaw (4 limits, prepared)', 'memory', 100_000, ms, (i) => void decide.admitPreparedRaw(prepared[i & 1023] as PreparedMessage, decide.now())));
  log(`latency: ${series.at(-1)?.name} done`);

  // The whole call a service makes per message: validation (phone number parsing), rule
  // resolution, the idempotent admission under the message id.
  const rate = 20_000;
  const mem = MemoryStore.create(fourLimits(), { capacity: { maxMessages: Math.ceil(rate * (seconds + 1)) + 65_536 } });
  series.push(driveSync('MemoryStore.admitSync (4 limits)', 'memory', rate, ms, (i) => void mem.admitSync(message('m', i))));
  log(`latency: ${series.at(-1)?.name} done`);

  let redis: LatencyResults['redis'] | undefined;
  let server: Awaited<ReturnType<typeof startRedis>> | undefined;
  try {
    server = await startRedis();
  } catch (err) {
    redis = { skipped: `no local redis-server (${err instanceof Error ? err.message.split('\n')[0] : String(err)})` };
  }
  if (server !== undefined) {
    const client = new Redis({ host: server.host, port: server.port });
    try {
      const info = await client.info('server');
      redis = { version: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown' };
      const store = await RedisStore.connect(fourLimits(), client, { prefix: 'latency:' });
      for (const r of [1_000, 5_000]) {
        const tag = `r${r}`;
        series.push(await driveAsync(`RedisStore.admit (4 limits, loopback)`, 'redis', r, ms, (i) => store.admit(message(tag, i))));
        log(`latency: ${series.at(-1)?.name} at ${r}/s done`);
      }
    } finally {
      client.disconnect();
      await server.stop();
    }
  }
  return { method: CO_METHOD, series, redis: redis ?? { skipped: 'not run' } };
}
