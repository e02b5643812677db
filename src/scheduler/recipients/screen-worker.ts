/**
 * Worker thread entry of the parallel screener (a Piscina worker file): the costly part of
 * screening, number canonicalisation and zone lookup with libphonenumber-js, for a batch of raw
 * `to` values. Batches travel as one JSON string each way (a string is copied between threads
 * far faster than an array of objects). The default country arrives once, as workerData.
 *
 * In: `[[raw, needsZones (0 or 1)], …]`. Out, per entry: `[e164, country]` or
 * `[e164, country, zones]` for a valid number (country '' when none), `[reason]` otherwise.
 */
import { workerData } from 'piscina';
import type { CountryCode } from 'libphonenumber-js/max';
import { canonicalNumber } from './canonical-number.js';
import { zonesForNumber } from './zone-of-number.js';

const defaultCountry = (workerData as { defaultCountry?: CountryCode } | undefined)?.defaultCountry;

export function canonical(batch: string): string {
  const entries = JSON.parse(batch) as [string, 0 | 1][];
  const out: unknown[] = new Array(entries.length);
  for (let k = 0; k < entries.length; k++) {
    const [raw, needsZones] = entries[k]!;
    const n = canonicalNumber(raw, defaultCountry);
    if (!n.ok) out[k] = [n.reason];
    else if (needsZones === 1 && n.country !== undefined) out[k] = [n.e164, n.country, zonesForNumber(n.e164, n.country)];
    else out[k] = [n.e164, n.country ?? ''];
  }
  return JSON.stringify(out);
}
