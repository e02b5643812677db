import type { CancelOutcome } from './contract.js';

/** The four answers of `cancelOutcome`, shared and frozen: a cancel allocates no answer. */
export const CANCELLED_OUTCOME: CancelOutcome = Object.freeze({ cancelled: true });
export const UNKNOWN_ID: CancelOutcome = Object.freeze({ cancelled: false, reason: 'unknown' });
export const ALREADY_CANCELLED: CancelOutcome = Object.freeze({ cancelled: false, reason: 'already-cancelled' });
export const CHARGE_RELIED_ON: CancelOutcome = Object.freeze({ cancelled: false, reason: 'charge-relied-on' });
