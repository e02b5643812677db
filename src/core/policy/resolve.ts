/**
 * Which rules apply to a message, and under which store keys.
 *
 * Key format (stable: the stores persist state under it, the Redis store in Lua):
 *
 *     `${portfolio}|${rule.name}|${scopeValue}`
 *
 * | scope       | scopeValue      |
 * |-------------|-----------------|
 * | `number`    | `from`          |
 * | `pair`      | `${from}|${to}` |
 * | `recipient` | `to`            |
 * | `portfolio` | `` (empty)      |
 * | `campaign`  | `campaign`      |
 * | `apiKey`    | `apiKey`        |
 *
 * Why it is unambiguous: validation forbids `|` in `portfolio`, `from`, `campaign` and `apiKey`,
 * rule names are `[A-Za-z0-9_-]`, and `to` is `+` and digits; so splitting on `|` recovers every
 * part, and two different (rule, scope value) pairs never share a key. The portfolio comes first
 * so that every key of one message starts with it: the Redis store wraps it as the Cluster hash
 * tag (validation also forbids `{` and `}`), keeping one message's keys in one slot.
 *
 * Resolution is pure and cheap; it trusts a validated policy and message.
 */
import type { LimitRule, Message, Policy, SendWindowRule } from '../types.js';

export interface ResolvedLimit {
  readonly rule: LimitRule;
  readonly key: string;
}

export interface ResolvedMessage {
  /** Rules applying to the message's category, in policy order (campaign/apiKey rules skipped when the field is absent). */
  readonly limits: readonly ResolvedLimit[];
  /** Send-window rules applying to the message's category, in policy order. */
  readonly windows: readonly SendWindowRule[];
  /** `message.timeZone ?? policy.defaultTimeZone`. */
  readonly timeZone: string;
  /** `message.cost ?? 1`. */
  readonly cost: number;
}

/** The store key of `rule` for `message`, or null when the message lacks the scope's field. */
export function limitKey(rule: LimitRule, message: Message): string | null {
  const scope = limitScope(rule, message);
  return scope === null ? null : `${message.portfolio}|${rule.name}|${scope}`;
}

/** The part of a limit's key after `${portfolio}|${rule}|` (null when the scope's field is missing). */
export function limitScope(rule: LimitRule, message: Message): string | null {
  switch (rule.scope) {
    case 'number':
      return message.from;
    case 'pair':
      return `${message.from}|${message.to}`;
    case 'recipient':
      return message.to;
    case 'portfolio':
      return '';
    case 'campaign':
      return message.campaign ?? null;
    case 'apiKey':
      return message.apiKey ?? null;
  }
}

function applies(categories: readonly string[] | undefined, category: string): boolean {
  return categories === undefined || categories.includes(category);
}

export function resolveRules(policy: Policy, message: Message): ResolvedMessage {
  const limits: ResolvedLimit[] = [];
  for (const rule of policy.limits) {
    if (!applies(rule.categories, message.category)) continue;
    const key = limitKey(rule, message);
    if (key !== null) limits.push({ rule, key });
  }
  const windows = policy.sendWindows.filter((w) => applies(w.categories, message.category));
  return {
    limits,
    windows,
    timeZone: message.timeZone ?? policy.defaultTimeZone,
    cost: message.cost ?? 1,
  };
}
