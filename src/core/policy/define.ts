/**
 * `definePolicy`: a preset (or any policy) with overrides applied rule by rule.
 *
 * What must hold:
 * - Overrides are validated like a policy: unknown keys, reserved keys and bad values throw a
 *   ValidationError whose path points into the overrides (`overrides.limits.api-key.count`).
 * - A rule keeps its name, kind and scope; changing those means removing it (`null`) and adding a
 *   new one (`addLimits`), so a rule name always means the same kind of limit.
 * - Overriding a name the base does not have is an error, never a silent no-op: a typo must not
 *   leave the preset's value in force.
 * - The result goes through `validatePolicy`, so it is deep-frozen and valid like any policy.
 */
import type { Category, LimitRule, LocalTimeWindow, Policy, SendWindowRule } from '../types.js';
import { PRESETS, PRESET_NAMES, isPresetName, type PresetName } from './presets.js';
import {
  KIND_FIELDS,
  invalid,
  POLICY_BOUNDS,
  keyPath,
  readArray,
  readObject,
  rejectUnknown,
  validateLimitRule,
  validateName,
  validatePolicy,
  validateSendWindowRule,
  validateTimeZone,
  type Fields,
} from './validate.js';

/** Partial numeric fields of one limit rule (only those of the rule's kind are accepted). */
export interface LimitOverride {
  readonly count?: number;
  readonly periodMs?: number;
  readonly burst?: number;
  readonly windowMs?: number;
  readonly size?: number;
  readonly gapMs?: number;
  /** Categories the rule applies to; `null` removes the filter (the rule then applies to all). */
  readonly categories?: readonly Category[] | null;
}

export interface SendWindowOverride {
  readonly categories?: readonly Category[];
  readonly allowed?: readonly LocalTimeWindow[];
}

export interface PolicyOverrides {
  readonly name?: string;
  readonly defaultTimeZone?: string;
  /** Per rule name: fields merged over the rule (kind and scope cannot change), or null to remove it. */
  readonly limits?: Readonly<Record<string, LimitOverride | null>>;
  /** Rules appended after the base's rules; names must be unique among all rules. */
  readonly addLimits?: readonly LimitRule[];
  /** Per send-window name: fields replacing the rule's, or null to remove it. */
  readonly sendWindows?: Readonly<Record<string, SendWindowOverride | null>>;
  /** Send-window rules appended after the base's. */
  readonly addSendWindows?: readonly SendWindowRule[];
}

const OVERRIDE_FIELDS = ['name', 'defaultTimeZone', 'limits', 'addLimits', 'sendWindows', 'addSendWindows'] as const;
/** Fields that identify a rule: overriding them would change what the name means. */
const IDENTITY_FIELDS = ['name', 'kind', 'scope'] as const;
const IDENTITY_RULE = 'left out (a rule keeps its name, kind and scope: remove it with null and use addLimits)';
const WINDOW_OVERRIDE_FIELDS = ['categories', 'allowed'] as const;

function resolveBase(base: unknown): Policy {
  if (typeof base === 'string') {
    if (isPresetName(base)) return PRESETS[base];
    throw invalid('base', `a preset name (one of: ${PRESET_NAMES.join(', ')}) or a policy`, base);
  }
  return validatePolicy(base, 'base');
}

/** Reads a `{ ruleName: override | null }` record; every name must exist in `existing`. */
function readNamedOverrides(value: unknown, path: string, existing: ReadonlySet<string>, what: string): Fields {
  if (value === undefined) return new Map();
  const fields = readObject(value, path);
  for (const name of fields.keys()) {
    if (!existing.has(name)) throw invalid(keyPath(path, name), `the name of ${what} in the base policy`, name);
  }
  return fields;
}

function overrideLimit(rule: LimitRule, value: unknown, path: string): LimitRule {
  const fields = readObject(value, path);
  for (const key of IDENTITY_FIELDS) {
    if (fields.has(key)) throw invalid(keyPath(path, key), IDENTITY_RULE, fields.get(key));
  }
  rejectUnknown(fields, path, ['categories', ...KIND_FIELDS[rule.kind]]);
  // Keys are known field names here (checked above), so writing them cannot reach a prototype.
  const merged: Record<string, unknown> = { ...rule };
  for (const [key, v] of fields) {
    if (key === 'categories' && v === null) delete merged['categories'];
    else if (v !== undefined) merged[key] = v;
  }
  return validateLimitRule(merged, path);
}

