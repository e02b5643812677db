/**
 * Country → IANA zone data for `zonesForNumber`. Data only.
 *
 * "Single-zone" means every zone of the country currently keeps the same clock (Argentina has
 * a dozen IANA zones, all at −03:00; Germany's Busingen follows Zurich, which matches Berlin).
 * The table was written against tzdata 2025c (Node 20's ICU) and a test checks it against the
 * runtime's own per-region zone lists, so a country that grows a second clock is noticed.
 *
 * Multi-zone countries list every distinct clock (one representative zone each) as the
 * candidates for a number nothing more is known about, plus prefix rules on the national
 * significant number (NSN: the digits after the country code) where the number plan is
 * geographic. Prefix rules only ever narrow the candidates; a prefix that spans two clocks
 * keeps both. Mobile ranges are not geographic and keep the full list.
 */
import type { CountryCode } from 'libphonenumber-js/max';

export const SINGLE_ZONE: Readonly<Partial<Record<CountryCode, string>>> = {
  // Europe
  AD: 'Europe/Andorra', AL: 'Europe/Tirane', AT: 'Europe/Vienna', AX: 'Europe/Mariehamn', BA: 'Europe/Sarajevo',
  BE: 'Europe/Brussels', BG: 'Europe/Sofia', BY: 'Europe/Minsk', CH: 'Europe/Zurich', CY: 'Asia/Nicosia',
  CZ: 'Europe/Prague', DE: 'Europe/Berlin', DK: 'Europe/Copenhagen', EE: 'Europe/Tallinn', FI: 'Europe/Helsinki',
  FO: 'Atlantic/Faroe', FR: 'Europe/Paris', GB: 'Europe/London', GG: 'Europe/Guernsey', GI: 'Europe/Gibraltar',
  GR: 'Europe/Athens', HR: 'Europe/Zagreb', HU: 'Europe/Budapest', IE: 'Europe/Dublin', IM: 'Europe/Isle_of_Man',
  IS: 'Atlantic/Reykjavik', IT: 'Europe/Rome', JE: 'Europe/Jersey', LI: 'Europe/Vaduz', LT: 'Europe/Vilnius',
  LU: 'Europe/Luxembourg', LV: 'Europe/Riga', MC: 'Europe/Monaco', MD: 'Europe/Chisinau', ME: 'Europe/Podgorica',
  MK: 'Europe/Skopje', MT: 'Europe/Malta', NL: 'Europe/Amsterdam', NO: 'Europe/Oslo', PL: 'Europe/Warsaw',
  RO: 'Europe/Bucharest', RS: 'Europe/Belgrade', SE: 'Europe/Stockholm', SI: 'Europe/Ljubljana', SJ: 'Arctic/Longyearbyen',
  SK: 'Europe/Bratislava', SM: 'Europe/San_Marino', TR: 'Europe/Istanbul', VA: 'Europe/Vatican', XK: 'Europe/Belgrade',
  // Middle East, Caucasus, Central and South Asia
  AE: 'Asia/Dubai', AF: 'Asia/Kabul', AM: 'Asia/Yerevan', AZ: 'Asia/Baku', BD: 'Asia/Dhaka',
  BH: 'Asia/Bahrain', BT: 'Asia/Thimphu', GE: 'Asia/Tbilisi', IL: 'Asia/Jerusalem', IN: 'Asia/Kolkata',
  IQ: 'Asia/Baghdad', IR: 'Asia/Tehran', JO: 'Asia/Amman', KG: 'Asia/Bishkek', KW: 'Asia/Kuwait',
  LB: 'Asia/Beirut', LK: 'Asia/Colombo', MV: 'Indian/Maldives', NP: 'Asia/Kathmandu', OM: 'Asia/Muscat',
  PK: 'Asia/Karachi', PS: 'Asia/Gaza', QA: 'Asia/Qatar', SA: 'Asia/Riyadh', SY: 'Asia/Damascus',
  TJ: 'Asia/Dushanbe', TM: 'Asia/Ashgabat', UZ: 'Asia/Tashkent', YE: 'Asia/Aden',
  // East and South-East Asia
  BN: 'Asia/Brunei', HK: 'Asia/Hong_Kong', JP: 'Asia/Tokyo', KH: 'Asia/Phnom_Penh', KP: 'Asia/Pyongyang',
  KR: 'Asia/Seoul', LA: 'Asia/Vientiane', MM: 'Asia/Yangon', MO: 'Asia/Macau', MY: 'Asia/Kuala_Lumpur',
  PH: 'Asia/Manila', SG: 'Asia/Singapore', TH: 'Asia/Bangkok', TL: 'Asia/Dili', TW: 'Asia/Taipei',
  VN: 'Asia/Ho_Chi_Minh',
  // Africa
  AO: 'Africa/Luanda', BF: 'Africa/Ouagadougou', BI: 'Africa/Bujumbura', BJ: 'Africa/Porto-Novo', BW: 'Africa/Gaborone',
  CF: 'Africa/Bangui', CG: 'Africa/Brazzaville', CI: 'Africa/Abidjan', CM: 'Africa/Douala', CV: 'Atlantic/Cape_Verde',
  DJ: 'Africa/Djibouti', DZ: 'Africa/Algiers', EG: 'Africa/Cairo', EH: 'Africa/El_Aaiun', ER: 'Africa/Asmara',
  ET: 'Africa/Addis_Ababa', GA: 'Africa/Libreville', GH: 'Africa/Accra', GM: 'Africa/Banjul', GN: 'Africa/Conakry',
  GQ: 'Africa/Malabo', GW: 'Africa/Bissau', KE: 'Africa/Nairobi', KM: 'Indian/Comoro', LR: 'Africa/Monrovia',
  LS: 'Africa/Maseru', LY: 'Africa/Tripoli', MA: 'Africa/Casablanca', MG: 'Indian/Antananarivo', ML: 'Africa/Bamako',
  MR: 'Africa/Nouakchott', MU: 'Indian/Mauritius', MW: 'Africa/Blantyre', MZ: 'Africa/Maputo', NA: 'Africa/Windhoek',
  NE: 'Africa/Niamey', NG: 'Africa/Lagos', RE: 'Indian/Reunion', RW: 'Africa/Kigali', SC: 'Indian/Mahe',
  SD: 'Africa/Khartoum', SL: 'Africa/Freetown', SN: 'Africa/Dakar', SO: 'Africa/Mogadishu', SS: 'Africa/Juba',
  ST: 'Africa/Sao_Tome', SZ: 'Africa/Mbabane', TD: 'Africa/Ndjamena', TG: 'Africa/Lome', TN: 'Africa/Tunis',
  TZ: 'Africa/Dar_es_Salaam', UG: 'Africa/Kampala', YT: 'Indian/Mayotte', ZA: 'Africa/Johannesburg', ZM: 'Africa/Lusaka',
  ZW: 'Africa/Harare', SH: 'Atlantic/St_Helena', AC: 'Atlantic/St_Helena', TA: 'Atlantic/St_Helena', IO: 'Indian/Chagos',
  // The Americas (single-clock countries; Argentina's zones all keep −03:00)
  AG: 'America/Antigua', AI: 'America/Anguilla', AR: 'America/Argentina/Buenos_Aires', AW: 'America/Aruba', BB: 'America/Barbados',
  BL: 'America/St_Barthelemy', BM: 'Atlantic/Bermuda', BO: 'America/La_Paz', BQ: 'America/Kralendijk', BS: 'America/Nassau',
  BZ: 'America/Belize', CO: 'America/Bogota', CR: 'America/Costa_Rica', CU: 'America/Havana', CW: 'America/Curacao',
  DM: 'America/Dominica', DO: 'America/Santo_Domingo', FK: 'Atlantic/Stanley', GD: 'America/Grenada', GF: 'America/Cayenne',
  GP: 'America/Guadeloupe', GT: 'America/Guatemala', GY: 'America/Guyana', HN: 'America/Tegucigalpa', HT: 'America/Port-au-Prince',
  JM: 'America/Jamaica', KN: 'America/St_Kitts', KY: 'America/Cayman', LC: 'America/St_Lucia', MF: 'America/Marigot',
  MQ: 'America/Martinique', MS: 'America/Montserrat', NI: 'America/Managua', PA: 'America/Panama', PE: 'America/Lima',
  PM: 'America/Miquelon', PR: 'America/Puerto_Rico', PY: 'America/Asuncion', SR: 'America/Paramaribo', SV: 'America/El_Salvador',
  SX: 'America/Lower_Princes', TC: 'America/Grand_Turk', TT: 'America/Port_of_Spain', UY: 'America/Montevideo', VC: 'America/St_Vincent',
  VE: 'America/Caracas', VG: 'America/Tortola', VI: 'America/St_Thomas',
  // Oceania (single-clock countries)
  AS: 'Pacific/Pago_Pago', CC: 'Indian/Cocos', CK: 'Pacific/Rarotonga', CX: 'Indian/Christmas', FJ: 'Pacific/Fiji',
  GU: 'Pacific/Guam', MH: 'Pacific/Majuro', MP: 'Pacific/Saipan', NC: 'Pacific/Noumea', NF: 'Pacific/Norfolk',
  NR: 'Pacific/Nauru', NU: 'Pacific/Niue', PW: 'Pacific/Palau', SB: 'Pacific/Guadalcanal', TK: 'Pacific/Fakaofo',
  TO: 'Pacific/Tongatapu', TV: 'Pacific/Funafuti', VU: 'Pacific/Efate', WF: 'Pacific/Wallis', WS: 'Pacific/Apia',
};

