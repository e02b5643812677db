/**
 * Plain data shared by the recipient-ingestion modules: the rows a file reader produces and
 * the outcome the screening gives each of them. No behaviour here.
 */
import type { CountryCode } from 'libphonenumber-js/max';
import type { Category, Millis } from '../../core/types.js';

/** One data row of a recipient file, its values as the file spelled them. */
export interface RecipientFieldsRow {
  readonly kind: 'fields';
  /** 1-based data row number (CSV: data record, header excluded; JSONL: line number). */
  readonly row: number;
  /** 1-based physical line on which the row starts. */
  readonly line: number;
  /** Column or property name → value. A null-prototype object: a `__proto__` column is plain data. */
  readonly fields: Readonly<Record<string, string>>;
}

/** A row the reader could not turn into fields. `detail` never quotes the row's content. */
export interface RecipientParseErrorRow {
  readonly kind: 'parse-error';
  readonly row: number;
  readonly line: number;
  readonly detail: string;
}

export type RecipientRow = RecipientFieldsRow | RecipientParseErrorRow;

/**
 * Why a row was not accepted. Reported as is; the order in which `screenRecipients` checks
 * them (first failure wins) is documented there.
 */
export type SkipReason =
  /** The reader could not parse the row (malformed JSON, wrong CSV field count, bad quoting). */
  | 'parse-error'
  /** No `to` value, or one made only of spaces and separators. */
  | 'missing-number'
  /** `to` is not a valid number (or lacks `+`/`00` and no default country was given). */
  | 'invalid-number'
  /** `to` is in the suppression set (opted out, undeliverable, ...). */
  | 'suppressed'
  /** `category` is not one of authentication, utility, marketing, service. */
  | 'invalid-category'
  /** `tz` is not an IANA zone name. */
  | 'invalid-time-zone'
  /** `optIn`, `lastInboundAt` or `id` could not be read; `field` names it. */
  | 'invalid-field'
  /** A template category without recorded opt-in (or with an explicit opt-out). */
  | 'not-opted-in'
  /** The recipient's last inbound message is older than `staleAfterMs`. */
  | 'stale'
  /** Category `service` (free-form) without a last inbound message inside the service window. */
  | 'outside-service-window'
  /** The same canonical number was already accepted; `duplicateOf` is that row. */
  | 'duplicate'
  /** The same `id` was already accepted for another row; `duplicateOf` is that row. */
  | 'duplicate-id';

export const SKIP_REASONS: readonly SkipReason[] = [
  'parse-error',
  'missing-number',
  'invalid-number',
  'suppressed',
  'invalid-category',
  'invalid-time-zone',
  'invalid-field',
  'not-opted-in',
  'stale',
  'outside-service-window',
  'duplicate',
  'duplicate-id',
];

/** Where an accepted recipient's candidate zones came from. */
export type TimeZoneSource =
  /** The row's `tz` column. */
  | 'column'
  /** Derived from the number (`zonesForNumber`). */
  | 'number'
  /** Neither: the planner applies the policy's `defaultTimeZone`. */
  | 'none';

export interface AcceptedRecipient {
  readonly status: 'accepted';
  readonly row: number;
  readonly line: number;
  /** The `id` column when present, else the row number as a string. */
  readonly id: string;
  /** Canonical E.164: `+` and 8 to 15 digits. The one key of this recipient. */
  readonly to: string;
  /** Country of the number (undefined for non-geographic numbers such as +800). */
  readonly country: CountryCode | undefined;
  /**
   * Zones the recipient may be in. Quiet hours must hold in ALL of them. One entry when the
   * row named a zone or the number fixes one; several for numbers of multi-zone countries;
   * empty when nothing is known (then the policy's `defaultTimeZone` applies).
   */
  readonly timeZones: readonly string[];
  /** `timeZones[0]` when there is exactly one candidate, else undefined. */
  readonly timeZone: string | undefined;
  readonly timeZoneSource: TimeZoneSource;
  readonly category: Category;
  /** The row's `optIn`, undefined when the row had none. */
  readonly optIn: boolean | undefined;
  readonly lastInboundAt: Millis | undefined;
  /**
   * Category `service` only: the instant the customer-service window closes
   * (`lastInboundAt + serviceWindowMs`). A free-form message must be sent before it.
   */
  readonly serviceWindowEndsAt: Millis | undefined;
  /** Every column that is not a known field, as template variables (null-prototype object). */
  readonly variables: Readonly<Record<string, string>>;
}

export interface SkippedRecipient {
  readonly status: 'skipped';
  readonly row: number;
  readonly line: number;
  readonly id: string;
  readonly reason: SkipReason;
  /** The offending field for `invalid-field` (`optIn`, `lastInboundAt`, `id`). */
  readonly field: string | undefined;
  /** For `duplicate` / `duplicate-id`: the row that was accepted first. */
  readonly duplicateOf: number | undefined;
  /** Human-readable detail. Never contains a phone number or any other row value. */
  readonly detail: string;
}

export type RecipientOutcome = AcceptedRecipient | SkippedRecipient;
