// The parallel screener must give exactly the sequential screener's outcomes, in order, for any
// input: workers only canonicalise numbers and look up zones; every other check, and the
// duplicate checks that depend on earlier rows, run on the calling thread. Real worker threads
// (the built worker file in dist/, as the CLI loads it).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { parseCsv, parseJsonl, screenRecipients, screenRecipientsParallel, type RecipientOutcome, type RecipientRow, type ScreenOptions } from '../../../src/scheduler/recipients/index.js';

const workerFile = fileURLToPath(new URL('../../../dist/screen-worker.js', import.meta.url));
const NOW = Date.UTC(2025, 5, 1, 12);
const DAY = 86_400_000;

async function parallel(rows: readonly RecipientRow[], options: ScreenOptions, threads = 2, batchRows = 3): Promise<RecipientOutcome[]> {
  const out: RecipientOutcome[] = [];
  for await (const o of screenRecipientsParallel(rows, options, { threads, batchRows, workerFile })) out.push(o);
  return out;
}

// Numbers in many notations (the same person several times), invalid and missing ones, a
// multi-zone country, a non-geographic number, national numbers.
const NUMBERS = ['+44 7400 123456', '0044-7400-123456', '+４４７４００１２３４５６', '+447400123456', '07400 123456', '+1 212 555 0100', '+1 (212) 555-0100', '+7 912 345 67 89', '+61 412 345 678', '+800 1234 5678', '+44 7700 900123', 'not a number', '', '+34 612 345 610', '+52 1 55 1234 5678', '+52 55 1234 5678'];
const TZS = ['', '', 'Europe/Madrid', 'Not/AZone', 'asia/kolkata'];
const OPT_INS = ['yes', 'no', '', 'maybe', 'true'];
const INBOUND = ['', new Date(NOW - DAY).toISOString(), new Date(NOW - 200 * DAY).toISOString(), new Date(NOW + DAY).toISOString(), 'yesterday'];
const CATEGORIES = ['', 'marketing', 'utility', 'service', 'authentication', 'spam'];
const IDS = ['', 'a', 'b', 'a{b}', 'c'];

describe('screenRecipientsParallel', () => {
  it('equals the sequential screener on a list with every skip reason, duplicates across batches and odd variables', async () => {
    const csv = [
      'id,to,tz,optIn,lastInboundAt,category,constructor,toString',
      ...NUMBERS.flatMap((to, i) => [
        `r${i},"${to}",,yes,,marketing,x${i},y`,
        `s${i},"${to}",Europe/London,yes,${new Date(NOW - 3 * 3_600_000).toISOString()},service,,`,
      ]),
      'r99,+447400123457,,no,,marketing,,',
      'r98,+447400123458,,yes,,spam,,',
      'r0,+447400123459,,yes,,utility,,', // duplicate id of an accepted row
      'r97,+447400123460,Not/AZone,yes,,utility,,',
      'r96,+447400123461,,perhaps,,utility,,',
      `r95,+447400123462,,yes,${new Date(NOW - 200 * DAY).toISOString()},utility,,`,
      'r94,+447400123463,,yes,,service,,',
      'short,row',
      'bad,"unterminated,,,,,,', // last: an open quote runs to the end of the file
    ].join('\n');
    const rows = [...parseCsv(csv)];
    const options: ScreenOptions = { now: NOW, suppression: new Set(['+34612345610']), defaultCountry: 'GB' };
    const sequential = [...screenRecipients(rows, options)];
    const pooled = await parallel(rows, options);
    expect(pooled).toEqual(sequential);
    const reasons = new Set(sequential.map((o) => (o.status === 'skipped' ? o.reason : 'accepted')));
    for (const r of ['accepted', 'duplicate', 'duplicate-id', 'invalid-number', 'missing-number', 'suppressed', 'parse-error', 'not-opted-in', 'invalid-category', 'invalid-time-zone', 'invalid-field', 'stale', 'outside-service-window']) expect(reasons).toContain(r);
    // Template variables keep a null prototype: `constructor` is the column, not Object's.
    for (const o of pooled) {
      if (o.status !== 'accepted') continue;
      expect(Object.getPrototypeOf(o.variables)).toBeNull();
      if (o.id.startsWith('r')) expect(o.variables['constructor']).toMatch(/^x\d+$/);
    }
  }, 60_000);

  it('equals the sequential screener on random lists (property, real workers)', async () => {
    const row = fc.record({ id: fc.constantFrom(...IDS), to: fc.constantFrom(...NUMBERS), tz: fc.constantFrom(...TZS), optIn: fc.constantFrom(...OPT_INS), lastInboundAt: fc.constantFrom(...INBOUND), category: fc.constantFrom(...CATEGORIES) });
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 40 }), fc.integer({ min: 1, max: 7 }), fc.boolean(), async (list, batchRows, withCountry) => {
        const rows = [...parseJsonl(list.map((r) => JSON.stringify(r)).join('\n'))];
        const options: ScreenOptions = { now: NOW, staleAfterMs: 180 * DAY, ...(withCountry ? { defaultCountry: 'GB' as const } : {}) };
        expect(await parallel(rows, options, 2, batchRows)).toEqual([...screenRecipients(rows, options)]);
      }),
      { numRuns: 25 },
    );
  }, 120_000);

  it('validates its options before starting workers', async () => {
    await expect(parallel([], { now: NOW, defaultCountry: 'XX' as 'GB' })).rejects.toThrow(/defaultCountry/);
    await expect(parallel([], { now: NOW }, 0)).rejects.toThrow(RangeError);
  });
});
