/** The independent invariant checker: ledger types, JSONL reader, and the checker itself. */
export type { LedgerEntry } from './ledger.js';
export { parseLedgerJsonl } from './jsonl.js';
export { checkLedger } from './checker.js';
export type { CheckOptions, CheckReport, Peak, Violation, ViolationKind } from './checker.js';
