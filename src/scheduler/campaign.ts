import type { BatchRule, Category, CommittedSend, Message, Millis, Policy, RefusalReason } from '../core/types.js';
import { validateE164, validateMessage } from '../core/policy/index.js';
import { ValidationError } from '../errors.js';
import type { AdmissionStore } from '../store/contract.js';
import { MemoryStore, rawRefusalReason } from '../store/memory/memory-store.js';
import { withAccountTier } from './account-tier.js';
import { e164Digits } from './e164-digits.js';
import { batchRuns, type BatchRun } from './batches.js';
import { CATEGORY_ORDER, outcomeBuffer, outcomeViews, planCompact, reserveCampaignKeys, type CompactCampaign, type CompactOutcome } from './compact-plan.js';
import { planInTimeOrderAsync, ruleNames } from './time-ordered-planner.js';

/** A recipient that passed screening: canonical number, resolved zone, category. */
export interface CampaignRecipient {
  /** The input's id column, or its row number. */
  readonly id: string;
  /** 1-based data row in the input. */
  readonly row: number;
  /** Canonical E.164. */
  readonly to: string;
  readonly timeZone: string;
  readonly category: Category;
}

export interface CampaignOptions {
  readonly policy: Policy;
  /** The pool of sending numbers (of one portfolio). */
  readonly numbers: readonly string[];
  readonly portfolio: string;
  readonly campaign: string;
  readonly start: Millis;
  /** Refuse (skip with `deadline`) what cannot go before this instant. */
  readonly deadline?: Millis;
  /** When the sending account started: decides its per-minute tier (200 new, 500 after 30 days). */
  readonly accountStartedAt?: Millis;
  /** Where limits live (default: a fresh embedded store sized for the campaign). */
  readonly store?: AdmissionStore;
  /** How far ahead of its candidate instant a message may be committed (default 60 s). */
  readonly commitAheadMs?: number;
}

export type PlanRow =
  | { readonly kind: 'send'; readonly id: string; readonly row: number; readonly to: string; readonly from: string; readonly sendAt: Millis; readonly batch: number; readonly category: Category; readonly timeZone: string }
  | { readonly kind: 'skip'; readonly id: string; readonly row: number; readonly reason: RefusalReason; readonly detail: string | null };

export interface CampaignPlan {
  /** One row per recipient, in input order. */
  readonly rows: readonly PlanRow[];
  /** The committed sends in time order: what an independent checker reads. */
  readonly sends: readonly CommittedSend[];
  readonly batches: readonly BatchRun[];
  /** Messages held per rule (a message counts once per rule that deferred it). */
  readonly heldBy: ReadonlyMap<string, number>;
  /** The policy after the account tier was applied. */
  readonly policy: Policy;
}

const PRIORITY: Readonly<Record<string, number>> = Object.fromEntries(CATEGORY_ORDER.map((c, i) => [c, i]));

/**
 * Plans one campaign: spreads recipients over the pool of numbers (least loaded first), orders
 * competing messages by category priority (authentication and utility go before service and
 * marketing), and offers each message to the store in simulated time order so that deferred
 * messages (quiet hours, daily caps, the messaging limit) wait for their next allowed slot
 * instead of being skipped. Deterministic: the same input gives the same plan.
 *
 * Without `store`, it plans on a private embedded store with a compact representation (a few
 * integers per recipient); with one, it offers every message through the store's contract.
 */
export async function planCampaign(recipients: readonly CampaignRecipient[], o: CampaignOptions): Promise<CampaignPlan> {
  const prepared = prepareCampaign(recipients, o);
  if (o.store) return planThroughStore(recipients, o, prepared, o.store);
  const store = campaignStore(prepared.policy, recipients.length, o, prepared.columns.commitAheadMs);
  const compact = withKeys(prepared, store);
  const n = compact.to.length;
  const outcome = outcomeViews(outcomeBuffer(n), n);
  planCompact(store, compact, outcome);
  return assemblePlan(recipients, o, prepared, outcome);
}

