import { ValidationError } from '../../errors.js';
import { STATE_EPOCH } from '../../core/time.js';
import { rateCommit, rateEarliest, rateParams, type RateParams } from '../../core/limits/rate.js';
import type { Millis } from '../../core/types.js';
import { lock, lockSet, unlock, unlockSet } from './shared-lock.js';
import { SharedStringTable, type StringTableBuffers } from './string-table.js';
import { monotonicClock, TickerClock, type Clock } from './clock.js';

/** Where decisions read the time when the caller passes no `now`. */
export type SharedRateLimiterClock = 'monotonic' | 'ticker' | Clock;

export interface SharedRateLimiterOptions {
  /** Cost units per period. */
  readonly count: number;
  readonly periodMs: number;
  /** Back-to-back allowance; 1 (default) paces evenly: never more than `count` in any period. */
  readonly burst?: number;
  /** Distinct keys the limiter can hold (default 65,536). */
  readonly maxKeys?: number;
  /**
   * 'monotonic' (default): `performance.now()` anchored to the epoch, per thread.
   * 'ticker': one shared `TickerClock` started by `create`, stopped by `close()`; its cell
   * travels in the handle, so every attached thread reads the same time at the cost of a
   * memory load. A function: used as is in this thread only (attach picks its own clock).
   */
  readonly clock?: SharedRateLimiterClock;
}

/** The options that define a limiter's shared state (everything but the clock). */
export type SharedRateLimiterShape = Required<Omit<SharedRateLimiterOptions, 'clock'>>;

/** Everything a worker thread needs to attach to the same limiter (structured-cloneable). */
export interface SharedRateLimiterHandle {
  readonly options: SharedRateLimiterShape;
  /** Float64 per key slot: its theoretical arrival time (slots as in `rowShiftFor`). */
  readonly state: SharedArrayBuffer;
  /** Lock stripes: one Int32 lock word per 64-byte line. */
  readonly locks: SharedArrayBuffer;
  readonly keys: StringTableBuffers;
  /** The ticker cell when the limiter was created with `clock: 'ticker'`, else null. */
  readonly ticker: SharedArrayBuffer | null;
}

/** Most lock stripes a limiter has (fewer when it holds fewer keys). A power of two. */
const LOCK_STRIPES = 1024;
/** log2 of the Int32 words between two stripes' lock words: 16 words = one 64-byte cache line. */
const STRIPE_SHIFT = 4;
const STRIPE_BYTES = 4 << STRIPE_SHIFT;
/**
 * Key k's state lives at slot (k mod 8) · rows + floor(k / 8), rows = 2^rowShift ≥ 8: the state
 * array is a transposed 8-column table, so keys interned one after another (k, k + 1, …, k + 7)
 * sit on eight different 64-byte lines. Without it, threads deciding different keys that were
 * interned together (one per sending number, one per worker) write one line and evict each
 * other's copy on every grant.
 */
function rowShiftFor(maxKeys: number): number {
  let shift = 3;
  while (8 << shift < maxKeys) shift++;
  return shift;
}

/** `out` marker for "not refused read-only; decide under the lock" inside `tryAcquireMany`. */
const PENDING = 2;

/**
 * A single GCRA limit over many keys, shared by every thread that attaches to it.
 *
 * One key's state is one float64: its theoretical arrival time in exact scaled integer units
 * (see `core/limits/rate.ts`). Keys are guarded by a fixed set of lock stripes rather than a
 * lock each: key k is guarded by stripe k mod S (S ≤ 1024, a power of two), and each stripe's
 * Int32 lock word sits on its own 64-byte cache line.
 *
 * A single decision (`tryAcquire`, `reserve`) reads the state first; if it cannot conform it
 * answers "no" without writing anything, so a saturated limit is read-only and scales across
 * threads. Otherwise it takes the key's stripe (one compare-exchange), re-reads and writes the
 * state, and releases the stripe (one atomic subtract).
 *
 * A batch (`tryAcquireMany`) pays for locking once per stripe instead of once per decision: it
 * refuses what it can read-only, collects the stripes the rest need in a bitmap, locks them in
 * ascending order (single decisions hold one stripe at a time and batches all lock upwards, so
 * no cycle of waiters can form), decides every entry with plain reads and writes, and unlocks.
 *
 * Why, in figures (bench/micro.ts on a 2-vCPU AMD EPYC VM, Node 20): each Atomics call is a
 * builtin call of about 7–8 ns, so the lock pair is ~16 ns of a ~31 ns grant; the rest is the
 * GCRA arithmetic and the clock. The clock is what usually dominates: `performance.now()` costs
 * ~45–54 ns and `Date.now()` ~39 ns there, against a few ns for a `TickerClock` read, which is
 * why `clock: 'ticker'` exists. Batches went from one lock pair per run of equal keys (~43 M
 * decisions/s over 64 interleaved keys) to one per stripe (~85 M/s; ~170 M/s on one key).
 * Striping also keeps the lock array at ≤ 64 KiB whatever the key count, and keeps the lock
 * words of neighbouring keys off each other's cache lines (the state array is spread the same
 * way, see `rowShiftFor`), so threads on different keys do not evict each other.
 *
 * Two keys on one stripe serialise on each other: a collision costs waiting, never correctness.
 * One key granted from several threads at once is inherently serial (its lock and state lines
 * move between cores on every grant) and gets slower in aggregate, not faster. (A lock-free
 * BigInt64 compare-exchange loop on the state was measured at less than half the speed of the
 * lock, and allocates a BigInt per call.)
 */
