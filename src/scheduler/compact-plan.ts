import type { Category, Message, Millis } from '../core/types.js';
import { RAW_WAIT, type MemoryStore, type PreparedMessage } from '../store/memory/memory-store.js';
import type { PartClock } from './part-clock.js';
import type { RunBarrier, RunOpening } from './run-barrier.js';
import { holdKinds, TimeOrderedPlanner } from './time-ordered-planner.js';

/** Categories by their index in `CompactCampaign.category`, in priority order. */
export const CATEGORY_ORDER: readonly Category[] = ['authentication', 'utility', 'service', 'marketing'];

/**
 * A campaign (or one worker's part of it) as columns: one entry per message, in priority order.
 * Plain integers only, so a part travels between threads as a transferred buffer.
 */
export interface CompactCampaign {
  readonly portfolio: string;
  readonly campaign: string;
  readonly start: Millis;
  readonly deadline: Millis | null;
  readonly commitAheadMs: number;
  readonly numbers: readonly string[];
  readonly zones: readonly string[];
  /** E.164 digits (`to` without its `+`; at most 15 digits, so exact in a double). */
  readonly to: Float64Array;
  /** Dense id of the recipient (equal `to`, equal id) over the whole campaign. */
  readonly recipient: Int32Array;
  /** Dense id of the (sending number, recipient) pair over the whole campaign. */
  readonly pair: Int32Array;
  /**
   * Per limit rule (index in `policy.limits`): the first of the store's anonymous keys reserved
   * for the rule's pair or recipient ids (-1 for other scopes), and for a distinct rule the first
   * of its reserved members (-1 otherwise). See `reserveCampaignKeys`.
   */
  readonly keyBase: Int32Array;
  readonly memberBase: Int32Array;
  /** Index in `numbers`. */
  readonly number: Uint16Array;
  /** Index in `zones`. */
  readonly zone: Uint16Array;
  /** Index in `CATEGORY_ORDER`. */
  readonly category: Uint8Array;
}

/** The plan of a compact campaign, per message in the same order. */
export interface CompactOutcome {
  /** The send instant, or NaN when refused. */
  readonly sendAt: Float64Array;
  /** 0 when sent, else the store's raw refusal code (see `rawRefusalReason`). */
  readonly refusal: Int8Array;
  /** Rule id (`[...limits, ...sendWindows]`) that refused it, or -1. */
  readonly rule: Int16Array;
  /** Bits of the rule ids that deferred it. */
  readonly held: Int32Array;
}

/** One buffer holding a CompactOutcome for n messages (so it moves between threads in one transfer). */
export function outcomeBuffer(n: number): ArrayBuffer {
  return new ArrayBuffer(n * 15);
}

export function outcomeViews(buffer: ArrayBuffer, n: number): CompactOutcome {
  return {
    sendAt: new Float64Array(buffer, 0, n),
    held: new Int32Array(buffer, n * 8, n),
    rule: new Int16Array(buffer, n * 12, n),
    refusal: new Int8Array(buffer, n * 14, n),
  };
}

/**
 * What a planning worker hands back for its n messages, in one buffer: the outcome, the part's
 * sends in time order (local indices, see `timeOrderOf`), and how many it sent.
 */
export function partResultBuffer(n: number): ArrayBuffer {
  return new ArrayBuffer(orderOffset(n) + n * 4 + 4);
}

export interface PartResult {
  readonly outcome: CompactOutcome;
  /** Room for the time order (n entries); `sent` of them are used. */
  readonly order: Int32Array;
  /** [sent]. */
  readonly tail: Int32Array;
}

export function partResultViews(buffer: ArrayBuffer, n: number): PartResult {
  const at = orderOffset(n);
  return { outcome: outcomeViews(buffer, n), order: new Int32Array(buffer, at, n), tail: new Int32Array(buffer, at + n * 4, 1) };
}

/** The outcome's 15 bytes per message, rounded up to a whole Int32. */
const orderOffset = (n: number): number => Math.ceil((n * 15) / 4) * 4;

/**
 * Reserves, in the campaign's store, one anonymous key per recipient (or pair) for each rule of
 * recipient (or pair) scope, and one member per recipient (per pair for number and pair scopes)
 * for each distinct rule. Returns `keyBase` and `memberBase` for CompactCampaign.
 */
export function reserveCampaignKeys(store: MemoryStore, recipients: number, pairs: number): { keyBase: Int32Array; memberBase: Int32Array } {
  const limits = store.policy.limits;
  const keyBase = new Int32Array(limits.length).fill(-1);
  const memberBase = new Int32Array(limits.length).fill(-1);
  limits.forEach((rule, r) => {
    if (rule.scope === 'pair') keyBase[r] = store.reserveKeys(r, pairs);
    else if (rule.scope === 'recipient') keyBase[r] = store.reserveKeys(r, recipients);
    if (rule.kind === 'distinct') memberBase[r] = store.reserveMembers(r, byPair(rule.scope) ? pairs : recipients);
  });
  return { keyBase, memberBase };
}

