import { ACCOUNT_TIERS, definePolicy } from '../core/policy/index.js';
import { DAY } from '../core/time.js';
import type { Millis, Policy } from '../core/types.js';

/** The playbook's ramp: a new account sends 200/min; after ~1 month of stable use, 500/min. */
export const ESTABLISHED_AFTER_MS = 30 * DAY;
const RULE = 'number-per-minute';

/**
 * The policy with the per-number per-minute budget of the account's tier at `at`: established
 * when the account started at least 30 days before, new otherwise. Policies without the
 * `number-per-minute` rule are returned unchanged. The tier is decided once, at the campaign's
 * start: a campaign crossing the 30-day mark keeps the new-account budget (the safe side).
 */
export function withAccountTier(policy: Policy, accountStartedAt: Millis | undefined, at: Millis): Policy {
  if (accountStartedAt === undefined || !policy.limits.some((r) => r.name === RULE)) return policy;
  const established = at - accountStartedAt >= ESTABLISHED_AFTER_MS;
  return definePolicy(policy, { limits: { [RULE]: { count: established ? ACCOUNT_TIERS.established : ACCOUNT_TIERS.new } } });
}
