import { Bench } from 'tinybench';
import { MemoryStore, SharedRateLimiter, monotonicClock, validatePolicy, type Clock, type PreparedMessage } from '../src/index.js';
import { TickerClock } from '../src/index.js';
import { optionalPeer } from './support/optional-peer.js';

/** Decisions per benchmark iteration: per-call timer overhead would otherwise dominate. */
export const BATCH = 1000;

/** What a task is: the hand-written reference, sluice itself, or another library. */
export type MicroKind = 'baseline' | 'sluice' | 'peer';

/**
 * The clock each decision reads: `Date.now`, sluice's default `monotonic` clock
 * (performance.now anchored once), the shared `ticker` cell, or `caller` (the caller reads
 * Date.now once per batch of BATCH decisions and passes it in).
 */
export type MicroClock = 'Date.now' | 'monotonic' | 'ticker' | 'caller';

export interface MicroResult {
  readonly name: string;
  readonly kind: MicroKind;
  readonly clock: MicroClock;
  readonly decisionsPerSecond: number;
  /** Grants ÷ decisions over every iteration the task ran (1 means the write path throughout). */
  readonly grantShare: number;
  readonly rme: number;
  readonly samples: number;
}

/** The baseline: the smallest honest token bucket one would write by hand (wall clock per call). */
class HandWrittenBucket {
  #tokens: number;
  #last = Date.now();
  readonly #capacity: number;
  readonly #perMs: number;
  constructor(capacity: number, perMs: number) {
    this.#tokens = capacity;
    this.#capacity = capacity;
    this.#perMs = perMs;
  }
  tryRemove(): boolean {
    const now = Date.now();
    const refill = (now - this.#last) * this.#perMs;
    if (refill > 0) {
      this.#tokens = Math.min(this.#capacity, this.#tokens + refill);
      this.#last = now;
    }
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/**
 * The same bucket reading a given clock, so that each sluice clock variant can be compared with
 * a baseline paying for the same clock. (The Date.now baseline above stays its own class, as
 * first measured, so its figure does not move with this one's call-site feedback.)
 */
class ClockedBucket {
  #tokens: number;
  #last: number;
  readonly #capacity: number;
  readonly #perMs: number;
  readonly #clock: Clock;
  constructor(capacity: number, perMs: number, clock: Clock) {
    this.#tokens = capacity;
    this.#capacity = capacity;
    this.#perMs = perMs;
    this.#clock = clock;
    this.#last = clock();
  }
  tryRemove(): boolean {
    const now = this.#clock();
    const refill = (now - this.#last) * this.#perMs;
    if (refill > 0) {
      this.#tokens = Math.min(this.#capacity, this.#tokens + refill);
      this.#last = now;
    }
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** A rate so large that a peer never refuses within a run. */
const OPEN = 1_000_000_000;
/**
 * sluice caps its state resolution at 1000 units per ms (MAX_UNITS_PER_MS), so a rate of OPEN
 * per second sustains 1 M grants/s; only the burst lets more through. A burst of 1e12 units is
 * more than any run can drain (the printed grant share checks it): every decision is a grant.
 */
const OPEN_BURST = 1_000_000_000_000;
const openLimit = { count: OPEN, periodMs: 1000, burst: OPEN_BURST } as const;

export async function runMicro(timeMs: number): Promise<MicroResult[]> {
  const bench = new Bench({ time: timeMs, warmupTime: Math.min(500, timeMs / 2) });
  const meta = new Map<string, { kind: MicroKind; clock: MicroClock; decisions: number; grants: number }>();
  /** Registers a task whose function makes BATCH decisions and returns how many were grants. */
  function register(name: string, kind: MicroKind, clock: MicroClock) {
    const m = { kind, clock, decisions: 0, grants: 0 };
    meta.set(name, m);
    return m;
  }
  function task(name: string, kind: MicroKind, clock: MicroClock, fn: () => number): void {
    const m = register(name, kind, clock);
    bench.add(name, () => {
      m.grants += fn();
      m.decisions += BATCH;
    });
  }
  function asyncTask(name: string, kind: MicroKind, clock: MicroClock, fn: () => Promise<number>): void {
    const m = register(name, kind, clock);
    bench.add(name, async () => {
      m.grants += await fn();
      m.decisions += BATCH;
    });
  }

  const toClose: SharedRateLimiter[] = [];

  // Baselines, one per clock.
  const bucket = new HandWrittenBucket(OPEN, OPEN / 1000);
  task('baseline: hand-written token bucket, Date.now per call', 'baseline', 'Date.now', () => {
    let g = 0;
    for (let i = 0; i < BATCH; i++) if (bucket.tryRemove()) g++;
    return g;
  });
  const monoBucket = new ClockedBucket(OPEN, OPEN / 1000, monotonicClock());
  task('baseline: hand-written token bucket, monotonic clock per call', 'baseline', 'monotonic', () => {
    let g = 0;
    for (let i = 0; i < BATCH; i++) if (monoBucket.tryRemove()) g++;
    return g;
  });
  const ticked = SharedRateLimiter.create({ ...openLimit, clock: 'ticker' });
  toClose.push(ticked);
  const tickerCell = ticked.handle.ticker;
  if (tickerCell === null) throw new Error('a ticker limiter must carry its cell in the handle');
  const tickBucket = new ClockedBucket(OPEN, OPEN / 1000, TickerClock.reader(tickerCell));
  task('baseline: hand-written token bucket, ticker clock per call', 'baseline', 'ticker', () => {
    let g = 0;
    for (let i = 0; i < BATCH; i++) if (tickBucket.tryRemove()) g++;
    return g;
  });

  // sluice single decisions, one per clock.
  const mono = SharedRateLimiter.create(openLimit);
  const monoKey = mono.key('k');
  task('sluice tryAcquire, monotonic clock per call (default)', 'sluice', 'monotonic', () => {
    let g = 0;
    for (let i = 0; i < BATCH; i++) if (mono.tryAcquire(monoKey)) g++;
    return g;
  });
  const wall = SharedRateLimiter.create({ ...openLimit, clock: Date.now });
  const wallKey = wall.key('k');
  task('sluice tryAcquire, Date.now per call', 'sluice', 'Date.now', () => {
    let g = 0;
    for (let i = 0; i < BATCH; i++) if (wall.tryAcquire(wallKey)) g++;
    return g;
  });
  const tickKey = ticked.key('k');
  task('sluice tryAcquire, ticker clock per call', 'sluice', 'ticker', () => {
    let g = 0;
    for (let i = 0; i < BATCH; i++) if (ticked.tryAcquire(tickKey)) g++;
    return g;
  });

  // sluice batches with a caller-supplied now (one Date.now per BATCH decisions).
  const spread = SharedRateLimiter.create(openLimit);
  const spreadKeys = new Int32Array(BATCH);
  for (let i = 0; i < BATCH; i++) spreadKeys[i] = spread.key(`batch-${i % 64}`);
  const spreadOut = new Uint8Array(BATCH);
  task('sluice tryAcquireMany, 1000 decisions over 64 interleaved keys', 'sluice', 'caller', () => spread.tryAcquireMany(spreadKeys, Date.now(), spreadOut));
  const single = SharedRateLimiter.create(openLimit);
  const singleKeys = new Int32Array(BATCH).fill(single.key('one-number'));
  const singleOut = new Uint8Array(BATCH);
  task('sluice tryAcquireMany, 1000 decisions on one key', 'sluice', 'caller', () => single.tryAcquireMany(singleKeys, Date.now(), singleOut));

  // Peers (skipped when not installed).
  const limiter = await optionalPeer('limiter', () => import('limiter'));
  if (limiter) {
    const tb = new limiter.TokenBucket({ bucketSize: OPEN, tokensPerInterval: OPEN, interval: 'second' });
    task('limiter TokenBucket.tryRemoveTokens', 'peer', 'Date.now', () => {
      let g = 0;
      for (let i = 0; i < BATCH; i++) if (tb.tryRemoveTokens(1)) g++;
      return g;
    });
  }
  const rlfModule = await optionalPeer('rate-limiter-flexible', () => import('rate-limiter-flexible'));
  if (rlfModule) {
    const rlf = new rlfModule.RateLimiterMemory({ points: OPEN, duration: 1 });
    asyncTask('rate-limiter-flexible RateLimiterMemory.consume', 'peer', 'Date.now', async () => {
      let g = 0;
      for (let i = 0; i < BATCH; i++) {
        await rlf.consume('k'); // rejects when refused, which fails the task: every decision here is a grant
        g++;
      }
      return g;
    });
  }

  // The full store: several limits decided atomically per message.
  const { store, prepared } = fourLimitStore(false);
  let now = Date.parse('2026-06-01T10:00:00Z');
  task('sluice 4-limit atomic admission, embedded store', 'sluice', 'caller', () => {
    let g = 0;
    for (let i = 0; i < BATCH; i++) if (store.admitPreparedRaw(prepared[i & 1023] as PreparedMessage, now) >= 0) g++;
    now += 1;
    return g;
  });
  const withReach = fourLimitStore(true);
  let now2 = Date.parse('2026-06-01T10:00:00Z');
  task('sluice 5-limit admission incl. distinct messaging limit', 'sluice', 'caller', () => {
    let g = 0;
    for (let i = 0; i < BATCH; i++) if (withReach.store.admitPreparedRaw(withReach.prepared[i & 1023] as PreparedMessage, now2) >= 0) g++;
    now2 += 1;
    return g;
  });

  try {
    await bench.run();
  } finally {
    await Promise.all(toClose.map((l) => l.close()));
  }
  return bench.tasks.map((t) => {
    const r = t.result;
    if (r.state !== 'completed') throw new Error(`benchmark ${t.name} did not complete: ${r.state}`);
    const m = meta.get(t.name);
    if (m === undefined) throw new Error(`unregistered task ${t.name}`);
    return {
      name: t.name,
      kind: m.kind,
      clock: m.clock,
      decisionsPerSecond: r.throughput.mean * BATCH,
      grantShare: m.decisions === 0 ? 0 : m.grants / m.decisions,
      rme: r.throughput.rme,
      samples: r.throughput.samplesCount,
    };
  });
}

/** Number rate, pair rate, recipient daily cap, API-key rate (+ optionally the portfolio distinct limit). */
function fourLimitStore(withDistinct: boolean): { store: MemoryStore; prepared: PreparedMessage[] } {
  const policy = validatePolicy({
    name: 'bench',
    defaultTimeZone: 'Europe/Madrid',
    limits: [
      { name: 'number', scope: 'number', kind: 'rate', count: OPEN, periodMs: 1000, burst: 1 },
      { name: 'pair', scope: 'pair', kind: 'rate', count: 1, periodMs: 1, burst: 1 },
      { name: 'daily', scope: 'recipient', kind: 'daily', count: OPEN },
      { name: 'api', scope: 'apiKey', kind: 'rate', count: OPEN, periodMs: 1000, burst: 1 },
      ...(withDistinct ? [{ name: 'reach', scope: 'portfolio', kind: 'distinct', count: 100_000, windowMs: 86_400_000 }] : []),
    ],
    sendWindows: [],
  });
  const store = MemoryStore.create(policy, { capacity: { maxMessages: 16 } });
  const prepared = Array.from({ length: 1024 }, (_, i) =>
    store.prepare({ id: `b${i}`, to: `+3460000${String(i).padStart(4, '0')}`, from: 'num-1', portfolio: 'acme', category: 'utility', apiKey: 'key-1' }),
  );
  return { store, prepared };
}
