import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PlanWorkerError, PRESETS, checkLedger, definePolicy, planCampaign, planCampaignParallel } from '../../dist/index.js';
import type { CampaignPlan, CampaignRecipient, Category, Policy } from '../../src/index.js';
import { LAG, RunBarrier, apportion, reportsOf, runBarrierBuffer, runQuotas, schedule } from '../../src/scheduler/run-barrier.js';

// Parallel plans whose parts share only the batch rule (leased batches): each worker thread
// plans on a store of its own and the parts agree on the batch runs. Real worker threads from
// the built package (npm test builds first).

const ZONES = ['Europe/London', 'Asia/Kathmandu', 'America/New_York', 'Australia/Lord_Howe', 'Pacific/Chatham'];
const CATEGORIES: readonly Category[] = ['marketing', 'utility', 'marketing', 'authentication', 'marketing'];
const start = Date.parse('2026-03-28T20:00:00Z'); // Europe's DST change inside the campaign

/** Distinct recipients (so each one is in one part): the batch rule is all the parts share. */
function distinct(n: number): CampaignRecipient[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `r${i}`,
    row: i + 1,
    to: `+4477009${String(i).padStart(5, '0')}`,
    timeZone: ZONES[i % ZONES.length] as string,
    category: CATEGORIES[i % CATEGORIES.length] as Category,
  }));
}

const options = { numbers: ['n1', 'n2', 'n3', 'n4', 'n5'], portfolio: 'acme', campaign: 'spring', start, accountStartedAt: start - 90 * 86_400_000 };
const smallBatches = definePolicy('conservative', { limits: { 'campaign-batches': { size: 7, gapMs: 15 * 60_000 } } });

function lastSend(plan: CampaignPlan): number {
  return plan.sends.reduce((max, s) => Math.max(max, s.sendAt), -Infinity);
}

function expectValid(plan: CampaignPlan, rows: readonly CampaignRecipient[]): void {
  expect(plan.rows.map((r) => r.row)).toEqual(rows.map((r) => r.row));
  expect(new Set(plan.sends.map((s) => s.id)).size).toBe(plan.sends.length);
  expect(plan.rows.filter((r) => r.kind === 'send')).toHaveLength(plan.sends.length);
  expect(checkLedger(plan.policy, plan.sends).violations).toEqual([]);
}

