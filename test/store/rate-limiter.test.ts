import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { SharedRateLimiter, type SharedRateLimiterOptions } from '../../src/store/memory/rate-limiter.js';
import { TickerClock, tickerClock } from '../../src/store/memory/clock.js';
import { ValidationError } from '../../src/errors.js';
import { SharedRateLimiter as BuiltLimiter } from '../../dist/index.js';

/** A named instant: every table below is relative to it. */
const T0 = Date.parse('2026-06-01T10:00:00.000Z');

/** Limiters and tickers started by a test, stopped after it so no thread outlives the file. */
const started: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});
function track<T extends { close(): Promise<void> }>(x: T): T {
  started.push(x);
  return x;
}
function trackTicker(t: TickerClock): TickerClock {
  started.push({ close: () => t.stop() });
  return t;
}

function limiter(options: SharedRateLimiterOptions): SharedRateLimiter {
  return SharedRateLimiter.create({ maxKeys: 4096, ...options });
}

/** Expects `fn` to throw a ValidationError naming `field`. */
function expectInvalid(fn: () => unknown, field: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ValidationError);
  expect((caught as ValidationError).field).toBe(field);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SharedRateLimiter at named instants (caller-supplied now)', () => {
  it('2 per second, burst 1: one grant every 500 ms, refusals in between', () => {
    const l = limiter({ count: 2, periodMs: 1000 });
    const k = l.key('+34600000001');
    const table: [offset: number, granted: boolean][] = [
      [0, true],
      [0, false],
      [1, false],
      [499, false],
      [500, true],
      [501, false],
      [999, false],
      [1000, true],
      [1400, false],
      [1500, true],
    ];
    for (const [offset, granted] of table) expect([offset, l.tryAcquire(k, 1, T0 + offset)]).toEqual([offset, granted]);
  });

  it('3 per second paces at 0, 333, 666, 1000 ms: the virtual arrival stays exact (no drift from rounding)', () => {
    // Units of 1/3 ms; a send at t ms has its virtual arrival in (t − 1, t], so the interval of
    // 333⅓ ms never accumulates: every fourth send is exactly one period after the first.
    const l = limiter({ count: 3, periodMs: 1000 });
    const k = l.key('k');
    const grants: number[] = [];
    for (let t = T0; t <= T0 + 2000; t++) if (l.tryAcquire(k, 1, t)) grants.push(t - T0);
    expect(grants).toEqual([0, 333, 666, 1000, 1333, 1666, 2000]);
  });

  it('exactly 2 per second: never more than count grants in any window of the period', () => {
    const l = limiter({ count: 2, periodMs: 1000 });
    const k = l.key('k');
    const grants: number[] = [];
    for (let t = T0; t < T0 + 10_000; t += 7) if (l.tryAcquire(k, 1, t)) grants.push(t);
    for (let i = 0; i + 2 < grants.length; i++) expect((grants[i + 2] as number) - (grants[i] as number)).toBeGreaterThanOrEqual(1000);
    expect(grants.length).toBeGreaterThanOrEqual(19); // the budget is used: 2/s over 10 s, minus rounding to the 7 ms grid
  });

  it('burst 5 at 10 per second: five back to back, then one per 100 ms; remaining counts down', () => {
    const l = limiter({ count: 10, periodMs: 1000, burst: 5 });
    const k = l.key('k');
    expect(l.remaining(k, T0)).toBe(5);
    const atT0 = Array.from({ length: 6 }, () => l.tryAcquire(k, 1, T0));
    expect(atT0).toEqual([true, true, true, true, true, false]);
    expect(l.remaining(k, T0)).toBe(0);
    expect(l.tryAcquire(k, 1, T0 + 99)).toBe(false);
    expect(l.remaining(k, T0 + 100)).toBe(1);
    expect(l.tryAcquire(k, 1, T0 + 100)).toBe(true);
    expect(l.remaining(k, T0 + 100)).toBe(0);
    // Idle long enough and the full burst is back, never more.
    expect(l.remaining(k, T0 + 60_000)).toBe(5);
  });

  it('cost: a cost of 3 needs 3 units of burst; costs above the burst or not whole are rejected', () => {
    const l = limiter({ count: 10, periodMs: 1000, burst: 5 });
    const k = l.key('k');
    expect(l.tryAcquire(k, 3, T0)).toBe(true);
    expect(l.remaining(k, T0)).toBe(2);
    expect(l.tryAcquire(k, 3, T0)).toBe(false);
    expect(l.tryAcquire(k, 2, T0)).toBe(true);
    for (const cost of [0, -1, 1.5, 6, Number.NaN]) {
      expectInvalid(() => l.tryAcquire(k, cost, T0), 'cost');
      expectInvalid(() => l.reserve(k, cost, T0), 'cost');
    }
  });

  it('reserve: always commits the earliest conforming instant, and tryAcquire sees the reservations', () => {
    const l = limiter({ count: 2, periodMs: 1000 });
    const k = l.key('k');
    expect([l.reserve(k, 1, T0), l.reserve(k, 1, T0), l.reserve(k, 1, T0)]).toEqual([T0, T0 + 500, T0 + 1000]);
    expect(l.tryAcquire(k, 1, T0 + 1499)).toBe(false);
    expect(l.tryAcquire(k, 1, T0 + 1500)).toBe(true);
    expect(l.reserve(k, 1, T0 + 1500)).toBe(T0 + 2000);
    // A reservation made later than the earliest slot starts from its own instant.
    expect(l.reserve(k, 1, T0 + 10_000)).toBe(T0 + 10_000);
    expect(l.remaining(k, T0 + 10_000)).toBe(0);
  });

  it('keys are independent, including neighbours and keys sharing a lock stripe', () => {
    const l = limiter({ count: 1, periodMs: 1000, maxKeys: 4096 });
    // 0 and 1024 share a stripe; 0..8 are neighbours in the handle space.
    for (const k of [0, 1, 7, 8, 1024, 2047, 4095]) expect(l.tryAcquire(k, 1, T0)).toBe(true);
    for (const k of [0, 1, 7, 8, 1024, 2047, 4095]) expect(l.tryAcquire(k, 1, T0)).toBe(false);
    expect(l.tryAcquire(2, 1, T0)).toBe(true);
  });

  it('a handle that is not a key below maxKeys throws instead of touching another key', () => {
    const l = limiter({ count: 1, periodMs: 1000, maxKeys: 100 });
    for (const bad of [-1, 100, 128, 1.5, Number.NaN]) {
      expectInvalid(() => l.tryAcquire(bad, 1, T0), 'key');
      expectInvalid(() => l.reserve(bad, 1, T0), 'key');
      expectInvalid(() => l.remaining(bad, T0), 'key');
    }
    expect(l.tryAcquire(99, 1, T0)).toBe(true);
  });
});