/** A campaign checked and laid out for planning: the policy of the account's tier, and the messages in priority order as columns. */
export interface PreparedCampaign {
  readonly policy: Policy;
  /** Recipient index per planned position (priority order). */
  readonly order: Int32Array;
  /** Sending number (index in `options.numbers`) per recipient. */
  readonly fromOf: Uint16Array;
  /** The columns, without the store's key reservations (see `withKeys`). */
  readonly columns: Omit<CompactCampaign, 'keyBase' | 'memberBase'>;
  /** Distinct recipients and distinct (number, recipient) pairs. */
  readonly recipientCount: number;
  readonly pairCount: number;
}

/** The compact campaign on `store`: reserves its anonymous recipient and pair keys there. */
export function withKeys(prepared: PreparedCampaign, store: MemoryStore): CompactCampaign {
  return { ...prepared.columns, ...reserveCampaignKeys(store, prepared.recipientCount, prepared.pairCount) };
}

/** Dense ids of equal values (0 … count−1, in ascending value order), without a hash map. */
function denseIds(values: Float64Array): { ids: Int32Array; count: number } {
  const sorted = values.slice().sort();
  let u = 0;
  for (let k = 0; k < sorted.length; k++) if (u === 0 || sorted[k] !== sorted[u - 1]) sorted[u++] = sorted[k] as number;
  const ids = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    let lo = 0;
    let hi = u - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    ids[i] = lo;
  }
  return { ids, count: u };
}

/** Validates the campaign (typed errors naming the recipient) and lays it out in priority order. */
export function prepareCampaign(recipients: readonly CampaignRecipient[], o: CampaignOptions): PreparedCampaign {
  if (o.numbers.length === 0) throw new RangeError('Expected `numbers` to name at least one sending number');
  if (o.numbers.length > 65_535) throw new RangeError(`Expected \`numbers\` to hold at most 65,535 numbers, got ${o.numbers.length}`);
  const policy = withAccountTier(o.policy, o.accountStartedAt, o.start);
  const m = recipients.length;
  const rank = new Uint8Array(m);
  const zoneIds = new Map<string, number>();
  const zoneOf = new Uint16Array(m);
  const digits = new Float64Array(m);
  // Every recipient's number is checked; the other fields once per distinct (category, zone),
  // through the full message validation, with the recipient's path in the error.
  // Classes already validated, by category rank and zone id: a bit each (no string per row).
  const seen = new Uint8Array(CATEGORY_ORDER.length * 65_536);
  for (let i = 0; i < m; i++) {
    const r = recipients[i]!;
    const p = PRIORITY[r.category];
    if (p === undefined) throw new ValidationError(`recipients[${i}].category`, `one of ${CATEGORY_ORDER.join(', ')}`, r.category);
    rank[i] = p;
    const d = e164Digits(r.to);
    if (d < 0) {
      validateE164(r.to, `recipients[${i}].to`); // throws, naming the recipient
      throw new ValidationError(`recipients[${i}].to`, 'a canonical E.164 number', r.to);
    }
    digits[i] = d;
    let z = zoneIds.get(r.timeZone);
    if (z === undefined) {
      if (zoneIds.size >= 65_535) throw new ValidationError(`recipients[${i}].timeZone`, 'one of at most 65,535 distinct zones in a campaign', r.timeZone);
      zoneIds.set(r.timeZone, (z = zoneIds.size));
    }
    zoneOf[i] = z;
    const classKey = p * 65_536 + z;
    if (seen[classKey] === 0) {
      seen[classKey] = 1;
      validateMessage(messageOf(r, o, o.numbers[0] as string), `recipients[${i}]`);
    }
  }
  for (const [k, from] of o.numbers.entries()) validateMessage(messageOf(recipients[0] ?? { id: 'x', row: 1, to: '+10000000000', timeZone: 'UTC', category: 'marketing' }, o, from), `numbers[${k}]`);
  // Stable counting sort by priority: input order within a category.
  const counts = new Int32Array(CATEGORY_ORDER.length + 1);
  for (let i = 0; i < m; i++) counts[(rank[i] as number) + 1] = (counts[(rank[i] as number) + 1] as number) + 1;
  for (let k = 0; k < CATEGORY_ORDER.length; k++) counts[k + 1] = (counts[k + 1] as number) + (counts[k] as number);
  const order = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const k = rank[i] as number;
    order[counts[k] as number] = i;
    counts[k] = (counts[k] as number) + 1;
  }
  // Least loaded number first, ties to the lowest index: in priority order that is a rotation.
  const fromOf = new Uint16Array(m);
  const to = new Float64Array(m);
  const number = new Uint16Array(m);
  const zone = new Uint16Array(m);
  const category = new Uint8Array(m);
  const pool = o.numbers.length;
  for (let k = 0; k < m; k++) {
    const i = order[k] as number;
    const from = k % pool;
    fromOf[i] = from;
    to[k] = digits[i] as number;
    number[k] = from;
    zone[k] = zoneOf[i] as number;
    category[k] = rank[i] as number;
  }
  const recipientIds = denseIds(to);
  const pairKeys = new Float64Array(m);
  for (let k = 0; k < m; k++) pairKeys[k] = (recipientIds.ids[k] as number) * pool + (number[k] as number);
  const pairIds = recipientIds.count === m ? recipientIds : denseIds(pairKeys);
  const columns = {
    portfolio: o.portfolio,
    campaign: o.campaign,
    start: o.start,
    deadline: o.deadline ?? null,
    commitAheadMs: o.commitAheadMs ?? 60_000,
    numbers: o.numbers,
    zones: [...zoneIds.keys()],
    to,
    recipient: recipientIds.ids,
    pair: pairIds.ids,
    number,
    zone,
    category,
  };
  return { policy, order, fromOf, columns, recipientCount: recipientIds.count, pairCount: pairIds.count };
}

