/**
 * The batch runs of a parallel plan whose parts share nothing but the campaign's batch rule
 * (leased batches, see `planCampaignParallel`).
 *
 * Runs are numbered 0, 1, 2, … and every part sends in the same run over the same span of
 * simulated time: run k opens at `opens`, and each part sends at most its quota of it (the
 * quotas share out the batch size, `runQuotas`: a part that could not use its share gets what it
 * used, the others the rest by the messages each had left).
 *
 * What must hold: every part computes the same openings, closes and quotas from what all parts
 * reported (`schedule`), and run k + 1 opens at least a gap after every send of run k, so that a
 * run of the whole plan holds at most the batch size and runs are a gap apart, whatever the
 * parts do inside a run. A run is one of two kinds:
 * - **closed by the clock** (a short run): no send after `closes`, and run k + 1 opens a gap after
 *   the close, or later when every part was already past that instant (after a night of quiet
 *   hours, say). Its opening, close and quotas come from the reports of run k + 1 − LAG, so no
 *   part waits at its end unless another is LAG runs behind. Its span, from opening to close, is
 *   what the parts needed in that earlier run plus an eighth and a second: a part needed the time
 *   to spend its quota, or, when the close cut it short (it had quota left and would have sent
 *   again within a gap), half as much again as it had; a part that ran out of messages says
 *   nothing, and a run where every part did so leaves the span as it was.
 * - **without a close** (run 0, and long runs): it ends, as a run of the one-thread plan does,
 *   when a part's quota is spent or at a natural gap, and run k + 1 opens a gap after its latest
 *   send over all parts: every part waits for the others at its end.
 * A run is short when its span is at most 1/LONG_RUN of the gap: then the margin, and the rest of
 * a run cut short, cost little against the gap that follows; a long run closed by the clock
 * would waste much of itself (measured: campaigns a fifth longer).
 *
 * Layout: Int32 words [generation, waiters, reported runs per part (DONE once done), run a done
 * part was in per part], then Float64 per slot (run mod SLOTS) and part: the part's latest send
 * in the run (-Infinity when it sent none), the instant it was at when it finished the run
 * (+Infinity once done), how many of its messages the rule counts were still undecided (0 once
 * done), the run's opening, the span it needed (-1: it ran out of messages) and its sends. SLOTS runs
 * suffice: a part reports run k only after every part reported run k − LAG, and reads of a run
 * end before the reader reports LAG runs more.
 */
const GENERATION = 0;
const WAITERS = 1;
const REPORTED = 2;
const DONE = 0x7fffffff;

/** How many runs a part may be ahead of the slowest before it waits. */
export const LAG = 4;
const SLOTS = 2 * LAG + 2;
/** Float64 values per part and slot: latest send, instant at finish, messages left, the run's opening, the span it needed, its sends. */
const VALUES = 6;

/** A run as every part sees it. */
export interface RunOpening {
  /** No send of the run before this instant. */
  readonly opens: number;
  /** No send of the run after this instant (Infinity: the run ends at a natural gap). */
  readonly closes: number;
  /** This part's quota of the run. */
  readonly quota: number;
}

/** What the parts reported of one run. */
export interface RunReports {
  /** The run's opening. */
  readonly opens: number;
  /** The latest send of the run over the parts that took part (-Infinity: nobody sent). */
  readonly latest: number;
  /** The earliest instant a part was at when it finished the run (+Infinity: all done). */
  readonly earliestNext: number;
  /** Per part, its messages the rule counts still undecided when it finished the run (0: done). */
  readonly left: ArrayLike<number>;
  /** Per part, its sends in the run the rule counts. */
  readonly sent: ArrayLike<number>;
  /** Per part, 1 when it spent its quota or the close cut it short (it could have sent more), 0 when it ran out of messages it could send. */
  readonly busy: ArrayLike<number>;
  /**
   * The longest span a part needed in the run (from the opening): to spend its quota, or, when the
   * close cut it short, more than it had. -1: no part said (each ran out of messages to send).
   */
  readonly needed: number;
}

/**
 * Run k + 1 from run k (`current`) and the reports of run `reportsOf(k, current)` (`reports`):
 * the pure rule every part applies (see the file's comment).
 */
