import { zoneCalendar, type ZoneCalendar } from '../../core/calendar.js';
import { rateCommit, rateEarliest } from '../../core/limits/rate.js';
import { countRange, insertSorted, pruneBefore, removeSorted, windowEarliest } from '../../core/limits/sorted-log.js';
import { distinctCharges, distinctEarliest } from '../../core/limits/distinct.js';
import { batchEarliest, batchRunAfter } from '../../core/limits/batch.js';
import { resolveRules, validateMessage } from '../../core/policy/index.js';
import { compileWindows, nextAllowedInstant, type CompiledWindows } from '../../core/send-window.js';
import { DEFAULT_MAX_WAIT_MS, MAX_FIXED_POINT_ROUNDS } from '../../core/reference.js';
import { STATE_EPOCH } from '../../core/time.js';
import type {
  CommittedSend,
  Decision,
  LimitCapacity,
  Message,
  Millis,
  Policy,
  RefusalReason,
} from '../../core/types.js';
import type { AdmissionStore, AdmitCallOptions, CancelOutcome } from '../contract.js';
import { ALREADY_CANCELLED, CANCELLED_OUTCOME, CHARGE_RELIED_ON, UNKNOWN_ID } from '../cancel-outcome.js';
import { monotonicClock, type Clock } from './clock.js';
import {
  RECORD_HEAD,
  UNDO_FIELDS,
  allocate,
  resolveSizes,
  ruleViews,
  type MemoryStoreCapacity,
  type MemoryStoreHandle,
  type RuleView,
} from './layout.js';
import { lock, unlock } from './shared-lock.js';
import { SharedStringTable } from './string-table.js';

export interface MemoryStoreOptions {
  readonly capacity?: MemoryStoreCapacity;
  /** Clock for calls without `now` (default: monotonic, anchored to the epoch). */
  readonly clock?: Clock;
  /** Keep the sends committed through this instance, for `committed()` (default false). */
  readonly recordLedger?: boolean;
}

/**
 * A message resolved to integer handles once, so that admitting it again (or many like it)
 * touches no strings. Create with `store.prepare(message)`.
 */
export interface PreparedMessage {
  readonly message: Message;
  readonly cost: number;
  readonly portfolio: number;
  /** Rule index per applied limit. */
  readonly rules: Int32Array;
  /** Key handle per applied limit. */
  readonly slots: Int32Array;
  /** Member handle per applied limit (distinct rules only, else -1). */
  readonly members: Int32Array;
  readonly calendar: ZoneCalendar;
  readonly windows: readonly CompiledWindows[];
  readonly windowNames: readonly string[];
  /** Index in `policy.sendWindows` per applied window. */
  readonly windowRules: Int32Array;
  /** Positions (in `rules`) of the limits whose key or member depends on the recipient (pair and recipient scopes, distinct rules). */
  readonly recipientLimits: Int32Array;
  readonly timeZone: string;
}

const FREE = 0;
const DECIDING = 1;
const ADMITTED = 2;
const CANCELLED = 3;

/** Refusal codes of the internal fixed point (negative so they never look like instants). */
const R_DEADLINE = -1;
const R_WAIT = -2;
const R_NEVER = -3;
const R_CAPACITY = -4;

/** Which rules a fixed point runs over (see #findFrom). */
const ALL_RULES = 0;
const OWNED_RULES = 1;
const SHARED_RULES = 2;
const REASONS: Record<number, RefusalReason> = {
  [R_DEADLINE]: 'deadline',
  [R_WAIT]: 'wait-exceeds-max',
  [R_NEVER]: 'never',
  [R_CAPACITY]: 'capacity',
};

/** The refusal behind a negative code of `admitPreparedRaw` / `admitBoundRaw` (-2 is `wait-exceeds-max`). */
export function rawRefusalReason(code: number): RefusalReason {
  const reason = REASONS[code];
  if (reason === undefined) throw new RangeError(`Expected a raw refusal code (-1 to -4), got ${code}`);
  return reason;
}

/** The raw code of a refusal for a slot further out than `maxWaitMs` (ask again at `lastRetryAt()`). */
export const RAW_WAIT = R_WAIT;

/**
 * The embedded store: all limit state lives in SharedArrayBuffers, so every worker thread that
 * attaches (`MemoryStore.attach(store.handle)`) shares one truth. An admission takes its
 * portfolio's lock (one compare-exchange when uncontended), runs the fixed point over the shared
 * state, commits every limit, and releases: all or nothing, like a Redis script.
 */
