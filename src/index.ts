/**
 * sluice: decides when each business message may go, so that no platform limit and no
 * operator rule is ever exceeded.
 *
 * Values and types are exported separately; everything not listed here is internal.
 */

// Stores
export { MemoryStore } from './store/memory/memory-store.js';
export { SharedRateLimiter } from './store/memory/rate-limiter.js';
export { monotonicClock, TickerClock, tickerClock } from './store/memory/clock.js';
export { RedisStore } from './store/redis/redis-store.js';

// Policy
export { definePolicy, validatePolicy, validateMessage, resolveRules, limitKey, PRESETS, PRESET_NAMES, MESSAGING_LIMIT_TIERS, ACCOUNT_TIERS } from './core/policy/index.js';

// Pure core
export { ReferenceModel, DEFAULT_MAX_WAIT_MS } from './core/reference.js';
export { zoneCalendar, isValidTimeZone } from './core/calendar.js';
export { compileWindows, nextAllowedInstant, isAllowedAt, WINDOW_PRESETS } from './core/send-window.js';
export { CATEGORIES, SCOPES, WEEKDAYS } from './core/types.js';

// Campaign planning
export { planCampaign, planCampaignColumns } from './scheduler/campaign.js';
export { planCampaignParallel, planCampaignColumnsParallel } from './scheduler/parallel-plan.js';
export { CampaignPlanner } from './scheduler/campaign-planner.js';
export { CAMPAIGN_CATEGORIES, recipientColumns } from './scheduler/recipient-columns.js';
export { columnarSends, skipOf } from './scheduler/columnar-plan.js';

// Independent verification
export { checkLedger } from './verify/checker.js';
export { parseLedgerJsonl } from './verify/jsonl.js';

// Errors
export { SluiceError, ValidationError, CapacityError, OutcomeUnknownError, StoreUnavailableError, UnsafeConfigError, PlanWorkerError, PlannerClosedError } from './errors.js';

export type {
  Millis,
  Category,
  Scope,
  LimitKind,
  LimitRule,
  RateRule,
  WindowRule,
  DailyRule,
  DistinctRule,
  BatchRule,
  LocalTimeWindow,
  SendWindowRule,
  Weekday,
  Policy,
  Message,
  Decision,
  RefusalReason,
  CommittedSend,
  LimitCapacity,
  AdmitOptions,
} from './core/types.js';
export type { AdmissionStore, AdmitCallOptions, CancelOptions, CancelOutcome, CancelRefusal } from './store/contract.js';
export type { CampaignRecipient, CampaignOptions, CampaignPlan, PlanRow } from './scheduler/campaign.js';
export type { BatchRun } from './scheduler/batches.js';
export type { RecipientColumns } from './scheduler/recipient-columns.js';
export type { ColumnarPlan, SendContext } from './scheduler/columnar-plan.js';
export type { ParallelPlanOptions } from './scheduler/parallel-plan.js';
export type { CampaignPlannerOptions, PlannerCampaignOptions } from './scheduler/campaign-planner.js';
export type { RedisStoreOptions, RedisClient } from './store/redis/redis-store.js';
export type { MemoryStoreOptions, PreparedMessage } from './store/memory/memory-store.js';
export type { MemoryStoreCapacity, MemoryStoreHandle } from './store/memory/layout.js';
export type { SharedRateLimiterOptions, SharedRateLimiterHandle, SharedRateLimiterClock, SharedRateLimiterShape } from './store/memory/rate-limiter.js';
export type { Clock } from './store/memory/clock.js';
export type { PresetName, PolicyOverrides, ResolvedMessage, ResolvedLimit } from './core/policy/index.js';
export type { ZoneCalendar } from './core/calendar.js';
export type { CompiledWindows } from './core/send-window.js';
export type { CheckReport, Violation, ViolationKind } from './verify/checker.js';
export type { LedgerEntry } from './verify/ledger.js';
export type { SluiceErrorCode } from './errors.js';
