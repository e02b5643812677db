import { Bench } from 'tinybench';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { TokenBucket } from 'limiter';
import { MemoryStore, SharedRateLimiter, validatePolicy, type PreparedMessage } from '../src/index.js';

/** Decisions per benchmark iteration: per-call timer overhead would otherwise dominate. */
export const BATCH = 1000;

export interface MicroResult {
  readonly name: string;
  readonly decisionsPerSecond: number;
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

const OPEN = 1_000_000_000; // a budget so large that every decision is a grant (the write path)

export async function runMicro(timeMs: number): Promise<MicroResult[]> {
  const bench = new Bench({ time: timeMs, warmupTime: Math.min(500, timeMs / 2) });
  let sink = 0;

  const bucket = new HandWrittenBucket(OPEN, OPEN / 1000);
  bench.add('baseline: hand-written token bucket (clock per call)', () => {
    for (let i = 0; i < BATCH; i++) if (bucket.tryRemove()) sink++;
  });

  const limiter = SharedRateLimiter.create({ count: OPEN, periodMs: 1000, burst: OPEN });
  const key = limiter.key('k');
  bench.add('sluice GCRA decision, embedded store (clock per call)', () => {
    for (let i = 0; i < BATCH; i++) if (limiter.tryAcquire(key)) sink++;
  });

  const wall = SharedRateLimiter.create({ count: OPEN, periodMs: 1000, burst: OPEN }, Date.now);
  const wallKey = wall.key('k');
  bench.add('sluice GCRA decision, embedded store (wall clock per call)', () => {
    for (let i = 0; i < BATCH; i++) if (wall.tryAcquire(wallKey)) sink++;
  });

  const keys = new Int32Array(BATCH);
  for (let i = 0; i < BATCH; i++) keys[i] = limiter.key(`batch-${i % 64}`);
  const out = new Uint8Array(BATCH);
  bench.add('sluice GCRA decisions, batch with caller-supplied now', () => {
    sink += limiter.tryAcquireMany(keys, Date.now(), out);
  });

  const tb = new TokenBucket({ bucketSize: OPEN, tokensPerInterval: OPEN, interval: 'second' });
  bench.add('limiter TokenBucket.tryRemoveTokens', () => {
    for (let i = 0; i < BATCH; i++) if (tb.tryRemoveTokens(1)) sink++;
  });

  const rlf = new RateLimiterMemory({ points: OPEN, duration: 1 });
  bench.add('rate-limiter-flexible RateLimiterMemory.consume', async () => {
    for (let i = 0; i < BATCH; i++) {
      await rlf.consume('k');
      sink++;
    }
  });

  const { store, prepared } = fourLimitStore(false);
  let now = Date.parse('2026-06-01T10:00:00Z');
  bench.add('sluice 4-limit atomic admission, embedded store', () => {
    for (let i = 0; i < BATCH; i++) if (store.admitPreparedRaw(prepared[i & 1023] as PreparedMessage, now) >= 0) sink++;
    now += 1;
  });

  const withReach = fourLimitStore(true);
  let now2 = Date.parse('2026-06-01T10:00:00Z');
  bench.add('sluice 5-limit admission incl. distinct messaging limit', () => {
    for (let i = 0; i < BATCH; i++) if (withReach.store.admitPreparedRaw(withReach.prepared[i & 1023] as PreparedMessage, now2) >= 0) sink++;
    now2 += 1;
  });

  await bench.run();
  if (sink < 0) console.log(sink); // keep the work observable
  return bench.tasks.map((t) => {
    const r = t.result;
    if (r.state !== 'completed') throw new Error(`benchmark ${t.name} did not complete: ${r.state}`);
    return { name: t.name, decisionsPerSecond: r.throughput.mean * BATCH, rme: r.throughput.rme, samples: r.throughput.samplesCount };
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
