import { zoneCalendar, type ZoneCalendar } from './calendar.js';
import { rateCommit, rateEarliest, rateParams, type RateParams } from './limits/rate.js';
import { insertSorted, countRange, pruneBefore, removeSorted, windowEarliest } from './limits/sorted-log.js';
import { distinctCharges, distinctEarliest } from './limits/distinct.js';
import { batchEarliest, batchRunAfter } from './limits/batch.js';
import { resolveRules, validateMessage, type ResolvedLimit } from './policy/index.js';
import { compileWindows, nextAllowedInstant, type CompiledWindows } from './send-window.js';
import { DAY, STATE_EPOCH } from './time.js';
import type {
  AdmitOptions,
  CommittedSend,
  Decision,
  LimitCapacity,
  LimitRule,
  Message,
  Millis,
  Policy,
  RefusalReason,
} from './types.js';

/** Default `maxWaitMs`: the platform drops undelivered non-authentication messages after 30 days. */
export const DEFAULT_MAX_WAIT_MS = 30 * DAY;
/** The fixed point gives up (refusing with `wait-exceeds-max`) after this many cycles over the constraints. */
export const MAX_FIXED_POINT_ROUNDS = 512;

interface Log {
  buf: Float64Array;
  len: number;
}
interface Member {
  lastSend: number;
  lastCharge: number;
  seq: number;
}
interface BatchState {
  last: number;
  run: number;
  seq: number;
}

type Undo =
  | { kind: 'rate'; key: string; before: number; after: number }
  | { kind: 'window'; key: string }
  | { kind: 'daily'; key: string; day: number }
  | { kind: 'distinct'; key: string; member: string; prev: Member; seq: number; charged: boolean }
  | { kind: 'batch'; key: string; prev: BatchState; seq: number };

interface AdmissionRecord {
  readonly decision: Decision & { ok: true };
  readonly send: CommittedSend;
  readonly undo: readonly Undo[];
  cancelled: boolean;
}

/** Outcome of the fixed point before anything is committed. */
export type Slot =
  | { readonly ok: true; readonly sendAt: Millis; readonly delayedBy: string | null }
  | { readonly ok: false; readonly reason: RefusalReason; readonly limit: string | null; readonly retryAt: Millis | null };

/**
 * The reference model of admission: plain maps, obviously correct, slow. Stores must agree
 * with it; property tests compare them and check its ledgers with the independent checker.
 *
 * Admission = reservation: the earliest `t ≥ max(notBefore, now)` at which every limit and send
 * window of the message allows it, found as a fixed point (each limit proposes its earliest
 * instant ≥ t; take the largest; repeat until nobody moves t), then committed to all limits.
 *
 * Time never runs backwards inside the model: `now` is raised to the largest `now` seen for the
 * portfolio, so pruned state can never be needed again.
 */
export class ReferenceModel {
  readonly policy: Policy;
  readonly #tat = new Map<string, number>();
  readonly #logs = new Map<string, Log>();
  readonly #daily = new Map<string, Map<number, number>>();
  readonly #members = new Map<string, Member>();
  readonly #batches = new Map<string, BatchState>();
  readonly #records = new Map<string, AdmissionRecord>();
  readonly #floor = new Map<string, number>();
  readonly #rateParams = new Map<LimitRule, RateParams>();
  readonly #windows = new Map<string, CompiledWindows>();

  constructor(policy: Policy) {
    this.policy = policy;
  }

  /** Admit one message at `now`. Validates first; writes nothing on a refusal. */
  admit(input: Message, now: Millis, options: AdmitOptions = {}): Decision {
    const message = validateMessage(input);
    const prior = this.#records.get(message.id);
    if (prior) return this.#replay(prior);
    const at = this.#advanceFloor(message.portfolio, now);
    const slot = this.findSlot(message, at, options);
    if (!slot.ok) return { ...slot, id: message.id, duplicate: false };
    this.#commit(message, slot.sendAt);
    return { ok: true, id: message.id, sendAt: slot.sendAt, delayedBy: slot.delayedBy, duplicate: false };
  }