describe('SharedRateLimiter.tryAcquireMany', () => {
  it('decides a batch in order at one instant', () => {
    const l = limiter({ count: 2, periodMs: 1000 });
    const [a, b, c] = [l.key('a'), l.key('b'), l.key('c')];
    const out = new Uint8Array(6);
    expect(l.tryAcquireMany(Int32Array.of(a, a, b, a, b, c), T0, out)).toBe(3);
    expect([...out]).toEqual([1, 0, 1, 0, 0, 1]);
    const out2 = new Uint8Array(5);
    expect(l.tryAcquireMany(Int32Array.of(a, b, c, a, c), T0 + 500, out2)).toBe(3);
    expect([...out2]).toEqual([1, 1, 1, 0, 0]);
    // Entirely refused read-only: nothing locked, nothing written.
    expect(l.tryAcquireMany(Int32Array.of(a, b, c), T0 + 501, out2)).toBe(0);
    expect([...out2.subarray(0, 3)]).toEqual([0, 0, 0]);
    expect(l.tryAcquireMany(new Int32Array(0), T0 + 501, out2)).toBe(0);
  });

  it('1000 decisions on one key with burst 10: the first 10 are granted', () => {
    const l = limiter({ count: 10, periodMs: 1000, burst: 10 });
    const keys = new Int32Array(1000).fill(l.key('one-number'));
    const out = new Uint8Array(1000);
    expect(l.tryAcquireMany(keys, T0, out)).toBe(10);
    expect(out.indexOf(0)).toBe(10);
    expect(out.lastIndexOf(1)).toBe(9);
  });

  it('rejects a short `out` and a bad key before locking anything (the stripes stay usable)', () => {
    const l = limiter({ count: 1, periodMs: 1000, maxKeys: 100 });
    expectInvalid(() => l.tryAcquireMany(Int32Array.of(1, 2), T0, new Uint8Array(1)), 'out');
    expectInvalid(() => l.tryAcquireMany(Int32Array.of(1, 2, 100), T0, new Uint8Array(3)), 'keys[2]');
    expectInvalid(() => l.tryAcquireMany(Int32Array.of(1, -5), T0, new Uint8Array(2)), 'keys[1]');
    // Had a stripe been left locked, these would wait forever.
    expect(l.tryAcquire(1, 1, T0)).toBe(true);
    expect(l.tryAcquire(2, 1, T0)).toBe(true);
    const out = new Uint8Array(2);
    expect(l.tryAcquireMany(Int32Array.of(3, 1), T0, out)).toBe(1);
    expect([...out]).toEqual([1, 0]);
  });

  it('property: a batch equals a loop of tryAcquire on a fresh limiter, for random key sequences', () => {
    // Handles chosen to cover neighbours (0, 1, 7, 8), a shared stripe (5, 1029) and the last key.
    const handles = [0, 1, 5, 7, 8, 1029, 4095];
    const limitArb = fc.record({
      count: fc.integer({ min: 1, max: 20 }),
      periodMs: fc.integer({ min: 1, max: 3000 }),
      burst: fc.integer({ min: 1, max: 6 }),
    });
    const stepArb = fc.record({
      dt: fc.integer({ min: 0, max: 700 }),
      keys: fc.array(fc.constantFrom(...handles), { maxLength: 40 }),
    });
    fc.assert(
      fc.property(limitArb, fc.array(stepArb, { minLength: 1, maxLength: 12 }), (opts, steps) => {
        const batch = limiter(opts);
        const single = limiter(opts);
        let now = T0;
        for (const step of steps) {
          now += step.dt;
          const keys = Int32Array.from(step.keys);
          const out = new Uint8Array(keys.length);
          const granted = batch.tryAcquireMany(keys, now, out);
          const expected = step.keys.map((k) => (single.tryAcquire(k, 1, now) ? 1 : 0));
          expect([...out]).toEqual(expected);
          expect(granted).toBe(expected.reduce<number>((s, x) => s + x, 0));
          for (const k of handles) expect(batch.remaining(k, now)).toBe(single.remaining(k, now));
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('SharedRateLimiter options', () => {
  const valid: SharedRateLimiterOptions = { count: 10, periodMs: 1000, burst: 2, maxKeys: 16 };
  const bad: unknown[] = [Number.NaN, 0, -1, 1.5, '10'];
  for (const field of ['count', 'periodMs', 'burst', 'maxKeys'] as const) {
    for (const value of bad) {
      it(`rejects ${field} = ${typeof value === 'string' ? JSON.stringify(value) : String(value)} naming \`${field}\``, () => {
        expectInvalid(() => SharedRateLimiter.create({ ...valid, [field]: value } as unknown as SharedRateLimiterOptions), field);
      });
    }
  }

  it('rejects maxKeys above 2^26, an unknown clock, and a clock given twice', () => {
    expectInvalid(() => SharedRateLimiter.create({ ...valid, maxKeys: 2 ** 26 + 1 }), 'maxKeys');
    expectInvalid(() => SharedRateLimiter.create({ ...valid, clock: 'wall' as unknown as 'ticker' }), 'clock');
    expectInvalid(() => SharedRateLimiter.create({ ...valid, clock: Date.now }, Date.now), 'clock');
  });

  it('the handle is structured-cloneable and an attached copy shares the state', () => {
    const a = limiter({ count: 1, periodMs: 1000 });
    const k = a.key('shared');
    const handle = structuredClone(a.handle);
    expect(handle.ticker).toBeNull();
    const b = SharedRateLimiter.attach(handle);
    expect(b.key('shared')).toBe(k);
    expect(a.tryAcquire(k, 1, T0)).toBe(true);
    expect(b.tryAcquire(k, 1, T0 + 999)).toBe(false);
    expect(b.tryAcquire(k, 1, T0 + 1000)).toBe(true);
    expect(a.tryAcquire(k, 1, T0 + 1999)).toBe(false);
    expectInvalid(() => SharedRateLimiter.attach({ ...handle, state: new SharedArrayBuffer(8) }), 'handle');
  });
});

describe('TickerClock', () => {
  it('reads integer ms close to the wall clock, never goes backwards, and advances', async () => {
    const ticker = trackTicker(tickerClock());
    const first = ticker.read();
    expect(Number.isSafeInteger(first)).toBe(true);
    expect(Math.abs(first - Date.now())).toBeLessThan(1000);
    let previous = first;
    const deadline = Date.now() + 500;
    while (ticker.read() === first && Date.now() < deadline) {
      for (let i = 0; i < 1000; i++) {
        const t = ticker.read();
        expect(t).toBeGreaterThanOrEqual(previous);
        previous = t;
      }
      await sleep(2);
    }
    expect(ticker.read()).toBeGreaterThan(first); // advanced at least once within 500 ms
    expect(ticker.running).toBe(true);
  });

  it('a reader of the cell reads the same time; stop() ends the thread and time stands still', async () => {
    const ticker = trackTicker(TickerClock.start());
    const reader = TickerClock.reader(ticker.cell);
    await ticker.stop();
    expect(ticker.running).toBe(false);
    const frozen = ticker.read();
    await sleep(30);
    expect(ticker.read()).toBe(frozen);
    expect(reader()).toBe(frozen);
    await ticker.stop(); // idempotent
    expectInvalid(() => TickerClock.reader(new SharedArrayBuffer(8)), 'ticker');
  });

  it("a limiter with clock 'ticker' shares its cell through the handle; close() stops it", async () => {
    const l = track(limiter({ count: 1000, periodMs: 1000, clock: 'ticker' }));
    const handle = structuredClone(l.handle);
    expect(handle.ticker).toBeInstanceOf(SharedArrayBuffer);
    const attached = SharedRateLimiter.attach(handle);
    await l.close();
    // Stopped: both instances read the one frozen cell.
    const t = l.now();
    expect(attached.now()).toBe(t);
    const k = l.key('k');
    expect(l.tryAcquire(k)).toBe(true);
    expect(attached.tryAcquire(k)).toBe(false); // same instant, same key: the period's pacing holds
    // An attach may still choose its own clock.
    const own = SharedRateLimiter.attach(handle, () => t + 1);
    expect(own.tryAcquire(k)).toBe(true);
  });
});

describe('SharedRateLimiter with a shared ticker across worker threads', () => {
  const fixture = fileURLToPath(new URL('../fixtures/rate-limiter-worker.mjs', import.meta.url));
  /** Runs the shared fixture (it hammers key 'shared' for `durationMs`, reading the limiter's clock). */
  function hammer(handle: unknown, durationMs: number, go: SharedArrayBuffer): Promise<{ granted: number[] }> {
    return new Promise((resolve, reject) => {
      const w = new Worker(fixture, { workerData: { handle, durationMs, go } });
      w.once('message', (m: { granted: number[] }) => resolve(m));
      w.once('error', reject);
      w.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
    });
  }
  function release(go: SharedArrayBuffer): void {
    Atomics.store(new Int32Array(go), 0, 1);
    Atomics.notify(new Int32Array(go), 0);
  }

  it('two threads on one key read the same ticker: never more than count in any window of the period', async () => {
    const l = track(BuiltLimiter.create({ count: 2000, periodMs: 100, clock: 'ticker' }));
    const go = new SharedArrayBuffer(4);
    const runs = [0, 1].map(() => hammer(l.handle, 400, go));
    setTimeout(() => release(go), 50);
    const results = await Promise.all(runs);
    const granted = results.flatMap((r) => r.granted).sort((x, y) => x - y);
    expect(results.every((r) => r.granted.length > 0)).toBe(true);
    let worst = 0;
    for (let i = 0, j = 0; i < granted.length; i++) {
      while (j < granted.length && (granted[j] as number) < (granted[i] as number) + 100) j++;
      worst = Math.max(worst, j - i);
    }
    expect(worst).toBeLessThanOrEqual(2000);
    // Liveness over the span covered. Loose on purpose: when the ticker thread is descheduled
    // (two spinning threads on two cores), the milliseconds it skips grant nothing — time stood
    // still, which is the stricter side — so the used share of the budget varies with load.
    const span = (granted[granted.length - 1] as number) - (granted[0] as number);
    if (span >= 200) expect(granted.length).toBeGreaterThanOrEqual(0.5 * (span / 100) * 2000);
  });

  it('a stopped ticker freezes time for every attached thread: all grants at the frozen instant, one millisecond\'s worth', async () => {
    const l = track(BuiltLimiter.create({ count: 2000, periodMs: 100, clock: 'ticker' }));
    await l.close();
    const frozen = l.now();
    const go = new SharedArrayBuffer(4);
    const runs = [0, 1].map(() => hammer(l.handle, 50, go));
    setTimeout(() => release(go), 50);
    const granted = (await Promise.all(runs)).flatMap((r) => r.granted);
    // Had a thread used its own clock, it would have been granted at later instants too. At one
    // frozen instant, 2000 per 100 ms allows exactly the 20 sends of one millisecond.
    expect(new Set(granted)).toEqual(new Set([frozen]));
    expect(granted.length).toBe(20);
  });
});
