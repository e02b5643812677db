/**
 * The batch runs of a parallel plan whose parts share nothing but the campaign's batch rule
 * (leased batches, see `planCampaignParallel`).
 *
 * Runs are numbered 0, 1, 2, … and every part sends in the same run at the same time: each part
 * sends at most its quota of a run, and a part finishes a run when its quota is spent or when it
 * would not send again within the batch gap (a natural gap). The quotas of a run share out the
 * batch size in proportion to what each part has left to plan (`apportion`), so a part with
 * more messages, or with fewer refused, gets more of each run. Run r + 1 starts once every part
 * has finished run r, at the run's latest send plus the gap, so a run of the whole plan holds at
 * most the sum of the quotas (the batch size) and runs are at least a gap apart, whatever the
 * parts do inside a run. A part that finished waits here, in real time, for the others.
 *
 * Layout: Int32 words [generation, waiters, finished runs per part, run a done part was in per
 * part], then Float64 per run parity and part: the part's latest send in the run (-Infinity
 * when it sent none), the instant it was at when it finished (+Infinity once done) and how many
 * of its messages were still undecided (0 once done). Two
 * parities suffice: a part cannot finish run r + 2 before every part has left run r's barrier.
 */
const GENERATION = 0;
const WAITERS = 1;
const FINISHED = 2;
const DONE = 0x7fffffff;

/** What every part agrees on when a run ends. */
export interface RunEnd {
  /** The latest send of the run over all parts (-Infinity: nobody sent). */
  readonly latest: number;
  /** The earliest instant a part was at when it finished the run (+Infinity: all done). */
  readonly earliestNext: number;
  /** This part's quota of the next run. */
  readonly quota: number;
}

/**
 * Shares `size` sends between parts by `weights` (messages left): by largest remainder, ties to
 * the lower part, then one for each part with any left that got none (taken from the largest
 * share), so that no part waits for the others to finish. Every part computes the same shares
 * from the same weights. An endless batch (Infinity) is everyone's.
 */
export function apportion(size: number, weights: ArrayLike<number>): number[] {
  const n = weights.length;
  const shares = new Array<number>(n).fill(0);
  if (size === Infinity) return shares.fill(Infinity);
  let total = 0;
  for (let q = 0; q < n; q++) if ((weights[q] as number) > 0) total += weights[q] as number;
  if (total === 0) return shares;
  let left = size;
  const remainders: { readonly q: number; readonly r: number }[] = [];
  for (let q = 0; q < n; q++) {
    const w = weights[q] as number;
    if (w <= 0) continue;
    const exact = (size * w) / total;
    const whole = Math.floor(exact);
    shares[q] = whole;
    left -= whole;
    remainders.push({ q, r: exact - whole });
  }
  remainders.sort((a, b) => b.r - a.r || a.q - b.q);
  for (let k = 0; left > 0 && k < remainders.length; k++, left--) {
    const q = (remainders[k] as { readonly q: number }).q;
    shares[q] = (shares[q] as number) + 1;
  }
  // planCampaignParallel keeps parts ≤ size, so a share above one is always there to take from.
  for (let q = 0; q < n; q++) {
    if ((weights[q] as number) <= 0 || shares[q] !== 0) continue;
    let big = -1;
    for (let k = 0; k < n; k++) if ((shares[k] as number) > 1 && (big < 0 || (shares[k] as number) > (shares[big] as number))) big = k;
    if (big < 0) break;
    shares[big] = (shares[big] as number) - 1;
    shares[q] = 1;
  }
  return shares;
}

export function runBarrierBuffer(parts: number): SharedArrayBuffer {
  return new SharedArrayBuffer(intBytes(parts) + VALUES * 2 * parts * 8);
}

/** Float64 values per part and run parity: latest send, instant at finish, messages left. */
const VALUES = 3;

/** Int32 words rounded up to whole Float64 words. */
function intBytes(parts: number): number {
  return Math.ceil(((FINISHED + 2 * parts) * 4) / 8) * 8;
}