/** Keys a part of a parallel plan is the only one to touch (see `planCompact`). */
export type OwnedKeys = 'none' | 'numbers' | 'numbers-and-recipients';

/**
 * A part's share of the campaign's batch rule in a parallel plan with leased batches: the part
 * plans on a store of its own, and the batch runs it sends in are agreed with the other parts
 * through `barrier` (see RunBarrier).
 */
export interface BatchLease {
  readonly barrier: RunBarrier;
  /** At most this many of the part's sends in the first run (the parts' quotas add up to the batch size; later runs' come from the barrier). */
  readonly quota: number;
  readonly gapMs: number;
  /** The batch rule's id (its index in `policy.limits`), to which waits for a run are attributed. */
  readonly rule: number;
  /** Per index in CATEGORY_ORDER: 1 when the batch rule counts the category (the others go outside the runs). */
  readonly categories: Uint8Array;
}

/** Whether a rule's key (so a distinct rule's members) is per pair rather than per recipient. */
const byPair = (scope: string): boolean => scope === 'pair' || scope === 'number';

/**
 * Plans a compact campaign on an embedded store (its own or one shared with other threads).
 *
 * Messages of one class (number, category, zone) differ only in their recipient, so one
 * prepared message per class serves them all: each message costs its recipient-dependent key
 * handles (two integers with the conservative preset, taken from the reserved anonymous keys),
 * never a string, a Message or a PreparedMessage object. Admissions skip the store's id records: the planner owns its message ids.
 * `clock` keeps this part in step with the other parts of a parallel plan (see PartClock).
 * `owns`: which keys no other thread touches, so that their limits are decided outside the
 * portfolio lock (MemoryStore.admitOwnedRaw): `numbers` when no other thread plans messages
 * from this part's sending numbers (their number and pair keys), `numbers-and-recipients` when
 * moreover no other thread plans messages to this part's recipients (their recipient keys).
 */
export function planCompact(store: MemoryStore, c: CompactCampaign, into: CompactOutcome, clock: PartClock | null = null, owns: OwnedKeys = 'none', lease: BatchLease | null = null): void {
  const n = c.to.length;
  const classIds = new Map<number, number>();
  const classOf = new Int32Array(n);
  const templates: PreparedMessage[] = [];
  const queueOfClass: number[] = [];
  const toOf = (i: number): string => `+${c.to[i] as number}`;
  for (let i = 0; i < n; i++) {
    const key = ((c.number[i] as number) * c.zones.length + (c.zone[i] as number)) * 4 + (c.category[i] as number);
    let k = classIds.get(key);
    if (k === undefined) {
      k = templates.length;
      classIds.set(key, k);
      queueOfClass.push(c.number[i] as number);
      templates.push(store.prepare(templateOf(c, i, toOf(i), k)));
    }
    classOf[i] = k;
  }
  let stride = 0;
  for (const p of templates) stride = Math.max(stride, p.recipientLimits.length);
  const slots = new Int32Array(n * stride);
  const members = new Int32Array(n * stride);
  const limits = store.policy.limits;
  for (let i = 0; i < n; i++) {
    const p = templates[classOf[i] as number]!;
    const recipient = c.recipient[i] as number;
    const pair = c.pair[i] as number;
    for (let k = 0; k < p.recipientLimits.length; k++) {
      const j = p.recipientLimits[k] as number;
      const r = p.rules[j] as number;
      const rule = limits[r]!;
      const keyBase = c.keyBase[r] as number;
      slots[i * stride + k] = keyBase < 0 ? (p.slots[j] as number) : keyBase + (rule.scope === 'pair' ? pair : recipient);
      const memberBase = c.memberBase[r] as number;
      members[i * stride + k] = memberBase < 0 ? -1 : memberBase + (byPair(rule.scope) ? pair : recipient);
    }
  }

  const isOwned = (scope: string): boolean => scope === 'number' || scope === 'pair' || (owns === 'numbers-and-recipients' && scope === 'recipient');
  const owned = owns === 'none' ? null : templates.map((p) => Uint8Array.from(p.rules, (r) => (isOwned(limits[r]!.scope) ? 1 : 0)));
  const planner = new TimeOrderedPlanner({ classOf, queueOfClass: Int32Array.from(queueOfClass), queues: c.numbers.length, kinds: holdKinds(store.policy), start: c.start, notBefore: null });
  const { sendAt, refusal, rule } = into;
  const ahead = c.commitAheadMs;
  let countedMessages = 0;
  if (lease !== null) for (let i = 0; i < n; i++) countedMessages += lease.categories[c.category[i] as number] as number;
  // A part meets the others only when it offers a message the batch rule counts: one busy with
  // others for a while (say, authentication that the rule leaves out) keeps them waiting, but
  // never blocks (it never waits itself in between).
  const runs = lease === null ? null : new LeasedRuns(lease, c.start, countedMessages);
  try {
    for (let i = planner.next(); i >= 0; i = planner.next()) {
      if (clock !== null) clock.advance(planner.at);
      let maxWait = ahead;
      // Messages the batch rule does not count go outside the runs.
      const counted = runs !== null && runs.counts(c.category[i] as number);
      if (counted) {
        const wait = runs!.before(planner.at);
        if (wait > planner.at) {
          planner.answer(i, wait, runs!.rule);
          continue;
        }
        maxWait = runs!.maxWait(planner.at, ahead);
      }
      const p = templates[classOf[i] as number]!;
      const r = owned === null ? store.admitBoundRaw(p, slots, members, i * stride, planner.at, maxWait) : store.admitOwnedRaw(p, slots, members, i * stride, planner.at, maxWait, owned[classOf[i] as number]!);
      if (runs !== null && r !== RAW_WAIT) runs.decided(r, counted);
      if (r >= 0) {
        sendAt[i] = r;
        refusal[i] = 0;
        rule[i] = -1;
        planner.answer(i, NaN, -1);
      } else if (r === RAW_WAIT) {
        planner.answer(i, store.lastRetryAt(), store.lastPusher(p));
      } else {
        sendAt[i] = NaN;
        refusal[i] = r;
        rule[i] = store.lastPusher(p);
        planner.answer(i, NaN, -1);
      }
    }
  } finally {
    // Also on a throw: the other parts must not wait for this one.
    if (runs !== null) runs.done();
  }
  into.held.set(planner.held);
}