/** Candidate zones of a multi-zone country, narrowed by NSN prefix where the plan allows. */
export interface MultiZoneRule {
  /** One zone per distinct clock of the country: the answer when no prefix matches. */
  readonly all: readonly string[];
  /** NSN prefix → candidates. The longest matching prefix wins. */
  readonly byPrefix: Readonly<Record<string, readonly string[]>>;
}

/** Builds `byPrefix` from `[prefixes separated by spaces, zones]` pairs. */
export function prefixTable(entries: readonly (readonly [string, readonly string[]])[]): Record<string, readonly string[]> {
  const out: Record<string, readonly string[]> = Object.create(null) as Record<string, readonly string[]>;
  for (const [prefixes, zones] of entries) {
    for (const prefix of prefixes.split(' ')) {
      if (prefix !== '') out[prefix] = zones;
    }
  }
  return out;
}

/** For countries with no geographic prefix rule. */
const NO_PREFIXES = prefixTable([]);

const AU_SYDNEY = ['Australia/Sydney'];
const AU_WEST_AND_CENTRAL = ['Australia/Adelaide', 'Australia/Darwin', 'Australia/Perth', 'Australia/Eucla'];
const BR_BRASILIA = ['America/Sao_Paulo'];
const BR_AMAZON = ['America/Manaus'];
const MX_CENTRAL = ['America/Mexico_City'];
const MX_PACIFIC = ['America/Tijuana'];
const MX_MOUNTAIN_NO_DST = ['America/Mazatlan'];
const MX_EAST = ['America/Cancun'];
const MX_BORDER_CENTRAL = ['America/Matamoros'];