/** A private embedded store sized for a campaign of n recipients. */
export function campaignStore(policy: Policy, n: number, o: Pick<CampaignOptions, 'portfolio' | 'numbers'>, commitAheadMs = 60_000): MemoryStore {
  // Room for every recipient plus one template per class (at most numbers × zones × categories; 4,096 is plenty).
  const keys = n + 4_096;
  const sized: Record<string, number> = {};
  for (const rule of policy.limits) if (rule.scope === 'pair' || rule.scope === 'recipient') sized[rule.name] = keys;
  // Commits go at most `commitAheadMs` ahead of the planner's instant, so a few remembered days
  // per recipient are plenty (a further day fails closed and is retried later), and the store
  // touches 32 bytes per recipient instead of 256.
  let daysPerKey = 4;
  while (daysPerKey < 1024 && daysPerKey < Math.ceil(commitAheadMs / 86_400_000) + 3) daysPerKey *= 2;
  // The longest key: portfolio|rule|from|to (to is at most 16 characters).
  const keyLength = o.portfolio.length + Math.max(...policy.limits.map((r) => r.name.length)) + Math.max(...o.numbers.map((s) => s.length)) + 16 + 3;
  return MemoryStore.create(policy, { capacity: { maxMessages: 16, members: keys, keys: sized, daysPerKey, keyLength } });
}

function messageOf(r: CampaignRecipient, o: CampaignOptions, from: string): Message {
  return {
    id: `${o.campaign}:${r.row}`,
    to: r.to,
    from,
    portfolio: o.portfolio,
    category: r.category,
    campaign: o.campaign,
    timeZone: r.timeZone,
    notBefore: o.start,
    ...(o.deadline !== undefined ? { deadline: o.deadline } : {}),
  };
}

/** Every message through the store contract (one awaited admission at a time). */
async function planThroughStore(recipients: readonly CampaignRecipient[], o: CampaignOptions, prepared: PreparedCampaign, store: AdmissionStore): Promise<CampaignPlan> {
  const { order, fromOf } = prepared;
  const messages = Array.from(order, (i) => messageOf(recipients[i]!, o, o.numbers[fromOf[i] as number] as string));
  const outcome = await planInTimeOrderAsync(store, messages, o.start, o.commitAheadMs !== undefined ? { commitAheadMs: o.commitAheadMs } : {});
  const n = messages.length;
  const compact = outcomeViews(outcomeBuffer(n), n);
  const ids = new Map(ruleNames(prepared.policy).map((name, id) => [name, id]));
  outcome.decisions.forEach((d, k) => {
    let bits = 0;
    for (const rule of outcome.deferredBy[k] ?? []) bits |= 1 << (ids.get(rule) ?? 31);
    compact.held[k] = bits;
    if (d.ok) {
      compact.sendAt[k] = d.sendAt;
      compact.rule[k] = -1;
      return;
    }
    compact.sendAt[k] = NaN;
    compact.refusal[k] = REFUSAL_CODES[d.reason] ?? -3;
    compact.rule[k] = d.limit === null ? -1 : (ids.get(d.limit) ?? -1);
  });
  return assemblePlan(recipients, o, prepared, compact);
}

