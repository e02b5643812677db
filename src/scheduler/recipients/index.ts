/**
 * Recipient-list ingestion for campaign planning: read a CSV / JSONL list, canonicalise
 * numbers, find candidate zones, and screen every row to exactly one outcome.
 */
export { parseCsv, CsvRowReader, MAX_RECORD_CHARS, type CsvOptions } from './csv-rows.js';
export { parseJsonl, JsonlRowReader, MAX_LINE_CHARS } from './jsonl-rows.js';
export { readRecipientFile, formatOfPath, type RecipientFileFormat } from './read-rows.js';
export { canonicalNumber, E164_PATTERN, type CanonicalNumber } from './canonical-number.js';
export { normaliseNumber, MAX_RAW_NUMBER_LENGTH, type NormalisedNumber } from './normalise-number.js';
export { zonesForNumber, zoneForNumber } from './zone-of-number.js';
export { readInstant, readOptIn, readCategory } from './field-values.js';
export { screenRecipients, screenRecipientsAsync, RecipientScreener, KNOWN_FIELDS } from './screen.js';
export { screenRecipientsParallel, type ParallelScreenOptions } from './parallel-screen.js';
export {
  DEFAULT_STALE_AFTER_MS,
  DEFAULT_SERVICE_WINDOW_MS,
  LAST_INBOUND_FUTURE_TOLERANCE_MS,
  type ScreenOptions,
} from './screen-options.js';
export { SKIP_REASONS } from './types.js';
export type {
  RecipientRow,
  RecipientFieldsRow,
  RecipientParseErrorRow,
  RecipientOutcome,
  AcceptedRecipient,
  SkippedRecipient,
  SkipReason,
  TimeZoneSource,
} from './types.js';
