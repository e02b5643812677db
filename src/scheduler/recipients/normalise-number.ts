/**
 * Reduces a phone number as people write it to `+` and ASCII digits (or digits alone), before
 * libphonenumber sees it. Every notation of one number must reduce to the same string, or a
 * per-recipient cap could be bypassed by writing the number differently.
 *
 * Rules (a whitelist: anything not listed makes the number invalid, never silently dropped):
 * - Digits: ASCII, full-width (U+FF10–FF19), Arabic-Indic (U+0660–0669), Extended
 *   Arabic-Indic (U+06F0–06F9) and Devanagari (U+0966–096F) map to ASCII 0–9.
 * - `+` or full-width `＋` (U+FF0B) marks an international number; it may only come before the
 *   first digit (`(+44) 7400…` is fine, `44+7400…` is not), at most once.
 * - Ignored separators: every Unicode space separator (space, NBSP, narrow NBSP, ideographic
 *   space …), tab and line breaks; every Unicode dash (`\p{Pd}`: hyphen-minus, hyphen, en and
 *   em dash, …) and the minus sign U+2212; `.` and full-width `．`; `/` and full-width `／`;
 *   parentheses `()` and full-width `（）`; invisible format marks (zero-width space and
 *   joiners, LRM/RLM, the Arabic letter mark, bidi embeddings/isolates, BOM), which come
 *   along when numbers are copied out of right-to-left text.
 * - Letters (vanity numbers, `ext`, `tel:`) and any other character: invalid.
 * - A leading `00` (the international call prefix of most of the world) becomes `+`.
 *
 * Parentheses are dropped, not interpreted: `+44 (0)7400 123456` becomes `+4407400123456`, and
 * libphonenumber then removes the national trunk prefix `0` where the country has one (GB,
 * DE, FR, JP, …) and keeps it where the 0 belongs to the number (Italy: `+39 06…`).
 */

/** Longer raw values are rejected before any work: no real notation comes close. */
export const MAX_RAW_NUMBER_LENGTH = 64;
/** E.164 allows 15 digits; two more leave room for a `00` prefix or a written trunk `0`. */
const MAX_DIGITS = 17;

export type NormalisedNumber =
  /** `text` is `+digits` (international) or `digits` (national, needs a default country). */
  | { readonly kind: 'number'; readonly text: string; readonly international: boolean }
  /** Nothing but spaces and separators. */
  | { readonly kind: 'empty' }
  | { readonly kind: 'invalid' };

const EMPTY: NormalisedNumber = { kind: 'empty' };
const INVALID: NormalisedNumber = { kind: 'invalid' };

/** Code point of the digit zero of each accepted digit script; the nine digits follow it. */
const DIGIT_ZEROS: readonly number[] = [0xff10, 0x0660, 0x06f0, 0x0966];

/** Non-ASCII characters that are ignored (see the rules above). One code unit each. */
const IGNORED_NON_ASCII =
  /^[\p{Zs}\p{Pd}\u2028\u2029\u2212\uff0e\uff0f\uff08\uff09\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u061c\ufeff]$/u;

const PLUS = 0x2b;
const FULL_WIDTH_PLUS = 0xff0b;

/** 0–9 for a digit of an accepted script, -1 otherwise. */
function digitValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  for (const zero of DIGIT_ZEROS) {
    if (code >= zero && code <= zero + 9) return code - zero;
  }
  return -1;
}

/** True for an ASCII separator: space, tab, CR, LF, `-`, `.`, `/`, `(`, `)`. */
function isAsciiSeparator(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d || code === 0x2d || code === 0x2e || code === 0x2f || code === 0x28 || code === 0x29;
}

export function normaliseNumber(raw: string): NormalisedNumber {
  if (raw.length > MAX_RAW_NUMBER_LENGTH) return INVALID;
  let digits = '';
  let plus = false;
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    const digit = digitValue(code);
    if (digit >= 0) {
      if (digits.length === MAX_DIGITS) return INVALID;
      digits += String.fromCharCode(0x30 + digit);
      continue;
    }
    if (code === PLUS || code === FULL_WIDTH_PLUS) {
      // A plus after a digit (or a second plus) is not a notation of one number.
      if (plus || digits.length > 0) return INVALID;
      plus = true;
      continue;
    }
    if (code < 0x80 ? isAsciiSeparator(code) : IGNORED_NON_ASCII.test(raw.charAt(i))) continue;
    return INVALID;
  }
  if (digits.length === 0) return plus ? INVALID : EMPTY;
  if (plus) return { kind: 'number', text: `+${digits}`, international: true };
  if (digits.startsWith('00')) return { kind: 'number', text: `+${digits.slice(2)}`, international: true };
  return { kind: 'number', text: digits, international: false };
}