export class SharedRateLimiter {
  readonly #handle: SharedRateLimiterHandle;
  readonly #params: RateParams;
  readonly #tat: Float64Array;
  readonly #maxKeys: number;
  readonly #rowShift: number;
  readonly #locks: Int32Array;
  readonly #stripeMask: number;
  /** This thread's scratch bitmap of the stripes a batch holds (one bit per stripe). */
  readonly #held: Int32Array;
  readonly #keys: SharedStringTable;
  readonly #clock: Clock;
  /** The ticker this instance started (only `create` with clock 'ticker'); `close` stops it. */
  readonly #ticker: TickerClock | null;

  /**
   * Creates a limiter. `clock` as a second argument is the older spelling of `options.clock`
   * (a function only); give the clock in one place.
   */
  static create(options: SharedRateLimiterOptions, clock?: Clock): SharedRateLimiter {
    const shape = validateLimiterOptions(options);
    if (clock !== undefined && options.clock !== undefined) {
      throw new ValidationError('clock', 'given once: in options or as the second argument', clock);
    }
    const choice = validateClock(options.clock ?? clock ?? 'monotonic');
    const keys = SharedStringTable.create(shape.maxKeys);
    const stripes = Math.min(LOCK_STRIPES, nextPowerOfTwo(shape.maxKeys));
    const state = new SharedArrayBuffer((8 << rowShiftFor(shape.maxKeys)) * 8);
    const locks = new SharedArrayBuffer(stripes * STRIPE_BYTES);
    // Start the ticker thread last, once every allocation has succeeded, so a failure leaves no
    // thread running.
    let ticker: TickerClock | null = null;
    let read: Clock;
    if (choice === 'ticker') {
      ticker = TickerClock.start();
      read = ticker.read;
    } else read = choice === 'monotonic' ? monotonicClock() : choice;
    const handle: SharedRateLimiterHandle = { options: shape, state, locks, keys: keys.buffers, ticker: ticker === null ? null : ticker.cell };
    return new SharedRateLimiter(handle, read, ticker);
  }

  /**
   * Attach to a limiter created in another thread (pass it `limiter.handle`). Without `clock`,
   * it reads the creator's ticker when there is one, else its own monotonic clock.
   */
  static attach(handle: SharedRateLimiterHandle, clock?: Clock): SharedRateLimiter {
    const shape = validateLimiterOptions(handle.options);
    const stripes = handle.locks.byteLength / STRIPE_BYTES;
    if (handle.state.byteLength !== (8 << rowShiftFor(shape.maxKeys)) * 8 || !isPowerOfTwo(stripes) || stripes > LOCK_STRIPES) {
      throw new ValidationError('handle', 'a handle from SharedRateLimiter.handle', handle);
    }
    const ticker = handle.ticker ?? null;
    if (clock !== undefined && typeof clock !== 'function') {
      throw new ValidationError('clock', 'a function returning integer ms', clock);
    }
    const read = clock ?? (ticker !== null ? TickerClock.reader(ticker) : monotonicClock());
    return new SharedRateLimiter(handle, read, null);
  }

