import fc from 'fast-check';
import type { CountryCode } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { validateMessage } from '../../../src/core/policy/index.js';
import { ValidationError } from '../../../src/errors.js';
import { canonicalNumber, normaliseNumber } from '../../../src/scheduler/recipients/index.js';

/** One number, many notations: every one must give the same key. */
const NOTATIONS: readonly { e164: string; country: CountryCode; defaultCountry?: CountryCode; notations: readonly string[] }[] = [
  {
    e164: '+447400123456',
    country: 'GB',
    notations: [
      '+447400123456',
      '+44 7400 123456',
      '0044 7400-123456',
      '00 44 7400 123 456',
      // The national trunk prefix written after the country code is accepted (and dropped).
      '+44 (0)7400 123456',
      '+44(0)7400-123-456',
      '+44 0 7400 123456',
      '(+44) 7400 123456',
      '+44.7400.123456',
      '+44/7400/123456',
      '\t +44 7400 123456 ',
      '＋４４ ７４００ １２３４５６', // full-width digits and plus
      '＋４４（０）７４００ １２３４５６', // full-width parentheses
      '+٤٤ ٧٤٠٠ ١٢٣٤٥٦', // Arabic-Indic
      '+۴۴ ۷۴۰۰ ۱۲۳۴۵۶', // Extended Arabic-Indic
      '٠٠٤٤٧٤٠٠١٢٣٤٥٦', // Arabic-Indic 00 prefix
      '०० ४४ ७४०० १२३४५६', // Devanagari
      '+44 7400 １２３４５６', // scripts mixed within one number
      '\u200e+44 7400 123456\u200f', // LRM / RLM from right-to-left text
      '\u202a+٤٤ ٧٤٠٠ ١٢٣٤٥٦\u202c', // bidi embedding
      '+44\u00a07400\u00a0123456', // NBSP
      '+44\u202f7400\u202f123456', // narrow NBSP
      '+44\u30007400\u3000123456', // ideographic space
      '+44\u20137400\u2013123456', // en dash
      '+44\u20147400\u2014123456', // em dash
      '+44\u20107400\u2011123456', // hyphen, non-breaking hyphen
      '+44\u22127400\u2212123456', // minus sign
      '+44\uff0d7400\uff0e123456', // full-width hyphen-minus and full stop
      '\ufeff+447400123456', // BOM
    ],
  },
  {
    e164: '+447400123456',
    country: 'GB',
    defaultCountry: 'GB',
    notations: ['07400 123456', '07400-123-456', '(07400) 123456', '７４００ １２３４５６', '+44 7400 123456', '0044 7400 123456'],
  },
  {
    e164: '+12125551234',
    country: 'US',
    notations: ['+1 212 555 1234', '+1 (212) 555-1234', '001 212 555 1234', '+1.212.555.1234', '+1-212-555-1234', '＋１ ２１２ ５５５ １２３４'],
  },
  { e164: '+12125551234', country: 'US', defaultCountry: 'US', notations: ['(212) 555-1234', '212.555.1234', '1-212-555-1234', '1 (212) 555 1234'] },
  // Italy: the leading 0 belongs to the number and is kept, even when written as "(0)".
  { e164: '+390612345678', country: 'IT', notations: ['+39 06 1234 5678', '+39 (0)6 1234 5678', '0039 06-1234-5678'] },
  { e164: '+4915112345678', country: 'DE', notations: ['+49 151 12345678', '+49 (0)151 1234 5678', '0049 (0) 151 / 123 456 78'] },
  { e164: '+4915112345678', country: 'DE', defaultCountry: 'DE', notations: ['0151 12345678', '0151/123 456 78'] },
  { e164: '+919876543210', country: 'IN', notations: ['+91 98765 43210', '0091-98765-43210', '+९१ ९८७६५ ४३२१०', '+٩١ ٩٨٧٦٥ ٤٣٢١٠'] },
  { e164: '+9779801234567', country: 'NP', notations: ['+977 980-1234567', '00977 9801 234 567'] },
  // Mexico: the mobile "1" abolished in 2019 (still in exported WhatsApp ids) is dropped.
  { e164: '+525512345678', country: 'MX', notations: ['+52 55 1234 5678', '+52 1 55 1234 5678', '0052 1 55-1234-5678'] },
  { e164: '+971501234567', country: 'AE', notations: ['+971 50 123 4567', '+٩٧١ ٥٠ ١٢٣ ٤٥٦٧', '+۹۷۱ ۵۰ ۱۲۳ ۴۵۶۷'] },
];

