import type { Decision, Message, Millis, Policy, Scope } from '../core/types.js';
import type { MemoryStore } from '../store/memory/memory-store.js';
import type { AdmissionStore } from '../store/contract.js';
import { MinHeap } from './min-heap.js';

export interface PlanOptions {
  /** How far past its candidate instant a message may be committed (default 60 s). */
  readonly commitAheadMs?: number;
}

export interface PlanOutcome {
  /** Final decision per input message, in input order. */
  readonly decisions: readonly Decision[];
  /** For each message, every rule that deferred it, in the order they did (empty when it went at its first candidate). */
  readonly deferredBy: readonly (readonly string[])[];
}

/** Scopes whose limit holds one message for a reason of its own; every other limit holds its whole queue. */
const PERSONAL: ReadonlySet<Scope> = new Set<Scope>(['recipient', 'pair']);

/**
 * Plans messages in simulated time order.
 *
 * Messages wait in one FIFO queue per sending number (in input order: callers put higher
 * priorities first). Only a queue's head is offered to the store, at the queue's next instant,
 * with a short `maxWaitMs`; when its slot lies further out nothing is consumed, and:
 * - if a *personal* rule held it (quiet hours in its zone, its daily cap, pair spacing), it steps
 *   out of the queue to wait alone until `retryAt`, and the next message takes its turn;
 * - if a *shared* rule held it (the number's rate or windows, the messaging limit, batches), every
 *   message behind it would be held too, so the whole queue waits until `retryAt`.
 * So a campaign that the messaging limit stretches over months costs a few offers per number per
 * wave, not one per waiting message. Commits happen in near time order, which the limits kept per
 * key in time order (GCRA, batches) need.
 */
class Planner {
  readonly decisions: Decision[];
  readonly deferredBy: string[][];
  readonly #messages: readonly Message[];
  readonly #events = new MinHeap();
  /** Per queue: message indexes and the position of its head. */
  readonly #queues: number[][] = [];
  readonly #heads: number[] = [];
  readonly #queueOf: Int32Array;
  readonly #personal: ReadonlySet<string>;
  readonly ahead: number;
  /** Event ids: queue q is `q`; a message i waiting alone is `queues + i`. */
  readonly #alone: number;

  constructor(policy: Policy, messages: readonly Message[], start: Millis, options: PlanOptions) {
    this.#messages = messages;
    this.ahead = options.commitAheadMs ?? 60_000;
    this.decisions = new Array<Decision>(messages.length);
    this.deferredBy = messages.map(() => []);
    this.#personal = new Set([
      ...policy.limits.filter((r) => PERSONAL.has(r.scope)).map((r) => r.name),
      ...policy.sendWindows.map((w) => w.name),
    ]);
    const queueIds = new Map<string, number>();
    this.#queueOf = new Int32Array(messages.length);
    messages.forEach((m, i) => {
      let q = queueIds.get(m.from);
      if (q === undefined) {
        q = this.#queues.length;
        queueIds.set(m.from, q);
        this.#queues.push([]);
        this.#heads.push(0);
      }
      this.#queues[q]!.push(i);
      this.#queueOf[i] = q;
    });
    this.#alone = this.#queues.length;
    // A message with its own notBefore later than the start waits alone until then.
    this.#queues.forEach((queue, q) => {
      const kept = queue.filter((i) => {
        const nb = messages[i]!.notBefore ?? start;
        if (nb <= start) return true;
        this.#events.push(this.#alone + i, nb);
        return false;
      });
      this.#queues[q] = kept;
      if (kept.length > 0) this.#events.push(q, start);
    });
  }

  /** The next message to offer and the instant, or null when everything is decided. */
  next(): { readonly message: number; readonly at: Millis } | null {
    while (this.#events.size > 0) {
      const at = this.#events.peekKey();
      const e = this.#events.pop();
      if (e >= this.#alone) return { message: e - this.#alone, at };
      const queue = this.#queues[e]!;
      const head = this.#heads[e]!;
      if (head < queue.length) return { message: queue[head]!, at };
    }
    return null;
  }

  /** Record the store's answer for the message offered at `at`, and schedule what follows. */
  answer(i: number, at: Millis, d: Decision): void {
    const q = this.#queueOf[i]!;
    const queue = this.#queues[q]!;
    const isHead = this.#heads[q]! < queue.length && queue[this.#heads[q]!] === i;
    if (!d.ok && d.reason === 'wait-exceeds-max' && d.retryAt !== null) {
      const seen = this.deferredBy[i]!;
      if (d.limit !== null && !seen.includes(d.limit)) seen.push(d.limit);
      const retryAt = Math.max(d.retryAt, at + 1);
      if (d.limit !== null && this.#personal.has(d.limit)) {
        this.#events.push(this.#alone + i, retryAt);
        if (isHead) this.#advance(q, at);
      } else if (isHead) {
        this.#events.push(q, retryAt);
      } else {
        // Waiting alone, now held by a shared rule: rejoin the front of its queue, so that it
        // does not retry on its own at every wave of that rule.
        this.#rejoin(q, i, retryAt);
      }
      return;
    }
    this.decisions[i] = d;
    if (isHead) this.#advance(q, at);
  }

  /** Put message i back at the front of queue q (a non-empty queue always has one event pending). */
  #rejoin(q: number, i: number, retryAt: Millis): void {
    const queue = this.#queues[q]!;
    const head = this.#heads[q]!;
    const wasEmpty = head >= queue.length;
    if (head > 0) {
      queue[head - 1] = i;
      this.#heads[q] = head - 1;
    } else queue.unshift(i);
    if (wasEmpty) this.#events.push(q, retryAt);
  }

  #advance(q: number, at: Millis): void {
    this.#heads[q] = this.#heads[q]! + 1;
    if (this.#heads[q]! < this.#queues[q]!.length) this.#events.push(q, at);
  }
}

/** Plans on the embedded store, synchronously (the fast path). */
export function planInTimeOrder(store: MemoryStore, messages: readonly Message[], start: Millis, options: PlanOptions = {}): PlanOutcome {
  const planner = new Planner(store.policy, messages, start, options);
  const prepared = messages.map((m) => store.prepare(m));
  for (let step = planner.next(); step !== null; step = planner.next()) {
    planner.answer(step.message, step.at, store.admitPreparedSync(prepared[step.message]!, { now: step.at, maxWaitMs: planner.ahead }));
  }
  return { decisions: planner.decisions, deferredBy: planner.deferredBy };
}

/**
 * The same plan over any store (the Redis store, say): one awaited admission at a time, so the
 * store sees the same time-ordered sequence as the synchronous planner.
 */
export async function planInTimeOrderAsync(store: AdmissionStore, messages: readonly Message[], start: Millis, options: PlanOptions = {}): Promise<PlanOutcome> {
  const planner = new Planner(store.policy, messages, start, options);
  for (let step = planner.next(); step !== null; step = planner.next()) {
    planner.answer(step.message, step.at, await store.admit(messages[step.message]!, { now: step.at, maxWaitMs: planner.ahead }));
  }
  return { decisions: planner.decisions, deferredBy: planner.deferredBy };
}
