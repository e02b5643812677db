import { e164Digits } from '../e164-digits.js';

/**
 * The first row of each accepted number, keyed by the number's digits as one integer.
 *
 * A list of a million distinct numbers kept in a `Map<string, number>` costs the screener about
 * 1.7 µs a lookup on a large heap (every key a separate string the collector traces, and the map's
 * table holding pointers to young strings). E.164 has at most 15 digits, so the digits are an
 * exact integer below 2^53: an open-addressing table over two typed arrays holds them with no
 * pointer at all.
 */
export class NumberTable {
  /** The number's digits; slots with `rows[i] < 0` are empty. */
  #keys: Float64Array;
  #rows: Int32Array;
  #size = 0;

  constructor(capacity = 1024) {
    let slots = 16;
    while (slots < capacity * 2) slots *= 2;
    this.#keys = new Float64Array(slots);
    this.#rows = new Int32Array(slots).fill(-1);
  }

  get size(): number {
    return this.#size;
  }

  /** The row stored for `e164` (a canonical `+` and 8 to 15 digits), or undefined. */
  get(e164: string): number | undefined {
    const key = digitsOf(e164);
    const mask = this.#rows.length - 1;
    for (let i = slotOf(key, mask); ; i = (i + 1) & mask) {
      const row = this.#rows[i] as number;
      if (row < 0) return undefined;
      if (this.#keys[i] === key) return row;
    }
  }

  /** Stores `row` (a non-negative int32) for `e164` unless the number is already there. */
  setIfAbsent(e164: string, row: number): void {
    if (!Number.isInteger(row) || row < 0 || row > 0x7fffffff) throw new RangeError(`NumberTable: row ${row} is not a non-negative int32`);
    // At most half full: probes stay short.
    if ((this.#size + 1) * 2 > this.#rows.length) this.#grow();
    const key = digitsOf(e164);
    this.#insert(key, row);
  }

  #insert(key: number, row: number): void {
    const mask = this.#rows.length - 1;
    for (let i = slotOf(key, mask); ; i = (i + 1) & mask) {
      const stored = this.#rows[i] as number;
      if (stored < 0) {
        this.#keys[i] = key;
        this.#rows[i] = row;
        this.#size++;
        return;
      }
      if (this.#keys[i] === key) return;
    }
  }

  #grow(): void {
    const keys = this.#keys;
    const rows = this.#rows;
    this.#keys = new Float64Array(keys.length * 2);
    this.#rows = new Int32Array(rows.length * 2).fill(-1);
    this.#size = 0;
    for (let i = 0; i < rows.length; i++) if ((rows[i] as number) >= 0) this.#insert(keys[i] as number, rows[i] as number);
  }
}

/** The digits as one exact integer (e164Digits), or a RangeError. */
function digitsOf(e164: string): number {
  const key = e164Digits(e164);
  if (key < 0) throw new RangeError('NumberTable: not a canonical E.164 number');
  return key;
}

/** A slot for `key`: its two 32-bit halves combined, then mixed (murmur3's finaliser) so that
 * every bit of the key reaches the low bits the mask keeps. */
function slotOf(key: number, mask: number): number {
  const low = key % 4294967296;
  const high = (key - low) / 4294967296;
  let h = (low | 0) ^ Math.imul(high | 0, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & mask;
}
