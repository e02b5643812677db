import { ValidationError } from '../../errors.js';
import { rateParams, type RateParams } from '../../core/limits/rate.js';
import { maxCostOf } from '../../core/reference.js';
import type { LimitRule, Policy, Scope } from '../../core/types.js';
import { SharedStringTable, type StringTableBuffers } from './string-table.js';

/**
 * Sizes of the embedded store's shared memory. Everything is allocated once, up front, so the
 * hot path never allocates; a full table fails closed (a typed error or a `capacity` refusal),
 * never by forgetting state.
 */
export interface MemoryStoreCapacity {
  /** Message ids remembered for idempotency and cancel (default 262,144). */
  readonly maxMessages?: number;
  /** Distinct portfolios (default 1,024). */
  readonly maxPortfolios?: number;
  /** Keys per rule, by rule name (default by scope: number 4,096, pair/recipient 262,144, portfolio 64, campaign/apiKey 1,024; window and distinct rules at most 4,096). */
  readonly keys?: Readonly<Record<string, number>>;
  /** Log entries per key for `window` and `distinct` rules, by rule name (default 2 × count + 64). */
  readonly entriesPerKey?: Readonly<Record<string, number>>;
  /** Recipients tracked per `distinct` rule (default 262,144). */
  readonly members?: number;
  /**
   * Local days remembered per key of a `daily` rule, a power of two (default 32, enough for the
   * default 30-day maxWait). A day that would land on a ring position still holding a live day
   * counts as full (fail closed), so a smaller ring only limits how far ahead a daily-capped
   * message can be committed. A planner committing a minute ahead needs 4.
   */
  readonly daysPerKey?: number;
  /** Average characters of a key, for the size of each rule's key table (default 48). */
  readonly keyLength?: number;
}

const DEFAULT_KEYS: Readonly<Record<Scope, number>> = {
  number: 4_096,
  pair: 262_144,
  recipient: 262_144,
  portfolio: 64,
  campaign: 1_024,
  apiKey: 1_024,
};
/** Daily counts are a ring of this many (day, count) pairs per key by default: enough for the default 30-day maxWait. */
export const DAILY_RING = 32;
/** Float64 fields per message record before the per-limit undo blocks. */
export const RECORD_HEAD = 3;
/** Float64 fields of undo information per limit in a message record. */
export const UNDO_FIELDS = 6;
const MAX_RULE_BYTES = 1 << 30;

export interface RuleBuffers {
  readonly keys: StringTableBuffers;
  /** Float64: rate → TAT; window/distinct → log entries; batch → [last, run, seq]. */
  readonly f: SharedArrayBuffer;
  /** Int32: window/distinct → log lengths; daily → ring of [day + 1, count]. */
  readonly n: SharedArrayBuffer;
  readonly members: StringTableBuffers | null;
  /** Float64 per member: [lastSend, lastCharge, seq]. */
  readonly m: SharedArrayBuffer | null;
}

/** Everything another thread needs to attach to the same store (structured-cloneable). */
export interface MemoryStoreHandle {
  readonly policy: Policy;
  readonly sizes: ResolvedSizes;
  readonly rules: readonly RuleBuffers[];
  readonly portfolios: StringTableBuffers;
  /** Int32 per portfolio: its lock word. */
  readonly locks: SharedArrayBuffer;
  /** Float64 per portfolio: the largest `now` seen (time never runs backwards inside the store). */
  readonly floors: SharedArrayBuffer;
  readonly ids: StringTableBuffers;
  /** Int32 per message: 0 free, 1 being decided, 2 admitted, 3 cancelled. */
  readonly status: SharedArrayBuffer;
  /** Float64 per message: [sendAt, cost, portfolio, then per rule UNDO_FIELDS]. */
  readonly records: SharedArrayBuffer;
}

export interface ResolvedSizes {
  readonly maxMessages: number;
  readonly maxPortfolios: number;
  readonly keys: readonly number[];
  readonly entriesPerKey: readonly number[];
  readonly members: number;
  readonly recordSize: number;
  /** (day, count) pairs per daily key, a power of two. */
  readonly dailyRing: number;
  readonly keyLength: number;
}

/** Per-thread views over one rule's shared buffers. */
export interface RuleView {
  readonly rule: LimitRule;
  readonly keys: SharedStringTable;
  readonly f: Float64Array;
  readonly n: Int32Array;
  readonly cap: number;
  /** The largest cost one message may have under this rule. */
  readonly maxCost: number;
  readonly params: RateParams | null;
  readonly members: SharedStringTable | null;
  readonly m: Float64Array | null;
}

