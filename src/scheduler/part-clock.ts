/**
 * Keeps the parts of a parallel plan close in simulated time (conservative lockstep).
 *
 * The embedded store never lets time run backwards for a portfolio: an admission at an instant
 * before the latest one seen is taken at that latest instant. So if one worker ran far ahead in
 * simulated time, the others' messages would slip to its instant and the plan would stretch.
 * Each part publishes the second (relative to the start) of the offer it is about to make, and
 * waits while it is more than `lookahead` seconds ahead of the slowest part that is not done.
 * The slowest part never waits, so the plan always progresses.
 *
 * Layout of the shared Int32 words: [waiters, generation, clock of part 0, clock of part 1, …];
 * a done part's clock is DONE.
 */
const WAITERS = 0;
const GENERATION = 1;
const CLOCKS = 2;
const DONE = 0x7fffffff;
const SPINS = 200;

export function partClockBuffer(parts: number): SharedArrayBuffer {
  return new SharedArrayBuffer((CLOCKS + parts) * 4);
}

/** A part whose worker failed, marked done from the calling thread: nobody waits for it any more. */
export function signOffFailedClock(buffer: SharedArrayBuffer, part: number): void {
  const w = new Int32Array(buffer);
  Atomics.store(w, CLOCKS + part, DONE);
  Atomics.add(w, GENERATION, 1);
  Atomics.notify(w, GENERATION);
}

export class PartClock {
  readonly #words: Int32Array;
  readonly #part: number;
  readonly #parts: number;
  readonly #start: number;
  readonly #lookahead: number;
  #published = -1;
  /** A lower bound of the other parts' clocks (they only move forward). */
  #slowest = 0;

  constructor(buffer: SharedArrayBuffer, part: number, parts: number, start: number, lookaheadSeconds: number) {
    this.#words = new Int32Array(buffer);
    this.#part = part;
    this.#parts = parts;
    this.#start = start;
    this.#lookahead = lookaheadSeconds;
  }

  /** Before offering at `at`: publish it, and wait until no other part is too far behind. */
  advance(at: number): void {
    const s = Math.min(DONE - 1, Math.floor((at - this.#start) / 1000));
    if (s !== this.#published) this.#publish(s);
    if (s <= this.#slowest + this.#lookahead) return;
    this.#slowest = this.#readSlowest();
    if (s <= this.#slowest + this.#lookahead) return;
    this.#wait(s);
  }

  /** The part is finished (or failed): nobody waits for it any more. */
  done(): void {
    this.#publish(DONE);
  }

  #publish(s: number): void {
    const w = this.#words;
    this.#published = s;
    Atomics.store(w, CLOCKS + this.#part, s);
    if (Atomics.load(w, WAITERS) > 0) {
      Atomics.add(w, GENERATION, 1);
      Atomics.notify(w, GENERATION);
    }
  }

  #readSlowest(): number {
    let min = DONE;
    for (let k = 0; k < this.#parts; k++) {
      if (k === this.#part) continue;
      const c = Atomics.load(this.#words, CLOCKS + k);
      if (c < min) min = c;
    }
    return min;
  }

  #wait(s: number): void {
    const w = this.#words;
    for (let i = 0; i < SPINS; i++) {
      this.#slowest = this.#readSlowest();
      if (s <= this.#slowest + this.#lookahead) return;
    }
    Atomics.add(w, WAITERS, 1);
    try {
      for (;;) {
        const g = Atomics.load(w, GENERATION);
        this.#slowest = this.#readSlowest();
        if (s <= this.#slowest + this.#lookahead) return;
        // The timeout only bounds the cost of a missed wake-up; wake-ups come from #publish.
        Atomics.wait(w, GENERATION, g, 20);
      }
    } finally {
      Atomics.sub(w, WAITERS, 1);
    }
  }
}
