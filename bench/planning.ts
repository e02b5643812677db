// Planning throughput: a synthetic campaign of N recipients is planned with the `conservative`
// preset on the embedded store, then checked by the independent ledger checker. Recipients are
// built in memory (already screened), so the figure is the planner's own cost; the screening
// stage (libphonenumber-js canonicalisation) is timed separately on a sample of raw notations.
import { loadPolicy } from '../src/cli/policy-file.js';
import { planCampaign, type CampaignRecipient } from '../src/scheduler/campaign.js';
import { screenRecipients } from '../src/scheduler/recipients/index.js';
import type { RecipientRow } from '../src/scheduler/recipients/types.js';
import { checkLedger } from '../src/verify/checker.js';
import type { Category, Millis } from '../src/core/types.js';

export interface PlanningResult {
  readonly recipients: number;
  readonly threads: number;
  readonly wallMs: number;
  readonly planningMs: number;
  readonly screeningUsPerRow: number;
  readonly peakRssMiB: number;
  readonly messagesPlanned: number;
  readonly skipped: number;
  readonly verifiedOk: boolean;
  readonly violations: number;
}

const ZONES = ['Europe/London', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'America/Sao_Paulo'] as const;
const CATEGORIES: readonly Category[] = ['marketing', 'marketing', 'marketing', 'utility', 'authentication'];

/** Distinct, valid-shaped E.164 numbers (UK mobile range) with a spread of zones and categories. */
export function syntheticRecipients(n: number): CampaignRecipient[] {
  const out: CampaignRecipient[] = new Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = { id: `r${i}`, row: i + 1, to: `+447${String(100_000_000 + i).slice(-9)}`, timeZone: ZONES[i % ZONES.length] as string, category: CATEGORIES[i % CATEGORIES.length] as Category };
  }
  return out;
}

function screeningCost(start: Millis): number {
  const notations = ['+44 7700 900{n}', '0044-7700-900{n}', '+４４７７００９００{n}'];
  const rows: RecipientRow[] = Array.from({ length: 3_000 }, (_, i) => ({
    kind: 'fields' as const,
    row: i + 1,
    line: i + 2,
    fields: { to: (notations[i % 3] as string).replace('{n}', String(100 + (i % 900))), optIn: 'true' },
  }));
  const began = performance.now();
  let seen = 0;
  for (const _ of screenRecipients(rows, { now: start, suppression: new Set() })) seen++;
  return ((performance.now() - began) * 1000) / Math.max(1, seen);
}

export async function planOnce(recipients: number, start: Millis): Promise<PlanningResult> {
  const policy = loadPolicy('conservative');
  const list = syntheticRecipients(recipients);
  const began = performance.now();
  const plan = await planCampaign(list, { policy, numbers: ['n1', 'n2', 'n3', 'n4'], portfolio: 'bench', campaign: 'bench', start, accountStartedAt: start - 90 * 86_400_000 });
  const planningMs = performance.now() - began;
  const report = checkLedger(plan.policy, plan.sends);
  const wallMs = performance.now() - began;
  return {
    recipients,
    threads: 1,
    wallMs: Math.round(wallMs),
    planningMs: Math.round(planningMs),
    screeningUsPerRow: Number(screeningCost(start).toFixed(1)),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    messagesPlanned: plan.sends.length,
    skipped: plan.rows.length - plan.sends.length,
    verifiedOk: report.violations.length === 0,
    violations: report.violations.length,
  };
}

export async function runPlanning(options: { quick: boolean; log?: (line: string) => void }): Promise<{ rows: PlanningResult[] }> {
  const start = Date.UTC(2026, 0, 5, 9, 0, 0) as Millis;
  const sizes = options.quick ? [10_000] : [100_000, 1_000_000];
  const rows: PlanningResult[] = [];
  for (const n of sizes) rows.push(await planOnce(n, start));
  return { rows };
}
