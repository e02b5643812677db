/** Policies: validation, presets, overrides and resolution of the rules applying to a message. */
export {
  DEFAULT_TIME_ZONE,
  KIND_FIELDS,
  LIMIT_KINDS,
  POLICY_BOUNDS,
  validateE164,
  validateLimitRule,
  validateLocalTimeWindow,
  validateMessage,
  validateMessageId,
  validateName,
  validatePolicy,
  validateSendWindowRule,
  validateTimeZone,
} from './validate.js';
export {
  ACCOUNT_TIERS,
  MESSAGING_LIMIT_TIERS,
  NUMBER_THROUGHPUT_TIERS,
  PRESETS,
  PRESET_NAMES,
  isPresetName,
  type PresetName,
} from './presets.js';
export { definePolicy, type LimitOverride, type PolicyOverrides, type SendWindowOverride } from './define.js';
export { limitKey, limitScope, resolveRules, type ResolvedLimit, type ResolvedMessage } from './resolve.js';
