/**
 * A sorted multiset of integer instants stored in `a[base .. base+len)`. It backs the exact
 * sliding window (`window`) and the charges of the distinct limit. The same functions run
 * on a private array (reference model) and on a SharedArrayBuffer view (embedded store):
 * they never allocate, and callers hold whatever lock guards `a`.
 *
 * Windows are half-open `[s, s+W)` on integer milliseconds.
 */

/** First index i in [base, base+len) with a[i] >= x (base+len if none). */
export function lowerBound(a: Float64Array, base: number, len: number, x: number): number {
  let lo = base;
  let hi = base + len;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of entries in [from, to). */
export function countRange(a: Float64Array, base: number, len: number, from: number, to: number): number {
  return lowerBound(a, base, len, to) - lowerBound(a, base, len, from);
}

/** The largest count of any window [s, s+W) that contains t. */
export function maxWindowContaining(a: Float64Array, base: number, len: number, t: number, W: number): number {
  // count(s) = left(s) + right(s): left shrinks as s grows, right grows only when s passes
  // a_j − W + 1 for an entry a_j in (t, t+W). So the maximum sits at s = t−W+1 or at one of those.
  let best = countRange(a, base, len, t - W + 1, t + 1);
  const end = base + len;
  for (let j = lowerBound(a, base, len, t + 1); j < end; j++) {
    const aj = a[j] as number;
    if (aj >= t + W) break;
    const s = aj - W + 1;
    const c = countRange(a, base, len, s, s + W);
    if (c > best) best = c;
  }
  return best;
}

/**
 * Earliest integer instant ≥ t at which adding `cost` entries keeps every window of W at most
 * `count`. Assumes cost ≤ count. The earliest valid instant is t itself or a_i + W for some
 * entry a_i (where a heavy window stops covering), so those are the only candidates.
 */
export function windowEarliest(
  a: Float64Array,
  base: number,
  len: number,
  t: number,
  cost: number,
  count: number,
  W: number,
): number {
  const room = count - cost;
  const end = base + len;
  let i = lowerBound(a, base, len, t - W + 1);
  let candidate = t;
  for (;;) {
    if (len === 0 || candidate >= (a[end - 1] as number)) {
      // Nothing after the candidate: only the window ending at it matters, and the
      // (room+1)-th most recent entry must have left it.
      if (len <= room) return candidate;
      const limit = (a[end - 1 - room] as number) + W;
      return limit > candidate ? limit : candidate;
    }
    // The window ending at the candidate already too full: the (room+1) newest of its entries stay
    // inside every window that ends before the oldest of them expires, so jump straight there.
    const lo = lowerBound(a, base, len, candidate - W + 1);
    const inWindow = lowerBound(a, base, len, candidate + 1) - lo;
    if (inWindow > room) {
      candidate = (a[lo + inWindow - room - 1] as number) + W;
      continue;
    }
    if (maxWindowContaining(a, base, len, candidate, W) <= room) return candidate;
    // Next candidate: the next entry's expiry after the current candidate.
    while (i < end && (a[i] as number) + W <= candidate) i++;
    if (i >= end) return candidate; // unreachable: the fast path above covers an empty tail
    candidate = (a[i] as number) + W;
  }
}

/** Insert `cost` copies of t, keeping order. Caller checked capacity. Returns the new length. */
export function insertSorted(a: Float64Array, base: number, len: number, t: number, cost: number): number {
  const at = lowerBound(a, base, len, t + 1);
  const end = base + len;
  if (at < end) a.copyWithin(at + cost, at, end);
  a.fill(t, at, at + cost);
  return len + cost;
}

/** Remove up to `cost` copies of t. Returns the new length. */
export function removeSorted(a: Float64Array, base: number, len: number, t: number, cost: number): number {
  const from = lowerBound(a, base, len, t);
  const end = base + len;
  let to = from;
  while (to < end && to - from < cost && (a[to] as number) === t) to++;
  if (to === from) return len;
  a.copyWithin(from, to, end);
  return len - (to - from);
}

/** Drop entries < before. Returns the new length. */
export function pruneBefore(a: Float64Array, base: number, len: number, before: number): number {
  const cut = lowerBound(a, base, len, before);
  if (cut === base) return len;
  a.copyWithin(base, cut, base + len);
  return len - (cut - base);
}
