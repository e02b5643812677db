import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAMPAIGN_CATEGORIES, PRESETS, ValidationError, checkLedger, columnarSends, definePolicy, planCampaign, planCampaignColumns, planCampaignColumnsParallel, recipientColumns, skipOf } from '../../dist/index.js';
import type { CampaignRecipient, Category, ColumnarPlan, RecipientColumns } from '../../src/index.js';
import { allDistinct, distinctInShare } from '../../src/scheduler/distinct-numbers.js';
import { mergeTimeOrders, timeOrderOf } from '../../src/scheduler/columnar-plan.js';

// Real worker threads from the built package (npm test builds first).
const ZONES = ['Europe/London', 'Australia/Lord_Howe', 'America/Havana', 'Asia/Kathmandu', 'America/New_York'];
const CATEGORIES: readonly Category[] = ['marketing', 'utility', 'marketing', 'authentication', 'marketing'];
const start = Date.parse('2026-10-24T18:00:00Z');
const options = { policy: PRESETS.conservative, numbers: ['n1', 'n2', 'n3', 'n4'], portfolio: 'acme', campaign: 'autumn', start, accountStartedAt: start - 90 * 86_400_000 };

/** `dupEvery` > 0: every such row repeats one of 5 recipients (so their daily cap is shared). */
function recipients(n: number, dupEvery = 0): CampaignRecipient[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `r${i}`,
    row: i + 1,
    to: dupEvery > 0 && i % dupEvery === 3 ? `+44770000000${i % 5}` : `+4477009${String(i).padStart(5, '0')}`,
    timeZone: ZONES[i % ZONES.length] as string,
    category: CATEGORIES[i % CATEGORIES.length] as Category,
  }));
}

/** The columnar plan read back as the object plan's rows (what `planCampaign` returns). */
function rowsOf(plan: ColumnarPlan, rs: readonly CampaignRecipient[]) {
  return rs.map((r, i) => {
    const skip = skipOf(plan, i);
    if (skip !== null) return { kind: 'skip', id: r.id, row: r.row, reason: skip.reason, detail: skip.detail };
    return { kind: 'send', id: r.id, row: r.row, to: r.to, from: options.numbers[plan.from[i]!], sendAt: plan.sendAt[i], batch: plan.batch[i], category: r.category, timeZone: r.timeZone };
  });
}

