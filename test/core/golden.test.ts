import { describe, expect, it } from 'vitest';
import golden from '../golden/limits.json' with { type: 'json' };
import { insertSorted, windowEarliest } from '../../src/core/limits/sorted-log.js';
import { rateCommit, rateEarliest, rateParams } from '../../src/core/limits/rate.js';

describe('golden vectors: TypeScript core', () => {
  it.each(golden.window)('window %j', (v) => {
    const a = new Float64Array(64);
    let len = 0;
    for (const e of v.entries) len = insertSorted(a, 0, len, e, 1);
    expect(windowEarliest(a, 0, len, v.t, v.cost, v.count, v.W)).toBe(v.want);
  });

  it.each(golden.rate)('rate %j', (v) => {
    const p = rateParams(v.count, v.periodMs, v.burst);
    let tat = 0;
    const got = v.arrivals.map(([at, cost]) => {
      const sendAt = rateEarliest(p, tat, at as number, cost as number);
      tat = rateCommit(p, tat, sendAt, cost as number);
      return sendAt;
    });
    expect(got).toEqual(v.want);
  });
});