const REFUSAL_CODES: Partial<Record<RefusalReason, number>> = { deadline: -1, 'wait-exceeds-max': -2, never: -3, capacity: -4 };

/** Rows, time-ordered sends, batches and hold counts from a compact outcome (positions in priority order). */
export function assemblePlan(recipients: readonly CampaignRecipient[], o: CampaignOptions, prepared: PreparedCampaign, outcome: CompactOutcome): CampaignPlan {
  const { policy, order, fromOf } = prepared;
  const m = recipients.length;
  const names = ruleNames(policy);
  const posOf = new Int32Array(m);
  for (let k = 0; k < m; k++) posOf[order[k] as number] = k;
  const held = new Float64Array(Math.min(32, names.length));
  let sent = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let k = 0; k < m; k++) {
    const t = outcome.sendAt[k] as number;
    if (t === t) {
      sent++;
      if (t < min) min = t;
      if (t > max) max = t;
    }
    let bits = outcome.held[k] as number;
    while (bits !== 0) {
      const low = bits & -bits;
      const id = 31 - Math.clz32(low);
      if (id < held.length) held[id] = (held[id] as number) + 1;
      bits ^= low;
    }
  }
  // Sent recipients by (sendAt, input position).
  const byTime = new Int32Array(sent);
  if (sent > 0 && (max - min + 1) * m < 2 ** 52) {
    const keys = new Float64Array(sent);
    let j = 0;
    for (let i = 0; i < m; i++) {
      const t = outcome.sendAt[posOf[i] as number] as number;
      if (t === t) keys[j++] = (t - min) * m + i;
    }
    keys.sort();
    for (let k = 0; k < sent; k++) byTime[k] = (keys[k] as number) % m;
  } else {
    let j = 0;
    for (let i = 0; i < m; i++) if (outcome.sendAt[posOf[i] as number] === outcome.sendAt[posOf[i] as number]) byTime[j++] = i;
    byTime.sort((a, b) => (outcome.sendAt[posOf[a] as number] as number) - (outcome.sendAt[posOf[b] as number] as number) || a - b);
  }
  const sends: CommittedSend[] = new Array(sent);
  for (let k = 0; k < sent; k++) {
    const i = byTime[k] as number;
    const r = recipients[i]!;
    sends[k] = { id: `${o.campaign}:${r.row}`, sendAt: outcome.sendAt[posOf[i] as number] as number, to: r.to, from: o.numbers[fromOf[i] as number] as string, portfolio: o.portfolio, category: r.category, cost: 1, campaign: o.campaign, timeZone: r.timeZone };
  }
  const gap = policy.limits.find((r): r is BatchRule => r.kind === 'batch')?.gapMs ?? 15 * 60_000;
  const { runs, batchOf } = batchRuns(sends, gap);
  const batchOfRecipient = new Int32Array(m);
  for (let k = 0; k < sent; k++) batchOfRecipient[byTime[k] as number] = batchOf[k] as number;

  const rows: PlanRow[] = new Array(m);
  for (let i = 0; i < m; i++) {
    const r = recipients[i]!;
    const k = posOf[i] as number;
    const t = outcome.sendAt[k] as number;
    if (t === t) {
      rows[i] = { kind: 'send', id: r.id, row: r.row, to: r.to, from: o.numbers[fromOf[i] as number] as string, sendAt: t, batch: batchOfRecipient[i] as number, category: r.category, timeZone: r.timeZone };
    } else {
      const rule = outcome.rule[k] as number;
      rows[i] = { kind: 'skip', id: r.id, row: r.row, reason: rawRefusalReason(outcome.refusal[k] as number), detail: rule >= 0 ? (names[rule] ?? null) : null };
    }
  }
  const heldBy = new Map<string, number>();
  held.forEach((count, id) => {
    if (count > 0) heldBy.set(names[id] as string, count);
  });
  return { rows, sends, batches: runs, heldBy, policy };
}
