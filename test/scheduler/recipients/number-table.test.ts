import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NumberTable } from '../../../src/scheduler/recipients/number-table.js';

/** Canonical E.164 strings: + then 8 to 15 digits, the first not 0. */
const arbE164 = fc
  .tuple(fc.integer({ min: 1, max: 9 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 7, maxLength: 14 }))
  .map(([first, rest]) => `+${first}${rest.join('')}`);

describe('NumberTable', () => {
  it('agrees with a Map on any sequence of first-wins inserts and lookups, across growth', () => {
    // Keys that share their low bits (a stride of 2^21) as well as random ones: a weak slot
    // function would still answer right, but this also runs the long probe chains.
    const strided = fc.integer({ min: 0, max: 400 }).map((k) => `+4474${String(k * 2 ** 21).padStart(8, '0').slice(-8)}`);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.oneof(arbE164, strided), fc.integer({ min: 0, max: 1_000_000 })), { maxLength: 3000 }), fc.array(fc.oneof(arbE164, strided), { maxLength: 200 }), (inserts, probes) => {
        const table = new NumberTable(4);
        const model = new Map<string, number>();
        for (const [number, row] of inserts) {
          table.setIfAbsent(number, row);
          if (!model.has(number)) model.set(number, row);
          expect(table.get(number)).toBe(model.get(number));
        }
        expect(table.size).toBe(model.size);
        for (const [number] of inserts) expect(table.get(number)).toBe(model.get(number));
        for (const number of probes) expect(table.get(number)).toBe(model.get(number));
      }),
      { numRuns: 60 },
    );
  });

  it('keeps 15-digit numbers apart (exact below 2^53)', () => {
    const table = new NumberTable();
    table.setIfAbsent('+999999999999999', 1);
    table.setIfAbsent('+999999999999998', 2);
    expect(table.get('+999999999999999')).toBe(1);
    expect(table.get('+999999999999998')).toBe(2);
    expect(table.get('+99999999999999')).toBeUndefined();
  });

  it('refuses what is not canonical E.164 and rows that are not int32', () => {
    const table = new NumberTable();
    for (const bad of ['', '+', '447400123456', '+0447400123', '+44 7400 123456', '+4474001234567890', '+44a7400123']) {
      expect(() => table.get(bad)).toThrow(RangeError);
      expect(() => table.setIfAbsent(bad, 1)).toThrow(RangeError);
    }
    expect(() => table.setIfAbsent('+447400123456', -1)).toThrow(RangeError);
    expect(() => table.setIfAbsent('+447400123456', 1.5)).toThrow(RangeError);
    expect(table.size).toBe(0);
  });
});
