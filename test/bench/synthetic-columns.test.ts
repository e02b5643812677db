import { describe, expect, it } from 'vitest';
import { syntheticColumns, syntheticRecipients } from '../../bench/planning.js';
import { recipientColumns } from '../../src/scheduler/recipient-columns.js';

describe('the planning bench campaign', () => {
  it('as columns is the same campaign as its recipient objects (so the pool rows and the in-thread rows plan one campaign)', () => {
    const built = syntheticColumns(5_000);
    const converted = recipientColumns(syntheticRecipients(5_000));
    expect(built.to).toEqual(converted.to);
    expect(built.category).toEqual(converted.category);
    // Zone ids differ only if the zones are listed in another order.
    expect(Array.from(built.zone, (z) => built.zones[z])).toEqual(Array.from(converted.zone, (z) => converted.zones[z]));
    expect(built.row).toBeUndefined();
    expect(Array.from(converted.row ?? [])).toEqual(Array.from({ length: 5_000 }, (_, i) => i + 1));
  });
});
