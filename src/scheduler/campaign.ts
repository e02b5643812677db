import type { Category, CommittedSend, Millis, Policy, RefusalReason } from '../core/types.js';
import type { AdmissionStore } from '../store/contract.js';
import { MemoryStore } from '../store/memory/memory-store.js';
import { withAccountTier } from './account-tier.js';
import type { BatchRun } from './batches.js';
import { columnarPlan, skipOf, timeOrderOf, type ColumnarPlan } from './columnar-plan.js';
import { CATEGORY_ORDER, outcomeBuffer, outcomeViews, planCompact, reserveCampaignKeys, type CompactCampaign } from './compact-plan.js';
import { allDistinct } from './distinct-numbers.js';
import { checkRecipientColumns, columnMessage, recipientColumns, type RecipientColumns } from './recipient-columns.js';
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
  const columns = recipientColumns(recipients);
  const prepared = prepareCampaign(columns, o);
  const plan = o.store ? await planThroughStore(columns, o, prepared, o.store) : planPrepared(prepared, o);
  return objectPlan(recipients, o, plan);
}

/**
 * `planCampaign` for a campaign held as columns (see RecipientColumns), returning the plan as
 * columns: no row, send or message object per recipient on the way in or out. The same plan as
 * `planCampaign` gives for the same recipients.
 */
export async function planCampaignColumns(recipients: RecipientColumns, o: CampaignOptions): Promise<ColumnarPlan> {
  const prepared = prepareCampaign(recipients, o);
  return o.store ? planThroughStore(recipients, o, prepared, o.store) : planPrepared(prepared, o);
}

/** A prepared campaign planned on a private embedded store, on this thread. */
function planPrepared(prepared: PreparedCampaign, o: CampaignOptions): ColumnarPlan {
  const n = prepared.order.length;
  const store = campaignStore(prepared.policy, n, o, prepared.columns.commitAheadMs);
  const compact = withKeys(prepared, store);
  const outcome = outcomeViews(outcomeBuffer(n), n);
  planCompact(store, compact, outcome);
  return columnarPlan(prepared.policy, o.numbers.length, prepared.order, compact.number, outcome, timeOrderOf(outcome.sendAt));
}

