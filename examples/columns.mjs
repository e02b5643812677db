// A campaign held as columns, planned on 2 worker threads, checked by the independent checker.
// Run: npm run build && node examples/columns.mjs
import { CAMPAIGN_CATEGORIES, PRESETS, checkLedger, columnarSends, planCampaignColumnsParallel, skipOf } from 'sluice';

const n = 20_000;
const zones = ['Europe/London', 'America/New_York'];
const recipients = {
  to: new Float64Array(n), // E.164 digits without the `+`
  category: new Uint8Array(n), // index in CAMPAIGN_CATEGORIES
  zone: new Uint16Array(n), // index in zones
  zones,
};
for (let i = 0; i < n; i++) {
  recipients.to[i] = 447400000000 + i;
  recipients.category[i] = CAMPAIGN_CATEGORIES.indexOf(i % 10 === 0 ? 'utility' : 'marketing');
  recipients.zone[i] = i % zones.length;
}
const options = {
  policy: PRESETS.conservative,
  numbers: ['phone-1', 'phone-2'],
  portfolio: 'acme',
  campaign: 'winter-sale',
  start: Date.parse('2026-11-23T08:00:00Z'),
  deadline: Date.parse('2026-11-23T12:00:00Z'),
  accountStartedAt: Date.parse('2026-01-01T00:00:00Z'),
  threads: 2,
};
const plan = await planCampaignColumnsParallel(recipients, options);
console.log('planned:', plan.timeOrder.length, 'of', plan.count, 'in', plan.batches.length, 'batches');
console.log('row 1:', new Date(plan.sendAt[0]).toISOString(), options.numbers[plan.from[0]], 'batch', plan.batch[0]);
const skipped = Array.from({ length: n }, (_, i) => i).find((i) => skipOf(plan, i) !== null);
console.log('first skipped:', skipped === undefined ? 'none' : `row ${skipped + 1}, ${skipOf(plan, skipped).reason}`);
console.log('verified:', checkLedger(plan.policy, columnarSends(plan, recipients, options)).ok);
