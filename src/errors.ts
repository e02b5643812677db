/**
 * Every error sluice throws on purpose. One file, so callers can see the whole family.
 *
 * Messages never contain a full phone number, token or password: values are described
 * (`maskValue`) rather than echoed.
 */

export type SluiceErrorCode =
  | 'SLUICE_VALIDATION'
  | 'SLUICE_CAPACITY'
  | 'SLUICE_STORE_UNAVAILABLE'
  | 'SLUICE_OUTCOME_UNKNOWN'
  | 'SLUICE_STATE_LOST'
  | 'SLUICE_UNSAFE_CONFIG'
  | 'SLUICE_PLAN_WORKER'
  | 'SLUICE_PLANNER_CLOSED';

export class SluiceError extends Error {
  readonly code: SluiceErrorCode;
  constructor(code: SluiceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * Bad input: thrown before anything is written. `field` is the path of the offending value
 * (`limits[2].count`, `message.to`), `rule` what it must satisfy.
 */
export class ValidationError extends SluiceError {
  readonly field: string;
  readonly rule: string;
  constructor(field: string, rule: string, received: unknown) {
    super('SLUICE_VALIDATION', `Expected \`${field}\` to be ${rule}, got ${maskValue(received)}`);
    this.field = field;
    this.rule = rule;
  }
}

/** The store's fixed-size shared state has no room for another key or entry. */
export class CapacityError extends SluiceError {
  constructor(what: string) {
    super('SLUICE_CAPACITY', `Store capacity exhausted: ${what}`);
  }
}

/**
 * Describes a value for an error message without leaking it: strings are cut to a few
 * characters and digits past the fourth are masked, so phone numbers and tokens stay private.
 */
export function maskValue(value: unknown): string {
  try {
    return describe(value);
  } catch {
    return 'an unreadable value'; // a revoked Proxy throws on every inspection
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'number':
      return Number.isNaN(value) ? 'NaN' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'boolean':
      return String(value);
    case 'string':
      return maskString(value);
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default:
      return Array.isArray(value) ? `an array of length ${value.length}` : 'an object';
  }
}

function maskString(s: string): string {
  const head = s.slice(0, 4);
  const rest = s.length - head.length;
  if (rest <= 0) return JSON.stringify(s.replace(/\d/g, '•'));
  return `${JSON.stringify(head + '•'.repeat(Math.min(rest, 4)))} (${s.length} chars)`;
}

/**
 * The store gave no decision and the operation may or may not have been applied (it did not
 * answer in time, or the client gave up retrying after a send that may have reached Redis).
 * Retrying with the same message id is safe (admission is idempotent by id).
 */
export class OutcomeUnknownError extends SluiceError {
  constructor(operation: string, options?: { cause?: unknown; detail?: string }) {
    super('SLUICE_OUTCOME_UNKNOWN', `Outcome of ${operation} unknown: ${options?.detail ?? 'the store did not answer in time'}; retry with the same id`, options);
  }
}

/** The store cannot be reached; nothing was admitted. */
export class StoreUnavailableError extends SluiceError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('SLUICE_STORE_UNAVAILABLE', `Store unavailable: ${detail}; nothing was admitted`, options);
  }
}

/** The store's configuration could silently lose limit state (e.g. an evicting maxmemory-policy). */
export class UnsafeConfigError extends SluiceError {
  constructor(detail: string) {
    super('SLUICE_UNSAFE_CONFIG', `Unsafe store configuration: ${detail}`);
  }
}

/** A worker thread of the parallel planner failed (its error is the `cause`); nothing of the plan is returned. */
export class PlanWorkerError extends SluiceError {
  /** 0-based index of the worker's part of the campaign. */
  readonly part: number;
  constructor(part: number, options: { cause: unknown }) {
    const why = options.cause instanceof Error ? `${options.cause.name}: ${options.cause.message}` : String(options.cause);
    super('SLUICE_PLAN_WORKER', `Planning worker ${part} failed: ${why}`, options);
    this.part = part;
  }
}

/** A CampaignPlanner was asked to plan after `close()`: its worker threads are gone. */
export class PlannerClosedError extends SluiceError {
  constructor() {
    super('SLUICE_PLANNER_CLOSED', 'The campaign planner is closed: create another CampaignPlanner to plan');
  }
}
