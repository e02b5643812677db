import { Worker } from 'node:worker_threads';
import { ValidationError } from '../../errors.js';
import type { Millis } from '../../core/types.js';

/** Reads the current instant in integer milliseconds. */
export type Clock = () => Millis;

/**
 * A monotonic clock anchored to the epoch once per thread: `performance.now()` never runs
 * backwards, and the anchor makes its readings comparable with wall-clock instants. Threads
 * anchor separately, so their readings may differ by a millisecond or so; the stores stay safe
 * regardless, because limits are enforced on committed instants, not on the clock.
 */
export function monotonicClock(): Clock {
  const anchor = Date.now() - performance.now();
  return () => Math.floor(anchor + performance.now());
}

/*
 * Ticker cell layout (Int32 words of one SharedArrayBuffer, on its own cache line):
 *
 *   LOW  = t mod 2^31          (low 31 bits of the instant t, integer ms since the Unix epoch)
 *   HIGH = floor(t / 2^20)     (t ≥ 0 and t < 2^51, so HIGH fits an Int32)
 *   STOP = 0 while the ticker should run, 1 once stop was requested
 *
 * Readers use plain (non-Atomics) loads: an Atomics.load is a ~7 ns builtin call here, a plain
 * Int32 load well under 1 ns, and the ECMAScript memory model guarantees that a plain Int32
 * load never tears. The two words may still come from two different writes, so they overlap:
 * bits 20..30 of t are in both. When they agree, the words come from the same 2^20 ms block
 * and HIGH · 2^20 + (LOW mod 2^20) is exactly the instant the LOW word was written with. When
 * they disagree (a read raced a block change, about once every 17 minutes), the reader retries
 * with Atomics loads. A mix that agrees by accident would need two reads 2^31 ms (24.8 days)
 * apart within one call.
 */
const LOW = 0;
const HIGH = 1;
const STOP = 2;
const CELL_BYTES = 64;
const BLOCK = 2 ** 20;
const OVERLAP_MASK = 0x7ff; // bits 20..30 of t: LOW >>> 20 and the low 11 bits of HIGH
const LOW_MASK = 0xfffff;

function writeInstant(cell: Int32Array, t: Millis): void {
  const high = Math.floor(t / BLOCK);
  if (Atomics.load(cell, HIGH) !== high) Atomics.store(cell, HIGH, high);
  Atomics.store(cell, LOW, t % 2 ** 31);
}

/**
 * The ticker thread. Plain CommonJS run with `eval: true`, so it needs no file on disk (and
 * works the same from the ESM and CJS builds). It anchors `performance.now()` to the epoch
 * once, then writes the instant just after every millisecond boundary until STOP is set.
 * It never writes a smaller instant than the cell holds, so readings never go backwards.
 * The write protocol must match `writeInstant` above.
 */
const TICKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const cell = new Int32Array(workerData.cell);
const anchor = Date.now() - performance.now();
const read = () => Atomics.load(cell, ${HIGH}) * ${BLOCK} + (Atomics.load(cell, ${LOW}) & ${LOW_MASK});
let last = read();
while (Atomics.load(cell, ${STOP}) === 0) {
  const exact = anchor + performance.now();
  const t = Math.floor(exact);
  if (t > last) {
    const high = Math.floor(t / ${BLOCK});
    if (Atomics.load(cell, ${HIGH}) !== high) Atomics.store(cell, ${HIGH}, high);
    Atomics.store(cell, ${LOW}, t % ${2 ** 31});
    last = t;
  }
  // Sleep to just past the next millisecond boundary; a stop request wakes us at once.
  Atomics.wait(cell, ${STOP}, 0, Math.max(0.05, t + 1 - exact + 0.01));
}
`;

/** Decodes the cell with Atomics loads; `fallback` when a consistent pair cannot be read. */
function readSlow(cell: Int32Array, fallback: Millis): Millis {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const low = Atomics.load(cell, LOW);
    const high = Atomics.load(cell, HIGH);
    if (((low >>> 20) & OVERLAP_MASK) === (high & OVERLAP_MASK)) return high * BLOCK + (low & LOW_MASK);
  }
  // Only a writer stopped between its two stores gets here: let time stand still.
  return fallback;
}

function checkCell(cell: unknown): SharedArrayBuffer {
  if (!(cell instanceof SharedArrayBuffer) || cell.byteLength !== CELL_BYTES) {
    throw new ValidationError('ticker', `a SharedArrayBuffer of ${CELL_BYTES} bytes from TickerClock.cell`, cell);
  }
  return cell;
}

/**
 * A clock that costs a memory load to read: one small worker thread rewrites a shared cell just
 * after every millisecond boundary with `floor(anchor + performance.now())`, anchored to the
 * epoch once when the thread starts; every reader (in any thread the cell is passed to) loads
 * the cell instead of asking the operating system for the time. On machines where `Date.now()`
 * and `performance.now()` cost tens of nanoseconds, that is most of a rate-limit decision.
 *
 * What holds:
 * - Readings never go backwards, per reader and in the cell (the ticker only writes larger
 *   instants, and each reader keeps the largest instant it returned).
 * - Every thread reading the same cell reads the same time (no per-thread anchors).
 * - A reading lags real time by at most about one millisecond plus the ticker's wake-up
 *   latency. If the ticker thread stalls (descheduled, stopped, crashed), time stands still:
 *   a limiter then sees fewer milliseconds pass than really did, which only makes every limit
 *   stricter, never looser.
 *
 * The thread is `unref()`ed, so it never keeps the process alive; call `stop()` when done
 * (tests, graceful shutdown) to end it deterministically.
 */
export class TickerClock {
  /** The shared cell; pass it to other threads and read it there with `TickerClock.reader`. */
  readonly cell: SharedArrayBuffer;
  /** Reads the current instant (a plain memory load); usable wherever a `Clock` is expected. */
  readonly read: Clock;
  readonly #worker: Worker;
  readonly #exited: Promise<void>;
  #running = true;

  /** Starts one ticker thread and returns the clock it drives. */
  static start(): TickerClock {
    return new TickerClock();
  }

  /**
   * A reader of a cell started elsewhere (`TickerClock.cell`, possibly in another thread).
   * It owns no thread: the clock advances while the owner's ticker runs.
   */
  static reader(cell: SharedArrayBuffer): Clock {
    const words = new Int32Array(checkCell(cell));
    let last = readSlow(words, Atomics.load(words, HIGH) * BLOCK);
    return () => {
      const low = words[LOW] as number;
      const high = words[HIGH] as number;
      const t = ((low >>> 20) & OVERLAP_MASK) === (high & OVERLAP_MASK) ? high * BLOCK + (low & LOW_MASK) : readSlow(words, last);
      if (t > last) last = t;
      return last;
    };
  }

  private constructor() {
    this.cell = new SharedArrayBuffer(CELL_BYTES);
    const words = new Int32Array(this.cell);
    // Valid at once: readers see this instant until the thread has started (tens of ms).
    writeInstant(words, Date.now());
    this.read = TickerClock.reader(this.cell);
    this.#worker = new Worker(TICKER_SOURCE, { eval: true, workerData: { cell: this.cell } });
    this.#worker.unref();
    this.#exited = new Promise<void>((resolve) => {
      this.#worker.once('exit', () => {
        this.#running = false;
        resolve();
      });
      // An error ends the thread: time stands still, which is the documented failure mode.
      this.#worker.once('error', () => undefined);
    });
  }

  /** Whether the ticker thread is still running. */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Stops the ticker thread (idempotent); resolves once it has exited. Readers keep working
   * and return the last instant written: time stands still from here on.
   */
  stop(): Promise<void> {
    const words = new Int32Array(this.cell);
    Atomics.store(words, STOP, 1);
    Atomics.notify(words, STOP);
    // Keep the event loop alive until the exit is observed, so `await stop()` always settles.
    if (this.#running) this.#worker.ref();
    return this.#exited;
  }
}

/** Starts a ticker clock (see `TickerClock`). Call `stop()` on the result when done. */
export function tickerClock(): TickerClock {
  return TickerClock.start();
}
