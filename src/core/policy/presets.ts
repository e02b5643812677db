/**
 * The two shipped policies, as plain data (see DOMAIN.md). Every number is a field that
 * `definePolicy(preset, overrides)` can change by rule name; nothing here is read by code as a
 * constant. The rule names are API: users override and remove rules by name, and refusals
 * report them, so renaming one is a breaking change.
 *
 * Both presets pass through `validatePolicy` when this module loads, so they are deep-frozen and
 * known to be valid.
 */
import type { Policy } from '../types.js';
import { validatePolicy } from './validate.js';

export type PresetName = 'conservative' | 'cloud-api';
export const PRESET_NAMES: readonly PresetName[] = Object.freeze(['conservative', 'cloud-api']);

/**
 * Per-minute budgets of one sending account in the operator playbook: 200/min for a new account,
 * 500/min after about a month of stable use. `conservative` ships `new`; raise it with
 * `definePolicy('conservative', { limits: { 'number-per-minute': { count: ACCOUNT_TIERS.established } } })`.
 */
export const ACCOUNT_TIERS = Object.freeze({ new: 200, established: 500 } as const);

/**
 * The platform's portfolio messaging-limit tiers: distinct users reached with business-initiated
 * messages in a moving 24 h. Beyond the last tier the limit is lifted (remove the rule).
 */
export const MESSAGING_LIMIT_TIERS = Object.freeze([250, 2000, 10000, 100000] as const);

/**
 * Throughput of one business phone number on the Cloud API, in messages per second: 80 by
 * default, 1000 after the automatic upgrade, 20 for a number shared with the Business app.
 */
export const NUMBER_THROUGHPUT_TIERS = Object.freeze({ default: 80, upgraded: 1000, coexistence: 20 } as const);

/**
 * The operator playbook. Categories: authentication, utility and marketing are template
 * messages; service messages are free-form replies inside a customer-service window.
 */
const CONSERVATIVE = {
  name: 'conservative',
  limits: [
    // Per-minute budget of a new account (ACCOUNT_TIERS.new). Burst 1 paces evenly, so no
    // window of 60 s ever holds more than 200.
    { name: 'number-per-minute', kind: 'rate', scope: 'number', count: 200, periodMs: 60_000, burst: 1 },
    // Hard ceiling: above 1000/min the platform pauses the account for about an hour. Redundant
    // with the budget above until someone raises the budget; it must survive that override.
    { name: 'number-ceiling', kind: 'window', scope: 'number', count: 1000, windowMs: 60_000 },
    // The burst check operators watch for a new account: at most 500 in any 10 minutes.
    { name: 'number-burst-10min', kind: 'window', scope: 'number', count: 500, windowMs: 600_000 },
    // At most 5 template messages per recipient per local calendar day. Authentication templates
    // count (the playbook counts templates); service replies do not.
    {
      name: 'recipient-daily',
      kind: 'daily',
      scope: 'recipient',
      categories: ['authentication', 'utility', 'marketing'],
      count: 5,
    },
    // "Never a short interval between two messages to the same person": the playbook names no
    // number, so one minute, ten times the platform's own pair rate (1 per 6 s). Together with
    // the daily cap of 5 it never delays a recipient's day by more than 4 minutes. Only
    // business-initiated bulk categories: an OTP or a reply in a live conversation must not wait.
    {
      name: 'pair-spacing',
      kind: 'rate',
      scope: 'pair',
      categories: ['utility', 'marketing'],
      count: 1,
      periodMs: 60_000,
      burst: 1,
    },
    // At most 5 API calls per second per key; burst 1 keeps every 1 s window at 5 or fewer.
    { name: 'api-key', kind: 'rate', scope: 'apiKey', count: 5, periodMs: 1000, burst: 1 },
    // Progressive sending: batches of at most 1000, separated by gaps of 15 minutes.
    { name: 'campaign-batches', kind: 'batch', scope: 'campaign', size: 1000, gapMs: 900_000 },
  ],
  sendWindows: [
    // Avoid 22:00–09:00 recipient time for business-initiated bulk messages. Authentication and
    // service are never held: the recipient is waiting for them.
    { name: 'quiet-hours', categories: ['marketing', 'utility'], allowed: [{ from: '09:00', to: '22:00' }] },
  ],
  defaultTimeZone: 'UTC',
};

/** The platform's published limits (mid-2026). */
const CLOUD_API = {
  name: 'cloud-api',
  limits: [
    // 80 msg/s per number (NUMBER_THROUGHPUT_TIERS.default), but inbound messages count against
    // the same throughput, so keep 10% headroom: 72 per second, evenly paced.
    { name: 'number-throughput', kind: 'rate', scope: 'number', count: 72, periodMs: 1000, burst: 1 },
    // About 1 message per 6 s from one number to one user. The platform lends short bursts
    // against later capacity (GCRA debt); burst 1 never borrows, raise `burst` to allow it.
    { name: 'pair-rate', kind: 'rate', scope: 'pair', count: 1, periodMs: 6000, burst: 1 },
    // Distinct users reached with business-initiated messages (templates) by the whole portfolio
    // in a moving 24 h, lowest tier (MESSAGING_LIMIT_TIERS[0]). Service replies are not counted.
    {
      name: 'portfolio-messaging-limit',
      kind: 'distinct',
      scope: 'portfolio',
      categories: ['authentication', 'utility', 'marketing'],
      count: 250,
      windowMs: 86_400_000,
    },
    // No API-key rule: the platform's request limits apply to the management API, not to sends.
  ],
  sendWindows: [],
  defaultTimeZone: 'UTC',
};

export const PRESETS: Readonly<Record<PresetName, Policy>> = Object.freeze({
  conservative: validatePolicy(CONSERVATIVE, 'PRESETS.conservative'),
  'cloud-api': validatePolicy(CLOUD_API, 'PRESETS.cloud-api'),
});

export function isPresetName(value: unknown): value is PresetName {
  return typeof value === 'string' && (PRESET_NAMES as readonly string[]).includes(value);
}