  private constructor(handle: SharedRateLimiterHandle, clock: Clock, ticker: TickerClock | null) {
    this.#handle = handle;
    const { count, periodMs, burst, maxKeys } = handle.options;
    this.#params = rateParams(count, periodMs, burst);
    this.#tat = new Float64Array(handle.state);
    this.#maxKeys = maxKeys;
    this.#rowShift = rowShiftFor(maxKeys);
    this.#locks = new Int32Array(handle.locks);
    const stripes = handle.locks.byteLength / STRIPE_BYTES;
    this.#stripeMask = stripes - 1;
    this.#held = new Int32Array(Math.ceil(stripes / 32));
    this.#keys = new SharedStringTable(maxKeys, handle.keys);
    this.#clock = clock;
    this.#ticker = ticker;
  }

  get handle(): SharedRateLimiterHandle {
    return this.#handle;
  }

  /** The integer handle of a key, shared by all threads. Intern once, decide many times. */
  key(name: string): number {
    return this.#keys.intern(name);
  }

  /** The limiter's clock reading (integer ms). */
  now(): Millis {
    return this.#clock();
  }

  /**
   * Stops the ticker thread this instance started (clock 'ticker' at `create`); a no-op
   * otherwise. Every thread reading that ticker then sees time stand still, which only makes
   * the limit stricter; pass `now` explicitly, or attach with another clock, to continue.
   * An unclosed ticker thread is `unref()`ed: it never keeps the process alive, but it runs
   * until the process exits.
   */
  close(): Promise<void> {
    return this.#ticker === null ? Promise.resolve() : this.#ticker.stop();
  }