describe('RunBarrier (the batch runs of leased batches)', () => {
  const G = 900_000;
  // Reports where every part spent its quota (busy), unless `busy` says otherwise.
  const reports = (opens: number, latest: number, earliestNext: number, left: number[], needed: number, sent: number[] = left.map(() => 0), busy: number[] = left.map(() => 1)) => ({ opens, latest, earliestNext, left, needed, sent, busy });

  it('opens run 1 a gap after run 0\'s latest send over the parts, and later runs a gap after the previous close', () => {
    const run0 = { opens: 0, closes: Infinity, quota: 5 };
    // Run 0 ended at a natural gap: its latest send 12 s in; run 1 spans 12 s + an eighth + 1 s.
    const run1 = schedule(run0, reports(0, 12_000, 5_000, [10, 30], 9_000), 10, G, 1);
    expect(run1).toEqual({ opens: 12_000 + G, closes: 12_000 + G + 14_500, quota: 7 });
    // Run 1 (reports of an earlier run): opens a gap after run 1 closes, whatever its sends.
    const run2 = schedule(run1, reports(0, 12_000, 5_000, [10, 30], 9_000), 10, G, 0);
    expect(run2.opens).toBe(run1.closes + G);
    expect(run2.quota).toBe(3);
    // Nobody sent in run 0: run 1 opens where the earliest part was.
    expect(schedule(run0, reports(0, -Infinity, 40_000, [1, 1], -1), 10, G, 0).opens).toBe(40_000);
  });

  it('opens late when every part was past the close (a night of quiet hours), and sizes runs by what the parts needed', () => {
    const current = { opens: 1_000_000, closes: 1_010_000, quota: 5 };
    const night = schedule(current, reports(500_000, -Infinity, 30_000_000, [4, 4], -1), 10, G, 0);
    expect(night.opens).toBe(30_000_000);
    // A run where every part ran out of messages keeps the span, whatever was sent in it.
    expect(night.closes - night.opens).toBe(10_000);
    expect(schedule(current, reports(500_000, 502_000, 0, [4, 4], -1), 10, G, 0).closes - current.closes - G).toBe(10_000);
    // A part cut short by the close (it needed half as much again) makes the next runs longer;
    // parts that spent their quota early make them shorter.
    const grown = schedule(current, reports(500_000, 510_000, 0, [4, 4], 15_000), 10, G, 0);
    expect(grown.closes - grown.opens).toBe(17_875);
    const shrunk = schedule(current, reports(500_000, 502_000, 0, [4, 4], 2_000), 10, G, 0);
    expect(shrunk.closes - shrunk.opens).toBe(3_250);
    // A run sends no later than its close, so the next run, a gap after the close, is a gap after every send.
    for (const r of [night, grown, shrunk]) expect(r.opens).toBeGreaterThanOrEqual(current.closes + G);
    // A closed run opens the next from the reports of the run LAG earlier; one without a close from its own.
    expect(reportsOf(1, current)).toBe(0);
    expect(reportsOf(LAG + 4, current)).toBe(5);
    expect(reportsOf(0, { opens: 0, closes: Infinity, quota: 5 })).toBe(0);
    expect(reportsOf(LAG + 4, { opens: 0, closes: Infinity, quota: 5 })).toBe(LAG + 4);
  });

  it('gives a long run (a span over an eighth of the gap) no close: it ends at a natural gap, its own reports open the next', () => {
    const current = { opens: 0, closes: 100_000, quota: 5 };
    // Parts needed 100 s: a span of 113.5 s, over 900 s / 8 = 112.5 s.
    const long = schedule(current, reports(0, 100_000, 0, [4, 4], 100_000), 10, G, 0);
    expect(long).toEqual({ opens: current.closes + G, closes: Infinity, quota: 5 });
    // 99 s: a span of 112.4 s, closed by the clock.
    expect(schedule(current, reports(0, 99_000, 0, [4, 4], 99_000), 10, G, 0).closes).toBe(current.closes + G + 112_375);
    // After a run without a close, the next opens a gap after its latest send, and is closed again once runs are short.
    const back = schedule(long, reports(long.opens, long.opens + 30_000, 0, [4, 4], 30_000), 10, G, 0);
    expect(back).toEqual({ opens: long.opens + 30_000 + G, closes: long.opens + 30_000 + G + 34_750, quota: 5 });
  });

  it('lets a part run LAG runs ahead of another without waiting, from the reports of the run LAG earlier', () => {
    const buffer = runBarrierBuffer(2);
    const zero = new RunBarrier(buffer, 0, 2, 10, G, 0);
    const one = new RunBarrier(buffer, 1, 2, 10, G, 0);
    // Part 1 reports run 0 (latest send 500) and no more; part 0 goes on alone.
    one.report(0, { opens: 0, closes: Infinity, quota: 5 }, 500, 600, 40, 500, 5);
    let run = zero.finish(0, { opens: 0, closes: Infinity, quota: 5 }, 300, 1_000, 40, 300, 5);
    expect(run).toEqual({ opens: 500 + G, closes: 500 + G + 1_563, quota: 5 });
    for (let k = 1; k < LAG; k++) {
      const next = zero.finish(k, run, run.opens + 100, run.closes + 1, 40 - k, 100, run.quota);
      expect(next.opens).toBe(run.closes + G);
      run = next;
    }
  });

  it('leaves out a part done before a run, counts the sends of one done in it, and shares the next run by messages left', () => {
    const buffer = runBarrierBuffer(3);
    const parts = [0, 1, 2].map((p) => new RunBarrier(buffer, p, 3, 7, G, 0));
    parts[1]!.done(0, 0, 100);
    parts[2]!.done(0, 0, 200);
    const run1 = parts[0]!.finish(0, { opens: 0, closes: Infinity, quota: 3 }, 50, 60, 5, 50, 3);
    expect(run1).toEqual({ opens: 200 + G, closes: 200 + G + 1_225, quota: 7 });
    // Runs 1 … LAG − 1 open from run 0's reports, and run LAG from run 1's, where parts 1 and 2 are gone.
    let run = run1;
    for (let k = 1; k <= LAG; k++) run = parts[0]!.finish(k, run, k === 1 ? run1.opens + 700 : -Infinity, run.closes + 1, 1, k === 1 ? 700 : -1, k === 1 ? 7 : 0);
    expect(run.quota).toBe(7);
    expect(run.closes - run.opens).toBe(Math.ceil(700 * 1.125) + 1_000);
  });

  it('gives a part that could not use its share of a short run what it used and half again, the others the rest by messages left', () => {
    // Part 0 sent 2 and ran out (its recipients in quiet hours); part 1 spent its quota.
    expect(runQuotas(10, [100, 100], [2, 5], [0, 1])).toEqual([3, 7]);
    // Never more than its share by messages left, at least one.
    expect(runQuotas(10, [100, 100], [9, 5], [0, 1])).toEqual([5, 5]);
    expect(runQuotas(10, [100, 100], [0, 5], [0, 1])).toEqual([1, 9]);
    // Nobody could have sent more: shared by messages left.
    expect(runQuotas(10, [100, 300], [1, 1], [0, 0])).toEqual([3, 7]); // 2.5 and 7.5: the tie to the lower part
    expect(runQuotas(Infinity, [1, 1], [0, 0], [0, 1])).toEqual([Infinity, Infinity]);
    for (const [size, left, sent, busy] of [[7, [5, 3, 9], [1, 0, 4], [0, 1, 1]], [1_000, [333, 0, 334, 1], [10, 0, 400, 0], [0, 0, 1, 0]], [3, [10, 1, 1], [0, 0, 0], [1, 0, 0]]] as const) {
      const q = runQuotas(size, left, sent, busy);
      expect(q.reduce((a, b) => a + b, 0)).toBe(size);
      q.forEach((x, k) => expect(x >= 1 || left[k] === 0).toBe(true));
    }
    // A short run's quotas follow what parts could send; a long run's, the messages left.
    const closed = { opens: 0, closes: 10_000, quota: 5 };
    expect(schedule(closed, reports(0, 9_000, 0, [100, 100], 9_000, [2, 5], [0, 1]), 10, G, 0).quota).toBe(3);
    expect(schedule(closed, reports(0, 200_000, 0, [100, 100], 200_000, [2, 5], [0, 1]), 10, G, 0).quota).toBe(5);
  });

  it('apportions a batch by largest remainder, with at least one for each part with messages left', () => {
    expect(apportion(1_000, [500_000, 500_000])).toEqual([500, 500]);
    expect(apportion(7, [600, 600, 300])).toEqual([3, 3, 1]);
    expect(apportion(7, [600, 600, 1])).toEqual([3, 3, 1]);
    expect(apportion(7, [0, 600, 0])).toEqual([0, 7, 0]);
    expect(apportion(3, [1_000, 1, 1])).toEqual([1, 1, 1]);
    expect(apportion(5, [1, 1])).toEqual([3, 2]);
    expect(apportion(2, [0, 0])).toEqual([0, 0]);
    expect(apportion(Infinity, [3, 0])).toEqual([Infinity, Infinity]);
    for (const [size, weights] of [[7, [5, 3, 9]], [1_000, [333, 333, 334, 1]], [3, [10, 1, 1]], [4, [1, 1, 1, 1]]] as const) {
      const shares = apportion(size, weights);
      expect(shares.reduce((a, b) => a + b, 0)).toBe(size);
      expect(shares.every((x) => x >= 1)).toBe(true);
    }
  });
});