export class MemoryStore implements AdmissionStore {
  readonly policy: Policy;
  readonly handle: MemoryStoreHandle;
  readonly #rules: RuleView[];
  readonly #portfolios: SharedStringTable;
  readonly #locks: Int32Array;
  readonly #floors: Float64Array;
  readonly #ids: SharedStringTable;
  readonly #status: Int32Array;
  readonly #records: Float64Array;
  readonly #recordSize: number;
  readonly #dailyRing: number;
  readonly #clock: Clock;
  readonly #ledger: CommittedSend[] | null;
  readonly #windowCache = new Map<string, CompiledWindows>();
  /** Side outputs of the last fixed point (avoid allocating a result object per admission). */
  #pusher = -1;
  #retryAt: Millis = 0;

  /** Create a store (and its shared memory) for a validated policy. */
  static create(policy: Policy, options: MemoryStoreOptions = {}): MemoryStore {
    const sizes = resolveSizes(policy, options.capacity);
    return new MemoryStore(allocate(policy, sizes), options);
  }

  /** Attach to a store created in another thread, from its `handle`. */
  static attach(handle: MemoryStoreHandle, options: Omit<MemoryStoreOptions, 'capacity'> = {}): MemoryStore {
    return new MemoryStore(handle, options);
  }

  private constructor(handle: MemoryStoreHandle, options: MemoryStoreOptions) {
    this.policy = handle.policy;
    this.handle = handle;
    this.#rules = ruleViews(handle);
    this.#portfolios = new SharedStringTable(handle.sizes.maxPortfolios, handle.portfolios);
    this.#locks = new Int32Array(handle.locks);
    this.#floors = new Float64Array(handle.floors);
    this.#ids = new SharedStringTable(handle.sizes.maxMessages, handle.ids);
    this.#status = new Int32Array(handle.status);
    this.#records = new Float64Array(handle.records);
    this.#recordSize = handle.sizes.recordSize;
    this.#dailyRing = handle.sizes.dailyRing;
    this.#clock = options.clock ?? monotonicClock();
    this.#ledger = options.recordLedger ? [] : null;
  }

  /** The store's clock reading. */
  now(): Millis {
    return this.#clock();
  }

  /** Resolve a message's keys to handles (validates it; may throw CapacityError for a new key). */
  prepare(input: Message): PreparedMessage {
    const message = validateMessage(input);
    const resolved = resolveRules(this.policy, message);
    const n = resolved.limits.length;
    const rules = new Int32Array(n);
    const slots = new Int32Array(n);
    const members = new Int32Array(n).fill(-1);
    resolved.limits.forEach((limit, j) => {
      const index = this.policy.limits.indexOf(limit.rule);
      const view = this.#rules[index] as RuleView;
      rules[j] = index;
      slots[j] = view.keys.intern(limit.key);
      if (view.members) members[j] = view.members.intern(`${slots[j]}|${message.to}`);
    });
    const windows = resolved.windows.map((w) => this.#compiled(resolved.timeZone, w.name, w.allowed));
    const recipientLimits: number[] = [];
    resolved.limits.forEach((limit, j) => {
      if (limit.rule.scope === 'pair' || limit.rule.scope === 'recipient' || limit.rule.kind === 'distinct') recipientLimits.push(j);
    });
    return {
      message,
      cost: resolved.cost,
      portfolio: this.#portfolios.intern(message.portfolio),
      rules,
      slots,
      members,
      calendar: zoneCalendar(resolved.timeZone),
      windows,
      windowNames: resolved.windows.map((w) => w.name),
      windowRules: Int32Array.from(resolved.windows, (w) => this.policy.sendWindows.indexOf(w)),
      recipientLimits: Int32Array.from(recipientLimits),
      timeZone: resolved.timeZone,
    };
  }

  /**
   * Reserves `count` anonymous keys of limit rule `rule` (an index in `policy.limits`) and returns
   * the first handle: slots for a caller that numbers its own keys (a campaign planner, its
   * recipients), so that a key costs no string. Their state is that of any key; they have no
   * name, so only their handles reach them. May throw CapacityError.
   */
  reserveKeys(rule: number, count: number): number {
    return (this.#rule(rule)).keys.reserve(count);
  }

  /** Like `reserveKeys`, for the recipients tracked by a `distinct` rule. */
  reserveMembers(rule: number, count: number): number {
    const v = this.#rule(rule);
    if (v.members === null) throw new RangeError(`Expected rule ${rule} to be a distinct rule, got a ${v.rule.kind} rule`);
    return v.members.reserve(count);
  }

  #rule(index: number): RuleView {
    const v = this.#rules[index];
    if (v === undefined) throw new RangeError(`Expected a limit rule index from 0 to ${this.#rules.length - 1}, got ${index}`);
    return v;
  }

  /**
   * `admitPreparedRaw` for `p` sent to another recipient, whose key and member handles (one per
   * entry of `p.recipientLimits`) are at `offset` in `slots` and `members` (for instance keys from
   * `reserveKeys`). Rewrites `p`'s recipient handles in place, so `p` must not be shared by
   * concurrent callers (each thread prepares its own). See `lastPusher` and `lastRetryAt`.
   */
  admitBoundRaw(p: PreparedMessage, slots: Int32Array, members: Int32Array, offset: number, now: Millis, maxWaitMs: number): number {
    this.#bind(p, slots, members, offset);
    return this.#decide(p, now, maxWaitMs, -1);
  }

  /** Writes the recipient's key and member handles into `p` (see `admitBoundRaw`). */
  #bind(p: PreparedMessage, slots: Int32Array, members: Int32Array, offset: number): void {
    const ps = p.slots as Int32Array;
    const pm = p.members as Int32Array;
    for (let k = 0; k < p.recipientLimits.length; k++) {
      const j = p.recipientLimits[k] as number;
      ps[j] = slots[offset + k] as number;
      pm[j] = members[offset + k] as number;
    }
  }

