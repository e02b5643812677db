import { getCountries, type CountryCode } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { isValidTimeZone } from '../../../src/core/calendar.js';
import { ValidationError } from '../../../src/errors.js';
import { canonicalNumber, zoneForNumber, zonesForNumber } from '../../../src/scheduler/recipients/index.js';
import { CA_ZONES, US_ZONES } from '../../../src/scheduler/recipients/nanp-zones.js';
import { MULTI_ZONE, SINGLE_ZONE, type MultiZoneRule } from '../../../src/scheduler/recipients/zone-tables.js';

/** Zones of a number written in any notation (must be valid). */
function zones(raw: string): readonly string[] {
  const r = canonicalNumber(raw);
  if (!r.ok) throw new Error(`test number invalid: ${raw}`);
  return zonesForNumber(r.e164, r.country);
}

const US_ALL = US_ZONES.all;

describe('zonesForNumber: single-zone countries', () => {
  it.each([
    ['+44 7400 123456', 'Europe/London'],
    ['+49 151 12345678', 'Europe/Berlin'],
    ['+33 6 12 34 56 78', 'Europe/Paris'],
    ['+39 06 1234 5678', 'Europe/Rome'],
    ['+91 98765 43210', 'Asia/Kolkata'],
    ['+977 980-1234567', 'Asia/Kathmandu'],
    ['+971 50 123 4567', 'Asia/Dubai'],
    ['+81 90 1234 5678', 'Asia/Tokyo'],
    ['+234 803 123 4567', 'Africa/Lagos'],
    ['+254 712 345678', 'Africa/Nairobi'],
    ['+27 82 123 4567', 'Africa/Johannesburg'],
    ['+57 300 1234567', 'America/Bogota'],
    ['+51 912 345 678', 'America/Lima'],
    ['+54 9 11 1234 5678', 'America/Argentina/Buenos_Aires'],
    ['+1 876 555 1234', 'America/Jamaica'], // NANP, but its own country
    ['+1 787 555 1234', 'America/Puerto_Rico'],
  ])('%s → %s', (raw, zone) => {
    expect(zones(raw)).toEqual([zone]);
    const r = canonicalNumber(raw);
    if (r.ok) {
      expect(zoneForNumber(r.e164)).toBe(zone); // country found by parsing again
      expect(zonesForNumber(r.e164)).toEqual([zone]);
    }
  });
});

describe('zonesForNumber: multi-zone countries give candidates', () => {
  it.each([
    // US by area code
    ['+1 212 555 1234', ['America/New_York']],
    ['+1 305 555 1234', ['America/New_York']],
    ['+1 312 555 1234', ['America/Chicago']],
    ['+1 713 555 1234', ['America/Chicago']],
    ['+1 303 555 1234', ['America/Denver']],
    ['+1 915 555 1234', ['America/Denver']], // El Paso
    ['+1 602 555 1234', ['America/Phoenix']],
    ['+1 928 555 1234', ['America/Phoenix', 'America/Denver']], // Navajo Nation keeps DST
    ['+1 213 555 1234', ['America/Los_Angeles']],
    ['+1 206 555 1234', ['America/Los_Angeles']],
    ['+1 808 555 1234', ['Pacific/Honolulu']],
    ['+1 907 555 1234', ['America/Anchorage', 'America/Adak']],
    ['+1 850 555 1234', ['America/New_York', 'America/Chicago']], // Florida panhandle
    ['+1 208 555 1234', ['America/Denver', 'America/Los_Angeles']], // Idaho
    ['+1 800 555 1234', US_ALL], // toll free: anywhere
    // Canada
    ['+1 416 555 1234', ['America/Toronto']],
    ['+1 604 555 1234', ['America/Vancouver']],
    ['+1 403 555 1234', ['America/Edmonton']],
    ['+1 709 555 1234', ['America/St_Johns', 'America/Halifax']],
    // Brazil by DDD (mobiles keep it)
    ['+55 11 91234 5678', ['America/Sao_Paulo']],
    ['+55 92 91234 5678', ['America/Manaus']],
    ['+55 68 91234 5678', ['America/Rio_Branco']],
    ['+55 81 91234 5678', ['America/Sao_Paulo', 'America/Noronha']],
    // Spain, Portugal: mobiles may be on the islands
    ['+34 612 345 678', ['Europe/Madrid', 'Atlantic/Canary']],
    ['+34 912 345 678', ['Europe/Madrid']],
    ['+34 928 123 456', ['Atlantic/Canary']],
    ['+351 912 345 678', ['Europe/Lisbon', 'Atlantic/Azores']],
    ['+351 296 123 456', ['Atlantic/Azores']],
    // Chile: mainland, Magallanes, Easter Island
    ['+56 9 6123 4567', ['America/Santiago', 'America/Punta_Arenas', 'Pacific/Easter']],
    ['+56 2 2123 4567', ['America/Santiago']],
    // Mexico
    ['+52 55 1234 5678', ['America/Mexico_City']],
    ['+52 664 123 4567', ['America/Tijuana']],
    ['+52 998 123 4567', ['America/Cancun']],
    // Australia: mobiles anywhere, landlines by state
    ['+61 412 345 678', MULTI_ZONE.AU?.all ?? []],
    ['+61 2 9123 4567', ['Australia/Sydney']],
    ['+61 8 9123 4567', ['Australia/Adelaide', 'Australia/Darwin', 'Australia/Perth', 'Australia/Eucla']],
    // Russia: mobiles anywhere across eleven clocks, Moscow landlines narrow
    ['+7 912 345 6789', MULTI_ZONE.RU?.all ?? []],
    ['+7 495 123 4567', ['Europe/Moscow']],
    ['+7 701 123 4567', ['Asia/Almaty', 'Asia/Oral']], // Kazakhstan shares +7
    ['+62 812 3456 7890', ['Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura']],
  ] as const)('%s → %j', (raw, expected) => {
    expect(zones(raw)).toEqual(expected);
  });

  it('Russia lists eleven clocks, the US eight', () => {
    expect(MULTI_ZONE.RU?.all).toHaveLength(11);
    expect(US_ALL).toHaveLength(8);
  });

  it('zoneForNumber is undefined when several zones are possible', () => {
    expect(zoneForNumber('+16025551234')).toBe('America/Phoenix');
    expect(zoneForNumber('+19285551234')).toBeUndefined();
  });
});