describe('planCampaignParallel with leased batches', () => {
  const rows = distinct(1_500);

  for (const threads of [2, 3]) {
    it(`with ${threads} threads: every limit holds, the batch size binds, and the plan is deterministic`, async () => {
      const a = await planCampaignParallel(rows, { ...options, policy: smallBatches, threads });
      const b = await planCampaignParallel(rows, { ...options, policy: smallBatches, threads });
      expectValid(a, rows);
      expect(a.rows.every((r) => r.kind === 'send')).toBe(true);
      const report = checkLedger(a.policy, a.sends);
      expect(report.peaks.find((p) => p.rule === 'campaign-batches')?.observed).toBe(7);
      expect(b.rows).toEqual(a.rows);
      // The runs are the batches of the whole plan: at least a gap apart, 7 sends at most.
      for (const run of a.batches) expect(run.count).toBeLessThanOrEqual(7);
      // Splitting each run's quota between parts costs little: within an hour of the in-thread plan.
      const inThread = await planCampaign(rows, { ...options, policy: smallBatches });
      expect(lastSend(a)).toBeLessThanOrEqual(lastSend(inThread) + 3_600_000);
    });
  }

  it('splits an odd batch size into unequal quotas, and uses fewer parts than threads when the batch is smaller', async () => {
    for (const size of [5, 2]) {
      const policy = definePolicy('conservative', { limits: { 'campaign-batches': { size, gapMs: 10 * 60_000 } } });
      const plan = await planCampaignParallel(rows.slice(0, 300), { ...options, policy, threads: 4 });
      expectValid(plan, rows.slice(0, 300));
      expect(checkLedger(plan.policy, plan.sends).peaks.find((p) => p.rule === 'campaign-batches')?.observed).toBe(size);
    }
  });

  it('without a batch rule the parts never meet, and every limit still holds', async () => {
    const policy = definePolicy('conservative', { limits: { 'campaign-batches': null } });
    const plan = await planCampaignParallel(rows, { ...options, policy, threads: 2 });
    expectValid(plan, rows);
    expect(plan.rows.every((r) => r.kind === 'send')).toBe(true);
  });

  it('keeps what the batch rule does not count out of the runs (a rule for marketing only)', async () => {
    const policy = definePolicy('conservative', { limits: { 'campaign-batches': { size: 7, gapMs: 15 * 60_000, categories: ['marketing'] } } });
    const plan = await planCampaignParallel(rows, { ...options, policy, threads: 2 });
    expectValid(plan, rows);
    expect(checkLedger(plan.policy, plan.sends).peaks.find((p) => p.rule === 'campaign-batches')?.observed).toBe(7);
    // Authentication is neither batched nor held by quiet hours: it all goes within the first minutes.
    const auth = plan.sends.filter((s) => s.category === 'authentication');
    expect(auth.length).toBe(rows.filter((r) => r.category === 'authentication').length);
    expect(Math.max(...auth.map((s) => s.sendAt))).toBeLessThan(start + 30 * 60_000);
  });

  it('refuses past the deadline, as the in-thread plan does', async () => {
    const deadline = start + 6 * 3_600_000;
    const plan = await planCampaignParallel(rows, { ...options, policy: smallBatches, threads: 2, deadline });
    const inThread = await planCampaign(rows, { ...options, policy: smallBatches, deadline });
    expectValid(plan, rows);
    const skipped = (p: CampaignPlan) => p.rows.filter((r) => r.kind === 'skip' && r.reason === 'deadline').length;
    expect(skipped(plan)).toBeGreaterThan(0);
    expect(plan.sends.every((s) => s.sendAt <= deadline)).toBe(true);
    // Quotas split per part send a little less per run, never much less.
    expect(Math.abs(skipped(plan) - skipped(inThread))).toBeLessThan(rows.length * 0.1);
  });

  it('fails with a PlanWorkerError, and does not hang, when a part throws while the other waits for it', async () => {
    const workerFile = fileURLToPath(new URL('../fixtures/failing-plan-worker.mjs', import.meta.url));
    const failure = await planCampaignParallel(rows, { ...options, policy: smallBatches, threads: 2, workerFile }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PlanWorkerError);
    expect(failure).toMatchObject({ part: 1 });
  });
});

