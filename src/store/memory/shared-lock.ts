/**
 * A mutex in one Int32 of shared memory (0 free, 1 held, 2 held with waiters), after Drepper's
 * "Futexes are tricky". Critical sections in sluice are a few hundred nanoseconds of pure
 * arithmetic, so a short spin almost always wins; `Atomics.wait` only runs under real contention.
 *
 * The Atomics operations order the plain reads and writes of the guarded state: everything
 * written before `unlock` is visible to the next thread whose `lock` succeeds.
 */
const SPINS = 100;

export function lock(words: Int32Array, index: number): void {
  let c = Atomics.compareExchange(words, index, 0, 1);
  if (c === 0) return;
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

export function unlock(words: Int32Array, index: number): void {
  if (Atomics.sub(words, index, 1) !== 1) {
    Atomics.store(words, index, 0);
    Atomics.notify(words, index, 1);
  }
}