describe('zonesForNumber: unknown, errors, immutability', () => {
  it('non-geographic numbers have no zone', () => {
    expect(zonesForNumber('+80012345678')).toEqual([]);
    expect(zones('+800 1234 5678')).toEqual([]);
  });

  it('rejects non-canonical input and a country that does not own the number', () => {
    expect(() => zonesForNumber('447400123456')).toThrow(ValidationError);
    expect(() => zonesForNumber('+44 7400 123456')).toThrow(ValidationError);
    expect(() => zonesForNumber('+447400123456', 'US')).toThrow(ValidationError);
    expect(() => zonesForNumber('+447400123456', 'XX' as CountryCode)).toThrow(ValidationError);
    try {
      zonesForNumber('+447400123456', 'US');
    } catch (e) {
      expect((e as Error).message).not.toContain('7400123456');
    }
  });

  it('returns frozen arrays', () => {
    expect(Object.isFrozen(zonesForNumber('+447400123456', 'GB'))).toBe(true);
    expect(Object.isFrozen(zonesForNumber('+12125551234', 'US'))).toBe(true);
    expect(Object.isFrozen(zonesForNumber('+61412345678', 'AU'))).toBe(true);
  });
});

// ------------------------------------------------------------------------------------------
// The tables against the runtime's own tz data: Intl knows which zones each region has.

type RegionLocale = Intl.Locale & { readonly timeZones?: readonly string[]; getTimeZones?: () => readonly string[] };

function regionZones(country: string): readonly string[] | undefined {
  try {
    const locale = new Intl.Locale(`und-${country}`) as RegionLocale;
    return typeof locale.getTimeZones === 'function' ? locale.getTimeZones() : locale.timeZones;
  } catch {
    return undefined;
  }
}
const hasRegionZones = regionZones('US') !== undefined;

/** The offsets a zone keeps at weekly instants over two years, plus the DST-change Sunday mornings. */
const SAMPLES: number[] = [];
for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2028, 0, 1); t += 7 * 86_400_000) SAMPLES.push(t, t + 3 * 86_400_000 + 6 * 3_600_000);
const signatures = new Map<string, string>();
function signature(zone: string): string {
  let s = signatures.get(zone);
  if (s === undefined) {
    const f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    s = SAMPLES.map((t) => f.formatToParts(t).find((p) => p.type === 'timeZoneName')?.value ?? '?').join(',');
    signatures.set(zone, s);
  }
  return s;
}

const MULTI: [string, MultiZoneRule][] = [['US', US_ZONES], ['CA', CA_ZONES], ...Object.entries(MULTI_ZONE).map(([c, r]) => [c, r as MultiZoneRule] as [string, MultiZoneRule])];

describe('zone tables agree with the runtime tz data', () => {
  it('every zone in the tables is a valid IANA zone', () => {
    for (const zone of Object.values(SINGLE_ZONE)) expect(isValidTimeZone(zone), zone).toBe(true);
    for (const [, rule] of MULTI) {
      for (const zone of [...rule.all, ...Object.values(rule.byPrefix).flat()]) expect(isValidTimeZone(zone), zone).toBe(true);
    }
  });

  it.runIf(hasRegionZones)('a single-zone country keeps one clock, and it is the one listed', () => {
    for (const [country, zone] of Object.entries(SINGLE_ZONE)) {
      const region = regionZones(country) ?? [];
      for (const z of region) expect(`${country} ${z}: ${signature(z) === signature(zone ?? '')}`).toBe(`${country} ${z}: true`);
    }
  });

  it.runIf(hasRegionZones)('a multi-zone country lists exactly its clocks, and prefixes only pick among them', () => {
    for (const [country, rule] of MULTI) {
      const clocks = new Set((regionZones(country) ?? []).map(signature));
      const listed = new Set(rule.all.map(signature));
      expect(`${country}: ${[...clocks].every((c) => listed.has(c))}`).toBe(`${country}: true`); // none missing (safety)
      expect(`${country}: ${[...listed].every((c) => clocks.has(c))}`).toBe(`${country}: true`); // none foreign
      for (const [prefix, zonesOfPrefix] of Object.entries(rule.byPrefix)) {
        for (const z of zonesOfPrefix) expect(`${country} ${prefix} ${z}: ${listed.has(signature(z))}`).toBe(`${country} ${prefix} ${z}: true`);
      }
    }
  });

  it.runIf(hasRegionZones)('every inhabited region libphonenumber knows is in a table', () => {
    const known = new Set<string>([...Object.keys(SINGLE_ZONE), ...MULTI.map(([c]) => c)]);
    const missing = getCountries().filter((c) => !known.has(c) && (regionZones(c) ?? []).length > 0);
    expect(missing).toEqual([]);
  });
});
