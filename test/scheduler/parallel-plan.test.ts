import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PlanWorkerError, PRESETS, checkLedger, definePolicy, planCampaign, planCampaignParallel } from '../../dist/index.js';
import type { CampaignRecipient, Category } from '../../src/index.js';

// Real worker threads from the built package (npm test builds first).
const ZONES = ['Europe/London', 'Australia/Lord_Howe', 'America/Havana', 'Asia/Kathmandu', 'Pacific/Chatham', 'America/New_York'];
const CATEGORIES: readonly Category[] = ['marketing', 'marketing', 'utility', 'authentication', 'marketing'];
const start = Date.parse('2026-10-24T18:00:00Z');

/** Every 50th row repeats one of 7 recipients, so their daily cap (5) is shared by several numbers, hence by several workers. */
function recipients(n: number): CampaignRecipient[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `r${i}`,
    row: i + 1,
    to: i % 50 === 7 ? `+44770000000${i % 7}` : `+4477009${String(i).padStart(5, '0')}`,
    timeZone: ZONES[i % ZONES.length] as string,
    category: CATEGORIES[i % CATEGORIES.length] as Category,
  }));
}

const options = { policy: PRESETS.conservative, numbers: ['n1', 'n2', 'n3', 'n4'], portfolio: 'acme', campaign: 'autumn', start, accountStartedAt: start - 90 * 86_400_000 };

describe('planCampaignParallel (Piscina worker threads sharing the embedded store)', () => {
  const rs = recipients(6_000);

  for (const threads of [1, 2, 4]) {
    it(`with ${threads} thread(s): one row per recipient, every send within every limit`, async () => {
      const plan = await planCampaignParallel(rs, { ...options, threads });
      expect(plan.rows.map((r) => r.row)).toEqual(rs.map((r) => r.row));
      expect(plan.rows.every((r) => r.kind === 'send')).toBe(true);
      expect(new Set(plan.sends.map((s) => s.id)).size).toBe(rs.length);
      const report = checkLedger(plan.policy, plan.sends);
      expect(report.violations).toEqual([]);
      // The shared recipients really met their daily cap (5 per local day), across workers.
      expect(report.peaks.find((p) => p.rule === 'recipient-daily')?.observed).toBe(5);
      expect(plan.heldBy.get('quiet-hours') ?? 0).toBeGreaterThan(500);
    });
  }

  it('with one thread gives exactly the in-thread plan (deterministic)', async () => {
    const inThread = await planCampaign(rs, options);
    const pooled = await planCampaignParallel(rs, { ...options, threads: 1 });
    expect(pooled.rows).toEqual(inThread.rows);
  });

  it('keeps per-recipient caps exact when each recipient is planned by one worker (its limits stay out of the lock)', async () => {
    // All marketing, two numbers: row i goes from number i mod 2. Every 10th row (even rows, so
    // number n1, so worker 0) messages one of two recipients, whose daily cap (5) binds.
    const rows: CampaignRecipient[] = Array.from({ length: 2_000 }, (_, i) => ({
      id: `r${i}`,
      row: i + 1,
      to: i % 10 === 0 ? `+44770000000${(i / 10) % 2}` : `+4477009${String(i).padStart(5, '0')}`,
      timeZone: 'Europe/London',
      category: 'marketing',
    }));
    const plan = await planCampaignParallel(rows, { ...options, numbers: ['n1', 'n2'], threads: 2 });
    const report = checkLedger(plan.policy, plan.sends);
    expect(report.violations).toEqual([]);
    expect(report.peaks.find((p) => p.rule === 'recipient-daily')?.observed).toBe(5);
    expect(plan.rows.filter((r) => r.kind === 'send')).toHaveLength(2_000);
  });

  it('keeps a tight shared limit exact across workers (a messaging limit of 300 distinct recipients per 24 h)', async () => {
    const policy = definePolicy('conservative', {
      addLimits: [{ name: 'portfolio-reach', kind: 'distinct', scope: 'portfolio', categories: ['marketing', 'utility', 'authentication'], count: 300, windowMs: 86_400_000 }],
    });
    const plan = await planCampaignParallel(recipients(1_200), { ...options, policy, threads: 4 });
    const report = checkLedger(plan.policy, plan.sends);
    expect(report.violations).toEqual([]);
    expect(report.peaks.find((p) => p.rule === 'portfolio-reach')?.observed).toBe(300);
    expect(plan.rows.every((r) => r.kind === 'send')).toBe(true);
  });

  it('fails with a PlanWorkerError, and does not hang, when a worker throws', async () => {
    const workerFile = fileURLToPath(new URL('../fixtures/failing-plan-worker.mjs', import.meta.url));
    const began = Date.now();
    const failure = await planCampaignParallel(rs, { ...options, threads: 2, workerFile }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PlanWorkerError);
    expect(failure).toMatchObject({ code: 'SLUICE_PLAN_WORKER', part: 1, message: expect.stringContaining('part 1 refuses to plan') });
    expect(Date.now() - began).toBeLessThan(20_000);
  });

  it('sizes the number rules by the pool of numbers, key gaps between parts included (200 numbers, 3 threads)', async () => {
    const numbers = Array.from({ length: 200 }, (_, k) => `n${k}`);
    for (const threads of [1, 3]) {
      const plan = await planCampaignParallel(rs, { ...options, numbers, threads });
      expect(checkLedger(plan.policy, plan.sends).violations).toEqual([]);
      expect(plan.sends).toHaveLength(rs.length);
      expect(new Set(plan.sends.map((s) => s.from)).size).toBe(Math.min(200, rs.length));
    }
  });

  it('names the option on a bad thread count', async () => {
    await expect(planCampaignParallel(rs, { ...options, threads: 0 })).rejects.toThrow(/`threads`/);
  });
});