  /** Consume `cost` for `key` if it conforms at `now`; otherwise change nothing and answer false. */
  tryAcquire(key: number, cost = 1, now: Millis = this.#clock()): boolean {
    const p = this.#params;
    if (cost !== 1) checkCost(cost, p.maxCost);
    const slot = this.#slot(key);
    const units = (now - STATE_EPOCH) * p.q;
    const need = p.tau - (cost - 1) * p.T;
    const tatArr = this.#tat;
    // Read-only refusal: the state only grows, so a stale "no" is still a "no" at the instant
    // it was read, and a saturated key costs no write and no lock.
    if ((tatArr[slot] as number) - need > units) return false;
    const locks = this.#locks;
    const word = (key & this.#stripeMask) << STRIPE_SHIFT;
    lock(locks, word);
    const tat = tatArr[slot] as number;
    const ok = tat - need <= units;
    if (ok) {
      // Exact virtual arrival inside this millisecond (see rateCommit): no drift from rounding.
      const lowest = units - p.q + 1;
      const arrival = tat - need > lowest ? tat - need : lowest;
      tatArr[slot] = (arrival > tat ? arrival : tat) + cost * p.T;
    }
    unlock(locks, word);
    return ok;
  }

  /**
   * Decide a whole batch at one instant: `out[i]` becomes 1 when `keys[i]` was granted one unit,
   * else 0. Returns the number granted. The answers equal those of `tryAcquire(keys[i], 1, now)`
   * called for i = 0, 1, … in order; each decision is atomic. The stripes the batch needs are
   * held for the whole batch (locked once each, in ascending order), so the per-decision cost
   * is plain arithmetic.
   */
  tryAcquireMany(keys: Int32Array, now: Millis, out: Uint8Array): number {
    const n = keys.length;
    if (out.length < n) throw new ValidationError('out', `at least as long as keys (${n})`, out.length);
    const p = this.#params;
    const units = (now - STATE_EPOCH) * p.q;
    const need = p.tau;
    const T = p.T;
    const lowest = units - p.q + 1;
    const tatArr = this.#tat;
    const mask = this.#stripeMask;
    const rowShift = this.#rowShift;
    const maxKeys = this.#maxKeys;
    const held = this.#held;

    // Pass 1, read-only: check every key, refuse what cannot conform (as in tryAcquire) and
    // mark the rest PENDING, collecting their stripes. Runs of one key are looked at once.
    // Nothing is locked yet, so a bad key throws with nothing to undo.
    let pending = 0; // nonzero once any entry is PENDING
    let runKey = -1;
    let runMark = 0;
    for (let i = 0; i < n; i++) {
      const key = keys[i] as number;
      if (key !== runKey) {
        if (key >>> 0 >= maxKeys) {
          held.fill(0);
          throw new ValidationError(`keys[${i}]`, `a key handle below maxKeys (${maxKeys})`, key);
        }
        runKey = key;
        if ((tatArr[((key & 7) << rowShift) | (key >>> 3)] as number) - need > units) runMark = 0;
        else {
          runMark = PENDING;
          const stripe = key & mask;
          const w = stripe >>> 5;
          held[w] = (held[w] as number) | (1 << (stripe & 31));
        }
      }
      out[i] = runMark;
      pending |= runMark;
    }
    if (pending === 0) return 0;

    // Pass 2, under the stripes: decide the PENDING entries in order. The current key's state
    // stays in a local while its run lasts and is written back when the key changes.
    const locks = this.#locks;
    lockSet(locks, held, STRIPE_SHIFT);
    let granted = 0;
    let curSlot = -1;
    let curKey = -1;
    let tat = 0;
    for (let i = 0; i < n; i++) {
      if (out[i] !== PENDING) continue;
      const key = keys[i] as number;
      if (key !== curKey) {
        if (curSlot !== -1) tatArr[curSlot] = tat;
        curKey = key;
        curSlot = ((key & 7) << rowShift) | (key >>> 3);
        tat = tatArr[curSlot] as number;
      }
      if (tat - need <= units) {
        const arrival = tat - need > lowest ? tat - need : lowest;
        tat = (arrival > tat ? arrival : tat) + T;
        out[i] = 1;
        granted++;
      } else out[i] = 0;
    }
    if (curSlot !== -1) tatArr[curSlot] = tat;
    unlockSet(locks, held, STRIPE_SHIFT);
    return granted;
  }

  /** Reserve the earliest slot ≥ `now` for `cost` (always commits) and return it. */
  reserve(key: number, cost = 1, now: Millis = this.#clock()): Millis {
    checkCost(cost, this.#params.maxCost);
    const slot = this.#slot(key);
    const locks = this.#locks;
    const word = (key & this.#stripeMask) << STRIPE_SHIFT;
    lock(locks, word);
    const tat = this.#tat[slot] as number;
    const at = rateEarliest(this.#params, tat, now, cost);
    this.#tat[slot] = rateCommit(this.#params, tat, at, cost);
    unlock(locks, word);
    return at;
  }

  /** Units that would be granted at `now` without waiting (read-only). */
  remaining(key: number, now: Millis = this.#clock()): number {
    const p = this.#params;
    const units = (now - STATE_EPOCH) * p.q;
    const tat = Math.max(this.#tat[this.#slot(key)] as number, units);
    return Math.max(0, Math.floor((units + p.tau + p.T - tat) / p.T));
  }

  /**
   * The state slot of a key handle. A handle must be a whole number below maxKeys: anything
   * else would alias another key's state under a different stripe, so it throws.
   */
  #slot(key: number): number {
    if (key >>> 0 !== key || key >= this.#maxKeys) {
      throw new ValidationError('key', `a key handle from key() (below ${this.#maxKeys})`, key);
    }
    return ((key & 7) << this.#rowShift) | (key >>> 3);
  }

}

/**
 * A cost must be a whole number of units no larger than the burst: a larger cost can never
 * conform under GCRA (granting it on an idle key would exceed the limit in one step).
 */
function checkCost(cost: number, maxCost: number): void {
  if (!Number.isSafeInteger(cost) || cost < 1 || cost > maxCost) {
    throw new ValidationError('cost', `a whole number from 1 to the burst (${maxCost})`, cost);
  }
}

function isClockChoice(clock: unknown): clock is SharedRateLimiterClock {
  return clock === 'monotonic' || clock === 'ticker' || typeof clock === 'function';
}

function validateClock(clock: unknown): SharedRateLimiterClock {
  if (isClockChoice(clock)) return clock;
  throw new ValidationError('clock', "'monotonic', 'ticker' or a function returning integer ms", clock);
}

function validateLimiterOptions(o: SharedRateLimiterOptions): SharedRateLimiterShape {
  const count = positiveInt(o.count, 'count');
  const periodMs = positiveInt(o.periodMs, 'periodMs');
  const burst = o.burst === undefined ? 1 : positiveInt(o.burst, 'burst');
  const maxKeys = o.maxKeys === undefined ? 65_536 : positiveInt(o.maxKeys, 'maxKeys');
  if (maxKeys > 1 << 26) throw new ValidationError('maxKeys', 'at most 67,108,864', maxKeys);
  return { count, periodMs, burst, maxKeys };
}

function positiveInt(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new ValidationError(field, 'a positive safe integer', v);
  }
  return v;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
