/**
 * The IANA zones a recipient may be in, from the number alone (for rows without `tz`).
 *
 * Rule: `zonesForNumber` returns **candidates**, and the planner must keep quiet hours (and
 * send windows) in ALL of them. No single zone is safe for a number of a multi-zone country:
 * 09:00 in New York is 06:00 in Los Angeles, and 09:00 in Los Angeles is 12:00 in New York
 * but 06:00 in Honolulu. Requiring the window to be open in every candidate is the only
 * choice that never sends inside anyone's quiet hours; the price is a narrower window for
 * numbers we cannot place.
 * - Single-zone countries: exactly one zone (zone-tables.ts).
 * - Multi-zone countries: the zones of the longest matching NSN prefix rule (US/CA by area
 *   code, Brazil by DDD, some landline codes elsewhere), else one zone per clock the country
 *   keeps (zone-tables.ts, nanp-zones.ts).
 * - Unknown country (not in the tables, or a non-geographic number such as +800): `[]`;
 *   the caller then applies the policy's `defaultTimeZone`.
 */
import { getCountryCallingCode, isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { ValidationError } from '../../errors.js';
import { E164_PATTERN } from './canonical-number.js';
import { CA_ZONES, US_ZONES } from './nanp-zones.js';
import { MULTI_ZONE, SINGLE_ZONE, type MultiZoneRule } from './zone-tables.js';

const NONE: readonly string[] = Object.freeze([]);
/** Longest prefix any rule uses (AU `26563`). */
const MAX_PREFIX_LENGTH = 5;

/** One frozen `[zone]` per single-zone country, built once: no allocation per lookup. */
const singleCandidates = new Map<string, readonly string[]>();
for (const [country, zone] of Object.entries(SINGLE_ZONE)) {
  if (zone !== undefined) singleCandidates.set(country, Object.freeze([zone]));
}

/** Frozen rules, so a caller cannot edit the shared candidate arrays it receives. */
const multiRules = new Map<string, MultiZoneRule>();
function freezeRule(rule: MultiZoneRule): MultiZoneRule {
  Object.freeze(rule.all);
  for (const zones of Object.values(rule.byPrefix)) Object.freeze(zones);
  return Object.freeze({ all: rule.all, byPrefix: Object.freeze(rule.byPrefix) });
}
multiRules.set('US', freezeRule(US_ZONES));
multiRules.set('CA', freezeRule(CA_ZONES));
for (const [country, rule] of Object.entries(MULTI_ZONE)) {
  if (rule !== undefined) multiRules.set(country, freezeRule(rule));
}

function longestPrefixMatch(rule: MultiZoneRule, nsn: string): readonly string[] {
  for (let length = Math.min(nsn.length, MAX_PREFIX_LENGTH); length > 0; length--) {
    const zones = rule.byPrefix[nsn.slice(0, length)];
    if (zones !== undefined) return zones;
  }
  return rule.all;
}

/**
 * Candidate zones of a canonical E.164 number (see the rules above). `country` is the one
 * `canonicalNumber` returned; without it the number is parsed again to find it. Throws
 * `ValidationError` when `e164` is not canonical or `country` does not own its country code.
 */
export function zonesForNumber(e164: string, country?: CountryCode): readonly string[] {
  if (typeof e164 !== 'string' || !E164_PATTERN.test(e164)) {
    throw new ValidationError('e164', 'a canonical E.164 number: + then 8 to 15 digits, the first not 0', e164);
  }
  let region: CountryCode | undefined = country;
  if (region === undefined) {
    region = parsePhoneNumberFromString(e164)?.country;
    if (region === undefined) return NONE;
  } else if (typeof region !== 'string' || !isSupportedCountry(region)) {
    throw new ValidationError('country', 'an ISO 3166-1 alpha-2 region code known to libphonenumber', region);
  }
  const callingCode = getCountryCallingCode(region);
  if (!e164.startsWith(`+${callingCode}`)) {
    throw new ValidationError('country', `the region of the number (its calling code is not +${callingCode})`, region);
  }
  const single = singleCandidates.get(region);
  if (single !== undefined) return single;
  const rule = multiRules.get(region);
  if (rule === undefined) return NONE;
  return longestPrefixMatch(rule, e164.slice(1 + callingCode.length));
}

/** The zone when the number fixes exactly one, else undefined (several candidates, or none). */
export function zoneForNumber(e164: string, country?: CountryCode): string | undefined {
  const zones = zonesForNumber(e164, country);
  return zones.length === 1 ? zones[0] : undefined;
}
