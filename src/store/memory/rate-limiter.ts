import { ValidationError } from '../../errors.js';
import { STATE_EPOCH } from '../../core/time.js';
import { rateCommit, rateEarliest, rateParams, type RateParams } from '../../core/limits/rate.js';
import type { Millis } from '../../core/types.js';
import { lock, unlock } from './shared-lock.js';
import { SharedStringTable, type StringTableBuffers } from './string-table.js';
import { monotonicClock, type Clock } from './clock.js';

export interface SharedRateLimiterOptions {
  /** Cost units per period. */
  readonly count: number;
  readonly periodMs: number;
  /** Back-to-back allowance; 1 (default) paces evenly: never more than `count` in any period. */
  readonly burst?: number;
  /** Distinct keys the limiter can hold (default 65,536). */
  readonly maxKeys?: number;
}

/** Everything a worker thread needs to attach to the same limiter (structured-cloneable). */
export interface SharedRateLimiterHandle {
  readonly options: Required<SharedRateLimiterOptions>;
  readonly state: SharedArrayBuffer;
  readonly locks: SharedArrayBuffer;
  readonly keys: StringTableBuffers;
}

/**
 * A single GCRA limit over many keys, shared by every thread that attaches to it.
 *
 * One key's state is one float64 (its theoretical arrival time, exact scaled integer units)
 * guarded by one int32 lock word. A decision is: read the state; if it cannot conform, answer
 * "no" without writing (so a saturated limit is read-only and scales across threads); otherwise
 * one compare-exchange takes the lock, the state is re-read and written, and a store releases it.
 * (A lock-free BigInt64 compare-exchange loop was measured at less than half the speed and
 * allocates a BigInt per call.)
 */
export class SharedRateLimiter {
  readonly #handle: SharedRateLimiterHandle;
  readonly #params: RateParams;
  readonly #tat: Float64Array;
  readonly #locks: Int32Array;
  readonly #keys: SharedStringTable;
  readonly #clock: Clock;

  static create(options: SharedRateLimiterOptions, clock?: Clock): SharedRateLimiter {
    const full = validateLimiterOptions(options);
    const keys = SharedStringTable.create(full.maxKeys);
    return new SharedRateLimiter(
      {
        options: full,
        state: new SharedArrayBuffer(full.maxKeys * 8),
        locks: new SharedArrayBuffer(full.maxKeys * 4),
        keys: keys.buffers,
      },
      clock,
    );
  }

  /** Attach to a limiter created in another thread (pass it `limiter.handle`). */
  static attach(handle: SharedRateLimiterHandle, clock?: Clock): SharedRateLimiter {
    return new SharedRateLimiter(handle, clock);
  }

  private constructor(handle: SharedRateLimiterHandle, clock?: Clock) {
    this.#handle = handle;
    const { count, periodMs, burst, maxKeys } = handle.options;
    this.#params = rateParams(count, periodMs, burst);
    this.#tat = new Float64Array(handle.state);
    this.#locks = new Int32Array(handle.locks);
    this.#keys = new SharedStringTable(maxKeys, handle.keys);
    this.#clock = clock ?? monotonicClock();
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

  /** Consume `cost` for `key` if it conforms at `now`; otherwise change nothing and answer false. */
  tryAcquire(key: number, cost = 1, now: Millis = this.#clock()): boolean {
    const p = this.#params;
    const units = (now - STATE_EPOCH) * p.q;
    const need = p.tau - (cost - 1) * p.T;
    // Read-only refusal: the state only grows between refunds, so a stale "no" is still a "no"
    // at the instant it was read.
    if ((this.#tat[key] as number) - need > units) return false;
    const locks = this.#locks;
    lock(locks, key);
    const tat = this.#tat[key] as number;
    const ok = tat - need <= units;
    if (ok) {
      // Exact virtual arrival inside this millisecond (see rateCommit): no drift from rounding.
      const lowest = units - p.q + 1;
      const arrival = tat - need > lowest ? tat - need : lowest;
      this.#tat[key] = (arrival > tat ? arrival : tat) + cost * p.T;
    }
    unlock(locks, key);
    return ok;
  }

  /**
   * Decide a whole batch at one instant: `out[i]` becomes 1 when `keys[i]` was granted one unit.
   * Returns the number granted. Consecutive equal keys share one lock acquisition.
   */
  tryAcquireMany(keys: Int32Array, now: Millis, out: Uint8Array): number {
    const p = this.#params;
    const units = (now - STATE_EPOCH) * p.q;
    const need = p.tau;
    const lowest = units - p.q + 1;
    const tatArr = this.#tat;
    const locks = this.#locks;
    let granted = 0;
    let i = 0;
    const n = keys.length;
    while (i < n) {
      const key = keys[i] as number;
      let j = i + 1;
      while (j < n && keys[j] === key) j++;
      if ((tatArr[key] as number) - need > units) {
        out.fill(0, i, j);
      } else {
        lock(locks, key);
        let tat = tatArr[key] as number;
        for (let k = i; k < j; k++) {
          if (tat - need <= units) {
            const arrival = tat - need > lowest ? tat - need : lowest;
            tat = (arrival > tat ? arrival : tat) + p.T;
            out[k] = 1;
            granted++;
          } else out[k] = 0;
        }
        tatArr[key] = tat;
        unlock(locks, key);
      }
      i = j;
    }
    return granted;
  }

  /** Reserve the earliest slot ≥ `now` for `cost` (always commits) and return it. */
  reserve(key: number, cost = 1, now: Millis = this.#clock()): Millis {
    if (cost > this.#params.maxCost) throw new ValidationError('cost', `at most the burst (${this.#params.maxCost})`, cost);
    const locks = this.#locks;
    lock(locks, key);
    const tat = this.#tat[key] as number;
    const at = rateEarliest(this.#params, tat, now, cost);
    this.#tat[key] = rateCommit(this.#params, tat, at, cost);
    unlock(locks, key);
    return at;
  }

  /** Units that would be granted at `now` without waiting (read-only). */
  remaining(key: number, now: Millis = this.#clock()): number {
    const p = this.#params;
    const units = (now - STATE_EPOCH) * p.q;
    const tat = Math.max(this.#tat[key] as number, units);
    return Math.max(0, Math.floor((units + p.tau + p.T - tat) / p.T));
  }
}

function validateLimiterOptions(o: SharedRateLimiterOptions): Required<SharedRateLimiterOptions> {
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
