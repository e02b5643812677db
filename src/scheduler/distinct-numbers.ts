/**
 * Whether the values in `columns` (E.164 digits: positive integers below 2^53) that fall in
 * share `part` of `parts` are all distinct. Values go to buckets by a hash (equal values to the
 * same bucket), share p takes its range of buckets, and each bucket is checked with an
 * open-addressing table small enough to stay in cache: a few streaming passes, no sort. So the
 * shares together check every value, each on its own thread if need be. A planner that knows
 * its recipients are distinct numbers them by position instead of sorting them into dense ids.
 */
export function distinctInShare(columns: readonly Float64Array[], part: number, parts: number): boolean {
  let n = 0;
  for (const c of columns) n += c.length;
  if (n < 2) return true;
  // About 2,048 values per bucket.
  let buckets = 1;
  while (buckets * 2_048 < n) buckets *= 2;
  const shift = 32 - Math.log2(buckets);
  const low = Math.floor((buckets * part) / parts);
  const high = Math.floor((buckets * (part + 1)) / parts);
  // The bucket of every value (−1 outside the share), counted per bucket, then the share's values laid out by bucket.
  const bucket = new Int32Array(n);
  const counts = new Int32Array(high - low + 1);
  let at = 0;
  for (const c of columns) {
    for (let i = 0; i < c.length; i++, at++) {
      const b = bucketOf(mix(c[i] as number), shift) - low;
      if (b >= 0 && b < high - low) {
        bucket[at] = b;
        counts[b + 1] = (counts[b + 1] as number) + 1;
      } else {
        bucket[at] = -1;
      }
    }
  }
  let largest = 0;
  for (let b = 1; b < counts.length; b++) {
    largest = Math.max(largest, counts[b] as number);
    counts[b] = (counts[b] as number) + (counts[b - 1] as number);
  }
  const mine = new Float64Array(counts[counts.length - 1] as number);
  const fill = counts.slice(0, -1);
  at = 0;
  for (const c of columns) {
    for (let i = 0; i < c.length; i++, at++) {
      const b = bucket[at] as number;
      if (b >= 0) {
        mine[fill[b] as number] = c[i] as number;
        fill[b] = (fill[b] as number) + 1;
      }
    }
  }
  let size = 2;
  while (size < 2 * largest) size *= 2;
  // 0 marks a free slot: no E.164 digit string is 0.
  const table = new Float64Array(size);
  for (let b = 0; b + 1 < counts.length; b++) {
    const from = counts[b] as number;
    const to = counts[b + 1] as number;
    let mask = 1;
    while (mask < 2 * (to - from)) mask *= 2;
    table.fill(0, 0, mask);
    mask -= 1;
    for (let j = from; j < to; j++) {
      const x = mine[j] as number;
      // The low bits of the mix pick the slot (its high bits picked the bucket).
      let h = mix(x) & mask;
      for (;;) {
        const v = table[h] as number;
        if (v === 0) {
          table[h] = x;
          break;
        }
        if (v === x) return false;
        h = (h + 1) & mask;
      }
    }
  }
  return true;
}

/** Whether every value of `to` is distinct (see `distinctInShare`). */
export function allDistinct(to: Float64Array): boolean {
  return distinctInShare([to], 0, 1);
}

/** A multiply-xorshift mix of both 32-bit halves of x (`x | 0` is x modulo 2^32, exact below 2^53), so that numbers differing in any digit spread. */
function mix(x: number): number {
  let k = Math.imul((x | 0) ^ Math.imul((x / 4_294_967_296) | 0, 0x85ebca6b), 0x9e3779b1);
  k ^= k >>> 15;
  k = Math.imul(k, 0x2c1b3c6d);
  k ^= k >>> 13;
  return k;
}

const bucketOf = (k: number, shift: number): number => (shift === 32 ? 0 : k >>> shift);
