import { describe, expect, it } from 'vitest';
import { readCategory, readInstant, readOptIn } from '../../../src/scheduler/recipients/index.js';

const HOUR = 3_600_000;

describe('readInstant (lastInboundAt)', () => {
  it.each<[string | undefined, number | undefined | null]>([
    [undefined, undefined],
    ['', undefined],
    ['   ', undefined],
    ['1748000000000', 1_748_000_000_000],
    [' 1748000000000 ', 1_748_000_000_000],
    ['100000000000', 100_000_000_000],
    ['1748000000', null], // epoch seconds: refused, not read as January 1970
    ['99999999999', null],
    ['17480000000000', null], // 14 digits: not a plausible epoch-ms date
    ['-1748000000000', null],
    ['1.748e12', null],
    ['2025-03-01T10:00:00Z', Date.UTC(2025, 2, 1, 10)],
    ['2025-03-01t10:00:00z', Date.UTC(2025, 2, 1, 10)],
    ['2025-03-01 10:00:00Z', Date.UTC(2025, 2, 1, 10)],
    ['2025-03-01T10:00Z', Date.UTC(2025, 2, 1, 10)],
    ['2025-03-01T10:00:00.5Z', Date.UTC(2025, 2, 1, 10, 0, 0, 500)],
    ['2025-03-01T10:00:00,123456789Z', Date.UTC(2025, 2, 1, 10, 0, 0, 123)],
    ['2025-03-01T10:00:00+05:30', Date.UTC(2025, 2, 1, 4, 30)],
    ['2025-03-01T10:00:00+0530', Date.UTC(2025, 2, 1, 4, 30)],
    ['2025-03-01T10:00:00-08', Date.UTC(2025, 2, 1, 18)],
    ['2025-03-01T10:00:00+14:00', Date.UTC(2025, 2, 0, 20)],
    // A date alone: the earliest instant that date exists anywhere (00:00 at UTC+14).
    ['2025-03-01', Date.UTC(2025, 2, 1) - 14 * HOUR],
    ['2025-03-01T10:00:00', null], // no offset: would depend on the reading machine's zone
    ['2025-02-30T10:00:00Z', null],
    ['2025-13-01T10:00:00Z', null],
    ['2025-03-01T24:00:00Z', null],
    ['2025-03-01T23:60:00Z', null],
    ['2016-12-31T23:59:60Z', null], // leap second
    ['2025-03-01T10:00:00+15:00', null],
    ['1969-12-31T00:00:00Z', null],
    ['0025-03-01', null],
    ['yesterday', null],
    ['March 1, 2025', null],
    ['2025/03/01', null],
  ])('%j → %j', (text, expected) => {
    expect(readInstant(text)).toBe(expected);
  });
});

describe('readOptIn', () => {
  it.each<[string | undefined, boolean | undefined | null]>([
    ['true', true],
    ['TRUE', true],
    [' Yes ', true],
    ['1', true],
    ['false', false],
    ['No', false],
    ['0', false],
    ['', undefined],
    [' ', undefined],
    [undefined, undefined],
    ['y', null],
    ['2', null],
    ['opted in', null],
  ])('%j → %j', (text, expected) => {
    expect(readOptIn(text)).toBe(expected);
  });
});

describe('readCategory', () => {
  it.each<[string | undefined, string | undefined | null]>([
    ['marketing', 'marketing'],
    [' Utility ', 'utility'],
    ['AUTHENTICATION', 'authentication'],
    ['service', 'service'],
    ['', undefined],
    [undefined, undefined],
    ['promo', null],
    ['market', null],
  ])('%j → %j', (text, expected) => {
    expect(readCategory(text)).toBe(expected);
  });
});
