import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { rateCommit, rateEarliest, rateParams } from '../../src/core/limits/rate.js';

// Named instants, as in golang.org/x/time/rate's tests: no clock, time is an argument.
const t0 = Date.parse('2026-03-01T12:00:00.000Z');
const ms = (n: number) => t0 + n;

/** Admit a sequence of (arrival, cost) greedily; returns the send instants. */
function schedule(count: number, periodMs: number, burst: number, arrivals: readonly [number, number][]): number[] {
  const p = rateParams(count, periodMs, burst);
  let tat = 0;
  return arrivals.map(([at, cost]) => {
    const sendAt = rateEarliest(p, tat, at, cost);
    tat = rateCommit(p, tat, sendAt, cost);
    return sendAt;
  });
}

describe('GCRA at named instants', () => {
  const cases: { name: string; count: number; periodMs: number; burst: number; arrivals: [number, number][]; want: number[] }[] = [
    { name: 'burst 1 paces evenly (2 per second)', count: 2, periodMs: 1000, burst: 1, arrivals: [[ms(0), 1], [ms(0), 1], [ms(0), 1]], want: [ms(0), ms(500), ms(1000)] },
    { name: 'burst 3 lets three go at once, then paces', count: 2, periodMs: 1000, burst: 3, arrivals: [[ms(0), 1], [ms(0), 1], [ms(0), 1], [ms(0), 1]], want: [ms(0), ms(0), ms(0), ms(500)] },
    { name: 'an idle key forgets its debt', count: 1, periodMs: 6000, burst: 1, arrivals: [[ms(0), 1], [ms(60_000), 1]], want: [ms(0), ms(60_000)] },
    { name: '80 per second: each send rounds up to its millisecond, the 12.5 ms interval never drifts', count: 80, periodMs: 1000, burst: 1, arrivals: [[ms(0), 1], [ms(0), 1], [ms(0), 1], [ms(0), 1]], want: [ms(0), ms(12), ms(25), ms(37)] },
    { name: 'cost 2 waits for two intervals of room', count: 1, periodMs: 100, burst: 2, arrivals: [[ms(0), 2], [ms(0), 2]], want: [ms(0), ms(200)] },
    { name: '7 per second (non-terminating interval) stays exact', count: 7, periodMs: 1000, burst: 1, arrivals: Array.from({ length: 8 }, () => [ms(0), 1] as [number, number]), want: [0, 142, 285, 428, 571, 714, 857, 1000].map(ms) },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(schedule(c.count, c.periodMs, c.burst, c.arrivals)).toEqual(c.want);
    });
  }

  it('rounds the emission interval up (stricter) only past 1000 units per ms', () => {
    expect(rateParams(80, 1000, 1)).toMatchObject({ q: 2, T: 25 });
    const odd = rateParams(1_000_003, 1000, 1);
    expect(odd.q).toBe(1000);
    expect(odd.T * odd.q).toBeGreaterThanOrEqual(0); // T ≥ exact interval in units
    expect(odd.T / odd.q).toBeGreaterThanOrEqual(1000 / 1_000_003);
  });
});

describe('GCRA never exceeds count in any period window (burst 1)', () => {
  it('holds for random arrivals', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 200 }),
        (count, periodMs, offsets) => {
          const arrivals = offsets.sort((a, b) => a - b).map((o) => [ms(o), 1] as [number, number]);
          const inOrder = schedule(count, periodMs, 1, arrivals);
          // Never before its arrival.
          inOrder.forEach((s, i) => expect(s).toBeGreaterThanOrEqual((arrivals[i] as [number, number])[0]));
          const sends = [...inOrder].sort((a, b) => a - b);
          for (let i = 0; i < sends.length; i++) {
            let j = i;
            while (j < sends.length && (sends[j] as number) < (sends[i] as number) + periodMs) j++;
            expect(j - i).toBeLessThanOrEqual(count);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('GCRA liveness', () => {
  it('a backlog of n messages is paced at the full rate (no drift from rounding)', () => {
    for (const [count, periodMs] of [[80, 1000], [7, 1000], [200, 60_000], [1, 6000]] as const) {
      const n = 1000;
      const sends = schedule(count, periodMs, 1, Array.from({ length: n }, () => [ms(0), 1] as [number, number]));
      const exact = ((n - 1) * periodMs) / count;
      expect((sends[n - 1] as number) - ms(0)).toBeLessThanOrEqual(Math.ceil(exact));
    }
  });
});
