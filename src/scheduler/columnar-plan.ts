import type { BatchRule, Category, CommittedSend, Policy, RefusalReason } from '../core/types.js';
import { rawRefusalReason } from '../store/memory/memory-store.js';
import type { BatchRun } from './batches.js';
import { CATEGORY_ORDER, type CompactOutcome } from './compact-plan.js';
import { rowOf, type RecipientColumns } from './recipient-columns.js';
import { ruleNames } from './time-ordered-planner.js';

/**
 * A campaign's plan as columns, per recipient in input order (see `planCampaignColumns`): what
 * a writer or a checker reads without a million row and send objects being built first.
 */
export interface ColumnarPlan {
  readonly count: number;
  /** The send instant (ms since the epoch), or NaN when the recipient is skipped. */
  readonly sendAt: Float64Array;
  /** Index in the options' `numbers` of the number the message goes from (or would have). */
  readonly from: Uint16Array;
  /** The 1-based batch run the send is in (see `batches`), 0 when skipped. */
  readonly batch: Int32Array;
  /** 0 when sent, else the skip reason's code (see `skipOf`). */
  readonly refusal: Int8Array;
  /** Rule id (`ruleNames`) of the limit that refused it, or -1. */
  readonly rule: Int16Array;
  /** The recipients sent to (indices), by send instant; ties in priority order, then input order. */
  readonly timeOrder: Int32Array;
  readonly batches: readonly BatchRun[];
  /** Messages held per rule (a message counts once per rule that deferred it). */
  readonly heldBy: ReadonlyMap<string, number>;
  /** The policy after the account tier was applied. */
  readonly policy: Policy;
  /** Rule names by rule id: `[...policy.limits, ...policy.sendWindows]`. */
  readonly ruleNames: readonly string[];
}

/** Why recipient i of a columnar plan is skipped (the reason, and the rule behind it), or null when it is sent. */
export function skipOf(plan: ColumnarPlan, i: number): { readonly reason: RefusalReason; readonly detail: string | null } | null {
  const code = plan.refusal[i] as number;
  if (code === 0) return null;
  const rule = plan.rule[i] as number;
  return { reason: rawRefusalReason(code), detail: rule >= 0 ? (plan.ruleNames[rule] ?? null) : null };
}

/**
 * The positions (indices of `sendAt`) that have a send, ordered by (send instant, position).
 * Send instants are whole milliseconds: when the span times the count fits a double exactly,
 * one numeric sort of packed keys, else a comparator sort.
 */
export function timeOrderOf(sendAt: Float64Array): Int32Array {
  const n = sendAt.length;
  let sent = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let k = 0; k < n; k++) {
    const t = sendAt[k] as number;
    if (t === t) {
      sent++;
      if (t < min) min = t;
      if (t > max) max = t;
    }
  }
  const order = new Int32Array(sent);
  if (sent === 0) return order;
  // Keys (t − min)·2^b + k with 2^b > n: the position comes back by exact arithmetic (a power
  // of two divides without rounding), with no floating-point remainder.
  let scale = 1;
  while (scale <= n) scale *= 2;
  if ((max - min + 1) * scale < 2 ** 52) {
    const keys = new Float64Array(sent);
    let j = 0;
    for (let k = 0; k < n; k++) {
      const t = sendAt[k] as number;
      if (t === t) keys[j++] = (t - min) * scale + k;
    }
    keys.sort();
    for (let j2 = 0; j2 < sent; j2++) {
      const key = keys[j2] as number;
      order[j2] = key - Math.floor(key / scale) * scale;
    }
    return order;
  }
  let j = 0;
  for (let k = 0; k < n; k++) if (sendAt[k] === sendAt[k]) order[j++] = k;
  order.sort((a, b) => (sendAt[a] as number) - (sendAt[b] as number) || a - b);
  return order;
}

/** One part of a parallel plan: its positions in the whole (ascending), its send instants and time order (local indices). */
export interface TimeOrderedPart {
  readonly positions: Int32Array;
  readonly sendAt: Float64Array;
  readonly order: Int32Array;
}

/**
 * The parts' time orders merged into one over the whole campaign's positions, by (send
 * instant, position): equal to `timeOrderOf` over the merged send instants, since each part's
 * local order follows its positions.
 */