describe('canonicalNumber: every notation of one number maps to one key', () => {
  for (const { e164, country, defaultCountry, notations } of NOTATIONS) {
    it.each(notations)(`%j → ${e164}${defaultCountry === undefined ? '' : ` (default ${defaultCountry})`}`, (raw) => {
      expect(canonicalNumber(raw, defaultCountry)).toEqual({ ok: true, e164, country });
    });
  }

  it('accepted numbers satisfy the admission rule for Message.to', () => {
    for (const { e164, defaultCountry, notations } of NOTATIONS) {
      for (const raw of notations) {
        const r = canonicalNumber(raw, defaultCountry);
        expect(r.ok).toBe(true);
        if (r.ok) {
          expect(() => validateMessage({ id: 'm', to: r.e164, from: 'n1', portfolio: 'p', category: 'utility' })).not.toThrow();
          expect(r.e164).toBe(e164);
        }
      }
    }
  });
});

describe('canonicalNumber: rejects with a reason', () => {
  it.each([
    ['44 7400 123456', 'invalid-number'], // no + / 00 and no default country (DOMAIN.md)
    ['07400 123456', 'invalid-number'],
    ['7400123456', 'invalid-number'],
    ['+44 7700 900123', 'invalid-number'], // Ofcom drama range: never allocated
    ['+44 7400 12345', 'invalid-number'], // too short
    ['+44 7400 1234567', 'invalid-number'], // too long
    ['tel:+447400123456', 'invalid-number'], // letters are never dropped silently
    ['+44 7400 123456 ext 12', 'invalid-number'],
    ['+1-800-FLOWERS', 'invalid-number'],
    ['44+7400123456', 'invalid-number'], // + after a digit
    ['++447400123456', 'invalid-number'],
    ['+', 'invalid-number'],
    ['+00447400123456', 'invalid-number'],
    ['+0 7400 123456', 'invalid-number'],
    ['+6834002', 'invalid-number'], // valid in Niue but shorter than admission's 8 digits
    ['+4474001234561234567', 'invalid-number'], // more digits than any notation has
    [`+44 7400 123456${' '.repeat(60)}`, 'invalid-number'], // longer than any real notation
    ['+44\u{1D7CE}7400123456', 'invalid-number'], // mathematical digit: not an accepted script
    ['+44 7400 123456\ud800', 'invalid-number'], // lone surrogate
    ['N/A', 'invalid-number'],
    ['', 'missing-number'],
    ['   ', 'missing-number'],
    ['\u00a0\t', 'missing-number'],
    [' - ', 'missing-number'],
    ['()', 'missing-number'],
  ] as const)('%j → %s', (raw, reason) => {
    expect(canonicalNumber(raw)).toEqual({ ok: false, reason });
  });

  it('a default country does not rescue a malformed number', () => {
    expect(canonicalNumber('7400 12345', 'GB')).toEqual({ ok: false, reason: 'invalid-number' });
    expect(canonicalNumber('', 'GB')).toEqual({ ok: false, reason: 'missing-number' });
  });

  it('an unknown default country is a programming error: ValidationError', () => {
    expect(() => canonicalNumber('+447400123456', 'XX' as CountryCode)).toThrow(ValidationError);
    expect(() => canonicalNumber('+447400123456', 'gb' as CountryCode)).toThrow(ValidationError);
  });

  it('results never carry the raw text', () => {
    const r = canonicalNumber('+44 7700 900123');
    expect(JSON.stringify(r)).not.toMatch(/\d{4}/);
  });
});

describe('normaliseNumber', () => {
  it.each([
    ['+44 7400 123456', { kind: 'number', text: '+447400123456', international: true }],
    ['0044 7400', { kind: 'number', text: '+447400', international: true }],
    ['07400', { kind: 'number', text: '07400', international: false }],
    ['(+1) 212', { kind: 'number', text: '+1212', international: true }],
    [' ', { kind: 'empty' }],
    ['+', { kind: 'invalid' }],
    ['12+3', { kind: 'invalid' }],
    ['12a', { kind: 'invalid' }],
  ] as const)('%j', (raw, expected) => {
    expect(normaliseNumber(raw)).toEqual(expected);
  });
});