export function resolveSizes(policy: Policy, c: MemoryStoreCapacity = {}): ResolvedSizes {
  const maxMessages = sizeOption(c.maxMessages, 'capacity.maxMessages', 262_144);
  const maxPortfolios = sizeOption(c.maxPortfolios, 'capacity.maxPortfolios', 1_024);
  const members = sizeOption(c.members, 'capacity.members', 262_144);
  const dailyRing = sizeOption(c.daysPerKey, 'capacity.daysPerKey', DAILY_RING);
  const keyLength = sizeOption(c.keyLength, 'capacity.keyLength', 48);
  if ((dailyRing & (dailyRing - 1)) !== 0 || dailyRing > 1024) throw new ValidationError('capacity.daysPerKey', 'a power of two from 1 to 1,024', dailyRing);
  for (const name of Object.keys(c.keys ?? {})) checkRuleName(policy, name, 'capacity.keys');
  for (const name of Object.keys(c.entriesPerKey ?? {})) checkRuleName(policy, name, 'capacity.entriesPerKey');
  const keys = policy.limits.map((rule) => {
    const fallback = rule.kind === 'window' || rule.kind === 'distinct'
      ? Math.min(4_096, DEFAULT_KEYS[rule.scope])
      : DEFAULT_KEYS[rule.scope];
    return sizeOption(c.keys?.[rule.name], `capacity.keys.${rule.name}`, fallback);
  });
  const entriesPerKey = policy.limits.map((rule) => {
    if (rule.kind !== 'window' && rule.kind !== 'distinct') return 0;
    return sizeOption(c.entriesPerKey?.[rule.name], `capacity.entriesPerKey.${rule.name}`, 2 * rule.count + 64);
  });
  policy.limits.forEach((rule, i) => {
    const bytes = (keys[i] as number) * Math.max(8, (entriesPerKey[i] as number) * 8);
    if (bytes > MAX_RULE_BYTES) {
      throw new ValidationError(`capacity.keys.${rule.name}`, 'small enough that keys × entriesPerKey × 8 bytes ≤ 1 GiB', keys[i]);
    }
  });
  return {
    maxMessages,
    maxPortfolios,
    keys,
    entriesPerKey,
    members,
    recordSize: RECORD_HEAD + UNDO_FIELDS * policy.limits.length,
    dailyRing,
    keyLength,
  };
}

export function allocate(policy: Policy, sizes: ResolvedSizes): MemoryStoreHandle {
  const rules = policy.limits.map((rule, i): RuleBuffers => {
    const keys = sizes.keys[i] as number;
    const entries = sizes.entriesPerKey[i] as number;
    let f = 0;
    let n = 0;
    switch (rule.kind) {
      case 'rate':
        f = keys;
        break;
      case 'window':
      case 'distinct':
        f = keys * entries;
        n = keys;
        break;
      case 'daily':
        n = keys * sizes.dailyRing * 2;
        break;
      case 'batch':
        f = keys * 3;
        break;
    }
    const distinct = rule.kind === 'distinct';
    return {
      keys: SharedStringTable.create(keys, sizes.keyLength).buffers,
      f: new SharedArrayBuffer(Math.max(8, f * 8)),
      n: new SharedArrayBuffer(Math.max(8, n * 4)),
      members: distinct ? SharedStringTable.create(sizes.members, 24).buffers : null,
      m: distinct ? new SharedArrayBuffer(sizes.members * 3 * 8) : null,
    };
  });
  return {
    policy,
    sizes,
    rules,
    portfolios: SharedStringTable.create(sizes.maxPortfolios, 32).buffers,
    locks: new SharedArrayBuffer(sizes.maxPortfolios * 4),
    floors: new SharedArrayBuffer(sizes.maxPortfolios * 8),
    ids: SharedStringTable.create(sizes.maxMessages, 32).buffers,
    status: new SharedArrayBuffer(sizes.maxMessages * 4),
    records: new SharedArrayBuffer(sizes.maxMessages * sizes.recordSize * 8),
  };
}

export function ruleViews(handle: MemoryStoreHandle): RuleView[] {
  return handle.policy.limits.map((rule, i) => {
    const b = handle.rules[i] as RuleBuffers;
    return {
      rule,
      keys: new SharedStringTable(handle.sizes.keys[i] as number, b.keys),
      f: new Float64Array(b.f),
      n: new Int32Array(b.n),
      cap: handle.sizes.entriesPerKey[i] as number,
      maxCost: maxCostOf(rule),
      params: rule.kind === 'rate' ? rateParams(rule.count, rule.periodMs, rule.burst) : null,
      members: b.members ? new SharedStringTable(handle.sizes.members, b.members) : null,
      m: b.m ? new Float64Array(b.m) : null,
    };
  });
}

function sizeOption(v: unknown, field: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > 1 << 26) {
    throw new ValidationError(field, 'an integer from 1 to 67,108,864', v);
  }
  return v;
}

function checkRuleName(policy: Policy, name: string, field: string): void {
  if (!policy.limits.some((r) => r.name === name)) {
    throw new ValidationError(`${field}.${name}`, 'the name of a limit rule in the policy', name);
  }
}
