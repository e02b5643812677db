import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import {
  ACCOUNT_TIERS,
  MESSAGING_LIMIT_TIERS,
  NUMBER_THROUGHPUT_TIERS,
  PRESETS,
  PRESET_NAMES,
  definePolicy,
  validatePolicy,
  type PolicyOverrides,
} from '../../src/core/policy/index.js';
import type { LimitRule, Policy } from '../../src/core/types.js';

function expectValidationError(fn: () => unknown, field: string, rule: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected a ValidationError at ${field}`).toBeInstanceOf(ValidationError);
  const err = caught as ValidationError;
  expect({ field: err.field, rule: err.rule }).toEqual({ field, rule });
}

function rule(policy: Policy, name: string): LimitRule {
  const found = policy.limits.find((r) => r.name === name);
  if (!found) throw new Error(`no rule ${name}`);
  return found;
}

function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeepFrozen);
}

const MINUTE = 60_000;
const DAY = 86_400_000;

describe('presets', () => {
  it('are valid, deep-frozen, and survive a round trip through validatePolicy', () => {
    expect(PRESET_NAMES).toEqual(['conservative', 'cloud-api']);
    for (const name of PRESET_NAMES) {
      const preset = PRESETS[name];
      expect(preset.name).toBe(name);
      expect(isDeepFrozen(preset)).toBe(true);
      expect(validatePolicy(structuredClone(preset))).toEqual(preset);
      expect(validatePolicy(JSON.parse(JSON.stringify(preset)))).toEqual(preset);
    }
    expect(Object.isFrozen(PRESETS)).toBe(true);
  });

  it('conservative carries the operator playbook numbers (DOMAIN.md §1)', () => {
    const p = PRESETS.conservative;
    expect(p.limits.map((r) => r.name)).toEqual([
      'number-per-minute',
      'number-ceiling',
      'number-burst-10min',
      'recipient-daily',
      'pair-spacing',
      'api-key',
      'campaign-batches',
    ]);
    // new account: 200/min, evenly paced
    expect(rule(p, 'number-per-minute')).toEqual({
      name: 'number-per-minute',
      kind: 'rate',
      scope: 'number',
      count: ACCOUNT_TIERS.new,
      periodMs: MINUTE,
      burst: 1,
    });
    expect(ACCOUNT_TIERS).toEqual({ new: 200, established: 500 });
    // never more than 1000/min
    expect(rule(p, 'number-ceiling')).toEqual({ name: 'number-ceiling', kind: 'window', scope: 'number', count: 1000, windowMs: MINUTE });
    // at most 500 in any 10 minutes
    expect(rule(p, 'number-burst-10min')).toEqual({
      name: 'number-burst-10min',
      kind: 'window',
      scope: 'number',
      count: 500,
      windowMs: 10 * MINUTE,
    });
    // 5 template messages per recipient per local day; service replies are not templates
    expect(rule(p, 'recipient-daily')).toEqual({
      name: 'recipient-daily',
      kind: 'daily',
      scope: 'recipient',
      categories: ['authentication', 'utility', 'marketing'],
      count: 5,
    });
    expect(rule(p, 'pair-spacing')).toMatchObject({ kind: 'rate', scope: 'pair', count: 1, periodMs: MINUTE, burst: 1 });
    expect(rule(p, 'pair-spacing').categories).toEqual(['utility', 'marketing']);
    // 5 API calls per second per key
    expect(rule(p, 'api-key')).toEqual({ name: 'api-key', kind: 'rate', scope: 'apiKey', count: 5, periodMs: 1000, burst: 1 });
    // batches of at most 1000, 15 min apart
    expect(rule(p, 'campaign-batches')).toEqual({
      name: 'campaign-batches',
      kind: 'batch',
      scope: 'campaign',
      size: 1000,
      gapMs: 15 * MINUTE,
    });
    // avoid 22:00–09:00 local for bulk categories; never hold authentication or service
    expect(p.sendWindows).toEqual([
      { name: 'quiet-hours', categories: ['marketing', 'utility'], allowed: [{ from: '09:00', to: '22:00' }] },
    ]);
    expect(p.defaultTimeZone).toBe('UTC');
  });

  it('cloud-api carries the platform limits (DOMAIN.md §2)', () => {
    const p = PRESETS['cloud-api'];
    expect(p.limits.map((r) => r.name)).toEqual(['number-throughput', 'pair-rate', 'portfolio-messaging-limit']);
    // 80 msg/s with 10% headroom for inbound traffic
    expect(NUMBER_THROUGHPUT_TIERS).toEqual({ default: 80, upgraded: 1000, coexistence: 20 });
    expect(rule(p, 'number-throughput')).toEqual({
      name: 'number-throughput',
      kind: 'rate',
      scope: 'number',
      count: Math.floor(NUMBER_THROUGHPUT_TIERS.default * 0.9),
      periodMs: 1000,
      burst: 1,
    });
    expect(rule(p, 'pair-rate')).toEqual({ name: 'pair-rate', kind: 'rate', scope: 'pair', count: 1, periodMs: 6000, burst: 1 });
    // distinct users in a moving 24 h, business-initiated only, lowest tier
    expect(MESSAGING_LIMIT_TIERS).toEqual([250, 2000, 10000, 100000]);
    expect(rule(p, 'portfolio-messaging-limit')).toEqual({
      name: 'portfolio-messaging-limit',
      kind: 'distinct',
      scope: 'portfolio',
      categories: ['authentication', 'utility', 'marketing'],
      count: MESSAGING_LIMIT_TIERS[0],
      windowMs: DAY,
    });
    expect(p.sendWindows).toEqual([]);
    expect(p.defaultTimeZone).toBe('UTC');
  });
});

describe('definePolicy', () => {
  it('returns the preset itself without overrides', () => {
    expect(definePolicy('conservative')).toBe(PRESETS.conservative);
    expect(definePolicy('cloud-api', {})).toEqual(PRESETS['cloud-api']);
  });

  it('overrides fields one by one and leaves the rest of the rule alone', () => {
    const p = definePolicy('conservative', {
      limits: {
        'number-per-minute': { count: ACCOUNT_TIERS.established },
        'pair-spacing': { periodMs: 30_000, burst: 2 },
        'campaign-batches': { gapMs: 5 * MINUTE },
      },
    });
    expect(rule(p, 'number-per-minute')).toEqual({ ...rule(PRESETS.conservative, 'number-per-minute'), count: 500 });
    expect(rule(p, 'pair-spacing')).toEqual({ ...rule(PRESETS.conservative, 'pair-spacing'), periodMs: 30_000, burst: 2 });
    expect(rule(p, 'campaign-batches')).toEqual({ ...rule(PRESETS.conservative, 'campaign-batches'), gapMs: 5 * MINUTE });
    // untouched rules, order and the preset itself are unchanged
    expect(p.limits.map((r) => r.name)).toEqual(PRESETS.conservative.limits.map((r) => r.name));
    expect(rule(p, 'number-ceiling')).toEqual(rule(PRESETS.conservative, 'number-ceiling'));
    expect(rule(PRESETS.conservative, 'number-per-minute')).toMatchObject({ count: 200 });
    expect(isDeepFrozen(p)).toBe(true);
  });

  it('raises the messaging-limit tier', () => {
    const p = definePolicy('cloud-api', { limits: { 'portfolio-messaging-limit': { count: MESSAGING_LIMIT_TIERS[2] } } });
    expect(rule(p, 'portfolio-messaging-limit')).toMatchObject({ kind: 'distinct', count: 10000, windowMs: DAY });
  });

  it('changes or clears categories', () => {
    const p = definePolicy('conservative', {
      limits: { 'recipient-daily': { categories: ['utility', 'marketing'] }, 'pair-spacing': { categories: null } },
    });
    expect(rule(p, 'recipient-daily').categories).toEqual(['utility', 'marketing']);
    expect(rule(p, 'pair-spacing')).not.toHaveProperty('categories');
  });

  it('removes rules with null and appends new ones', () => {
    const p = definePolicy('conservative', {
      name: 'my-policy',
      defaultTimeZone: 'America/Bogota',
      limits: { 'api-key': null, 'number-burst-10min': null },
      addLimits: [{ name: 'api-key', kind: 'window', scope: 'apiKey', count: 5, windowMs: 1000 }],
      sendWindows: { 'quiet-hours': null },
      addSendWindows: [
        {
          name: 'colombia',
          categories: ['marketing'],
          allowed: [
            { from: '07:00', to: '19:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] },
            { from: '08:00', to: '15:00', days: ['sat'] },
          ],
        },
      ],
    });
    expect(p.name).toBe('my-policy');
    expect(p.defaultTimeZone).toBe('America/Bogota');
    expect(p.limits.map((r) => r.name)).toEqual([
      'number-per-minute',
      'number-ceiling',
      'recipient-daily',
      'pair-spacing',
      'campaign-batches',
      'api-key',
    ]);
    expect(rule(p, 'api-key').kind).toBe('window');
    expect(p.sendWindows.map((w) => w.name)).toEqual(['colombia']);
  });

  it('edits a send window', () => {
    const p = definePolicy('conservative', {
      sendWindows: { 'quiet-hours': { allowed: [{ from: '08:00', to: '21:00' }] } },
    });
    expect(p.sendWindows).toEqual([
      { name: 'quiet-hours', categories: ['marketing', 'utility'], allowed: [{ from: '08:00', to: '21:00' }] },
    ]);
  });

  it('accepts a policy object as base, validating it', () => {
    const base = { name: 'b', limits: [{ name: 'r', kind: 'rate', scope: 'number', count: 1, periodMs: 1000 }] };
    const p = definePolicy(base as unknown as Policy, { limits: { r: { count: 2 } } });
    expect(rule(p, 'r')).toEqual({ name: 'r', kind: 'rate', scope: 'number', count: 2, periodMs: 1000, burst: 1 });
    expectValidationError(
      () => definePolicy({ ...base, limits: [] , extra: 1 } as unknown as Policy),
      'base.extra',
      'a known field (one of: name, limits, sendWindows, defaultTimeZone)',
    );
  });

  it('never mutates the overrides', () => {
    const overrides = {
      limits: { 'number-per-minute': { count: 500 }, 'pair-spacing': { categories: null } },
      addLimits: [{ name: 'x', kind: 'daily', scope: 'recipient', count: 2 }],
    } as const;
    const before = structuredClone(overrides);
    definePolicy('conservative', overrides as unknown as PolicyOverrides);
    expect(overrides).toStrictEqual(before);
  });

  const cases: readonly [string, () => unknown, string, string][] = [
    ['unknown base name', () => definePolicy('aggressive' as 'conservative'), 'base', 'a preset name (one of: conservative, cloud-api) or a policy'],
    ['overrides not an object', () => definePolicy('conservative', [] as unknown as PolicyOverrides), 'overrides', 'a plain object'],
    [
      'unknown top-level override',
      () => definePolicy('conservative', { limit: {} } as unknown as PolicyOverrides),
      'overrides.limit',
      'a known field (one of: name, defaultTimeZone, limits, addLimits, sendWindows, addSendWindows)',
    ],
    ['unknown rule name', () => definePolicy('conservative', { limits: { nope: { count: 1 } } }), 'overrides.limits.nope', 'the name of a rule in the base policy'],
    ['unknown rule name, removal', () => definePolicy('cloud-api', { limits: { 'api-key': null } }), 'overrides.limits.api-key', 'the name of a rule in the base policy'],
    [
      'unknown send window name',
      () => definePolicy('cloud-api', { sendWindows: { 'quiet-hours': null } }),
      'overrides.sendWindows.quiet-hours',
      'the name of a send window in the base policy',
    ],
    [
      'misspelt field',
      () => definePolicy('conservative', { limits: { 'number-per-minute': { cuont: 500 } as never } }),
      'overrides.limits.number-per-minute.cuont',
      'a known field (one of: categories, count, periodMs, burst)',
    ],
    [
      'a field of another kind',
      () => definePolicy('conservative', { limits: { 'recipient-daily': { windowMs: 1000 } } }),
      'overrides.limits.recipient-daily.windowMs',
      'a known field (one of: categories, count)',
    ],
    [
      'changing the kind',
      () => definePolicy('conservative', { limits: { 'api-key': { kind: 'window' } as never } }),
      'overrides.limits.api-key.kind',
      'left out (a rule keeps its name, kind and scope: remove it with null and use addLimits)',
    ],
    [
      'changing the scope',
      () => definePolicy('conservative', { limits: { 'api-key': { scope: 'number' } as never } }),
      'overrides.limits.api-key.scope',
      'left out (a rule keeps its name, kind and scope: remove it with null and use addLimits)',
    ],
    ['bad count', () => definePolicy('conservative', { limits: { 'number-per-minute': { count: 0 } } }), 'overrides.limits.number-per-minute.count', 'an integer from 1 to 1000000000'],
    ['NaN period', () => definePolicy('conservative', { limits: { 'number-per-minute': { periodMs: NaN } } }), 'overrides.limits.number-per-minute.periodMs', 'an integer from 1 to 31622400000'],
    ['bad categories', () => definePolicy('conservative', { limits: { 'recipient-daily': { categories: [] } } }), 'overrides.limits.recipient-daily.categories', 'a non-empty array'],
    ['rule override null-like', () => definePolicy('conservative', { limits: { 'api-key': 5 as never } }), 'overrides.limits.api-key', 'a plain object'],
    [
      'added rule clashes with a kept one',
      () => definePolicy('conservative', { addLimits: [{ name: 'api-key', kind: 'daily', scope: 'recipient', count: 1 }] }),
      'overrides.addLimits[0].name',
      'unique',
    ],
    [
      'added window clashes with a limit',
      () => definePolicy('conservative', { addSendWindows: [{ name: 'api-key', categories: ['marketing'], allowed: [{ from: '09:00', to: '10:00' }] }] }),
      'overrides.addSendWindows[0].name',
      'unique',
    ],
    [
      'added rule invalid',
      () => definePolicy('conservative', { addLimits: [{ name: 'x', kind: 'daily', scope: 'recipient', count: -1 }] }),
      'overrides.addLimits[0].count',
      'an integer from 1 to 1000000000',
    ],
    [
      'window override with a bad time',
      () => definePolicy('conservative', { sendWindows: { 'quiet-hours': { allowed: [{ from: '9:00', to: '22:00' }] } } }),
      'overrides.sendWindows.quiet-hours.allowed[0].from',
      'a time HH:MM from 00:00 to 23:59',
    ],
    [
      'window override renaming',
      () => definePolicy('conservative', { sendWindows: { 'quiet-hours': { name: 'x' } as never } }),
      'overrides.sendWindows.quiet-hours.name',
      'left out (a rule keeps its name, kind and scope: remove it with null and use addLimits)',
    ],
    ['bad zone', () => definePolicy('conservative', { defaultTimeZone: '+05:30' }), 'overrides.defaultTimeZone', 'an IANA time zone name such as "Europe/Paris" (UTC offsets like "+05:30" are not accepted)'],
    ['bad name', () => definePolicy('conservative', { name: 'my policy' }), 'overrides.name', 'a name of 1 to 64 characters from [A-Za-z0-9_-], not __proto__, constructor or prototype'],
    [
      '__proto__ as a rule name',
      () => definePolicy('conservative', JSON.parse('{"limits": {"__proto__": {"polluted": 1}}}') as PolicyOverrides),
      'overrides.limits.__proto__',
      'not a reserved key (__proto__, constructor, prototype)',
    ],
    [
      '__proto__ inside a rule override',
      () => definePolicy('conservative', JSON.parse('{"limits": {"api-key": {"__proto__": {"polluted": 1}}}}') as PolicyOverrides),
      'overrides.limits.api-key.__proto__',
      'not a reserved key (__proto__, constructor, prototype)',
    ],
  ];

  it.each(cases)('refuses: %s', (_title, fn, field, rule) => {
    expectValidationError(fn, field, rule);
  });

  it('does not pollute Object.prototype', () => {
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