function overrideSendWindow(rule: SendWindowRule, value: unknown, path: string): SendWindowRule {
  const fields = readObject(value, path);
  if (fields.has('name')) throw invalid(keyPath(path, 'name'), IDENTITY_RULE, fields.get('name'));
  rejectUnknown(fields, path, WINDOW_OVERRIDE_FIELDS);
  const merged: Record<string, unknown> = { ...rule };
  for (const [key, v] of fields) if (v !== undefined) merged[key] = v;
  return validateSendWindowRule(merged, path);
}

/**
 * A policy built from `base` (a preset name or a policy) with `overrides` applied: rules removed
 * (`null`), then fields merged over the remaining rules, then `addLimits`/`addSendWindows`
 * appended. Rule order is the base's, then the additions'.
 *
 * @example
 * definePolicy('conservative', {
 *   limits: { 'number-per-minute': { count: ACCOUNT_TIERS.established }, 'api-key': null },
 * });
 */
export function definePolicy(base: PresetName | Policy, overrides?: PolicyOverrides): Policy {
  const basePolicy = resolveBase(base);
  if (overrides === undefined) return basePolicy;
  const path = 'overrides';
  const fields = readObject(overrides, path);
  rejectUnknown(fields, path, OVERRIDE_FIELDS);

  const rawName = fields.get('name');
  const name = rawName === undefined ? basePolicy.name : validateName(rawName, keyPath(path, 'name'));
  const rawZone = fields.get('defaultTimeZone');
  const defaultTimeZone =
    rawZone === undefined ? basePolicy.defaultTimeZone : validateTimeZone(rawZone, keyPath(path, 'defaultTimeZone'));

  const limitsPath = keyPath(path, 'limits');
  const limitOverrides = readNamedOverrides(
    fields.get('limits'),
    limitsPath,
    new Set(basePolicy.limits.map((r) => r.name)),
    'a rule',
  );
  const windowsPath = keyPath(path, 'sendWindows');
  const windowOverrides = readNamedOverrides(
    fields.get('sendWindows'),
    windowsPath,
    new Set(basePolicy.sendWindows.map((r) => r.name)),
    'a send window',
  );

  const limits: LimitRule[] = [];
  for (const rule of basePolicy.limits) {
    const v = limitOverrides.get(rule.name);
    if (v === null) continue;
    limits.push(v === undefined ? rule : overrideLimit(rule, v, keyPath(limitsPath, rule.name)));
  }
  const sendWindows: SendWindowRule[] = [];
  for (const rule of basePolicy.sendWindows) {
    const v = windowOverrides.get(rule.name);
    if (v === null) continue;
    sendWindows.push(v === undefined ? rule : overrideSendWindow(rule, v, keyPath(windowsPath, rule.name)));
  }

  // One namespace for limits and send windows (a refusal names exactly one rule).
  const names = new Set<string>([...limits.map((r) => r.name), ...sendWindows.map((r) => r.name)]);
  const claim = (ruleName: string, at: string): void => {
    if (names.has(ruleName)) throw invalid(at, 'unique', ruleName);
    names.add(ruleName);
  };

  const addLimitsPath = keyPath(path, 'addLimits');
  const rawAddLimits = fields.get('addLimits');
  if (rawAddLimits !== undefined) {
    readArray(rawAddLimits, addLimitsPath, POLICY_BOUNDS.maxItems).forEach((raw, i) => {
      const rule = validateLimitRule(raw, `${addLimitsPath}[${i}]`);
      claim(rule.name, `${addLimitsPath}[${i}].name`);
      limits.push(rule);
    });
  }
  const addWindowsPath = keyPath(path, 'addSendWindows');
  const rawAddWindows = fields.get('addSendWindows');
  if (rawAddWindows !== undefined) {
    readArray(rawAddWindows, addWindowsPath, POLICY_BOUNDS.maxItems).forEach((raw, i) => {
      const rule = validateSendWindowRule(raw, `${addWindowsPath}[${i}]`);
      claim(rule.name, `${addWindowsPath}[${i}].name`);
      sendWindows.push(rule);
    });
  }

  // Everything above is already valid; this re-check enforces the list bounds on the merged
  // result and keeps "every policy went through validatePolicy" true without exception.
  return validatePolicy({ name, limits, sendWindows, defaultTimeZone }, 'policy');
}
