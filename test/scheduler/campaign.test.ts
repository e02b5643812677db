import { describe, expect, it } from 'vitest';
import { planCampaign, type CampaignRecipient } from '../../src/scheduler/campaign.js';
import { PRESETS, definePolicy } from '../../src/core/policy/index.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { checkLedger } from '../../src/verify/checker.js';
import type { Category } from '../../src/core/types.js';

const ZONES = ['Europe/London', 'Australia/Lord_Howe', 'America/Havana', 'Asia/Kathmandu', 'Pacific/Chatham', 'Pacific/Kiritimati', 'Etc/GMT+12', 'America/New_York'];
// Saturday before the London autumn change: the 25-hour day falls inside the campaign.
const start = Date.parse('2026-10-24T18:00:00Z');

function recipients(n: number, category: (i: number) => Category = () => 'marketing'): CampaignRecipient[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `r${i}`,
    row: i + 1,
    to: `+4477009${String(i).padStart(5, '0')}`,
    timeZone: ZONES[i % ZONES.length] as string,
    category: category(i),
  }));
}

describe('planCampaign', () => {
  it('gives every recipient exactly one row, and the schedule passes the independent checker across DST days and odd zones', async () => {
    const rs = recipients(3000, (i) => (i % 10 === 0 ? 'utility' : 'marketing'));
    const plan = await planCampaign(rs, { policy: PRESETS.conservative, numbers: ['n1', 'n2', 'n3'], portfolio: 'acme', campaign: 'autumn', start });
    expect(plan.rows.map((r) => r.row)).toEqual(rs.map((r) => r.row));
    expect(plan.rows.every((r) => r.kind === 'send')).toBe(true);
    expect(checkLedger(plan.policy, plan.sends).violations).toEqual([]);
    // Quiet hours held many, and batches of at most 1,000 are separated by the 15-minute gap.
    expect(plan.heldBy.get('quiet-hours') ?? 0).toBeGreaterThan(500);
    expect(plan.batches.every((b) => b.count <= 1000)).toBe(true);
    for (let k = 1; k < plan.batches.length; k++) expect(plan.batches[k]!.first - plan.batches[k - 1]!.last).toBeGreaterThanOrEqual(900_000);
  });

  it('spreads recipients over the pool, least loaded first', async () => {
    const plan = await planCampaign(recipients(90), { policy: PRESETS['cloud-api'], numbers: ['a', 'b', 'c'], portfolio: 'p', campaign: 'c', start });
    const per = new Map<string, number>();
    for (const r of plan.rows) if (r.kind === 'send') per.set(r.from, (per.get(r.from) ?? 0) + 1);
    expect([...per.values()]).toEqual([30, 30, 30]);
  });

  it('authentication and utility take the slots before marketing when they compete', async () => {
    const policy = definePolicy('cloud-api', { limits: { 'number-throughput': { count: 1, periodMs: 1000 } } });
    const rs = recipients(6, (i) => (i < 3 ? 'marketing' : i === 3 ? 'utility' : 'authentication')).map((r) => ({ ...r, timeZone: 'UTC' }));
    const plan = await planCampaign(rs, { policy, numbers: ['n1'], portfolio: 'p', campaign: 'c', start });
    const at = (id: string) => (plan.rows.find((r) => r.id === id) as { sendAt: number }).sendAt - start;
    expect([at('r4'), at('r5'), at('r3')]).toEqual([0, 1000, 2000]);
    expect([at('r0'), at('r1'), at('r2')]).toEqual([3000, 4000, 5000]);
  });

  it('derives the account tier from its start date (200/min new, 500/min after 30 days)', async () => {
    const young = await planCampaign(recipients(10), { policy: PRESETS.conservative, numbers: ['n1'], portfolio: 'p', campaign: 'c', start, accountStartedAt: start - 5 * 86_400_000 });
    const old = await planCampaign(recipients(10), { policy: PRESETS.conservative, numbers: ['n1'], portfolio: 'p', campaign: 'c', start, accountStartedAt: start - 40 * 86_400_000 });
    const rule = (p: typeof young) => p.policy.limits.find((r) => r.name === 'number-per-minute');
    expect(rule(young)).toMatchObject({ count: 200 });
    expect(rule(old)).toMatchObject({ count: 500 });
  });

  it('refuses with a reason what cannot go before the deadline, instead of sending late', async () => {
    const policy = definePolicy('cloud-api', { limits: { 'number-throughput': { count: 1, periodMs: 60_000 } } });
    const plan = await planCampaign(recipients(5).map((r) => ({ ...r, timeZone: 'UTC' })), { policy, numbers: ['n1'], portfolio: 'p', campaign: 'c', start, deadline: start + 150_000 });
    expect(plan.rows.map((r) => (r.kind === 'send' ? 'sent' : r.reason))).toEqual(['sent', 'sent', 'sent', 'deadline', 'deadline']);
  });

  it('plans the same campaign through any store (here the embedded one behind the async contract)', async () => {
    const rs = recipients(200);
    const policy = PRESETS.conservative;
    const sync = await planCampaign(rs, { policy, numbers: ['n1', 'n2'], portfolio: 'p', campaign: 'c', start });
    const viaContract = await planCampaign(rs, { policy, numbers: ['n1', 'n2'], portfolio: 'p', campaign: 'c', start, store: MemoryStore.create(policy) });
    expect(viaContract.rows).toEqual(sync.rows);
  });
});
