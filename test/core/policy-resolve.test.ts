import { describe, expect, it } from 'vitest';
import { PRESETS, limitKey, resolveRules, validateMessage, validatePolicy } from '../../src/core/policy/index.js';
import type { Category, Message, Policy } from '../../src/core/types.js';

/** One rule per scope, each restricted to a category or not, plus two send windows. */
const policy: Policy = validatePolicy({
  name: 'scopes',
  limits: [
    { name: 'by-number', kind: 'rate', scope: 'number', count: 80, periodMs: 1000 },
    { name: 'by-pair', kind: 'rate', scope: 'pair', count: 1, periodMs: 6000 },
    { name: 'by-recipient', kind: 'daily', scope: 'recipient', categories: ['marketing', 'utility'], count: 5 },
    { name: 'by-portfolio', kind: 'distinct', scope: 'portfolio', categories: ['marketing'], count: 250, windowMs: 86_400_000 },
    { name: 'by-campaign', kind: 'batch', scope: 'campaign', size: 1000, gapMs: 900_000 },
    { name: 'by-key', kind: 'window', scope: 'apiKey', count: 5, windowMs: 1000 },
  ],
  sendWindows: [
    { name: 'quiet', categories: ['marketing'], allowed: [{ from: '09:00', to: '22:00' }] },
    { name: 'all', categories: ['authentication', 'utility', 'marketing', 'service'], allowed: [{ from: '00:00', to: '24:00' }] },
  ],
  defaultTimeZone: 'Europe/Paris',
});

function message(category: Category, extra: Partial<Message> = {}): Message {
  return validateMessage({
    id: 'm1',
    to: '+5511987654321',
    from: 'num-A',
    portfolio: 'acme',
    category,
    ...extra,
  });
}

describe('limitKey', () => {
  const m = message('marketing', { campaign: 'spring', apiKey: 'key-9' });
  const byName = (name: string) => policy.limits.find((r) => r.name === name)!;

  it('builds portfolio|rule|scopeValue for every scope', () => {
    expect(limitKey(byName('by-number'), m)).toBe('acme|by-number|num-A');
    expect(limitKey(byName('by-pair'), m)).toBe('acme|by-pair|num-A|+5511987654321');
    expect(limitKey(byName('by-recipient'), m)).toBe('acme|by-recipient|+5511987654321');
    expect(limitKey(byName('by-portfolio'), m)).toBe('acme|by-portfolio|');
    expect(limitKey(byName('by-campaign'), m)).toBe('acme|by-campaign|spring');
    expect(limitKey(byName('by-key'), m)).toBe('acme|by-key|key-9');
  });

  it('returns null for campaign and apiKey scopes when the message lacks the field', () => {
    const bare = message('marketing');
    expect(limitKey(byName('by-campaign'), bare)).toBeNull();
    expect(limitKey(byName('by-key'), bare)).toBeNull();
  });

  it('starts every key of a message with its portfolio (the future hash tag)', () => {
    for (const { key } of resolveRules(policy, m).limits) expect(key.split('|')[0]).toBe('acme');
  });

  it('separates numbers, pairs and recipients that could otherwise collide', () => {
    const a = message('service', { from: 'x', to: '+12345678901' });
    const b = message('service', { from: 'x', to: '+12345678902' });
    expect(limitKey(byName('by-pair'), a)).not.toBe(limitKey(byName('by-pair'), b));
    expect(limitKey(byName('by-number'), a)).toBe(limitKey(byName('by-number'), b));
    const other = message('service', { portfolio: 'other' });
    expect(limitKey(byName('by-portfolio'), other)).toBe('other|by-portfolio|');
  });
});

describe('resolveRules', () => {
  it('keeps only the rules of the message category, in policy order', () => {
    const names = (c: Category, extra: Partial<Message> = {}) =>
      resolveRules(policy, message(c, { campaign: 'c', apiKey: 'k', ...extra })).limits.map((l) => l.rule.name);
    expect(names('marketing')).toEqual(['by-number', 'by-pair', 'by-recipient', 'by-portfolio', 'by-campaign', 'by-key']);
    expect(names('utility')).toEqual(['by-number', 'by-pair', 'by-recipient', 'by-campaign', 'by-key']);
    expect(names('authentication')).toEqual(['by-number', 'by-pair', 'by-campaign', 'by-key']);
    expect(names('service')).toEqual(['by-number', 'by-pair', 'by-campaign', 'by-key']);
  });

  it('skips campaign and apiKey rules when the message has no campaign or key', () => {
    const r = resolveRules(policy, message('marketing'));
    expect(r.limits.map((l) => l.rule.name)).toEqual(['by-number', 'by-pair', 'by-recipient', 'by-portfolio']);
    const withKey = resolveRules(policy, message('marketing', { apiKey: 'k' }));
    expect(withKey.limits.map((l) => l.rule.name)).toContain('by-key');
    expect(withKey.limits.map((l) => l.rule.name)).not.toContain('by-campaign');
  });

  it('hands back the rule objects of the policy, not copies', () => {
    const r = resolveRules(policy, message('marketing'));
    expect(r.limits[0]!.rule).toBe(policy.limits[0]);
  });

  it('filters send windows by category', () => {
    expect(resolveRules(policy, message('marketing')).windows.map((w) => w.name)).toEqual(['quiet', 'all']);
    expect(resolveRules(policy, message('authentication')).windows.map((w) => w.name)).toEqual(['all']);
  });

  it('uses the message time zone, else the policy default', () => {
    expect(resolveRules(policy, message('service')).timeZone).toBe('Europe/Paris');
    expect(resolveRules(policy, message('service', { timeZone: 'Asia/Kolkata' })).timeZone).toBe('Asia/Kolkata');
  });

  it('reports the cost, defaulting to 1 for an unvalidated message', () => {
    expect(resolveRules(policy, message('service', { cost: 7 })).cost).toBe(7);
    const raw: Message = { id: 'x', to: '+5511987654321', from: 'f', portfolio: 'p', category: 'service' };
    expect(resolveRules(policy, raw).cost).toBe(1);
  });

  it('resolves the presets as DOMAIN.md expects', () => {
    const base = { campaign: 'c', apiKey: 'k' };
    const conservative = (c: Category) => resolveRules(PRESETS.conservative, message(c, base));
    expect(conservative('service').limits.map((l) => l.rule.name)).toEqual([
      'number-per-minute',
      'number-ceiling',
      'number-burst-10min',
      'api-key',
      'campaign-batches',
    ]);
    expect(conservative('authentication').windows).toEqual([]);
    expect(conservative('marketing').windows.map((w) => w.name)).toEqual(['quiet-hours']);
    const cloud = (c: Category) => resolveRules(PRESETS['cloud-api'], message(c, base)).limits.map((l) => l.rule.name);
    expect(cloud('service')).toEqual(['number-throughput', 'pair-rate']);
    expect(cloud('utility')).toEqual(['number-throughput', 'pair-rate', 'portfolio-messaging-limit']);
  });
});
