import type { Millis } from '../../core/types.js';

/** Reads the current instant in integer milliseconds. */
export type Clock = () => Millis;

/**
 * A monotonic clock anchored to the epoch once per thread: `performance.now()` never runs
 * backwards, and the anchor makes its readings comparable with wall-clock instants. Threads
 * anchor separately, so their readings may differ by a millisecond or so; the stores stay safe
 * regardless, because limits are enforced on committed instants, not on the clock.
 */
export function monotonicClock(): Clock {
  const anchor = Date.now() - performance.now();
  return () => Math.floor(anchor + performance.now());
}
