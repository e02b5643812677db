// A planning service: one CampaignPlanner, its 2 worker threads started once and kept for every
// campaign it plans, then closed. Run: npm run build && node examples/planner.mjs
import { CAMPAIGN_CATEGORIES, CampaignPlanner, PRESETS, checkLedger, columnarSends } from 'sluice';

/** A campaign of n recipients as columns (see examples/columns.mjs). */
function campaign(n, first) {
  const recipients = { to: new Float64Array(n), category: new Uint8Array(n), zone: new Uint16Array(n), zones: ['Europe/Madrid'] };
  for (let i = 0; i < n; i++) {
    recipients.to[i] = first + i;
    recipients.category[i] = CAMPAIGN_CATEGORIES.indexOf('marketing');
  }
  return recipients;
}

const planner = new CampaignPlanner({ threads: 2 });
const start = Date.parse('2026-11-23T08:00:00Z');
const base = { policy: PRESETS.conservative, numbers: ['phone-1', 'phone-2'], portfolio: 'acme', start, accountStartedAt: Date.parse('2026-01-01T00:00:00Z') };
try {
  // Asked for at once, planned one after the other on the same threads.
  const campaigns = [['winter-sale', campaign(5_000, 34600000000)], ['new-year', campaign(3_000, 34610000000)]];
  const plans = await Promise.all(campaigns.map(([name, recipients]) => planner.planColumns(recipients, { ...base, campaign: name })));
  plans.forEach((plan, k) => {
    const [name, recipients] = campaigns[k];
    const last = plan.sendAt[plan.timeOrder[plan.timeOrder.length - 1]];
    const ok = checkLedger(plan.policy, columnarSends(plan, recipients, { ...base, campaign: name })).ok;
    console.log(`${name}: ${plan.timeOrder.length} sends in ${plan.batches.length} batches, last at ${new Date(last).toISOString()}, verified: ${ok}`);
  });
} finally {
  await planner.close();
}
