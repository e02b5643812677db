import type { Millis } from '../core/types.js';
import type { MemoryStoreHandle } from '../store/memory/layout.js';
import type { CompactCampaign } from './compact-plan.js';

/** What one planning worker receives: structured-cloneable; the columns travel as one transferred buffer. */
export interface PlanTask {
  readonly handle: MemoryStoreHandle;
  /** The parts' shared simulated clocks (see PartClock). */
  readonly clock: SharedArrayBuffer;
  readonly part: number;
  readonly parts: number;
  readonly lookaheadSeconds: number;
  readonly portfolio: string;
  readonly campaign: string;
  readonly start: Millis;
  readonly deadline: Millis | null;
  readonly commitAheadMs: number;
  readonly numbers: readonly string[];
  readonly zones: readonly string[];
  readonly count: number;
  /** Columns of `count` messages: to (Float64), number (Uint16), zone (Uint16), category (Uint8). */
  readonly columns: ArrayBuffer;
}

/** Packs a part of a campaign (the messages at `positions`, numbers renumbered by `numberMap`) into a task. */
export function packTask(
  handle: MemoryStoreHandle,
  sync: { readonly clock: SharedArrayBuffer; readonly part: number; readonly parts: number; readonly lookaheadSeconds: number },
  c: CompactCampaign,
  positions: Int32Array,
  numbers: readonly string[],
  numberMap: Int32Array,
): PlanTask {
  const n = positions.length;
  const columns = new ArrayBuffer(n * 13);
  const to = new Float64Array(columns, 0, n);
  const number = new Uint16Array(columns, n * 8, n);
  const zone = new Uint16Array(columns, n * 10, n);
  const category = new Uint8Array(columns, n * 12, n);
  for (let k = 0; k < n; k++) {
    const i = positions[k] as number;
    to[k] = c.to[i] as number;
    number[k] = numberMap[c.number[i] as number] as number;
    zone[k] = c.zone[i] as number;
    category[k] = c.category[i] as number;
  }
  return { handle, ...sync, portfolio: c.portfolio, campaign: c.campaign, start: c.start, deadline: c.deadline, commitAheadMs: c.commitAheadMs, numbers, zones: c.zones, count: n, columns };
}

export function partViews(t: PlanTask): CompactCampaign {
  const n = t.count;
  return {
    portfolio: t.portfolio,
    campaign: t.campaign,
    start: t.start,
    deadline: t.deadline,
    commitAheadMs: t.commitAheadMs,
    numbers: t.numbers,
    zones: t.zones,
    to: new Float64Array(t.columns, 0, n),
    number: new Uint16Array(t.columns, n * 8, n),
    zone: new Uint16Array(t.columns, n * 10, n),
    category: new Uint8Array(t.columns, n * 12, n),
  };
}