/**
 * A part's side of leased batches (see BatchLease): which run it sends in, how many of its
 * quota it has spent there, and when the run's next send may be at the earliest.
 */
class LeasedRuns {
  readonly rule: number;
  readonly #lease: BatchLease;
  #run = 0;
  #current: RunOpening;
  #count = 0;
  /** Messages of the part the batch rule counts, not yet sent or refused. */
  #left: number;
  /** The part's latest send in the current run. */
  #latest = -Infinity;

  constructor(lease: BatchLease, start: Millis, messages: number) {
    this.#lease = lease;
    this.rule = lease.rule;
    this.#current = { opens: start, closes: Infinity, quota: lease.quota };
    this.#left = messages;
  }

  /**
   * Before offering at `at`: finishes the current run while the offer would not belong to it
   * (quota spent, the run closed, or no send of the part within a gap before `at`), then returns
   * the instant the offer must wait for (at most `at`: it may go now).
   */
  before(at: number): number {
    const { gapMs, barrier } = this.#lease;
    while (this.#count >= this.#current.quota || at > this.#current.closes || at >= this.#last() + gapMs) {
      this.#current = barrier.finish(this.#run, this.#current, this.#latest, at, this.#left, this.#needed(at), this.#count);
      this.#run++;
      this.#count = 0;
      this.#latest = -Infinity;
    }
    return this.#current.opens;
  }

  /** The longest wait an offer at `at` may take and stay in the current run (not past its close, nor a gap past the part's last send). */
  maxWait(at: number, ahead: number): number {
    const gapRoom = this.#last() + this.#lease.gapMs - 1 - at;
    const room = Math.min(gapRoom, this.#current.closes - at);
    return room < ahead ? room : ahead;
  }

  /** Whether the batch rule counts messages of this category (index in CATEGORY_ORDER). */
  counts(category: number): boolean {
    return this.#lease.categories[category] === 1;
  }

  /** A message was sent at `r` (≥ 0) or refused (a negative code other than the wait); `counted`: in the batch runs. */
  decided(r: number, counted: boolean): void {
    if (!counted) return;
    this.#left--;
    if (r < 0) return;
    this.#count++;
    if (r > this.#latest) this.#latest = r;
  }

  done(): void {
    this.#lease.barrier.done(this.#run, this.#current.opens, this.#latest);
  }

  /**
   * The span of the current run this part needed, finishing it with an offer at `at`: to spend
   * its quota; more than the run had, when the close cut it short (it would have sent again
   * within a gap of its last send); -1 when it ran out of messages to send in the run.
   */
  #needed(at: number): number {
    const { opens, closes } = this.#current;
    if (this.#count > 0 && this.#count >= this.#current.quota) return this.#latest - opens;
    if (at > closes && at < this.#last() + this.#lease.gapMs) return Math.max(at - opens, 1.5 * (closes - opens));
    return -1;
  }

  /** The part's latest send in the run, or the run's opening before its first send. */
  #last(): number {
    return this.#count > 0 ? this.#latest : this.#current.opens;
  }
}

function templateOf(c: CompactCampaign, i: number, to: string, k: number): Message {
  return {
    id: `${c.campaign}:class-${k}`,
    to,
    from: c.numbers[c.number[i] as number] as string,
    portfolio: c.portfolio,
    category: CATEGORY_ORDER[c.category[i] as number] as Category,
    campaign: c.campaign,
    timeZone: c.zones[c.zone[i] as number] as string,
    notBefore: c.start,
    ...(c.deadline !== null ? { deadline: c.deadline } : {}),
  };
}