  /**
   * `admitBoundRaw` for a caller that is the only writer of some of `p`'s limits: `owned[j]` is 1
   * for position j of `p.rules` when no other thread admits, peeks or cancels on that key (a
   * parallel planner's part owns its sending numbers, hence their number and pair keys, and the
   * recipient keys of the recipients no other part messages). Owned state is read and written
   * outside the portfolio lock, so two such callers only serialise on the shared limits:
   * 1. without the lock, the fixed point over the owned limits and the send windows gives t1;
   * 2. under the lock, the shared limits are checked from t1 (and from the portfolio's floor);
   *    if they accept t1 as it is (the common case) they are committed, else the full fixed
   *    point runs from where they pushed, still under the lock, and everything is committed;
   * 3. after the lock, the owned limits are committed at t1.
   * In one thread the slot is the earliest that satisfies every limit, as with `admitBoundRaw`, and it refuses
   * exactly when `admitBoundRaw` refuses. The rules are visited in another order, so a delay may
   * be attributed (`lastPusher`) to another rule that pushed it, and a refusal may stop at another
   * bound (`deadline` where the other stops at the wait bound on the way, or the reverse).
   */
  admitOwnedRaw(p: PreparedMessage, slots: Int32Array, members: Int32Array, offset: number, now: Millis, maxWaitMs: number, owned: Uint8Array): number {
    this.#bind(p, slots, members, offset);
    const portfolio = p.portfolio;
    const floors = this.#floors;
    // A stale floor only makes step 1 start earlier; step 2 starts from the real one.
    const hint = floors[portfolio] as number;
    const start = now > hint ? now : hint;
    const t1 = this.#findFrom(p, start, start, maxWaitMs, owned, OWNED_RULES);
    if (t1 < 0) {
      // A refused admission still moves the portfolio's floor (as under the lock); only when
      // its instant is new, so that refusals at a known instant stay lock-free.
      if (now > hint) this.#raiseFloor(portfolio, now);
      return t1;
    }
    const pushedBy = this.#pusher;
    const locks = this.#locks;
    let t: number;
    let ownedDone = false;
    lock(locks, portfolio);
    try {
      const floor = floors[portfolio] as number;
      const at = now > floor ? now : floor;
      if (now > floor) floors[portfolio] = now;
      t = t1 >= at ? this.#findFrom(p, t1, at, maxWaitMs, owned, SHARED_RULES) : at;
      if (t === t1) {
        this.#pusher = pushedBy;
        this.#commit(p, t, at, -1, owned, SHARED_RULES);
      } else if (t >= 0) {
        // The shared limits (or the floor) moved the slot to t: the owned ones must be asked again.
        t = this.#findFrom(p, t, at, maxWaitMs, null, ALL_RULES);
        if (t >= 0) this.#commit(p, t, at, -1);
        ownedDone = true;
      }
    } finally {
      unlock(locks, portfolio);
    }
    if (t >= 0 && !ownedDone) this.#commit(p, t, t, -1, owned, OWNED_RULES);
    return t;
  }

