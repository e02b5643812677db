import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { overlapsAny, watchGc } from '../../bench/gc-pauses.js';

// A full collection on demand, without starting the test process with --expose-gc.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

describe('overlapsAny', () => {
  const pauses = [[10, 12], [30, 31]] as const;
  it('finds an operation that contains, starts in or ends in a pause', () => {
    expect(overlapsAny([9, 13], pauses)).toBe(true);
    expect(overlapsAny([11, 20], pauses)).toBe(true);
    expect(overlapsAny([25, 30], pauses)).toBe(true);
  });
  it('leaves out an operation between or outside the pauses', () => {
    expect(overlapsAny([12.5, 29.9], pauses)).toBe(false);
    expect(overlapsAny([0, 9.9], pauses)).toBe(false);
    expect(overlapsAny([31.1, 40], pauses)).toBe(false);
    expect(overlapsAny([0, 100], [])).toBe(false);
  });
});

describe('watchGc', () => {
  it('counts the pauses of a run and attributes only the slow operations that overlap one', async () => {
    const watch = watchGc();
    const start = performance.now();
    collect();
    const end = performance.now();
    watch.slow(start, end);
    // An operation before the watch began: no pause of the watch can overlap it.
    watch.slow(-2, -1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const run = watch.stop();
    expect(run.pauses).toBeGreaterThanOrEqual(1);
    // gc() is a full collection.
    expect(run.majorPauses).toBeGreaterThanOrEqual(1);
    expect(run.maxPauseMs).toBeGreaterThan(0);
    expect(run.meanPauseMs).toBeLessThanOrEqual(run.maxPauseMs);
    expect(run.pausedShare).toBeGreaterThan(0);
    expect(run.pausedShare).toBeLessThanOrEqual(1);
    expect(run.slowOps).toBe(2);
    expect(run.slowOpsDuringGc).toBe(1);
  });

  it('reports no pause when none happened after it began', () => {
    const watch = watchGc();
    const run = watch.stop();
    expect(run).toMatchObject({ pauses: 0, majorPauses: 0, meanPauseMs: 0, maxPauseMs: 0, slowOps: 0, slowOpsDuringGc: 0 });
  });
});