export class RunBarrier {
  readonly #ints: Int32Array;
  /** [parity][part] latest send, then [parity][part] instant at finish, then [parity][part] messages left. */
  readonly #values: Float64Array;
  readonly #size: number;
  readonly #part: number;
  readonly #parts: number;
  readonly #spinMs: number;

  /** `size`: the batch size the quotas share out. */
  constructor(buffer: SharedArrayBuffer, part: number, parts: number, size: number, spinMs: number) {
    this.#spinMs = spinMs;
    this.#size = size;
    this.#ints = new Int32Array(buffer, 0, FINISHED + 2 * parts);
    this.#values = new Float64Array(buffer, intBytes(parts), VALUES * 2 * parts);
    this.#part = part;
    this.#parts = parts;
  }

  /**
   * This part has finished run `run`: its latest send in it was `latest` (-Infinity for none),
   * its planner is at `at` and `left` of its messages are undecided. Waits until every part has
   * finished the run (or is done).
   */
  finish(run: number, latest: number, at: number, left: number): RunEnd {
    this.#publish(run, latest, at, left);
    Atomics.store(this.#ints, FINISHED + this.#part, run + 1);
    this.#wake();
    this.#waitFor(run);
    return this.#end(run);
  }

  /** This part has nothing left to plan; it was in run `run`, its latest send there `latest`. */
  done(run: number, latest: number): void {
    this.#publish(run, latest, Infinity, 0);
    Atomics.store(this.#ints, FINISHED + this.#parts + this.#part, run);
    Atomics.store(this.#ints, FINISHED + this.#part, DONE);
    this.#wake();
  }

  #publish(run: number, latest: number, at: number, left: number): void {
    const slot = (run & 1) * this.#parts + this.#part;
    this.#values[slot] = latest;
    this.#values[2 * this.#parts + slot] = at;
    this.#values[4 * this.#parts + slot] = left;
  }

  #wake(): void {
    const w = this.#ints;
    if (Atomics.load(w, WAITERS) > 0) {
      Atomics.add(w, GENERATION, 1);
      Atomics.notify(w, GENERATION);
    }
  }

  #everyoneFinished(run: number): boolean {
    for (let q = 0; q < this.#parts; q++) if (Atomics.load(this.#ints, FINISHED + q) <= run) return false;
    return true;
  }

  /**
   * Polls for up to `spinMs`: a part waits here about once per run, for a fraction of a
   * millisecond, and waking from Atomics.wait costs about as much again. Only worth it while
   * every part has a core of its own; else the spinning takes the time of the part awaited.
   */
  #spin(run: number): boolean {
    if (this.#spinMs <= 0) return this.#everyoneFinished(run);
    const until = performance.now() + this.#spinMs;
    for (;;) {
      for (let i = 0; i < 64; i++) if (this.#everyoneFinished(run)) return true;
      if (performance.now() > until) return false;
    }
  }

  #waitFor(run: number): void {
    if (this.#spin(run)) return;
    const w = this.#ints;
    Atomics.add(w, WAITERS, 1);
    try {
      for (;;) {
        const g = Atomics.load(w, GENERATION);
        if (this.#everyoneFinished(run)) return;
        // The timeout bounds a missed wake-up, and lets a terminated worker stop.
        Atomics.wait(w, GENERATION, g, 20);
      }
    } finally {
      Atomics.sub(w, WAITERS, 1);
    }
  }

  #end(run: number): RunEnd {
    let latest = -Infinity;
    let earliestNext = Infinity;
    const base = (run & 1) * this.#parts;
    const left = new Float64Array(this.#parts);
    for (let q = 0; q < this.#parts; q++) {
      // A part done before this run took no part in it; one done in it counts its sends.
      if (Atomics.load(this.#ints, FINISHED + q) === DONE && Atomics.load(this.#ints, FINISHED + this.#parts + q) < run) continue;
      const l = this.#values[base + q] as number;
      const a = this.#values[2 * this.#parts + base + q] as number;
      left[q] = this.#values[4 * this.#parts + base + q] as number;
      if (l > latest) latest = l;
      if (a < earliestNext) earliestNext = a;
    }
    return { latest, earliestNext, quota: apportion(this.#size, left)[this.#part] as number };
  }
}
