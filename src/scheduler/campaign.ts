import type { BatchRule, Category, CommittedSend, Message, Millis, Policy, RefusalReason } from '../core/types.js';
import type { AdmissionStore } from '../store/contract.js';
import { MemoryStore } from '../store/memory/memory-store.js';
import { withAccountTier } from './account-tier.js';
import { batchRuns, type BatchRun } from './batches.js';
import { planInTimeOrder, planInTimeOrderAsync, type PlanOutcome } from './time-ordered-planner.js';

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

/** Authentication and utility go before service and marketing when they compete for a slot. */
const PRIORITY: Record<Category, number> = { authentication: 0, utility: 1, service: 2, marketing: 3 };

/**
 * Plans one campaign: spreads recipients over the pool of numbers (least loaded first), orders
 * competing messages by category priority, and offers each message to the store in simulated
 * time order so that deferred messages (quiet hours, daily caps, the messaging limit) wait for
 * their next allowed slot instead of being skipped.
 */
export async function planCampaign(recipients: readonly CampaignRecipient[], o: CampaignOptions): Promise<CampaignPlan> {
  if (o.numbers.length === 0) throw new RangeError('Expected `numbers` to name at least one sending number');
  const policy = withAccountTier(o.policy, o.accountStartedAt, o.start);
  // Priority order decides ties in the planner's queue (lower index first).
  const order = recipients.map((_, i) => i).sort((a, b) => PRIORITY[recipients[a]!.category] - PRIORITY[recipients[b]!.category] || a - b);
  const load = new Array<number>(o.numbers.length).fill(0);
  const messages: Message[] = new Array(recipients.length);
  const fromOf: string[] = new Array(recipients.length);
  for (const i of order) {
    const r = recipients[i]!;
    let best = 0;
    for (let k = 1; k < load.length; k++) if ((load[k] as number) < (load[best] as number)) best = k;
    load[best] = (load[best] as number) + 1;
    const from = o.numbers[best] as string;
    fromOf[i] = from;
    messages[i] = {
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
  const ordered = order.map((i) => messages[i] as Message);
  const outcome = await plan(policy, ordered, o);
  const decisionOf = new Array<PlanOutcome['decisions'][number]>(recipients.length);
  const heldBy = new Map<string, number>();
  order.forEach((i, k) => {
    decisionOf[i] = outcome.decisions[k]!;
    for (const rule of outcome.deferredBy[k] ?? []) heldBy.set(rule, (heldBy.get(rule) ?? 0) + 1);
  });

  const sends: CommittedSend[] = [];
  const sendIndex = new Map<number, number>();
  recipients.forEach((r, i) => {
    const d = decisionOf[i]!;
    if (!d.ok) return;
    sendIndex.set(i, sends.length);
    sends.push({ id: `${o.campaign}:${r.row}`, sendAt: d.sendAt, to: r.to, from: fromOf[i] as string, portfolio: o.portfolio, category: r.category, cost: 1, campaign: o.campaign, timeZone: r.timeZone });
  });
  const byTime = sends.map((_, k) => k).sort((a, b) => sends[a]!.sendAt - sends[b]!.sendAt || a - b);
  const sorted = byTime.map((k) => sends[k] as CommittedSend);
  const gap = policy.limits.find((r): r is BatchRule => r.kind === 'batch')?.gapMs ?? 15 * 60_000;
  const { runs, batchOf } = batchRuns(sorted, gap);
  const batchOfSend = new Int32Array(sends.length);
  byTime.forEach((k, pos) => (batchOfSend[k] = batchOf[pos] as number));

  const rows: PlanRow[] = recipients.map((r, i) => {
    const d = decisionOf[i]!;
    if (d.ok) {
      return { kind: 'send', id: r.id, row: r.row, to: r.to, from: fromOf[i] as string, sendAt: d.sendAt, batch: batchOfSend[sendIndex.get(i) as number] as number, category: r.category, timeZone: r.timeZone };
    }
    return { kind: 'skip', id: r.id, row: r.row, reason: d.reason, detail: d.limit };
  });
  return { rows, sends: sorted, batches: runs, heldBy, policy };
}

async function plan(policy: Policy, messages: readonly Message[], o: CampaignOptions): Promise<PlanOutcome> {
  const options = o.commitAheadMs !== undefined ? { commitAheadMs: o.commitAheadMs } : {};
  if (o.store) return planInTimeOrderAsync(o.store, messages, o.start, options);
  const n = messages.length + 16;
  const sized: Record<string, number> = {};
  for (const rule of policy.limits) if (rule.scope === 'pair' || rule.scope === 'recipient') sized[rule.name] = n;
  const store = MemoryStore.create(policy, { capacity: { maxMessages: n, members: n, keys: sized } });
  return planInTimeOrder(store, messages, o.start, options);
}