  /**
   * The slot `admit` would give, consuming nothing.
   *
   * Constraints (limits in policy order, then send windows) are visited in a cycle; each moves t
   * to its earliest acceptable instant ≥ t. The walk stops once every constraint has been seen
   * since the last move: t is then the least instant ≥ start that all accept (each proposal is
   * monotone, so the least common point is never skipped), whatever the visiting order.
   */
  findSlot(message: Message, now: Millis, options: AdmitOptions = {}): Slot {
    const resolved = resolveRules(this.policy, message);
    const cost = resolved.cost;
    const floor = this.#floor.get(message.portfolio) ?? now;
    const start = Math.max(now, floor, message.notBefore ?? now);
    const maxWait = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    const calendar = zoneCalendar(resolved.timeZone);
    for (const limit of resolved.limits) if (cost > maxCostOf(limit.rule)) return never(limit.rule.name);
    // Offered after its deadline: refused even when no rule would delay it.
    if (message.deadline !== undefined && start > message.deadline) return { ok: false, reason: 'deadline', limit: null, retryAt: null };
    const constraints: { name: string; earliest: (t: Millis) => Millis }[] = [
      ...resolved.limits.map((limit) => ({ name: limit.rule.name, earliest: (t: Millis) => this.#earliest(limit, message, cost, t, calendar) })),
      ...resolved.windows.map((rule) => {
        const compiled = this.#compiled(resolved.timeZone, rule.name, rule.allowed);
        return { name: rule.name, earliest: (t: Millis) => nextAllowedInstant(compiled, t) };
      }),
    ];
    const n = constraints.length;
    let t = start;
    // Attribution: the rule with the largest single push explains the wait best (a day-long
    // hold by the messaging limit, not the minute a send window adds after it).
    let pusher: string | null = null;
    let jump = 0;
    let lastMoved = -1;
    for (let step = 0; step < MAX_FIXED_POINT_ROUNDS * n; step++) {
      const i = step % n;
      if (i === lastMoved || (lastMoved < 0 && step === n)) break;
      const c = constraints[i] as (typeof constraints)[number];
      const e = c.earliest(t);
      if (e === Infinity) return never(c.name);
      if (e <= t) continue;
      if (e - t > jump) {
        jump = e - t;
        pusher = c.name;
      }
      t = e;
      lastMoved = i;
      if (message.deadline !== undefined && t > message.deadline) return { ok: false, reason: 'deadline', limit: pusher, retryAt: null };
      if (t - now > maxWait) return { ok: false, reason: 'wait-exceeds-max', limit: pusher, retryAt: t - maxWait };
      if (step === MAX_FIXED_POINT_ROUNDS * n - 1) return { ok: false, reason: 'wait-exceeds-max', limit: pusher, retryAt: t };
    }
    return { ok: true, sendAt: t, delayedBy: pusher };
  }

  /**
   * Cancel an admitted message, refunding what can be refunded safely. False if unknown, already
   * cancelled, or refused (see `#reliedOnCharge`): then nothing changes and the message stays
   * admitted.
   */
  cancel(id: string): boolean {
    const record = this.#records.get(id);
    if (!record || record.cancelled) return false;
    if (record.undo.some((u) => u.kind === 'distinct' && this.#reliedOnCharge(u))) return false;
    record.cancelled = true;
    const { sendAt, cost } = record.send;
    for (const u of record.undo) {
      switch (u.kind) {
        case 'rate':
          // Only the newest reservation can hand its slot back: later ones were placed after it.
          if (this.#tat.get(u.key) === u.after) this.#tat.set(u.key, u.before);
          break;
        case 'window': {
          const log = this.#logs.get(u.key);
          if (log) log.len = removeSorted(log.buf, 0, log.len, sendAt, cost);
          break;
        }
        case 'daily': {
          const days = this.#daily.get(u.key);
          const n = days?.get(u.day);
          if (days && n !== undefined) days.set(u.day, n - cost);
          break;
        }
        case 'distinct': {
          // Later sends to this recipient were judged against this charge: refund only the newest.
          const m = this.#members.get(u.member);
          if (m && m.seq === u.seq) {
            this.#members.set(u.member, u.prev);
            const log = this.#logs.get(u.key);
            if (u.charged && log) log.len = removeSorted(log.buf, 0, log.len, sendAt, 1);
          }
          break;
        }
        case 'batch': {
          const b = this.#batches.get(u.key);
          if (b && b.seq === u.seq) this.#batches.set(u.key, u.prev);
          break;
        }
      }
    }
    return true;
  }

  /**
   * Whether a later send to the recipient may have been admitted free against this send's
   * distinct charge. Cancelling such a send is refused: of every limit kind, the distinct limit
   * alone is not monotone in the sends. A recipient's first send in a window opens its charge and
   * later sends within W ride on it, so without this send the next one would open the charge
   * later, and the recipient would count in windows the stores (and the sends admitted since)
   * saw it leave. Conservative: any later send to the recipient refuses a charging send's cancel.
   */
  #reliedOnCharge(u: Extract<Undo, { kind: 'distinct' }>): boolean {
    if (!u.charged) return false;
    const m = this.#members.get(u.member);
    return m !== undefined && m.seq !== u.seq;
  }

  /** Committed sends, cancelled ones excluded: the ledger the checker reads. */
  committed(): CommittedSend[] {
    const out: CommittedSend[] = [];
    for (const r of this.#records.values()) if (!r.cancelled) out.push(r.send);
    return out;
  }

  /** What each limit of the message could still take at `now`. */
  capacity(input: Message, now: Millis): LimitCapacity[] {
    const message = validateMessage(input);
    const resolved = resolveRules(this.policy, message);
    const calendar = zoneCalendar(resolved.timeZone);
    return resolved.limits.map((limit) => ({
      limit: limit.rule.name,
      kind: limit.rule.kind,
      key: limit.key,
      remaining: this.#remaining(limit, message, now, calendar),
    }));
  }

  #replay(record: AdmissionRecord): Decision {
    if (record.cancelled) {
      return { ok: false, id: record.decision.id, reason: 'cancelled', limit: null, retryAt: null, duplicate: true };
    }
    return { ...record.decision, duplicate: true };
  }

  #advanceFloor(portfolio: string, now: Millis): Millis {
    const floor = this.#floor.get(portfolio);
    if (floor !== undefined && floor >= now) return floor;
    this.#floor.set(portfolio, now);
    return now;
  }

  #params(rule: LimitRule & { kind: 'rate' }): RateParams {
    let p = this.#rateParams.get(rule);
    if (!p) {
      p = rateParams(rule.count, rule.periodMs, rule.burst);
      this.#rateParams.set(rule, p);
    }
    return p;
  }

  #compiled(zone: string, name: string, allowed: Parameters<typeof compileWindows>[1]): CompiledWindows {
    const k = `${zone}|${name}`;
    let w = this.#windows.get(k);
    if (!w) {
      w = compileWindows(zone, allowed);
      this.#windows.set(k, w);
    }
    return w;
  }

  #log(key: string): Log {
    let log = this.#logs.get(key);
    if (!log) {
      log = { buf: new Float64Array(16), len: 0 };
      this.#logs.set(key, log);
    }
    return log;
  }

  #earliest(limit: ResolvedLimit, message: Message, cost: number, t: Millis, calendar: ZoneCalendar): Millis {
    const { rule, key } = limit;
    switch (rule.kind) {
      case 'rate':
        return rateEarliest(this.#params(rule), this.#tat.get(key) ?? 0, t, cost);
      case 'window': {
        const log = this.#log(key);
        return windowEarliest(log.buf, 0, log.len, t, cost, rule.count, rule.windowMs);
      }
      case 'daily': {
        const days = this.#daily.get(key);
        let at = t;
        while ((days?.get(calendar.dayOf(at)) ?? 0) + cost > rule.count) at = calendar.nextDayStart(at);
        return at;
      }
      case 'distinct': {
        const log = this.#log(key);
        const m = this.#members.get(memberKey(key, message.to));
        return distinctEarliest(log.buf, 0, log.len, m?.lastSend ?? 0, m?.lastCharge ?? 0, t, rule.count, rule.windowMs);
      }
      case 'batch': {
        const b = this.#batches.get(key);
        return batchEarliest(b?.last ?? 0, b?.run ?? 0, t, cost, rule.size, rule.gapMs);
      }
    }
  }

  #commit(message: Message, sendAt: Millis): void {
    const resolved = resolveRules(this.policy, message);
    const cost = resolved.cost;
    const calendar = zoneCalendar(resolved.timeZone);
    const floor = this.#floor.get(message.portfolio) ?? sendAt;
    const undo: Undo[] = [];
    for (const { rule, key } of resolved.limits) {
      switch (rule.kind) {
        case 'rate': {
          const before = this.#tat.get(key) ?? 0;
          const after = rateCommit(this.#params(rule), before, sendAt, cost);
          this.#tat.set(key, after);
          undo.push({ kind: 'rate', key, before, after });
          break;
        }
        case 'window': {
          const log = this.#grow(this.#log(key), cost, floor - rule.windowMs);
          log.len = insertSorted(log.buf, 0, log.len, sendAt, cost);
          undo.push({ kind: 'window', key });
          break;
        }
        case 'daily': {
          let days = this.#daily.get(key);
          if (!days) this.#daily.set(key, (days = new Map()));
          const day = calendar.dayOf(sendAt);
          days.set(day, (days.get(day) ?? 0) + cost);
          undo.push({ kind: 'daily', key, day });
          break;
        }
        case 'distinct': {
          const mk = memberKey(key, message.to);
          const prev = this.#members.get(mk) ?? { lastSend: 0, lastCharge: 0, seq: 0 };
          const charged = distinctCharges(prev.lastCharge, sendAt, rule.windowMs);
          if (charged) {
            const log = this.#grow(this.#log(key), 1, floor - rule.windowMs);
            log.len = insertSorted(log.buf, 0, log.len, sendAt, 1);
          }
          const seq = prev.seq + 1;
          this.#members.set(mk, { lastSend: sendAt, lastCharge: charged ? sendAt : prev.lastCharge, seq });
          undo.push({ kind: 'distinct', key, member: mk, prev, seq, charged });
          break;
        }
        case 'batch': {
          const prev = this.#batches.get(key) ?? { last: 0, run: 0, seq: 0 };
          const seq = prev.seq + 1;
          this.#batches.set(key, {
            last: sendAt,
            run: batchRunAfter(prev.last, prev.run, sendAt, cost, rule.gapMs),
            seq,
          });
          undo.push({ kind: 'batch', key, prev, seq });
          break;
        }
      }
    }
    const send: CommittedSend = {
      id: message.id,
      sendAt,
      to: message.to,
      from: message.from,
      portfolio: message.portfolio,
      category: message.category,
      cost,
      timeZone: resolved.timeZone,
      ...(message.campaign !== undefined ? { campaign: message.campaign } : {}),
      ...(message.apiKey !== undefined ? { apiKey: message.apiKey } : {}),
    };
    this.#records.set(message.id, {
      decision: { ok: true, id: message.id, sendAt, delayedBy: null, duplicate: false },
      send,
      undo,
      cancelled: false,
    });
  }

  /** Make room for `extra` entries, dropping entries that can no longer fall in any window. */
  #grow(log: Log, extra: number, prunable: number): Log {
    log.len = pruneBefore(log.buf, 0, log.len, prunable);
    if (log.len + extra > log.buf.length) {
      const bigger = new Float64Array(Math.max(log.buf.length * 2, log.len + extra));
      bigger.set(log.buf.subarray(0, log.len));
      log.buf = bigger;
    }
    return log;
  }

  #remaining(limit: ResolvedLimit, message: Message, now: Millis, calendar: ZoneCalendar): number {
    const { rule, key } = limit;
    switch (rule.kind) {
      case 'rate': {
        const p = this.#params(rule);
        const nowUnits = (now - STATE_EPOCH) * p.q;
        const tat = Math.max(this.#tat.get(key) ?? 0, nowUnits);
        return Math.max(0, Math.floor((nowUnits + p.tau + p.T - tat) / p.T));
      }
      case 'window': {
        const log = this.#logs.get(key);
        const used = log ? countRange(log.buf, 0, log.len, now - rule.windowMs + 1, now + 1) : 0;
        return Math.max(0, rule.count - used);
      }
      case 'daily':
        return Math.max(0, rule.count - (this.#daily.get(key)?.get(calendar.dayOf(now)) ?? 0));
      case 'distinct': {
        const log = this.#logs.get(key);
        const used = log ? countRange(log.buf, 0, log.len, now - rule.windowMs + 1, now + 1) : 0;
        return Math.max(0, rule.count - used);
      }
      case 'batch': {
        const b = this.#batches.get(key);
        if (!b || now - b.last >= rule.gapMs) return rule.size;
        return Math.max(0, rule.size - b.run);
      }
    }
  }
}

function memberKey(limitKey: string, to: string): string {
  return `${limitKey}|${to}`;
}

/** The largest cost a rule can ever admit for one message. */
export function maxCostOf(rule: LimitRule): number {
  switch (rule.kind) {
    case 'rate':
      return rule.burst;
    case 'window':
    case 'daily':
      return rule.count;
    case 'distinct':
      return Infinity;
    case 'batch':
      return rule.size;
  }
}

function never(limit: string): Slot {
  return { ok: false, reason: 'never', limit, retryAt: null };
}
