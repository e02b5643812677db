/**
 * A mutex in one Int32 of shared memory (0 free, 1 held, 2 held with waiters), after Drepper's
 * "Futexes are tricky". Critical sections in sluice are a few hundred nanoseconds of pure
 * arithmetic, so a short spin almost always wins; `Atomics.wait` only runs under real contention.
 *
 * The Atomics operations order the plain reads and writes of the guarded state: everything
 * written before `unlock` is visible to the next thread whose `lock` succeeds.
 *
 * `lock` and `unlock` are the uncontended fast paths only (one Atomics call each), small enough
 * for the JIT to inline into hot callers; the contended paths live in separate functions.
 */
const SPINS = 100;

export function lock(words: Int32Array, index: number): void {
  const c = Atomics.compareExchange(words, index, 0, 1);
  if (c !== 0) lockContended(words, index, c);
}

export function unlock(words: Int32Array, index: number): void {
  if (Atomics.sub(words, index, 1) !== 1) unlockContended(words, index);
}

function lockContended(words: Int32Array, index: number, seen: number): void {
  let c = seen;
  for (let i = 0; i < SPINS; i++) {
    if (Atomics.load(words, index) === 0) {
      c = Atomics.compareExchange(words, index, 0, 1);
      if (c === 0) return;
    }
  }
  if (c !== 2) c = Atomics.exchange(words, index, 2);
  while (c !== 0) {
    Atomics.wait(words, index, 2, 1);
    c = Atomics.exchange(words, index, 2);
  }
}

function unlockContended(words: Int32Array, index: number): void {
  Atomics.store(words, index, 0);
  Atomics.notify(words, index, 1);
}

/**
 * Locks every lock whose bit is set in `bitmap` (bit b of word w is lock number 32·w + b, held in
 * `words[(32·w + b) << shift]`), in ascending lock order. Every multi-lock caller must use this
 * order and single-lock callers hold one lock at a time, so no cycle of waiters can form.
 */
export function lockSet(words: Int32Array, bitmap: Int32Array, shift: number): void {
  for (let w = 0; w < bitmap.length; w++) {
    let bits = bitmap[w] as number;
    while (bits !== 0) {
      const low = bits & -bits;
      lock(words, ((w << 5) | (31 - Math.clz32(low))) << shift);
      bits ^= low;
    }
  }
}

/** Unlocks every lock in `bitmap` (see `lockSet`) and clears the bitmap for reuse. */
export function unlockSet(words: Int32Array, bitmap: Int32Array, shift: number): void {
  for (let w = 0; w < bitmap.length; w++) {
    let bits = bitmap[w] as number;
    if (bits === 0) continue;
    bitmap[w] = 0;
    while (bits !== 0) {
      const low = bits & -bits;
      unlock(words, ((w << 5) | (31 - Math.clz32(low))) << shift);
      bits ^= low;
    }
  }
}