export function mergeTimeOrders(parts: readonly TimeOrderedPart[]): Int32Array {
  let total = 0;
  for (const p of parts) total += p.order.length;
  const out = new Int32Array(total);
  if (parts.length === 1) {
    const [p] = parts as [TimeOrderedPart];
    for (let j = 0; j < total; j++) out[j] = p.positions[p.order[j] as number] as number;
    return out;
  }
  const heads = new Int32Array(parts.length);
  for (let j = 0; j < total; j++) {
    let best = -1;
    let bestAt = Infinity;
    let bestPos = 0;
    for (let q = 0; q < parts.length; q++) {
      const p = parts[q]!;
      const h = heads[q] as number;
      if (h >= p.order.length) continue;
      const local = p.order[h] as number;
      const at = p.sendAt[local] as number;
      const pos = p.positions[local] as number;
      if (best < 0 || at < bestAt || (at === bestAt && pos < bestPos)) {
        best = q;
        bestAt = at;
        bestPos = pos;
      }
    }
    out[j] = bestPos;
    heads[best] = (heads[best] as number) + 1;
  }
  return out;
}

/**
 * The columnar plan from an outcome per planned position (priority order): `order` maps a
 * position to its recipient, `number` gives its sending number, `timePositions` the positions
 * with a send in time order (see `timeOrderOf`, `mergeTimeOrders`).
 */
export function columnarPlan(policy: Policy, pool: number, order: Int32Array, number: Uint16Array, outcome: CompactOutcome, timePositions: Int32Array): ColumnarPlan {
  const m = order.length;
  const names = ruleNames(policy);
  const sendAt = new Float64Array(m);
  const from = new Uint16Array(m);
  const refusal = new Int8Array(m);
  const rule = new Int16Array(m);
  const held = new Float64Array(Math.min(32, names.length));
  for (let k = 0; k < m; k++) {
    const i = order[k] as number;
    sendAt[i] = outcome.sendAt[k] as number;
    from[i] = number[k] as number;
    refusal[i] = outcome.refusal[k] as number;
    rule[i] = outcome.rule[k] as number;
    let bits = outcome.held[k] as number;
    while (bits !== 0) {
      const low = bits & -bits;
      const id = 31 - Math.clz32(low);
      if (id < held.length) held[id] = (held[id] as number) + 1;
      bits ^= low;
    }
  }
  const timeOrder = new Int32Array(timePositions.length);
  for (let j = 0; j < timeOrder.length; j++) timeOrder[j] = order[timePositions[j] as number] as number;
  const gap = policy.limits.find((r): r is BatchRule => r.kind === 'batch')?.gapMs ?? 15 * 60_000;
  const { runs, batch } = columnBatchRuns(sendAt, from, timeOrder, gap, pool);
  const heldBy = new Map<string, number>();
  held.forEach((count, id) => {
    if (count > 0) heldBy.set(names[id] as string, count);
  });
  return { count: m, sendAt, from, batch, refusal, rule, timeOrder, batches: runs, heldBy, policy, ruleNames: names };
}

/** Batch runs (sends separated by gaps of at least `gapMs`) over the sends in time order, and each recipient's run. */
function columnBatchRuns(sendAt: Float64Array, from: Uint16Array, timeOrder: Int32Array, gapMs: number, pool: number): { runs: BatchRun[]; batch: Int32Array } {
  const runs: BatchRun[] = [];
  const batch = new Int32Array(sendAt.length);
  // The last run each sending number was counted in (runs are 1-based).
  const seenIn = new Int32Array(pool);
  let first = 0;
  let last = -Infinity;
  let count = 0;
  let numbers = 0;
  const close = (): void => {
    if (count > 0) runs.push({ index: runs.length + 1, first, last, count, numbers });
  };
  for (let j = 0; j < timeOrder.length; j++) {
    const i = timeOrder[j] as number;
    const t = sendAt[i] as number;
    if (count === 0 || t - last >= gapMs) {
      close();
      first = t;
      count = 0;
      numbers = 0;
    }
    last = t;
    count++;
    const run = runs.length + 1;
    const f = from[i] as number;
    if (seenIn[f] !== run) {
      seenIn[f] = run;
      numbers++;
    }
    batch[i] = run;
  }
  close();
  return { runs, batch };
}

/** What a send record needs besides the plan's columns. */
export interface SendContext {
  readonly numbers: readonly string[];
  readonly portfolio: string;
  readonly campaign: string;
}

/** The committed sends of a columnar plan in time order (what `checkLedger` reads): ids `campaign:row`. */
export function columnarSends(plan: ColumnarPlan, recipients: RecipientColumns, o: SendContext): CommittedSend[] {
  const sends: CommittedSend[] = new Array(plan.timeOrder.length);
  for (let j = 0; j < sends.length; j++) {
    const i = plan.timeOrder[j] as number;
    sends[j] = {
      id: `${o.campaign}:${rowOf(recipients, i)}`,
      sendAt: plan.sendAt[i] as number,
      to: `+${recipients.to[i] as number}`,
      from: o.numbers[plan.from[i] as number] as string,
      portfolio: o.portfolio,
      category: CATEGORY_ORDER[recipients.category[i] as number] as Category,
      cost: 1,
      campaign: o.campaign,
      timeZone: recipients.zones[recipients.zone[i] as number] as string,
    };
  }
  return sends;
}
