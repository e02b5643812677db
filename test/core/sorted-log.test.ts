import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { insertSorted, maxWindowContaining, pruneBefore, removeSorted, windowEarliest } from '../../src/core/limits/sorted-log.js';

/** Brute force: is adding `cost` at t allowed, checking every window start that could matter? */
function allowedBrute(entries: readonly number[], t: number, cost: number, count: number, W: number): boolean {
  for (let s = t - W + 1; s <= t; s++) {
    const inWindow = entries.filter((e) => e >= s && e < s + W).length;
    if (inWindow + cost > count) return false;
  }
  return true;
}

function logOf(values: number[], capacity = 256): { a: Float64Array; len: number } {
  const a = new Float64Array(capacity);
  let len = 0;
  for (const v of values) len = insertSorted(a, 0, len, v, 1);
  return { a, len };
}

describe('sorted log', () => {
  it('inserts, removes and prunes keeping order', () => {
    const { a, len } = logOf([5, 1, 3, 3, 9]);
    expect([...a.subarray(0, len)]).toEqual([1, 3, 3, 5, 9]);
    const l2 = removeSorted(a, 0, len, 3, 1);
    expect([...a.subarray(0, l2)]).toEqual([1, 3, 5, 9]);
    const l3 = pruneBefore(a, 0, l2, 4);
    expect([...a.subarray(0, l3)]).toEqual([5, 9]);
  });

  it('works at an offset inside a shared arena without touching neighbours', () => {
    const a = new Float64Array(20).fill(-7);
    let len = 0;
    for (const v of [4, 2, 8]) len = insertSorted(a, 10, len, v, 1);
    expect([...a.subarray(10, 13)]).toEqual([2, 4, 8]);
    expect(a[9]).toBe(-7);
    expect(a[13]).toBe(-7);
  });

  it('half-open windows: an entry exactly W earlier is outside', () => {
    const { a, len } = logOf([0]);
    expect(maxWindowContaining(a, 0, len, 10, 10)).toBe(0);
    expect(maxWindowContaining(a, 0, len, 9, 10)).toBe(1);
    expect(windowEarliest(a, 0, len, 0, 1, 1, 10)).toBe(10);
  });

  it('finds the earliest allowed instant, agreeing with brute force', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 25 }),
        fc.integer({ min: 0, max: 70 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 3 }),
        (values, t, count, W, cost) => {
          fc.pre(cost <= count);
          // Only logs that themselves satisfy the limit are reachable.
          const accepted: number[] = [];
          for (const v of values) if (allowedBrute(accepted, v, 1, count, W)) accepted.push(v);
          const { a, len } = logOf(accepted);
          const got = windowEarliest(a, 0, len, t, cost, count, W);
          let want = t;
          while (!allowedBrute(accepted, want, cost, count, W)) want++;
          expect(got).toBe(want);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
