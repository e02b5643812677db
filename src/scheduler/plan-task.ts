import type { Millis, Policy } from '../core/types.js';
import type { MemoryStoreHandle } from '../store/memory/layout.js';
import type { CompactCampaign } from './compact-plan.js';

/** A part's share of the batch rule when parts share nothing else (see BatchLease). */
export interface LeaseTask {
  /** The campaign's policy (the part makes a store of its own from it). */
  readonly policy: Policy;
  /** The parts' RunBarrier. */
  readonly barrier: SharedArrayBuffer;
  /** The batch size, and the part's quota of the first run. */
  readonly size: number;
  readonly quota: number;
  readonly gapMs: number;
  readonly rule: number;
  /** Per index in CATEGORY_ORDER: 1 when the batch rule counts the category. */
  readonly categories: Uint8Array;
  /** How long a part polls at the barrier before it sleeps (see RunBarrier). */
  readonly spinMs: number;
  /** Distinct recipients and pairs of the part: its columns number them from 0. */
  readonly recipients: number;
  readonly pairs: number;
}

/** What one planning worker receives: structured-cloneable; the columns travel as one transferred buffer. */
export interface PlanTask {
  /** The store every part plans on, or null with leased batches (`lease`). */
  readonly handle: MemoryStoreHandle | null;
  readonly lease: LeaseTask | null;
  /** The parts' shared simulated clocks (see PartClock). */
  readonly clock: SharedArrayBuffer;
  readonly part: number;
  readonly parts: number;
  readonly lookaheadSeconds: number;
  /** No other part plans a message to any of this part's recipients. */
  readonly ownsRecipients: boolean;
  readonly portfolio: string;
  readonly campaign: string;
  readonly start: Millis;
  readonly deadline: Millis | null;
  readonly commitAheadMs: number;
  readonly numbers: readonly string[];
  readonly zones: readonly string[];
  readonly keyBase: Int32Array;
  readonly memberBase: Int32Array;
  readonly count: number;
  /**
   * Columns of `count` messages from byte `offset`: to (Float64), recipient and pair (Int32),
   * number and zone (Uint16), category (Uint8). Shared by every part of the plan, each in its
   * own region, so that none is copied to a worker.
   */
  readonly columns: SharedArrayBuffer;
  readonly offset: number;
}

/** A campaign's columns, with or without the shared store's key reservations. */
export type CampaignColumns = Omit<CompactCampaign, 'keyBase' | 'memberBase'> & Pick<Partial<CompactCampaign>, 'keyBase' | 'memberBase'>;

/**
 * Packs a part of a campaign (the messages at `positions`, numbers renumbered by `numberMap`,
 * and with `idMap` their recipient and pair ids too) into a task.
 */
export function packTask(
  store: { readonly handle: MemoryStoreHandle | null; readonly lease: LeaseTask | null },
  sync: { readonly clock: SharedArrayBuffer; readonly part: number; readonly parts: number; readonly lookaheadSeconds: number; readonly ownsRecipients: boolean },
  c: CampaignColumns,
  positions: Int32Array,
  numbers: readonly string[],
  numberMap: Int32Array,
  into: { readonly columns: SharedArrayBuffer; readonly offset: number },
  idMap: { readonly recipient: Int32Array; readonly pair: Int32Array } | null = null,
): PlanTask {
  const n = positions.length;
  const { columns, offset } = into;
  const { to, recipient, pair, number, zone, category } = columnViews(columns, offset, n);
  for (let k = 0; k < n; k++) {
    const i = positions[k] as number;
    to[k] = c.to[i] as number;
    recipient[k] = idMap === null ? (c.recipient[i] as number) : (idMap.recipient[c.recipient[i] as number] as number);
    pair[k] = idMap === null ? (c.pair[i] as number) : (idMap.pair[c.pair[i] as number] as number);
    number[k] = numberMap[c.number[i] as number] as number;
    zone[k] = c.zone[i] as number;
    category[k] = c.category[i] as number;
  }
  const none = new Int32Array(0);
  return { ...store, ...sync, portfolio: c.portfolio, campaign: c.campaign, start: c.start, deadline: c.deadline, commitAheadMs: c.commitAheadMs, numbers, zones: c.zones, keyBase: c.keyBase ?? none, memberBase: c.memberBase ?? none, count: n, columns, offset };
}

/** Bytes a part of n messages takes in the shared columns, rounded up to keep the next part's Float64 column aligned. */
export function columnBytes(n: number): number {
  return Math.ceil((n * 21) / 8) * 8;
}

function columnViews(b: SharedArrayBuffer, at: number, n: number) {
  return {
    to: new Float64Array(b, at, n),
    recipient: new Int32Array(b, at + n * 8, n),
    pair: new Int32Array(b, at + n * 12, n),
    number: new Uint16Array(b, at + n * 16, n),
    zone: new Uint16Array(b, at + n * 18, n),
    category: new Uint8Array(b, at + n * 20, n),
  };
}

export function partViews(t: PlanTask): CompactCampaign {
  const n = t.count;
  return {
    ...columnViews(t.columns, t.offset, n),
    keyBase: t.keyBase,
    memberBase: t.memberBase,
    portfolio: t.portfolio,
    campaign: t.campaign,
    start: t.start,
    deadline: t.deadline,
    commitAheadMs: t.commitAheadMs,
    numbers: t.numbers,
    zones: t.zones,
  };
}
