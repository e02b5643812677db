import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CampaignPlanner, PRESETS, PlanWorkerError, PlannerClosedError, ValidationError, checkLedger, columnarSends, definePolicy, planCampaignColumns, planCampaignColumnsParallel, planCampaignParallel, recipientColumns } from '../../dist/index.js';
import type { CampaignRecipient, Category, ColumnarPlan } from '../../src/index.js';

// Real worker threads from the built package (npm test builds first).
const ZONES = ['Europe/London', 'Australia/Lord_Howe', 'America/Havana', 'Asia/Kathmandu'];
const CATEGORIES: readonly Category[] = ['marketing', 'utility', 'marketing', 'authentication'];
const start = Date.parse('2026-10-24T18:00:00Z');
const options = { policy: PRESETS.conservative, numbers: ['n1', 'n2', 'n3', 'n4'], portfolio: 'acme', campaign: 'autumn', start, accountStartedAt: start - 90 * 86_400_000 };
// Small batches, so that the parts of a 2-thread plan meet at many batch runs.
const smallBatches = definePolicy('conservative', { limits: { 'campaign-batches': { size: 200, gapMs: 15 * 60_000 } } });

function recipients(n: number, offset = 0): CampaignRecipient[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `r${i}`,
    row: i + 1,
    to: `+4477${String(offset + i).padStart(8, '0')}`,
    timeZone: ZONES[i % ZONES.length] as string,
    category: CATEGORIES[i % CATEGORIES.length] as Category,
  }));
}

/** What makes two columnar plans the same plan. */
function decisions(plan: ColumnarPlan) {
  return { sendAt: [...plan.sendAt], from: [...plan.from], refusal: [...plan.refusal], batch: [...plan.batch], batches: plan.batches };
}

const planners: CampaignPlanner[] = [];
function planner(threads: number, workerFile?: string): CampaignPlanner {
  const p = new CampaignPlanner({ threads, ...(workerFile === undefined ? {} : { workerFile }) });
  planners.push(p);
  return p;
}
afterAll(async () => {
  for (const p of planners) await p.close();
});

describe('CampaignPlanner: worker threads kept between plans', () => {
  it('plans as planCampaignColumnsParallel does with its thread count, plan after plan', async () => {
    const columns = recipientColumns(recipients(3_000));
    const o = { ...options, policy: smallBatches };
    const expected = decisions(await planCampaignColumnsParallel(columns, { ...o, threads: 2 }));
    const two = planner(2);
    for (let k = 0; k < 3; k++) {
      const plan = await two.planColumns(columns, o);
      expect(decisions(plan)).toEqual(expected);
      expect(checkLedger(plan.policy, columnarSends(plan, columns, o)).violations).toEqual([]);
    }
  });

  it('with one thread, plans exactly as the in-thread planner', async () => {
    const columns = recipientColumns(recipients(2_000));
    const one = planner(1);
    expect(decisions(await one.planColumns(columns, options))).toEqual(decisions(await planCampaignColumns(columns, options)));
  });

  it('plan() returns what planCampaignParallel returns', async () => {
    const rs = recipients(1_500);
    const o = { ...options, policy: smallBatches };
    const plan = await planner(2).plan(rs, o);
    const expected = await planCampaignParallel(rs, { ...o, threads: 2 });
    expect(plan.rows).toEqual(expected.rows);
    expect(plan.sends).toEqual(expected.sends);
  });

  it('runs plans asked for at once one after the other, each as if alone (no deadlock between their parts)', async () => {
    const campaigns = [recipients(2_500), recipients(700, 50_000), recipients(1_800, 90_000)].map(recipientColumns);
    const o = { ...options, policy: smallBatches };
    const alone = await Promise.all(campaigns.map(async (c) => decisions(await planCampaignColumnsParallel(c, { ...o, threads: 2 }))));
    const two = planner(2);
    const together = await Promise.all(campaigns.map((c, k) => two.planColumns(c, { ...o, campaign: `c${k}` })));
    expect(together.map(decisions)).toEqual(alone);
  });

  it('plans on a store shared by its threads (a portfolio limit) as often as asked', async () => {
    const policy = definePolicy('conservative', {
      addLimits: [{ name: 'portfolio-reach', kind: 'distinct', scope: 'portfolio', categories: ['marketing', 'utility', 'authentication'], count: 300, windowMs: 86_400_000 }],
    });
    const rs = recipients(1_000);
    const two = planner(2);
    for (let k = 0; k < 2; k++) {
      const plan = await two.plan(rs, { ...options, policy });
      const report = checkLedger(plan.policy, plan.sends);
      expect(report.violations).toEqual([]);
      expect(report.peaks.find((p) => p.rule === 'portfolio-reach')?.observed).toBe(300);
    }
  });

  it('stays usable after a plan fails in a worker (PlanWorkerError)', async () => {
    const workerFile = fileURLToPath(new URL('../fixtures/refusing-plan-worker.mjs', import.meta.url));
    const two = planner(2, workerFile);
    const o = { ...options, policy: smallBatches };
    const rs = recipients(2_000);
    const failed = two.plan(rs, { ...o, campaign: 'refused' }).catch((e: unknown) => e);
    const next = two.plan(rs, o);
    const failure = await failed;
    expect(failure).toBeInstanceOf(PlanWorkerError);
    expect(failure).toMatchObject({ part: 1, message: expect.stringContaining('part 1 refuses this campaign') });
    const plan = await next;
    expect(plan.sends).toHaveLength(rs.length);
    expect(checkLedger(plan.policy, plan.sends).violations).toEqual([]);
  });

  it('close() lets the plans already asked for finish, then refuses new ones with PlannerClosedError', async () => {
    const two = new CampaignPlanner({ threads: 2 });
    const columns = recipientColumns(recipients(1_000));
    const pending = two.planColumns(columns, options);
    const closed = two.close();
    await expect(two.planColumns(columns, options)).rejects.toBeInstanceOf(PlannerClosedError);
    expect((await pending).timeOrder.length).toBe(1_000);
    await closed;
    await two.close(); // a second close is a no-op
    await expect(two.plan(recipients(10), options)).rejects.toMatchObject({ code: 'SLUICE_PLANNER_CLOSED' });
  });

  it('names the option on a bad thread count', () => {
    for (const threads of [0, 1.5, 257, Number.NaN]) {
      const err = (() => {
        try {
          return new CampaignPlanner({ threads });
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe('threads');
    }
  });
});
