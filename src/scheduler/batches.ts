import type { CommittedSend, Millis } from '../core/types.js';

/** One progressive-sending batch: a run of sends whose gaps are all shorter than the batch gap. */
export interface BatchRun {
  /** 1-based, in time order. */
  readonly index: number;
  readonly first: Millis;
  readonly last: Millis;
  readonly count: number;
  /** Distinct sending numbers in the run. */
  readonly numbers: number;
}

/**
 * Splits sends (sorted by `sendAt`) into batches separated by gaps of at least `gapMs`, and
 * returns the runs plus each send's batch index (same order as the input).
 */
export function batchRuns(sorted: readonly CommittedSend[], gapMs: number): { runs: BatchRun[]; batchOf: Int32Array } {
  const runs: { index: number; first: Millis; last: Millis; count: number; numbers: number }[] = [];
  const batchOf = new Int32Array(sorted.length);
  let from = new Set<string>();
  sorted.forEach((s, i) => {
    const cur = runs[runs.length - 1];
    if (cur && s.sendAt - cur.last < gapMs) {
      cur.last = s.sendAt;
      cur.count++;
      from.add(s.from);
      cur.numbers = from.size;
    } else {
      from = new Set([s.from]);
      runs.push({ index: runs.length + 1, first: s.sendAt, last: s.sendAt, count: 1, numbers: 1 });
    }
    batchOf[i] = runs.length;
  });
  return { runs, batchOf };
}
