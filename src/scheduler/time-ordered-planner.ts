import type { Decision, Message, Millis, Policy } from '../core/types.js';
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
  /** For each message, every rule that deferred it (empty when it went at its first candidate). */
  readonly deferredBy: readonly (readonly string[])[];
}

/** How a rule that holds a message is handled by the planner. */
export const HoldKind = {
  /** The rule holds every message of the sending number's queue (rates, windows, batches, the messaging limit). */
  Shared: 0,
  /** The rule holds this message for a reason of its own (its daily cap, pair spacing). */
  Personal: 1,
  /** A send window: it holds every message of the same class (number, category, zone) alike. */
  Window: 2,
} as const;

/** Rule ids are indexes in `[...policy.limits, ...policy.sendWindows]`; at most 32 rules are tracked in `held`. */
export function holdKinds(policy: Policy): Uint8Array {
  const kinds = new Uint8Array(policy.limits.length + policy.sendWindows.length);
  policy.limits.forEach((r, i) => (kinds[i] = r.scope === 'pair' || r.scope === 'recipient' ? HoldKind.Personal : HoldKind.Shared));
  kinds.fill(HoldKind.Window, policy.limits.length);
  return kinds;
}

/** The rule names behind rule ids (see `holdKinds`). */
export function ruleNames(policy: Policy): string[] {
  return [...policy.limits.map((r) => r.name), ...policy.sendWindows.map((w) => w.name)];
}

/** What the planner needs to know about the messages: nothing but integers. */
export interface PlanShape {
  /** Class of each message, in input order (input order is priority order: callers put higher priorities first). */
  readonly classOf: Int32Array;
  /** Sending-number queue of each class. */
  readonly queueOfClass: Int32Array;
  readonly queues: number;
  /** Per rule id: a HoldKind. */
  readonly kinds: Uint8Array;
  readonly start: Millis;
  /** Per message, when it may go at the earliest (null: all at `start`). */
  readonly notBefore: Float64Array | null;
}

const READY = 0;
const WAITING = 1;
const BY_QUEUE = 0;
const ALONE = 1;

/**
 * Plans messages in simulated time order, as a step machine: `next()` names a message and an
 * instant to offer it at, the caller asks the store and reports with `answer`.
 *
 * Each sending number has one queue; inside it, messages of one *class* (same number, category
 * and zone, hence the same send windows) wait in input order. At the queue's next instant its
 * earliest class head in input order is offered to the store with a short `maxWaitMs`; when its
 * slot lies further out nothing is consumed, and, by the rule that held it:
 * - a *send window* (quiet hours in its zone) holds its whole class until it opens, while the
 *   other classes of the number keep their turns;
 * - a *personal* rule (its daily cap, pair spacing) makes it step out to wait alone until
 *   `retryAt`; the next message takes its turn;
 * - a *shared* rule (the number's rate or windows, the messaging limit, batches) would hold
 *   every message behind it too, so the whole queue waits until `retryAt`.
 * So a campaign that quiet hours or the messaging limit stretch over days costs a few offers per
 * class per wave, not one per waiting message, and the work stays linear in the campaign size.
 * Commits happen in near time order, which the limits kept per key in time order (GCRA,
 * batches) need.
 *
 * `held[i]` gathers, as bits of rule ids, every rule that deferred message i: its own holds, and
 * the windows that held its class while it waited in it.
 */
export class TimeOrderedPlanner {
  /** Bits of the rules that deferred each message (rule ids ≥ 32 are not tracked). */
  readonly held: Int32Array;
  /** The instant of the offer `next()` returned. */
  at: Millis = 0;
  readonly #kinds: Uint8Array;
  readonly #classOf: Int32Array;
  readonly #queueOfClass: Int32Array;
  /** Messages grouped by class, in input order; class c owns [first[c], end[c]). */
  readonly #slots: Int32Array;
  readonly #head: Int32Array;
  readonly #end: Int32Array;
  readonly #state: Uint8Array;
  readonly #wake: Float64Array;
  /** Window rules that held each class so far. */
  readonly #classHeld: Int32Array;
  /** Per queue: classes by head message (lazy: an entry is stale unless it names the current head of a ready class). */
  readonly #ready: MinHeap[];
  readonly #pending: Uint8Array;
  readonly #events = new MinHeap();
  readonly #queues: number;
  readonly #classes: number;
  #mode = BY_QUEUE;
  #offerClass = -1;

