import type { Millis } from './types.js';

/**
 * Rate-limit state is kept relative to this epoch (2020-01-01T00:00:00Z) so that scaled
 * integer state (see `rate.ts`) stays below 2^53 until 2100 for every rate sluice accepts.
 */
export const STATE_EPOCH: Millis = 1_577_836_800_000;

/** Instants sluice accepts: [2020-01-01, 2100-01-01). */
export const MIN_INSTANT: Millis = STATE_EPOCH;
export const MAX_INSTANT: Millis = 4_102_444_800_000;

export const SECOND = 1_000;
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** ceil(x / q) for integers x (any sign) and q > 0, exact for |x| < 2^53. */
export function ceilDiv(x: number, q: number): number {
  const r = x % q;
  const n = (x - r) / q;
  return r > 0 ? n + 1 : n;
}

export function isInstant(t: unknown): t is Millis {
  return typeof t === 'number' && Number.isSafeInteger(t) && t >= MIN_INSTANT && t < MAX_INSTANT;
}