describe('planCampaignParallel on random campaigns (fast-check, real worker threads)', () => {
  // Deep runs: PROPERTY_RUNS=300 (the timeout follows the number of runs).
  const RUNS = Number(process.env.PROPERTY_RUNS ?? 25);
  const policyArb = fc.record({
    size: fc.integer({ min: 1, max: 16 }),
    gapMs: fc.integer({ min: 1, max: 90 }).map((m) => m * 60_000),
    // Mostly fast numbers, so that the batches bind (and a part's runs meet the other parts').
    perMinute: fc.oneof(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 100, max: 500 }), fc.integer({ min: 100, max: 500 })),
    daily: fc.integer({ min: 1, max: 5 }),
    // A small 10-minute window per number stops a part in the middle of a run until it reopens:
    // runs then take varying spans, and the run's close cuts some short.
    burst: fc.option(fc.integer({ min: 1, max: 6 }), { freq: 2 }),
    batches: fc.integer({ min: 0, max: 4 }).map((k) => k !== 0),
    // Some batch rules count only some categories; the others go outside the runs.
    batchCategories: fc.constantFrom<readonly Category[] | null>(null, null, ['marketing'], ['marketing', 'utility']),
    quiet: fc.boolean(),
    reach: fc.option(fc.integer({ min: 5, max: 60 }), { freq: 4 }),
  });

  function policyOf(p: { size: number; gapMs: number; perMinute: number; daily: number; burst: number | null; batches: boolean; batchCategories: readonly Category[] | null; quiet: boolean; reach: number | null }): Policy {
    return definePolicy('conservative', {
      limits: {
        'number-per-minute': { count: p.perMinute },
        'recipient-daily': { count: p.daily },
        ...(p.burst === null ? {} : { 'number-burst-10min': { count: p.burst } }),
        'campaign-batches': p.batches ? { size: p.size, gapMs: p.gapMs, ...(p.batchCategories === null ? {} : { categories: [...p.batchCategories] }) } : null,
      },
      ...(p.quiet ? {} : { sendWindows: { 'quiet-hours': null } }),
      ...(p.reach === null ? {} : { addLimits: [{ name: 'reach', kind: 'distinct' as const, scope: 'portfolio' as const, categories: ['authentication', 'utility', 'marketing'] as Category[], count: p.reach, windowMs: 86_400_000 }] }),
    });
  }

  const recipientArb = fc.record({ k: fc.integer({ min: 0, max: 400 }), zone: fc.constantFrom(...ZONES, 'UTC', 'America/St_Johns'), category: fc.constantFrom<Category>('marketing', 'utility', 'authentication') });
  const campaignArb = fc.record({
    policy: policyArb,
    numbers: fc.integer({ min: 1, max: 5 }),
    threads: fc.integer({ min: 2, max: 4 }),
    // Recipient k of a small pool: repeats put one recipient in several parts (a shared daily cap).
    recipients: fc.array(recipientArb, { minLength: 1, maxLength: 400 }),
    repeats: fc.integer({ min: 0, max: 3 }).map((k) => k === 0),
    deadlineHours: fc.option(fc.integer({ min: 1, max: 72 }), { freq: 3 }),
    commitAheadMs: fc.constantFrom<number | null>(null, null, 1_000, 600_000),
  });

  // Leased plans only (distinct recipients, a batch rule, nothing else shared), with the
  // preset's own rates as often as random ones: the runs' closes then cut parts short.
  // fast-check keeps arrays short by default; these have enough rows for many runs per part.
  const leasedArb = fc.record({ c: campaignArb, presetRates: fc.boolean(), recipients: fc.array(recipientArb, { minLength: 100, maxLength: 400 }) }).map(({ c, presetRates, recipients }) => ({
    ...c,
    recipients,
    repeats: false,
    numbers: Math.max(2, c.numbers),
    policy: { ...c.policy, batches: true, reach: null, ...(presetRates ? { perMinute: 200, burst: null } : {}) },
  }));

  for (const [name, arb] of [['any plan', campaignArb], ['leased plans', leasedArb]] as const) {
  it(`${name}: every row once, every limit held, and leased plans (no repeats, no shared limit) deterministic`, async () => {
    await fc.assert(
      fc.asyncProperty(arb, async (c) => {
        const policy = policyOf(c.policy);
        const rows: CampaignRecipient[] = c.recipients.map((r, i) => ({ id: `r${i}`, row: i + 1, to: `+4477009${String(c.repeats ? r.k : i).padStart(5, '0')}`, timeZone: r.zone, category: r.category }));
        const o = { policy, numbers: ['n1', 'n2', 'n3', 'n4', 'n5'].slice(0, c.numbers), portfolio: 'p', campaign: 'c', start, threads: c.threads, ...(c.deadlineHours === null ? {} : { deadline: start + c.deadlineHours * 3_600_000 }), ...(c.commitAheadMs === null ? {} : { commitAheadMs: c.commitAheadMs }) };
        const plan = await planCampaignParallel(rows, o);
        expectValid(plan, rows);
        for (const r of plan.rows) if (r.kind === 'skip') expect(['deadline', 'wait-exceeds-max', 'never', 'capacity']).toContain(r.reason);
        if (!c.repeats && c.policy.reach === null) {
          const again = await planCampaignParallel(rows, o);
          expect(again.rows).toEqual(plan.rows);
        }
      }),
      { numRuns: RUNS },
    );
  }, Math.max(120_000, RUNS * 2_000));
  }
});