  constructor(shape: PlanShape) {
    const n = shape.classOf.length;
    const classes = shape.queueOfClass.length;
    this.#kinds = shape.kinds;
    this.#classOf = shape.classOf;
    this.#queueOfClass = shape.queueOfClass;
    this.#queues = shape.queues;
    this.#classes = classes;
    this.held = new Int32Array(n);
    this.#head = new Int32Array(classes);
    this.#end = new Int32Array(classes);
    this.#state = new Uint8Array(classes);
    this.#wake = new Float64Array(classes);
    this.#classHeld = new Int32Array(classes);
    this.#pending = new Uint8Array(shape.queues);
    this.#ready = Array.from({ length: shape.queues }, () => new MinHeap());
    // Counting sort by class keeps input order inside each class.
    const counts = new Int32Array(classes + 1);
    for (let i = 0; i < n; i++) {
      const k = (shape.classOf[i] as number) + 1;
      counts[k] = (counts[k] as number) + 1;
    }
    for (let c = 0; c < classes; c++) counts[c + 1] = (counts[c + 1] as number) + (counts[c] as number);
    this.#head.set(counts.subarray(0, classes));
    this.#end.set(counts.subarray(0, classes));
    this.#slots = new Int32Array(n);
    const start = shape.start;
    const nb = shape.notBefore;
    for (let i = 0; i < n; i++) {
      const c = shape.classOf[i] as number;
      const t = nb === null ? start : (nb[i] as number);
      // A message with a notBefore later than the start waits alone until then.
      if (t > start) this.#events.push(this.#queues + classes + i, t);
      else {
        const e = this.#end[c] as number;
        this.#slots[e] = i;
        this.#end[c] = e + 1;
      }
    }
    for (let c = 0; c < classes; c++) {
      const h = this.#head[c] as number;
      if (h < (this.#end[c] as number)) this.#ready[shape.queueOfClass[c] as number]!.push(c, this.#slots[h] as number);
    }
    for (let q = 0; q < shape.queues; q++) if (this.#ready[q]!.size > 0) this.#pushQueue(q, start);
  }

  /** The next message to offer (at `this.at`), or -1 when everything is decided. */
  next(): number {
    const events = this.#events;
    const queues = this.#queues;
    while (events.size > 0) {
      const at = events.peekKey();
      const e = events.pop();
      this.at = at;
      if (e < queues) {
        this.#pending[e] = 0;
        const c = this.#readyHead(e);
        if (c < 0) continue;
        this.#mode = BY_QUEUE;
        this.#offerClass = c;
        return this.#slots[this.#head[c] as number] as number;
      }
      const c = e - queues;
      if (c < this.#classes) {
        if (this.#state[c] !== WAITING || this.#wake[c] !== at) continue; // superseded
        this.#state[c] = READY;
        const q = this.#queueOfClass[c] as number;
        const h = this.#head[c] as number;
        if (h < (this.#end[c] as number)) this.#ready[q]!.push(c, this.#slots[h] as number);
        if (this.#pending[q] === 0) this.#pushQueue(q, at);
        continue;
      }
      this.#mode = ALONE;
      this.#offerClass = this.#classOf[c - this.#classes] as number;
      return c - this.#classes;
    }
    return -1;
  }

  /**
   * Report the store's answer for the message `next()` returned: `waitUntil` is NaN when the
   * decision is final (sent or refused), else the store's `retryAt`; `rule` is the id of the rule
   * that held it (-1 unknown, treated as shared).
   */
  answer(i: number, waitUntil: number, rule: number): void {
    const at = this.at;
    const c = this.#offerClass;
    const q = this.#queueOfClass[c] as number;
    const byQueue = this.#mode === BY_QUEUE;
    if (waitUntil !== waitUntil) {
      this.held[i] = (this.held[i] as number) | (this.#classHeld[c] as number);
      if (byQueue) this.#advance(c, q, at);
      return;
    }
    if (rule >= 0 && rule < 32) this.held[i] = (this.held[i] as number) | (1 << rule);
    const retryAt = waitUntil > at + 1 ? waitUntil : at + 1;
    const kind: number = rule >= 0 ? (this.#kinds[rule] as number) : HoldKind.Shared;
    if (byQueue) {
      if (kind === HoldKind.Personal) {
        this.#events.push(this.#queues + this.#classes + i, retryAt);
        this.#advance(c, q, at);
      } else if (kind === HoldKind.Window) {
        this.#hold(c, rule, retryAt);
        this.#pushQueue(q, at);
      } else this.#pushQueue(q, retryAt);
      return;
    }
    if (kind === HoldKind.Personal) {
      this.#events.push(this.#queues + this.#classes + i, retryAt);
      return;
    }
    // Waiting alone, now held by a rule its class shares: rejoin the front of the class, so that
    // it does not retry on its own at every wave of that rule.
    const wasEmpty = (this.#head[c] as number) >= (this.#end[c] as number);
    const front = (this.#head[c] as number) - 1;
    this.#head[c] = front;
    this.#slots[front] = i;
    if (kind === HoldKind.Window) {
      if (this.#state[c] === READY || wasEmpty) this.#hold(c, rule, retryAt);
      return;
    }
    if (this.#state[c] === READY) {
      this.#ready[q]!.push(c, i);
      if (this.#pending[q] === 0) this.#pushQueue(q, retryAt);
    }
  }

  /** The ready class of queue q with the earliest head in input order, or -1. */
  #readyHead(q: number): number {
    const ready = this.#ready[q]!;
    while (ready.size > 0) {
      const key = ready.peekKey();
      const c = ready.peekId();
      const h = this.#head[c] as number;
      if (this.#state[c] === READY && h < (this.#end[c] as number) && this.#slots[h] === key) return c;
      ready.pop();
    }
    return -1;
  }

  #hold(c: number, rule: number, until: Millis): void {
    this.#state[c] = WAITING;
    this.#wake[c] = until;
    if (rule < 32) this.#classHeld[c] = (this.#classHeld[c] as number) | (1 << rule);
    this.#events.push(this.#queues + c, until);
  }

  #advance(c: number, q: number, at: Millis): void {
    const h = (this.#head[c] as number) + 1;
    this.#head[c] = h;
    if (h < (this.#end[c] as number) && this.#state[c] === READY) this.#ready[q]!.push(c, this.#slots[h] as number);
    this.#pushQueue(q, at);
  }

  #pushQueue(q: number, at: Millis): void {
    this.#pending[q] = 1;
    this.#events.push(q, at);
  }
}

/** The planner's shape for store messages: classes by (from, category, zone), queues by `from`. */
function shapeOf(policy: Policy, messages: readonly Message[], start: Millis): PlanShape {
  const queueIds = new Map<string, number>();
  const classIds = new Map<string, number>();
  const queueOfClass: number[] = [];
  const classOf = new Int32Array(messages.length);
  const notBefore = new Float64Array(messages.length);
  messages.forEach((m, i) => {
    let q = queueIds.get(m.from);
    if (q === undefined) queueIds.set(m.from, (q = queueIds.size));
    const key = `${m.from}\u0000${m.category}\u0000${m.timeZone ?? policy.defaultTimeZone}`;
    let c = classIds.get(key);
    if (c === undefined) {
      classIds.set(key, (c = classIds.size));
      queueOfClass.push(q);
    }
    classOf[i] = c;
    notBefore[i] = m.notBefore ?? start;
  });
  return { classOf, queueOfClass: Int32Array.from(queueOfClass), queues: queueIds.size, kinds: holdKinds(policy), start, notBefore };
}

/** Feeds store decisions to the planner and keeps them. */
class DecisionPlan {
  readonly planner: TimeOrderedPlanner;
  readonly decisions: Decision[];
  readonly ahead: number;
  readonly #ruleIds: Map<string, number>;
  readonly #names: string[];

  constructor(policy: Policy, messages: readonly Message[], start: Millis, options: PlanOptions) {
    this.planner = new TimeOrderedPlanner(shapeOf(policy, messages, start));
    this.decisions = new Array<Decision>(messages.length);
    this.ahead = options.commitAheadMs ?? 60_000;
    this.#names = ruleNames(policy);
    this.#ruleIds = new Map(this.#names.map((name, id) => [name, id]));
  }

  answer(i: number, d: Decision): void {
    if (!d.ok && d.reason === 'wait-exceeds-max' && d.retryAt !== null) {
      this.planner.answer(i, d.retryAt, d.limit === null ? -1 : (this.#ruleIds.get(d.limit) ?? -1));
      return;
    }
    this.decisions[i] = d;
    this.planner.answer(i, NaN, -1);
  }

  outcome(): PlanOutcome {
    const held = this.planner.held;
    const deferredBy = Array.from(held, (bits) => this.#names.filter((_, id) => id < 32 && (bits & (1 << id)) !== 0));
    return { decisions: this.decisions, deferredBy };
  }
}

/** Plans on the embedded store, synchronously (the fast path). */
export function planInTimeOrder(store: MemoryStore, messages: readonly Message[], start: Millis, options: PlanOptions = {}): PlanOutcome {
  const plan = new DecisionPlan(store.policy, messages, start, options);
  const prepared = messages.map((m) => store.prepare(m));
  const planner = plan.planner;
  for (let i = planner.next(); i >= 0; i = planner.next()) {
    plan.answer(i, store.admitPreparedSync(prepared[i]!, { now: planner.at, maxWaitMs: plan.ahead }));
  }
  return plan.outcome();
}

/**
 * The same plan over any store (the Redis store, say): one awaited admission at a time, so the
 * store sees the same time-ordered sequence as the synchronous planner.
 */
export async function planInTimeOrderAsync(store: AdmissionStore, messages: readonly Message[], start: Millis, options: PlanOptions = {}): Promise<PlanOutcome> {
  const plan = new DecisionPlan(store.policy, messages, start, options);
  const planner = plan.planner;
  for (let i = planner.next(); i >= 0; i = planner.next()) {
    plan.answer(i, await store.admit(messages[i]!, { now: planner.at, maxWaitMs: plan.ahead }));
  }
  return plan.outcome();
}