describe('columnar campaign planning', () => {
  it('plans the same campaign as planCampaign, in thread, with skips and duplicates', async () => {
    const policy = definePolicy('conservative', {});
    const rs = recipients(2_000, 40);
    const deadline = start + 20 * 3_600_000;
    const objects = await planCampaign(rs, { ...options, policy, deadline });
    const columns = recipientColumns(rs);
    const plan = await planCampaignColumns(columns, { ...options, policy, deadline });
    expect(plan.count).toBe(rs.length);
    expect(rowsOf(plan, rs)).toEqual(objects.rows);
    expect(columnarSends(plan, columns, options)).toEqual(objects.sends);
    expect(plan.batches).toEqual(objects.batches);
    expect([...plan.heldBy]).toEqual([...objects.heldBy]);
    // Some were refused by the deadline, and their batch is 0.
    const skipped = rs.filter((_, i) => skipOf(plan, i) !== null);
    expect(skipped.length).toBeGreaterThan(0);
    rs.forEach((_, i) => expect(plan.batch[i] === 0).toBe(plan.sendAt[i] !== plan.sendAt[i]));
  });

  it('time order: by send instant, ties in priority order (authentication first), then input order', async () => {
    const policy = definePolicy('cloud-api', {});
    const rs = recipients(8).map((r) => ({ ...r, timeZone: 'UTC' }));
    const plan = await planCampaignColumns(recipientColumns(rs), { ...options, policy, numbers: ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8'] });
    const sent = Array.from(plan.timeOrder);
    expect(sent).toHaveLength(8);
    for (let j = 1; j < sent.length; j++) expect(plan.sendAt[sent[j]!]!).toBeGreaterThanOrEqual(plan.sendAt[sent[j - 1]!]!);
    const rank = (i: number) => CAMPAIGN_CATEGORIES.indexOf(rs[i]!.category);
    for (let j = 1; j < sent.length; j++) {
      const [a, b] = [sent[j - 1]!, sent[j]!];
      if (plan.sendAt[a] === plan.sendAt[b]) expect(rank(a) < rank(b) || (rank(a) === rank(b) && a < b)).toBe(true);
    }
  });

  for (const threads of [1, 2, 3]) {
    it(`on ${threads} worker thread(s): every recipient planned, the sends within every limit (duplicates replanned by value)`, async () => {
      for (const dupEvery of [0, 25]) {
        const rs = recipients(4_000, dupEvery);
        const columns = recipientColumns(rs);
        const plan = await planCampaignColumnsParallel(columns, { ...options, threads });
        expect(plan.timeOrder.length).toBe(rs.length);
        const sends = columnarSends(plan, columns, options);
        const report = checkLedger(plan.policy, sends);
        expect(report.violations).toEqual([]);
        // The repeated recipients met their daily cap (5 per local day) without passing it.
        if (dupEvery > 0) expect(report.peaks.find((p) => p.rule === 'recipient-daily')?.observed).toBe(5);
        if (threads === 1) expect(plan).toEqual(await planCampaignColumns(columns, options));
      }
    });
  }

  it('refuses bad columns with a typed error naming the recipient and the rule, before planning', async () => {
    const good = recipientColumns(recipients(4));
    const cases: [Partial<RecipientColumns>, string][] = [
      [{ to: Float64Array.of(447700900000, 0, 447700900002, 447700900003) }, 'recipients[1].to'],
      [{ to: Float64Array.of(447700900000, 4477009000.5, 447700900002, 447700900003) }, 'recipients[1].to'],
      [{ to: Float64Array.of(447700900000, 1e16, 447700900002, 447700900003) }, 'recipients[1].to'],
      [{ category: Uint8Array.of(0, 0, 4, 0) }, 'recipients[2].category'],
      [{ zone: Uint16Array.of(0, 0, 0, 9) }, 'recipients[3].zone'],
      [{ zones: ['Europe/London', 'Mars/Olympus', 'America/Havana', 'Asia/Kathmandu'] }, 'recipients[1].timeZone'],
      [{ row: Int32Array.of(1, 2, 0, 4) }, 'recipients[2].row'],
      [{ category: Uint8Array.of(0, 0) }, 'recipients.category'],
    ];
    // Recipient objects: a missing or fractional row is refused by name, not read as another row.
    for (const row of [undefined, 0, 2.5]) {
      const rs = recipients(3).map((r, i) => (i === 1 ? { ...r, row } : r)) as CampaignRecipient[];
      const err = (() => {
        try {
          return recipientColumns(rs);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe('recipients[1].row');
    }
    for (const [change, field] of cases) {
      const bad = { ...good, ...change };
      for (const plan of [() => planCampaignColumns(bad, options), () => planCampaignColumnsParallel(bad, { ...options, threads: 2 })]) {
        const err = await plan().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ValidationError);
        expect((err as ValidationError).field).toBe(field);
      }
    }
  });
});

describe('the duplicate check', () => {
  const digits = fc.integer({ min: 10_000_000, max: 999_999_999_999_999 });
  it('finds a duplicate exactly when there is one, whatever the columns and however the shares split them', () => {
    fc.assert(
      fc.property(fc.array(digits, { maxLength: 6_000 }), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 5 }), (values, cut, dup, parts) => {
        if (values.length > 0 && dup % 3 === 0) values.push(values[dup % values.length]!);
        const all = Float64Array.from(values);
        const at = values.length === 0 ? 0 : cut % (values.length + 1);
        const columns = [all.subarray(0, at), all.subarray(at)];
        const distinct = new Set(values).size === values.length;
        expect(allDistinct(all)).toBe(distinct);
        const shares = Array.from({ length: parts }, (_, p) => distinctInShare(columns, p, parts));
        expect(shares.every(Boolean)).toBe(distinct);
      }),
      { numRuns: 200 },
    );
  });

  it('finds a duplicate among a million numbers that differ only in high digits', () => {
    const values = Float64Array.from({ length: 1_000_000 }, (_, i) => 100_000_000_000_000 + i * 4_294_967_296);
    expect(allDistinct(values)).toBe(true);
    values[999_999] = values[12]!;
    expect(allDistinct(values)).toBe(false);
  });
});

describe('time orders', () => {
  const instants = fc.array(fc.oneof(fc.constant(NaN), fc.integer({ min: 0, max: 50 }).map((t) => start + t * 1000), fc.integer({ min: 0, max: 2 ** 40 })), { maxLength: 400 });
  it('timeOrderOf lists the positions with a send by (instant, position); merging parts gives the whole order', () => {
    fc.assert(
      fc.property(instants, fc.integer({ min: 1, max: 4 }), (list, parts) => {
        const sendAt = Float64Array.from(list);
        const expected = list.map((t, k) => [t, k] as const).filter(([t]) => t === t).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, k]) => k);
        expect(Array.from(timeOrderOf(sendAt))).toEqual(expected);
        // Positions dealt to parts round-robin, each part ordered on its own, then merged.
        const split = Array.from({ length: parts }, (_, p) => {
          const positions = Int32Array.from(list.map((_, k) => k).filter((k) => k % parts === p));
          const local = Float64Array.from(positions, (k) => sendAt[k]!);
          return { positions, sendAt: local, order: timeOrderOf(local) };
        });
        expect(Array.from(mergeTimeOrders(split))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