/**
 * Multi-zone countries other than the US and Canada (those are in nanp-zones.ts).
 * Every `all` list covers each clock the country keeps; the prefix rules are the well-known
 * geographic ranges only.
 */
export const MULTI_ZONE: Readonly<Partial<Record<CountryCode, MultiZoneRule>>> = {
  AU: {
    all: ['Australia/Sydney', 'Australia/Brisbane', 'Australia/Adelaide', 'Australia/Darwin', 'Australia/Perth', 'Australia/Eucla', 'Australia/Lord_Howe'],
    byPrefix: prefixTable([
      // 02 NSW/ACT; the Lord Howe Island exchange is 02 6563.
      ['2', AU_SYDNEY],
      ['26563', ['Australia/Lord_Howe']],
      // 03 Victoria and Tasmania: the same clock as Sydney.
      ['3', ['Australia/Melbourne']],
      // 07 Queensland (no DST); 07 55 also serves Tweed Heads, NSW, which keeps DST.
      ['7', ['Australia/Brisbane']],
      ['755', ['Australia/Brisbane', 'Australia/Sydney']],
      // 08 South Australia, Northern Territory, Western Australia (and Broken Hill, NSW).
      ['8', AU_WEST_AND_CENTRAL],
    ]),
  },
  BR: {
    all: ['America/Noronha', 'America/Sao_Paulo', 'America/Manaus', 'America/Rio_Branco'],
    // DDD area codes; Brazilian mobile numbers keep their DDD, so this covers mobiles too.
    byPrefix: prefixTable([
      ['11 12 13 14 15 16 17 18 19 21 22 24 27 28 31 32 33 34 35 37 38', BR_BRASILIA],
      ['41 42 43 44 45 46 47 48 49 51 53 54 55 61 62 63 64', BR_BRASILIA],
      ['71 73 74 75 77 79 82 83 84 85 86 87 88 89 91 93 94 96 98 99', BR_BRASILIA],
      // 81 Pernambuco includes Fernando de Noronha (UTC−2).
      ['81', ['America/Sao_Paulo', 'America/Noronha']],
      // Mato Grosso, Mato Grosso do Sul, Rondônia, Manaus, Roraima: UTC−4.
      ['65 66 67 69 92 95', BR_AMAZON],
      // 68 Acre: UTC−5; 97 western Amazonas spans UTC−4 and UTC−5 (Eirunepé).
      ['68', ['America/Rio_Branco']],
      ['97', ['America/Manaus', 'America/Eirunepe']],
    ]),
  },
  MX: {
    all: ['America/Mexico_City', 'America/Cancun', 'America/Matamoros', 'America/Ciudad_Juarez', 'America/Mazatlan', 'America/Tijuana'],
    byPrefix: prefixTable([
      // Mexico City, Guadalajara, Monterrey, Puebla, Querétaro, León, Mérida, Chihuahua city.
      ['55 33 81 222 442 477 999 614', MX_CENTRAL],
      // Baja California: Tijuana, Mexicali, Ensenada.
      ['664 686 646', MX_PACIFIC],
      // Sonora (Hermosillo) and Sinaloa / Baja California Sur (Mazatlán, Culiacán, La Paz, Los Cabos).
      ['662 669 667 612 624', MX_MOUNTAIN_NO_DST],
      // Quintana Roo: Cancún, Playa del Carmen.
      ['998 984', MX_EAST],
      // Northern border strip keeping US DST: Matamoros, Reynosa, Nuevo Laredo; Ciudad Juárez.
      ['868 899 867', MX_BORDER_CENTRAL],
      ['656', ['America/Ciudad_Juarez']],
    ]),
  },
  RU: {
    all: [
      'Europe/Kaliningrad', 'Europe/Moscow', 'Europe/Samara', 'Asia/Yekaterinburg', 'Asia/Omsk', 'Asia/Novosibirsk',
      'Asia/Irkutsk', 'Asia/Yakutsk', 'Asia/Vladivostok', 'Asia/Magadan', 'Asia/Kamchatka',
    ],
    // Russian mobile (9xx) ranges are not reliably geographic; only big landline codes narrow.
    byPrefix: prefixTable([
      ['495 499 812', ['Europe/Moscow']],
      ['4012', ['Europe/Kaliningrad']],
      ['343', ['Asia/Yekaterinburg']],
      ['383', ['Asia/Novosibirsk']],
    ]),
  },
  // One clock since March 2024 (tzdata 2024a); both kept so an older runtime stays safe.
  KZ: { all: ['Asia/Almaty', 'Asia/Oral'], byPrefix: NO_PREFIXES },
  ID: {
    all: ['Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura'],
    byPrefix: prefixTable([
      // Jakarta, Bandung, Semarang, Surabaya, Medan (WIB); Denpasar, Makassar (WITA); Jayapura (WIT).
      ['21 22 24 31 61', ['Asia/Jakarta']],
      ['361 411', ['Asia/Makassar']],
      ['967', ['Asia/Jayapura']],
    ]),
  },
  CN: {
    // Official time is Beijing's; much of Xinjiang keeps UTC+6 (Asia/Urumqi) in daily life.
    all: ['Asia/Shanghai', 'Asia/Urumqi'],
    byPrefix: prefixTable([['10 20 21', ['Asia/Shanghai']]]),
  },
  CL: {
    // Mainland, Magallanes/Aysén (UTC−3 all year), Easter Island. Mobiles are not geographic.
    all: ['America/Santiago', 'America/Punta_Arenas', 'Pacific/Easter'],
    byPrefix: prefixTable([
      ['2', ['America/Santiago']],
      ['61', ['America/Punta_Arenas']],
    ]),
  },
  ES: {
    // Canary Islands are an hour behind the peninsula; mobiles (6, 7) can be on either.
    all: ['Europe/Madrid', 'Atlantic/Canary'],
    byPrefix: prefixTable([
      ['8 9', ['Europe/Madrid']],
      ['822 828 922 928', ['Atlantic/Canary']],
    ]),
  },
  PT: {
    // The Azores are an hour behind Lisbon (Madeira is not); mobiles (9) can be on either.
    all: ['Europe/Lisbon', 'Atlantic/Azores'],
    byPrefix: prefixTable([
      ['2', ['Europe/Lisbon']],
      ['292 295 296', ['Atlantic/Azores']],
    ]),
  },
  EC: {
    all: ['America/Guayaquil', 'Pacific/Galapagos'],
    byPrefix: prefixTable([['2 3 4 6 7', ['America/Guayaquil']]]),
  },
  NZ: {
    // Chatham Islands run 45 min ahead; mobiles (2) can be on either.
    all: ['Pacific/Auckland', 'Pacific/Chatham'],
    byPrefix: prefixTable([
      ['3 4 6 7 9', ['Pacific/Auckland']],
      ['3305', ['Pacific/Chatham']],
    ]),
  },
  UA: {
    // Occupied Crimea keeps Moscow time; mobiles can be anywhere.
    all: ['Europe/Kyiv', 'Europe/Simferopol'],
    byPrefix: prefixTable([
      ['44', ['Europe/Kyiv']],
      ['65 69', ['Europe/Simferopol']],
    ]),
  },
  CD: { all: ['Africa/Kinshasa', 'Africa/Lubumbashi'], byPrefix: NO_PREFIXES },
  MN: { all: ['Asia/Ulaanbaatar', 'Asia/Hovd'], byPrefix: NO_PREFIXES },
  PG: { all: ['Pacific/Port_Moresby', 'Pacific/Bougainville'], byPrefix: NO_PREFIXES },
  FM: { all: ['Pacific/Chuuk', 'Pacific/Pohnpei'], byPrefix: NO_PREFIXES },
  KI: { all: ['Pacific/Tarawa', 'Pacific/Kanton', 'Pacific/Kiritimati'], byPrefix: NO_PREFIXES },
  PF: { all: ['Pacific/Tahiti', 'Pacific/Marquesas', 'Pacific/Gambier'], byPrefix: NO_PREFIXES },
  GL: { all: ['America/Nuuk', 'America/Danmarkshavn', 'America/Thule'], byPrefix: NO_PREFIXES },
};
