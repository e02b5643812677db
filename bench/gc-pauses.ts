import { constants, PerformanceObserver, performance, type PerformanceEntry } from 'node:perf_hooks';

/**
 * What the client's garbage collector did during a latency run, and how much of the run's tail
 * it explains. The p99 of a run at 16 in flight is set by the slowest 1% of operations: when
 * pauses come every few tens of ms and each operation takes a few hundred µs, a few percent of
 * operations overlap one, and those are the tail.
 */
export interface GcDuringRun {
  /** Pauses of the client's garbage collector (every kind: scavenges, mark-compact steps). */
  readonly pauses: number;
  /** Of those, full (mark-compact) collections of the old generation; the rest are mostly scavenges. */
  readonly majorPauses: number;
  readonly meanPauseMs: number;
  readonly maxPauseMs: number;
  /** Share of the run's wall time spent in those pauses. */
  readonly pausedShare: number;
  /** Operations over 1 ms. */
  readonly slowOps: number;
  /** Of those, the ones whose interval contains at least part of a pause. */
  readonly slowOpsDuringGc: number;
}

/** Intervals [start, end] in performance.now() milliseconds. */
type Interval = readonly [number, number];

/**
 * Watches the garbage collector from now on. `slow(start, end)` records an operation over 1 ms
 * (the caller times every operation anyway); `stop()` ends the watch and attributes them.
 */
export function watchGc(): { slow(start: number, end: number): void; stop(): GcDuringRun } {
  const pauses: Interval[] = [];
  let majors = 0;
  const slow: Interval[] = [];
  const record = (entries: readonly PerformanceEntry[]): void => {
    for (const e of entries) {
      pauses.push([e.startTime, e.startTime + e.duration]);
      if ((e as PerformanceEntry & { readonly detail?: { readonly kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
    }
  };
  const observer = new PerformanceObserver((list) => record(list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  const began = performance.now();
  return {
    slow(start, end) {
      slow.push([start, end]);
    },
    stop() {
      // Entries not yet delivered to the callback are still in the observer's buffer.
      record(observer.takeRecords());
      observer.disconnect();
      const wall = performance.now() - began;
      let total = 0;
      let max = 0;
      for (const [s, e] of pauses) {
        total += e - s;
        if (e - s > max) max = e - s;
      }
      let during = 0;
      for (const op of slow) if (overlapsAny(op, pauses)) during++;
      return {
        pauses: pauses.length,
        majorPauses: majors,
        meanPauseMs: round(pauses.length === 0 ? 0 : total / pauses.length),
        maxPauseMs: round(max),
        pausedShare: round(wall > 0 ? total / wall : 0, 4),
        slowOps: slow.length,
        slowOpsDuringGc: during,
      };
    },
  };
}

/** Whether `op` overlaps one of `pauses` (a few hundred per run: a scan is cheap). */
export function overlapsAny(op: Interval, pauses: readonly Interval[]): boolean {
  for (const [s, e] of pauses) if (s <= op[1] && e >= op[0]) return true;
  return false;
}

function round(x: number, digits = 2): number {
  return Number(x.toFixed(digits));
}
