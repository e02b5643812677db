/**
 * The digits of a canonical E.164 number (`+`, then 8 to 15 digits, the first not 0) as one
 * integer, read in place, or -1 when it is not one. At most 15 digits, so the integer is exact
 * (below 2^53), and the leading digit is never 0, so distinct numbers give distinct integers.
 */
export function e164Digits(to: unknown): number {
  if (typeof to !== 'string' || to.length < 9 || to.length > 16 || to.charCodeAt(0) !== 43) return -1;
  let d = 0;
  for (let k = 1; k < to.length; k++) {
    const c = to.charCodeAt(k) - 48;
    if (c < 0 || c > 9 || (k === 1 && c === 0)) return -1;
    d = d * 10 + c;
  }
  return d;
}