// ------------------------------------------------------------------------------------------
// Property: random valid numbers in random notations always give the same canonical form.

interface Plan {
  readonly cc: string;
  readonly country: CountryCode;
  /** National trunk prefix, if the country has one. */
  readonly trunk: string;
  readonly nsn: fc.Arbitrary<string>;
}

const digits = (n: number): fc.Arbitrary<string> => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
const withPrefix = (prefixes: readonly string[], rest: number): fc.Arbitrary<string> =>
  fc.tuple(fc.constantFrom(...prefixes), digits(rest)).map(([p, d]) => p + d);

const PLANS: readonly Plan[] = [
  { cc: '44', country: 'GB', trunk: '0', nsn: withPrefix(['7400', '7123', '7812', '7500'], 6) },
  { cc: '1', country: 'US', trunk: '', nsn: fc.tuple(fc.constantFrom('212', '415', '312', '646', '305'), fc.integer({ min: 2, max: 9 }), digits(6)).map(([a, b, c]) => `${a}${b}${c}`) },
  { cc: '91', country: 'IN', trunk: '0', nsn: withPrefix(['98', '97', '96'], 8) },
  { cc: '49', country: 'DE', trunk: '0', nsn: withPrefix(['151', '160', '170'], 8) },
  { cc: '55', country: 'BR', trunk: '', nsn: withPrefix(['119', '219', '319'], 8) },
  { cc: '234', country: 'NG', trunk: '0', nsn: withPrefix(['803', '806', '813'], 7) },
  { cc: '81', country: 'JP', trunk: '0', nsn: withPrefix(['90', '80'], 8) },
];

/** Code point of the zero of each digit script the normaliser accepts. */
const SCRIPTS = [0x30, 0xff10, 0x0660, 0x06f0, 0x0966];
const SEPARATORS = ['', '', '', ' ', '-', '\u2013', '\u2014', '\u00a0', '\u202f', '.', '/', '\u2011', '\u200e', '\u3000'];

function render(text: string, scripts: readonly number[], seps: readonly string[]): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const zero = scripts[i % scripts.length] ?? 0x30;
    out += c >= 0x30 && c <= 0x39 ? String.fromCharCode(zero + c - 0x30) : text.charAt(i);
    out += seps[i % seps.length] ?? '';
  }
  return out;
}

const notationArb = fc.record({
  plan: fc.constantFrom(...PLANS),
  prefix: fc.constantFrom('+', '＋', '00', '(+'),
  trunk: fc.constantFrom('none', '(0)', '0'),
  scripts: fc.array(fc.constantFrom(...SCRIPTS), { minLength: 1, maxLength: 6 }),
  seps: fc.array(fc.constantFrom(...SEPARATORS), { minLength: 1, maxLength: 7 }),
  national: fc.boolean(),
});

describe('canonicalNumber property', () => {
  it('random valid numbers in random notations always canonicalise to + country code + NSN', () => {
    fc.assert(
      fc.property(notationArb.chain((n) => n.plan.nsn.map((nsn) => ({ ...n, nsn }))), (n) => {
        const expected = `+${n.plan.cc}${n.nsn}`;
        // Only numbers libphonenumber calls valid take part (a few random ranges are unallocated).
        const reference = canonicalNumber(expected);
        fc.pre(reference.ok);
        const body = render(n.nsn, n.scripts, n.seps);
        let raw: string;
        if (n.national) {
          // National notation with a default country: trunk prefix (if any) then the NSN.
          raw = render(n.plan.trunk, n.scripts, n.seps) + body;
          expect(canonicalNumber(raw, n.plan.country)).toEqual({ ok: true, e164: expected, country: n.plan.country });
          return;
        }
        const cc = render(n.plan.cc, n.scripts, n.seps);
        const head = n.prefix === '00' ? render('00', n.scripts, n.seps) + cc : n.prefix === '(+' ? `(+${cc}) ` : n.prefix + cc;
        const trunk = n.plan.trunk === '' || n.trunk === 'none' ? '' : n.trunk === '(0)' ? ' (0)' : ' 0';
        raw = `${head}${trunk} ${body}`;
        const r = canonicalNumber(raw);
        expect(r).toEqual({ ok: true, e164: expected, country: n.plan.country });
        // And with a default country of another region: the + decides.
        expect(canonicalNumber(raw, 'FR')).toEqual(r);
      }),
      { numRuns: 2_000 },
    );
  });
});