export function schedule(current: RunOpening, reports: RunReports, size: number, gapMs: number, part: number): RunOpening {
  let opens: number;
  let span: number | null;
  if (current.closes === Infinity) {
    // Run k ended at a natural gap and these are its own reports: run k + 1 opens a gap after
    // its latest send, as in one thread. Its span is all of it (parts done in it said nothing),
    // or what a part needed, if longer.
    opens = reports.latest === -Infinity ? Math.max(current.opens, reports.earliestNext) : Math.max(reports.latest + gapMs, reports.earliestNext);
    const measured = reports.latest === -Infinity ? reports.needed : Math.max(reports.needed, reports.latest - reports.opens);
    span = measured >= 0 ? measuredSpan(measured, gapMs) : null;
  } else {
    opens = Math.max(current.closes + gapMs, reports.earliestNext);
    // A run where every part ran out of messages says nothing of how long one takes: the span stays.
    span = reports.needed >= 0 ? measuredSpan(reports.needed, gapMs) : current.closes - current.opens;
  }
  // Short runs close by the clock. A long one would leave most of its margin, or of a run cut
  // short, unused against a gap not much longer: it ends at a natural gap, as in one thread,
  // and every part waits for the others at its end.
  const closes = span !== null && span <= gapMs / LONG_RUN ? opens + span : Infinity;
  // What a part could send in a short run says what it can send in the next, minutes later;
  // a long run's next starts hours later, when other zones are out of quiet hours.
  const quotas = closes === Infinity ? apportion(size, reports.left) : runQuotas(size, reports.left, reports.sent, reports.busy);
  return { opens, closes, quota: quotas[part] as number };
}

/** A run whose span is over 1/LONG_RUN of the gap is long (see `schedule`). */
const LONG_RUN = 8;

/** The run whose reports open the run after `run` (`current`): its own when it has no close. */
export function reportsOf(run: number, current: RunOpening): number {
  return current.closes === Infinity ? run : Math.max(0, run + 1 - LAG);
}

/** A run's span from a measured one: an eighth more, and a second (or the gap, when shorter). */
function measuredSpan(measured: number, gapMs: number): number {
  return Math.ceil(measured * 1.125) + Math.min(1_000, gapMs);
}

/**
 * The quotas of a short run from the reports of an earlier one. A part that ran out of messages it
 * could send there (its recipients in quiet hours, say) is given what it sent and half as much
 * again (at least one, at most its share by messages left); the parts that could have sent more
 * share the rest by messages left. When none could, everything is shared by messages left. The
 * quotas add up to `size`, and every part with messages left has at least one.
 */
export function runQuotas(size: number, left: ArrayLike<number>, sent: ArrayLike<number>, busy: ArrayLike<number>): number[] {
  const byLeft = apportion(size, left);
  const n = left.length;
  let anyBusy = false;
  for (let q = 0; q < n; q++) if ((left[q] as number) > 0 && busy[q] === 1) anyBusy = true;
  if (!anyBusy || size === Infinity) return byLeft;
  const quotas = new Array<number>(n).fill(0);
  const weights = new Float64Array(n);
  let rest = size;
  for (let q = 0; q < n; q++) {
    if ((left[q] as number) <= 0) continue;
    if (busy[q] === 1) {
      weights[q] = left[q] as number;
    } else {
      quotas[q] = Math.min(Math.max(1, Math.ceil((sent[q] as number) * 1.5)), byLeft[q] as number);
      rest -= quotas[q] as number;
    }
  }
  // Each busy part had at least one of byLeft, which the others did not take: rest ≥ busy parts.
  const shares = apportion(rest, weights);
  for (let q = 0; q < n; q++) quotas[q] = (quotas[q] as number) + (shares[q] as number);
  return quotas;
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
  return new SharedArrayBuffer(intBytes(parts) + VALUES * SLOTS * parts * 8);
}

/** Int32 words rounded up to whole Float64 words. */
function intBytes(parts: number): number {
  return Math.ceil(((REPORTED + 2 * parts) * 4) / 8) * 8;
}

/**
 * Marks a part whose worker failed as done before any run (from the calling thread, once the
 * part's task has ended): the other parts stop waiting for it and plan to the end. What they
 * plan is thrown away (the plan fails), so the runs they disagree on since do not matter; that
 * they finish does, for the threads to be free for the next plan.
 */
export function signOffFailedPart(buffer: SharedArrayBuffer, part: number, parts: number): void {
  const ints = new Int32Array(buffer, 0, REPORTED + 2 * parts);
  if (Atomics.load(ints, REPORTED + part) === DONE) return;
  Atomics.store(ints, REPORTED + parts + part, -1);
  Atomics.store(ints, REPORTED + part, DONE);
  Atomics.add(ints, GENERATION, 1);
  Atomics.notify(ints, GENERATION);
}

export class RunBarrier {
  readonly #ints: Int32Array;
  /** [value][slot][part]: latest send, instant at finish, messages left, the run's opening, the span needed, sends. */
  readonly #values: Float64Array;
  readonly #size: number;
  readonly #gapMs: number;
  readonly #part: number;
  readonly #parts: number;
  readonly #spinMs: number;

  /** `size` and `gapMs`: the batch rule's; the quotas share out the size. */
  constructor(buffer: SharedArrayBuffer, part: number, parts: number, size: number, gapMs: number, spinMs: number) {
    this.#spinMs = spinMs;
    this.#size = size;
    this.#gapMs = gapMs;
    this.#ints = new Int32Array(buffer, 0, REPORTED + 2 * parts);
    this.#values = new Float64Array(buffer, intBytes(parts), VALUES * SLOTS * parts);
    this.#part = part;
    this.#parts = parts;
  }