  #raiseFloor(portfolio: number, now: Millis): void {
    lock(this.#locks, portfolio);
    if (now > (this.#floors[portfolio] as number)) this.#floors[portfolio] = now;
    unlock(this.#locks, portfolio);
  }

  /**
   * After a raw admission of `p` in this thread: the rule that pushed its slot furthest (or
   * refused it), as an index in `[...policy.limits, ...policy.sendWindows]`, or -1 for none.
   */
  lastPusher(p: PreparedMessage): number {
    const j = this.#pusher;
    if (j < 0) return -1;
    if (j < p.rules.length) return p.rules[j] as number;
    return this.policy.limits.length + (p.windowRules[j - p.rules.length] as number);
  }

  /** After a raw admission refused with the wait code (-2): the earliest instant worth asking again. */
  lastRetryAt(): Millis {
    return this.#retryAt;
  }

  admitSync(message: Message, options: AdmitCallOptions = {}): Decision {
    return this.admitPreparedSync(this.prepare(message), options);
  }

  /** Admit a prepared message under its id (idempotent). */
  admitPreparedSync(p: PreparedMessage, options: AdmitCallOptions = {}): Decision {
    const id = p.message.id;
    const handle = this.#ids.intern(id);
    const status = this.#status;
    // Claim the id so that two threads admitting the same id cannot both consume.
    for (;;) {
      const s = Atomics.compareExchange(status, handle, FREE, DECIDING);
      if (s === FREE) break;
      if (s === ADMITTED) return this.#replay(id, handle);
      if (s === CANCELLED) return cancelledDecision(id);
      Atomics.wait(status, handle, DECIDING, 1);
    }
    let final = FREE;
    try {
      const now = options.now ?? this.#clock();
      const at = this.#decide(p, now, options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS, handle);
      if (at < 0) return this.#refusal(id, at, p);
      final = ADMITTED;
      if (this.#ledger) this.#ledger.push(sendOf(p, at));
      return { ok: true, id, sendAt: at, delayedBy: this.#pusherName(p), duplicate: false };
    } finally {
      Atomics.store(status, handle, final);
      Atomics.notify(status, handle);
    }
  }

  /**
   * The hot path without idempotency: admit a prepared message and return its send instant,
   * or a negative refusal code. Nothing is recorded for cancel. Used by planners and benchmarks
   * that own their message ids.
   */
  admitPreparedRaw(p: PreparedMessage, now: Millis, maxWaitMs: number = DEFAULT_MAX_WAIT_MS): number {
    return this.#decide(p, now, maxWaitMs, -1);
  }

  admitManySync(messages: readonly Message[], options: AdmitCallOptions = {}): Decision[] {
    return messages.map((m) => this.admitSync(m, options));
  }

  peekSync(message: Message, options: AdmitCallOptions = {}): Decision {
    const p = this.prepare(message);
    const handle = this.#ids.lookup(p.message.id);
    if (handle >= 0) {
      const s = Atomics.load(this.#status, handle);
      if (s === ADMITTED) return this.#replay(p.message.id, handle);
      if (s === CANCELLED) return cancelledDecision(p.message.id);
    }
    const now = options.now ?? this.#clock();
    const locks = this.#locks;
    lock(locks, p.portfolio);
    try {
      const floor = this.#floors[p.portfolio] as number;
      const at = this.#find(p, now > floor ? now : floor, options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS);
      if (at < 0) return this.#refusal(p.message.id, at, p);
      return { ok: true, id: p.message.id, sendAt: at, delayedBy: this.#pusherName(p), duplicate: false };
    } finally {
      unlock(locks, p.portfolio);
    }
  }

  cancelSync(id: string): boolean {
    return this.cancelOutcomeSync(id).cancelled;
  }

  cancelOutcomeSync(id: string): CancelOutcome {
    const handle = this.#ids.lookup(id);
    if (handle < 0) return UNKNOWN_ID;
    const seen = Atomics.compareExchange(this.#status, handle, ADMITTED, DECIDING);
    if (seen !== ADMITTED) return seen === CANCELLED ? ALREADY_CANCELLED : UNKNOWN_ID;
    const rec = this.#records;
    const base = handle * this.#recordSize;
    const portfolio = rec[base + 2] as number;
    let refused = false;
    lock(this.#locks, portfolio);
    try {
      refused = this.#reliedOnCharge(base);
      if (!refused) this.#refund(base);
    } finally {
      unlock(this.#locks, portfolio);
      Atomics.store(this.#status, handle, refused ? ADMITTED : CANCELLED);
      Atomics.notify(this.#status, handle);
    }
    if (refused) return CHARGE_RELIED_ON;
    if (this.#ledger) {
      const i = this.#ledger.findIndex((s) => s.id === id);
      if (i >= 0) this.#ledger.splice(i, 1);
    }
    return CANCELLED_OUTCOME;
  }

  capacitySync(message: Message, now: Millis = this.#clock()): LimitCapacity[] {
    const p = this.prepare(message);
    const out: LimitCapacity[] = [];
    lock(this.#locks, p.portfolio);
    try {
      for (let j = 0; j < p.rules.length; j++) {
        const v = this.#rules[p.rules[j] as number] as RuleView;
        const slot = p.slots[j] as number;
        out.push({
          limit: v.rule.name,
          kind: v.rule.kind,
          key: v.keys.stringOf(slot),
          remaining: this.#remaining(v, slot, p.calendar, now),
        });
      }
    } finally {
      unlock(this.#locks, p.portfolio);
    }
    return out;
  }

  /** Sends committed through this instance (needs `recordLedger: true`). */
  committed(): CommittedSend[] {
    return this.#ledger ? [...this.#ledger] : [];
  }

  // The asynchronous store contract, for code that works with any store.
  async admit(message: Message, options?: AdmitCallOptions): Promise<Decision> {
    return this.admitSync(message, options);
  }
  async admitMany(messages: readonly Message[], options?: AdmitCallOptions): Promise<Decision[]> {
    return this.admitManySync(messages, options);
  }
  async peek(message: Message, options?: AdmitCallOptions): Promise<Decision> {
    return this.peekSync(message, options);
  }
  async cancel(id: string): Promise<boolean> {
    return this.cancelSync(id);
  }
  async cancelOutcome(id: string): Promise<CancelOutcome> {
    return this.cancelOutcomeSync(id);
  }
  async capacity(message: Message, options: { readonly now?: Millis } = {}): Promise<LimitCapacity[]> {
    return this.capacitySync(message, options.now);
  }
  async close(): Promise<void> {}

  /** Lock, find the slot, commit, unlock. Returns the send instant or a refusal code. */
  #decide(p: PreparedMessage, now: Millis, maxWait: number, record: number): number {
    const locks = this.#locks;
    const portfolio = p.portfolio;
    lock(locks, portfolio);
    try {
      const floors = this.#floors;
      const floor = floors[portfolio] as number;
      const at = now > floor ? now : floor;
      if (now > floor) floors[portfolio] = now;
      const t = this.#find(p, at, maxWait);
      if (t >= 0) this.#commit(p, t, at, record);
      return t;
    } finally {
      unlock(locks, portfolio);
    }
  }

  /** The fixed point over shared state (caller holds the portfolio lock); see ReferenceModel.findSlot. */
  #find(p: PreparedMessage, now: Millis, maxWait: number): number {
    return this.#findFrom(p, now, now, maxWait, null, ALL_RULES);
  }

  /**
   * The fixed point from `start` (≥ `now`) over the rules `only` selects: ALL_RULES, or with
   * `owned` (per position in `p.rules`) OWNED_RULES (the owned limits and the send windows) or
   * SHARED_RULES (the other limits). `now` bounds the wait and the pruning.
   */
  #findFrom(p: PreparedMessage, start: Millis, now: Millis, maxWait: number, owned: Uint8Array | null, only: number): number {
    const m = p.message;
    const cost = p.cost;
    const nb = m.notBefore;
    const deadline = m.deadline ?? Infinity;
    let t = nb !== undefined && nb > start ? nb : start;
    const nLimits = p.rules.length;
    const n = nLimits + p.windows.length;
    this.#pusher = -1;
    for (let j = 0; j < nLimits; j++) {
      if (cost > (this.#rules[p.rules[j] as number] as RuleView).maxCost) {
        this.#pusher = j;
        return R_NEVER;
      }
    }
    // Offered after its deadline: refused even when no rule would delay it.
    if (t > deadline) return R_DEADLINE;
    // Attribution as in ReferenceModel.findSlot: the largest single push.
    let jump = 0;
    let lastMoved = -1;
    const steps = MAX_FIXED_POINT_ROUNDS * n;
    for (let step = 0; step < steps; step++) {
      const i = step % n;
      if (i === lastMoved || (lastMoved < 0 && step === n)) break;
      if (only !== ALL_RULES && (i < nLimits ? (owned![i] === 1) !== (only === OWNED_RULES) : only === SHARED_RULES)) continue;
      let e: number;
      if (i < nLimits) {
        e = this.#earliest(this.#rules[p.rules[i] as number] as RuleView, p.slots[i] as number, p.members[i] as number, p.calendar, t, cost, now);
        if (e < 0) {
          this.#pusher = i;
          return e;
        }
      } else {
        e = nextAllowedInstant(p.windows[i - nLimits] as CompiledWindows, t);
        if (e === Infinity) {
          this.#pusher = i;
          return R_NEVER;
        }
      }
      if (e <= t) continue;
      if (e - t > jump) {
        jump = e - t;
        this.#pusher = i;
      }
      t = e;
      lastMoved = i;
      if (t > deadline) return R_DEADLINE;
      if (t - now > maxWait) {
        this.#retryAt = t - maxWait;
        return R_WAIT;
      }
      if (step === steps - 1) {
        this.#retryAt = t;
        return R_WAIT;
      }
    }
    return t;
  }

  #earliest(v: RuleView, slot: number, member: number, cal: ZoneCalendar, t: Millis, cost: number, floor: Millis): number {
    const rule = v.rule;
    switch (rule.kind) {
      case 'rate':
        return rateEarliest(v.params!, v.f[slot] as number, t, cost);
      case 'window': {
        const base = slot * v.cap;
        let len = v.n[slot] as number;
        if (len + cost > v.cap) {
          len = pruneBefore(v.f, base, len, floor - rule.windowMs + 1);
          v.n[slot] = len;
          if (len + cost > v.cap) return R_CAPACITY;
        }
        return windowEarliest(v.f, base, len, t, cost, rule.count, rule.windowMs);
      }
      case 'daily': {
        let at = t;
        const ring = this.#dailyRing;
        for (let k = 0; k < 4 * ring; k++) {
          const day = cal.dayOf(at);
          if (dailyUsed(v.n, ring, slot, day, cal, floor) + cost <= rule.count) return at;
          at = cal.nextDayStart(at);
        }
        return at;
      }
      case 'distinct': {
        const m = v.m!;
        const base = slot * v.cap;
        let len = v.n[slot] as number;
        if (len + 1 > v.cap) {
          len = pruneBefore(v.f, base, len, floor - rule.windowMs + 1);
          v.n[slot] = len;
        }
        const e = distinctEarliest(v.f, base, len, m[member * 3] as number, m[member * 3 + 1] as number, t, rule.count, rule.windowMs);
        if (len + 1 > v.cap && distinctCharges(m[member * 3 + 1] as number, e, rule.windowMs)) return R_CAPACITY;
        return e;
      }
      case 'batch':
        return batchEarliest(v.f[slot * 3] as number, v.f[slot * 3 + 1] as number, t, cost, rule.size, rule.gapMs);
    }
  }

  /** Write every limit's new state and, when `record` ≥ 0, the undo information. */
  #commit(p: PreparedMessage, sendAt: Millis, floor: Millis, record: number, owned: Uint8Array | null = null, only: number = ALL_RULES): void {
    const cost = p.cost;
    const rec = this.#records;
    const base = record * this.#recordSize;
    if (record >= 0) {
      rec[base] = sendAt;
      rec[base + 1] = cost;
      rec[base + 2] = p.portfolio;
      rec.fill(0, base + RECORD_HEAD, base + this.#recordSize);
    }
    for (let j = 0; j < p.rules.length; j++) {
      if (only !== ALL_RULES && (owned![j] === 1) !== (only === OWNED_RULES)) continue;
      const index = p.rules[j] as number;
      const v = this.#rules[index] as RuleView;
      const slot = p.slots[j] as number;
      const u = base + RECORD_HEAD + index * UNDO_FIELDS;
      if (record >= 0) rec[u] = slot + 1;
      const rule = v.rule;
      switch (rule.kind) {
        case 'rate': {
          const before = v.f[slot] as number;
          const after = rateCommit(v.params!, before, sendAt, cost);
          v.f[slot] = after;
          if (record >= 0) {
            rec[u + 1] = before;
            rec[u + 2] = after;
          }
          break;
        }
        case 'window':
          v.n[slot] = insertSorted(v.f, slot * v.cap, v.n[slot] as number, sendAt, cost);
          break;
        case 'daily': {
          const day = p.calendar.dayOf(sendAt);
          dailyAdd(v.n, this.#dailyRing, slot, day, cost);
          if (record >= 0) rec[u + 1] = day;
          break;
        }
        case 'distinct': {
          const m = v.m!;
          const member = p.members[j] as number;
          const mb = member * 3;
          const prevSend = m[mb] as number;
          const prevCharge = m[mb + 1] as number;
          const prevSeq = m[mb + 2] as number;
          const charged = distinctCharges(prevCharge, sendAt, rule.windowMs);
          if (charged) v.n[slot] = insertSorted(v.f, slot * v.cap, v.n[slot] as number, sendAt, 1);
          m[mb] = sendAt;
          if (charged) m[mb + 1] = sendAt;
          m[mb + 2] = prevSeq + 1;
          if (record >= 0) {
            rec[u + 1] = member;
            rec[u + 2] = prevSend;
            rec[u + 3] = prevCharge;
            rec[u + 4] = prevSeq;
            rec[u + 5] = charged ? 1 : 0;
          }
          break;
        }
        case 'batch': {
          const b = slot * 3;
          const last = v.f[b] as number;
          const run = v.f[b + 1] as number;
          const seq = v.f[b + 2] as number;
          v.f[b] = sendAt;
          v.f[b + 1] = batchRunAfter(last, run, sendAt, cost, rule.gapMs);
          v.f[b + 2] = seq + 1;
          if (record >= 0) {
            rec[u + 1] = last;
            rec[u + 2] = run;
            rec[u + 3] = seq;
          }
          break;
        }
      }
    }
    // `floor` is only needed by the reference model's pruning; the store prunes lazily in #earliest.
    void floor;
  }

  /**
   * Whether a later send to one of the message's recipients may ride on a distinct charge this
   * message opened: then its cancel is refused (see ReferenceModel's #reliedOnCharge).
   */
  #reliedOnCharge(base: number): boolean {
    const rec = this.#records;
    for (let index = 0; index < this.#rules.length; index++) {
      const v = this.#rules[index] as RuleView;
      if (v.rule.kind !== 'distinct') continue;
      const u = base + RECORD_HEAD + index * UNDO_FIELDS;
      if ((rec[u] as number) - 1 < 0 || rec[u + 5] !== 1) continue;
      const mb = (rec[u + 1] as number) * 3;
      if (v.m![mb + 2] !== (rec[u + 4] as number) + 1) return true;
    }
    return false;
  }

  /** Undo a committed message's effects where that is safe (see ReferenceModel.cancel). */
  #refund(base: number): void {
    const rec = this.#records;
    const sendAt = rec[base] as number;
    const cost = rec[base + 1] as number;
    for (let index = 0; index < this.#rules.length; index++) {
      const u = base + RECORD_HEAD + index * UNDO_FIELDS;
      const slot = (rec[u] as number) - 1;
      if (slot < 0) continue;
      const v = this.#rules[index] as RuleView;
      switch (v.rule.kind) {
        case 'rate':
          if (v.f[slot] === rec[u + 2]) v.f[slot] = rec[u + 1] as number;
          break;
        case 'window':
          v.n[slot] = removeSorted(v.f, slot * v.cap, v.n[slot] as number, sendAt, cost);
          break;
        case 'daily':
          dailyAdd(v.n, this.#dailyRing, slot, rec[u + 1] as number, -cost);
          break;
        case 'distinct': {
          const m = v.m!;
          const mb = (rec[u + 1] as number) * 3;
          if (m[mb + 2] !== (rec[u + 4] as number) + 1) break; // a later send to this recipient depends on it
          m[mb] = rec[u + 2] as number;
          m[mb + 1] = rec[u + 3] as number;
          m[mb + 2] = rec[u + 4] as number;
          if (rec[u + 5] === 1) v.n[slot] = removeSorted(v.f, slot * v.cap, v.n[slot] as number, sendAt, 1);
          break;
        }
        case 'batch': {
          const b = slot * 3;
          if (v.f[b + 2] !== (rec[u + 3] as number) + 1) break;
          v.f[b] = rec[u + 1] as number;
          v.f[b + 1] = rec[u + 2] as number;
          v.f[b + 2] = rec[u + 3] as number;
          break;
        }
      }
    }
  }

  #remaining(v: RuleView, slot: number, cal: ZoneCalendar, now: Millis): number {
    const rule = v.rule;
    switch (rule.kind) {
      case 'rate': {
        const p = v.params!;
        const units = (now - STATE_EPOCH) * p.q;
        const tat = Math.max(v.f[slot] as number, units);
        return Math.max(0, Math.floor((units + p.tau + p.T - tat) / p.T));
      }
      case 'window':
      case 'distinct': {
        const used = countRange(v.f, slot * v.cap, v.n[slot] as number, now - rule.windowMs + 1, now + 1);
        return Math.max(0, rule.count - used);
      }
      case 'daily':
        return Math.max(0, rule.count - dailyUsed(v.n, this.#dailyRing, slot, cal.dayOf(now), cal, now));
      case 'batch': {
        const last = v.f[slot * 3] as number;
        if (last === 0 || now - last >= rule.gapMs) return rule.size;
        return Math.max(0, rule.size - (v.f[slot * 3 + 1] as number));
      }
    }
  }

  #replay(id: string, handle: number): Decision {
    return { ok: true, id, sendAt: this.#records[handle * this.#recordSize] as number, delayedBy: null, duplicate: true };
  }

  #refusal(id: string, code: number, p: PreparedMessage): Decision {
    const reason = REASONS[code] as RefusalReason;
    const retryAt = code === R_WAIT ? this.#retryAt : null;
    return { ok: false, id, reason, limit: this.#pusherName(p), retryAt, duplicate: false };
  }

  /** The name of the rule that pushed the slot furthest in the latest fixed point. */
  #pusherName(p: PreparedMessage): string | null {
    const j = this.#pusher;
    if (j < 0) return null;
    if (j < p.rules.length) return (this.#rules[p.rules[j] as number] as RuleView).rule.name;
    return p.windowNames[j - p.rules.length] ?? null;
  }

  #compiled(zone: string, name: string, allowed: Parameters<typeof compileWindows>[1]): CompiledWindows {
    const k = `${zone}\u0000${name}`;
    let w = this.#windowCache.get(k);
    if (!w) {
      w = compileWindows(zone, allowed);
      this.#windowCache.set(k, w);
    }
    return w;
  }
}

/**
 * Cost used on `day` by a key's daily ring. A ring position holding an older, finished day is
 * free; one holding a different day that is still live cannot tell us anything about `day`, so
 * that day counts as full (fail closed: the admission moves on to another day).
 */
function dailyUsed(n: Int32Array, ring: number, slot: number, day: number, cal: ZoneCalendar, floor: Millis): number {
  const i = (slot * ring + (day & (ring - 1))) * 2;
  const stored = (n[i] as number) - 1;
  if (stored === day) return n[i + 1] as number;
  if (stored < 0 || stored < cal.dayOf(floor)) return 0;
  return Infinity;
}

function dailyAdd(n: Int32Array, ring: number, slot: number, day: number, cost: number): void {
  const i = (slot * ring + (day & (ring - 1))) * 2;
  if ((n[i] as number) - 1 === day) n[i + 1] = (n[i + 1] as number) + cost;
  else if (cost > 0) {
    n[i] = day + 1;
    n[i + 1] = cost;
  }
}

function cancelledDecision(id: string): Decision {
  return { ok: false, id, reason: 'cancelled', limit: null, retryAt: null, duplicate: true };
}

function sendOf(p: PreparedMessage, sendAt: Millis): CommittedSend {
  const m = p.message;
  return {
    id: m.id,
    sendAt,
    to: m.to,
    from: m.from,
    portfolio: m.portfolio,
    category: m.category,
    cost: p.cost,
    timeZone: p.timeZone,
    ...(m.campaign !== undefined ? { campaign: m.campaign } : {}),
    ...(m.apiKey !== undefined ? { apiKey: m.apiKey } : {}),
  };
}
