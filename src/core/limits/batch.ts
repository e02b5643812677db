/**
 * Progressive batching: at most `size` cost units in any run of sends whose consecutive gaps
 * are shorter than `gapMs`. Sends are admitted in time order per key, so the state is just the
 * last send and the cost accumulated in its run. `last` = 0 means no send yet.
 */
export function batchEarliest(last: number, runCost: number, t: number, cost: number, size: number, gapMs: number): number {
  if (last === 0) return t;
  const at = t > last ? t : last;
  if (at - last >= gapMs) return at;
  return runCost + cost <= size ? at : last + gapMs;
}

/** The run cost after committing a send at t (≥ last). */
export function batchRunAfter(last: number, runCost: number, t: number, cost: number, gapMs: number): number {
  return last === 0 || t - last >= gapMs ? cost : runCost + cost;
}
