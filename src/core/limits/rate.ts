import { STATE_EPOCH, ceilDiv } from '../time.js';
import type { Millis } from '../types.js';

/**
 * GCRA (generic cell rate algorithm) with exact integer arithmetic.
 *
 * The state of one key is its theoretical arrival time (TAT), kept in units of `1/q` ms since
 * `STATE_EPOCH`. Choosing `q` as the reduced numerator of count/period makes the emission
 * interval `T = period/count` an integer number of units, so 80/s or 7 per 1000 ms never round.
 * For unusual rates whose reduced numerator exceeds `MAX_UNITS_PER_MS`, T is rounded *up*:
 * stricter than asked, never looser.
 *
 * What must hold: the virtual arrivals v satisfy GCRA exactly, cost(i..j) · T ≤ (v_j − v_i) + burst · T,
 * and each send instant is ceil(v) in whole milliseconds. Hence at most count + burst − 1 in any
 * half-open window of `period` (exactly `count` with burst 1), and for integer send instants
 * cost(i..j) · period < (t_j − t_i + 1) · count + burst · period.
 */
export interface RateParams {
  /** State units per millisecond. */
  readonly q: number;
  /** Emission interval in units (one cost unit). */
  readonly T: number;
  /** Tolerance in units: (burst − 1) · T. */
  readonly tau: number;
  /** Largest cost one message may have (the burst). */
  readonly maxCost: number;
}

export const MAX_UNITS_PER_MS = 1000;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

export function rateParams(count: number, periodMs: number, burst: number): RateParams {
  const g = gcd(count, periodMs);
  let q = count / g;
  let T = periodMs / g;
  if (q > MAX_UNITS_PER_MS) {
    q = MAX_UNITS_PER_MS;
    T = Math.max(1, Math.ceil((periodMs * MAX_UNITS_PER_MS) / count));
  }
  return { q, T, tau: (burst - 1) * T, maxCost: burst };
}

/** Earliest integer instant ≥ t at which `cost` conforms, given the key's TAT. */
export function rateEarliest(p: RateParams, tat: number, t: Millis, cost: number): Millis {
  const units = tat - p.tau + (cost - 1) * p.T;
  // Conforming already (the common case): no division needed.
  if (units <= (t - STATE_EPOCH) * p.q) return t;
  return ceilDiv(units, p.q) + STATE_EPOCH;
}

/**
 * The TAT after committing `cost` at `sendAt` (which must be ≥ rateEarliest).
 *
 * The send instant is a whole millisecond, but the virtual arrival stays exact: it is the
 * earliest conforming point inside that millisecond. Advancing from the rounded instant would
 * lose up to 1 ms per message (4% of an 80/s budget). Rounding each virtual arrival v up to
 * ceil(v) keeps the bound: ceil(v) ∈ [s, s+P) ⟺ v ∈ (s−1, s+P−1], an interval of length P.
 */
export function rateCommit(p: RateParams, tat: number, sendAt: Millis, cost: number): number {
  const earliest = tat - p.tau + (cost - 1) * p.T;
  const lowest = (sendAt - STATE_EPOCH) * p.q - (p.q - 1);
  const arrival = earliest > lowest ? earliest : lowest;
  return (arrival > tat ? arrival : tat) + cost * p.T;
}
