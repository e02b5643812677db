/**
 * The shared vocabulary of sluice. Everything here is plain data: no behaviour, no IO.
 *
 * Time is always an integer count of milliseconds since the Unix epoch (`Millis`), in
 * TypeScript and in Lua alike. The core never reads a clock: every function takes `now`.
 */

/** Integer milliseconds since 1970-01-01T00:00:00Z. */
export type Millis = number;

/** Message categories as WhatsApp prices and throttles them. */
export type Category = 'authentication' | 'utility' | 'marketing' | 'service';
export const CATEGORIES: readonly Category[] = ['authentication', 'utility', 'marketing', 'service'];

/**
 * What a limit is counted per.
 * - `number`: the sending business phone number (`from`)
 * - `pair`: one sending number × one recipient
 * - `recipient`: one recipient across all numbers of the portfolio
 * - `portfolio`: the business portfolio (all its numbers)
 * - `campaign`: one campaign (rules with this scope ignore messages without `campaign`)
 * - `apiKey`: one API key (rules with this scope ignore messages without `apiKey`)
 */
export type Scope = 'number' | 'pair' | 'recipient' | 'portfolio' | 'campaign' | 'apiKey';
export const SCOPES: readonly Scope[] = ['number', 'pair', 'recipient', 'portfolio', 'campaign', 'apiKey'];

export type LimitKind = 'rate' | 'window' | 'daily' | 'distinct' | 'batch';

interface RuleBase {
  /** Unique within a policy; used as the key prefix and in refusal reasons. `[A-Za-z0-9_-]+`. */
  readonly name: string;
  readonly scope: Scope;
  /** Categories the rule applies to. Absent = all categories. */
  readonly categories?: readonly Category[];
}

/** GCRA: `count` per `periodMs`, allowing `burst` back to back (burst 1 = evenly paced). */
export interface RateRule extends RuleBase {
  readonly kind: 'rate';
  readonly count: number;
  readonly periodMs: number;
  readonly burst: number;
}

/** Exact sliding window: at most `count` (cost units) in any half-open window of `windowMs`. */
export interface WindowRule extends RuleBase {
  readonly kind: 'window';
  readonly count: number;
  readonly windowMs: number;
}

/** At most `count` per calendar day in the recipient's time zone. */
export interface DailyRule extends RuleBase {
  readonly kind: 'daily';
  readonly count: number;
}

/**
 * At most `count` recipients *charged* in any half-open window of `windowMs` (the portfolio
 * messaging limit). A recipient is charged by a message at `t` unless it was already charged
 * at some `c` with `t - windowMs < c <= t`; so a recipient already counted inside the window
 * costs nothing. Charges are decided in each recipient's time order (a recipient's messages
 * are admitted in non-decreasing `sendAt`).
 */
export interface DistinctRule extends RuleBase {
  readonly kind: 'distinct';
  readonly count: number;
  readonly windowMs: number;
}

/**
 * Progressive sending: at most `size` messages in any run of sends in which consecutive sends
 * are less than `gapMs` apart. Sends are admitted in time order per key.
 */
export interface BatchRule extends RuleBase {
  readonly kind: 'batch';
  readonly size: number;
  readonly gapMs: number;
}

export type LimitRule = RateRule | WindowRule | DailyRule | DistinctRule | BatchRule;

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/**
 * An allowed interval of local wall-clock time, half-open `[from, to)`, `HH:MM` 24-hour.
 * `to <= from` means the interval crosses midnight (it ends on the next local day).
 * `days` lists the local weekdays on which the interval *starts*; absent = every day.
 */
export interface LocalTimeWindow {
  readonly from: string;
  readonly to: string;
  readonly days?: readonly Weekday[];
}

/** Messages of these categories may only be sent inside one of `allowed` (recipient local time). */
export interface SendWindowRule {
  readonly name: string;
  readonly categories: readonly Category[];
  readonly allowed: readonly LocalTimeWindow[];
}

export interface Policy {
  readonly name: string;
  readonly limits: readonly LimitRule[];
  readonly sendWindows: readonly SendWindowRule[];
  /** IANA zone used for a recipient whose message carries no `timeZone`. */
  readonly defaultTimeZone: string;
}

/** A message as the admission sees it. Phone numbers are canonical E.164 (`+` and digits). */
export interface Message {
  /** Idempotency key: admitting the same id twice returns the first decision. No `{` or `}`. */
  readonly id: string;
  /** Recipient, canonical E.164. */
  readonly to: string;
  /** Sending business phone number id. */
  readonly from: string;
  /** Business portfolio that owns `from`. Every key of the message is scoped under it. */
  readonly portfolio: string;
  readonly category: Category;
  /** Cost units (default 1). */
  readonly cost?: number;
  /** Earliest send instant (default: now). */
  readonly notBefore?: Millis;
  /** Latest acceptable send instant; past it the message is refused with `deadline`. */
  readonly deadline?: Millis;
  readonly campaign?: string;
  readonly apiKey?: string;
  /** Recipient's IANA time zone (default: the policy's `defaultTimeZone`). */
  readonly timeZone?: string;
}

/** Why a message could not be (or was not yet) given a slot. */
export type RefusalReason =
  /** The earliest slot lies past the message's deadline. */
  | 'deadline'
  /** The earliest slot lies further ahead than the caller's `maxWaitMs`; nothing was consumed. */
  | 'wait-exceeds-max'
  /** A limit can never admit this message (cost above its count, or no allowed send window at all). */
  | 'never'
  /** The store's bounded state for one key is full of live entries (fail closed). */
  | 'capacity'
  /** This id was admitted and then cancelled; ids are never reused. */
  | 'cancelled'
  /** The Redis store detected lost state for the portfolio and holds it until `retryAt` (fail closed). */
  | 'state-lost';

export type Decision =
  | {
      readonly ok: true;
      readonly id: string;
      readonly sendAt: Millis;
      /** The limit or send-window rule whose single push delayed the slot most; null when nothing delayed it (or on a replay). */
      readonly delayedBy: string | null;
      /** True when this id had been admitted before and this is the recorded first decision. */
      readonly duplicate: boolean;
    }
  | {
      readonly ok: false;
      readonly id: string;
      readonly reason: RefusalReason;
      /** The limit or send-window rule whose single push moved the slot furthest (null if none). */
      readonly limit: string | null;
      /** When asking again may succeed (null for `never`). */
      readonly retryAt: Millis | null;
      readonly duplicate: boolean;
    };

/** One committed send, as a store records it: what an independent checker needs. */
export interface CommittedSend {
  readonly id: string;
  readonly sendAt: Millis;
  readonly to: string;
  readonly from: string;
  readonly portfolio: string;
  readonly category: Category;
  readonly cost: number;
  readonly campaign?: string;
  readonly apiKey?: string;
  readonly timeZone: string;
}

/** How much one limit could still take at an instant, without waiting. */
export interface LimitCapacity {
  readonly limit: string;
  readonly kind: LimitKind;
  readonly key: string;
  /** Cost units admissible at the instant (for `distinct`: new recipients). */
  readonly remaining: number;
}

export interface AdmitOptions {
  /**
   * Refuse with `wait-exceeds-max` (consuming nothing) when the earliest slot is further than
   * this past `now`. Default 30 days (the platform's message lifetime).
   */
  readonly maxWaitMs?: number;
}
