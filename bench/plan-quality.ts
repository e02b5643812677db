import { definePolicy } from '../src/core/policy/index.js';
import type { Category, Millis, Policy } from '../src/core/types.js';
import { planCampaignParallel } from '../src/scheduler/parallel-plan.js';
import { checkLedger } from '../src/verify/checker.js';

/**
 * Plan quality by thread count: how long the same campaign takes to send when planned on 1, 2
 * and 3 worker threads. Leased batches split each batch run between the threads, so a plan on
 * several threads is not the one-thread plan; this measures what that costs (or gains), per
 * policy, in hours from the campaign's start to its last send.
 */
export interface PlanQualityRow {
  readonly campaign: string;
  readonly recipients: number;
  readonly threads: number;
  /** From the campaign's start to its last send, in hours. */
  readonly finishHours: number;
  /** Batch runs of the plan (sends separated by at least the batch gap). */
  readonly runs: number;
  readonly violations: number;
}

const ZONES = ['Europe/London', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'America/Sao_Paulo'] as const;
const CATEGORIES: readonly Category[] = ['marketing', 'marketing', 'marketing', 'utility', 'authentication'];

/** The campaigns: the preset, and variants whose runs are long, short or cut by quiet hours. */
function campaigns(): [string, Policy][] {
  return [
    ['conservative', definePolicy('conservative', {})],
    ['batches of 100, 5 min gap', definePolicy('conservative', { limits: { 'campaign-batches': { size: 100, gapMs: 5 * 60_000 } } })],
    ['no quiet hours', definePolicy('conservative', { sendWindows: { 'quiet-hours': null } })],
    ['20 per number per 10 min', definePolicy('conservative', { limits: { 'number-burst-10min': { count: 20 } } })],
  ];
}

export async function runPlanQuality(recipients: number, workerFile: URL): Promise<PlanQualityRow[]> {
  const start = Date.UTC(2026, 5, 1, 8, 0, 0) as Millis;
  const list = Array.from({ length: recipients }, (_, i) => ({ id: `r${i}`, row: i + 1, to: `+447${String(100_000_000 + i).slice(-9)}`, timeZone: ZONES[i % ZONES.length] as string, category: CATEGORIES[i % CATEGORIES.length] as Category }));
  const numbers = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'];
  const rows: PlanQualityRow[] = [];
  for (const [campaign, policy] of campaigns()) {
    for (const threads of [1, 2, 3]) {
      const plan = await planCampaignParallel(list, { policy, numbers, portfolio: 'bench', campaign: 'quality', start, accountStartedAt: start - 90 * 86_400_000, threads, workerFile });
      let last = start;
      for (const s of plan.sends) if (s.sendAt > last) last = s.sendAt;
      rows.push({ campaign, recipients, threads, finishHours: Number(((last - start) / 3_600_000).toFixed(2)), runs: plan.batches.length, violations: checkLedger(plan.policy, plan.sends).violations.length });
    }
  }
  return rows;
}