  /**
   * This part has finished run `run` (`current`): its latest send in it was `latest` (-Infinity
   * for none), its planner is at `at`, `left` of its counted messages are undecided and it
   * needed a span of `needed` (see RunReports; -1 for none). Returns
   * run `run + 1`, waiting first until every part has reported the run it is computed from.
   */
  finish(run: number, current: RunOpening, latest: number, at: number, left: number, needed: number, sent: number): RunOpening {
    this.report(run, current, latest, at, left, needed, sent);
    const from = reportsOf(run, current);
    this.#waitFor(from);
    return schedule(current, this.#reports(from), this.#size, this.#gapMs, this.#part);
  }

  /** The first half of `finish`: publishes what this part did in run `run`, without waiting. */
  report(run: number, current: RunOpening, latest: number, at: number, left: number, needed: number, sent: number): void {
    this.#publish(run, current.opens, latest, at, left, needed, sent);
    Atomics.store(this.#ints, REPORTED + this.#part, run + 1);
    this.#wake();
  }

  /** This part has nothing left to plan; it was in run `run` (opened at `opens`), its latest send there `latest`. */
  done(run: number, opens: number, latest: number): void {
    this.#publish(run, opens, latest, Infinity, 0, -1, 0);
    Atomics.store(this.#ints, REPORTED + this.#parts + this.#part, run);
    Atomics.store(this.#ints, REPORTED + this.#part, DONE);
    this.#wake();
  }

  #slot(run: number, value: number, part: number): number {
    return (value * SLOTS + (run % SLOTS)) * this.#parts + part;
  }

  #publish(run: number, opens: number, latest: number, at: number, left: number, needed: number, sent: number): void {
    const v = this.#values;
    v[this.#slot(run, 0, this.#part)] = latest;
    v[this.#slot(run, 1, this.#part)] = at;
    v[this.#slot(run, 2, this.#part)] = left;
    v[this.#slot(run, 3, this.#part)] = opens;
    v[this.#slot(run, 4, this.#part)] = needed;
    v[this.#slot(run, 5, this.#part)] = sent;
  }

  #wake(): void {
    const w = this.#ints;
    if (Atomics.load(w, WAITERS) > 0) {
      Atomics.add(w, GENERATION, 1);
      Atomics.notify(w, GENERATION);
    }
  }

  #everyoneReported(run: number): boolean {
    for (let q = 0; q < this.#parts; q++) if (Atomics.load(this.#ints, REPORTED + q) <= run) return false;
    return true;
  }

  /**
   * Polls for up to `spinMs`: waking from Atomics.wait costs a fraction of a millisecond. Only
   * worth it while every part has a core of its own; else the spinning takes the time of the
   * part awaited.
   */
  #spin(run: number): boolean {
    if (this.#spinMs <= 0) return this.#everyoneReported(run);
    const until = performance.now() + this.#spinMs;
    for (;;) {
      for (let i = 0; i < 64; i++) if (this.#everyoneReported(run)) return true;
      if (performance.now() > until) return false;
    }
  }

  #waitFor(run: number): void {
    if (this.#everyoneReported(run) || this.#spin(run)) return;
    const w = this.#ints;
    Atomics.add(w, WAITERS, 1);
    try {
      for (;;) {
        const g = Atomics.load(w, GENERATION);
        if (this.#everyoneReported(run)) return;
        // The timeout bounds a missed wake-up, and lets a terminated worker stop.
        Atomics.wait(w, GENERATION, g, 20);
      }
    } finally {
      Atomics.sub(w, WAITERS, 1);
    }
  }

  #reports(run: number): RunReports {
    let latest = -Infinity;
    let earliestNext = Infinity;
    let needed = -1;
    const left = new Float64Array(this.#parts);
    const sent = new Float64Array(this.#parts);
    const busy = new Uint8Array(this.#parts);
    const v = this.#values;
    for (let q = 0; q < this.#parts; q++) {
      // A part done before this run took no part in it; one done in it counts its sends.
      if (Atomics.load(this.#ints, REPORTED + q) === DONE && Atomics.load(this.#ints, REPORTED + this.#parts + q) < run) continue;
      const l = v[this.#slot(run, 0, q)] as number;
      const a = v[this.#slot(run, 1, q)] as number;
      left[q] = v[this.#slot(run, 2, q)] as number;
      if (l > latest) latest = l;
      if (a < earliestNext) earliestNext = a;
      const d = v[this.#slot(run, 4, q)] as number;
      if (d > needed) needed = d;
      busy[q] = d >= 0 ? 1 : 0;
      sent[q] = v[this.#slot(run, 5, q)] as number;
    }
    return { opens: v[this.#slot(run, 3, this.#part)] as number, latest, earliestNext, left, needed, sent, busy };
  }
}