/** A campaign checked and laid out for planning: the policy of the account's tier, and the messages in priority order as columns. */
export interface PreparedCampaign {
  readonly policy: Policy;
  /** Recipient index per planned position (priority order). */
  readonly order: Int32Array;
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

/** Ids 0 … n−1 by position: the recipient (and pair) ids of a campaign whose recipients are all distinct. */
function positionIds(n: number): { ids: Int32Array; count: number } {
  const ids = new Int32Array(n);
  for (let k = 0; k < n; k++) ids[k] = k;
  return { ids, count: n };
}

/**
 * How a prepared campaign numbers its recipients: `check` by position when they are all
 * distinct (checked here), else by value; `positions` by position without the check (a parallel
 * plan checks on its workers and prepares again with `dense` when they find a duplicate);
 * `dense` by value.
 */
export type RecipientIds = 'check' | 'positions' | 'dense';

/** Validates the campaign (typed errors naming the recipient) and lays it out in priority order. */
export function prepareCampaign(c: RecipientColumns, o: CampaignOptions, ids: RecipientIds = 'check'): PreparedCampaign {
  if (o.numbers.length === 0) throw new RangeError('Expected `numbers` to name at least one sending number');
  if (o.numbers.length > 65_535) throw new RangeError(`Expected \`numbers\` to hold at most 65,535 numbers, got ${o.numbers.length}`);
  checkRecipientColumns(c, o, o.numbers);
  const policy = withAccountTier(o.policy, o.accountStartedAt, o.start);
  const m = c.to.length;
  const rank = c.category;
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
  const to = new Float64Array(m);
  const number = new Uint16Array(m);
  const zone = new Uint16Array(m);
  const category = new Uint8Array(m);
  const pool = o.numbers.length;
  for (let k = 0; k < m; k++) {
    const i = order[k] as number;
    to[k] = c.to[i] as number;
    number[k] = k % pool;
    zone[k] = c.zone[i] as number;
    category[k] = rank[i] as number;
  }
  // Distinct recipients (a screened campaign's always are) are numbered by position, and so are
  // their pairs; else dense ids by value.
  const distinct = ids === 'positions' || (ids === 'check' && allDistinct(c.to));
  const recipientIds = distinct ? positionIds(m) : denseIds(to);
  let pairIds = recipientIds;
  if (!distinct) {
    const pairKeys = new Float64Array(m);
    for (let k = 0; k < m; k++) pairKeys[k] = (recipientIds.ids[k] as number) * pool + (number[k] as number);
    pairIds = denseIds(pairKeys);
  }
  const columns = {
    portfolio: o.portfolio,
    campaign: o.campaign,
    start: o.start,
    deadline: o.deadline ?? null,
    commitAheadMs: o.commitAheadMs ?? 60_000,
    numbers: o.numbers,
    zones: c.zones,
    to,
    recipient: recipientIds.ids,
    pair: pairIds.ids,
    number,
    zone,
    category,
  };
  return { policy, order, columns, recipientCount: recipientIds.count, pairCount: pairIds.count };
}

/** A private embedded store sized for a campaign of n recipients. */
/** Keys left unused between two parts' numbers (see separateNumberKeys in parallel-plan.ts): 16 words of 4 or 8 bytes span at least one 64-byte cache line. */
export const NUMBER_KEY_GAP = 16;

export function campaignStore(policy: Policy, n: number, o: Pick<CampaignOptions, 'portfolio' | 'numbers'>, commitAheadMs = 60_000): MemoryStore {
  // Room for every recipient plus one template per class (at most numbers × zones × categories; 4,096 is plenty).
  const keys = n + 4_096;
  const sized: Record<string, number> = {};
  // A number rule needs a key per sending number, plus the unused keys a parallel plan leaves
  // between its parts' numbers (at most NUMBER_KEY_GAP per part, a part per number at most). Sized so,
  // not by the store's default of 4,096 keys: a window rule's log takes 2 × count + 64 entries
  // per key (the preset's two number windows: 98 MiB at the default), and a plan on worker
  // threads allocates its store afresh for every part of every plan.
  const numberKeys = o.numbers.length * (NUMBER_KEY_GAP + 1) + 64;
  for (const rule of policy.limits) {
    if (rule.scope === 'pair' || rule.scope === 'recipient') sized[rule.name] = keys;
    else if (rule.scope === 'number' && numberKeys < 4_096) sized[rule.name] = numberKeys;
  }
  // Commits go at most `commitAheadMs` ahead of the planner's instant, so a few remembered days
  // per recipient are plenty (a further day fails closed and is retried later), and the store
  // touches 32 bytes per recipient instead of 256.
  let daysPerKey = 4;
  while (daysPerKey < 1024 && daysPerKey < Math.ceil(commitAheadMs / 86_400_000) + 3) daysPerKey *= 2;
  // The longest key: portfolio|rule|from|to (to is at most 16 characters).
  const keyLength = o.portfolio.length + Math.max(...policy.limits.map((r) => r.name.length)) + Math.max(...o.numbers.map((s) => s.length)) + 16 + 3;
  return MemoryStore.create(policy, { capacity: { maxMessages: 16, members: keys, keys: sized, daysPerKey, keyLength } });
}

/** Every message through the store contract (one awaited admission at a time). */
async function planThroughStore(c: RecipientColumns, o: CampaignOptions, prepared: PreparedCampaign, store: AdmissionStore): Promise<ColumnarPlan> {
  const { order, columns } = prepared;
  const messages = Array.from(order, (i, k) => columnMessage(c, i, o, o.numbers[columns.number[k] as number] as string));
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
  return columnarPlan(prepared.policy, o.numbers.length, order, columns.number, compact, timeOrderOf(compact.sendAt));
}

const REFUSAL_CODES: Partial<Record<RefusalReason, number>> = { deadline: -1, 'wait-exceeds-max': -2, never: -3, capacity: -4 };

/** The plan's rows (input order) and time-ordered sends as objects, from its columns. */
export function objectPlan(recipients: readonly CampaignRecipient[], o: CampaignOptions, plan: ColumnarPlan): CampaignPlan {
  const m = recipients.length;
  const sends: CommittedSend[] = new Array(plan.timeOrder.length);
  for (let j = 0; j < sends.length; j++) {
    const i = plan.timeOrder[j] as number;
    const r = recipients[i]!;
    sends[j] = { id: `${o.campaign}:${r.row}`, sendAt: plan.sendAt[i] as number, to: r.to, from: o.numbers[plan.from[i] as number] as string, portfolio: o.portfolio, category: r.category, cost: 1, campaign: o.campaign, timeZone: r.timeZone };
  }
  const rows: PlanRow[] = new Array(m);
  for (let i = 0; i < m; i++) {
    const r = recipients[i]!;
    const t = plan.sendAt[i] as number;
    if (t === t) {
      rows[i] = { kind: 'send', id: r.id, row: r.row, to: r.to, from: o.numbers[plan.from[i] as number] as string, sendAt: t, batch: plan.batch[i] as number, category: r.category, timeZone: r.timeZone };
    } else {
      const skip = skipOf(plan, i)!;
      rows[i] = { kind: 'skip', id: r.id, row: r.row, reason: skip.reason, detail: skip.detail };
    }
  }
  return { rows, sends, batches: plan.batches, heldBy: plan.heldBy, policy: plan.policy };
}
