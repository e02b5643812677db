/** A binary min-heap of integer ids ordered by (priority, id): ties go to the lower id (stable, deterministic). */
export class MinHeap {
  #ids: number[] = [];
  #keys: number[] = [];

  get size(): number {
    return this.#ids.length;
  }

  push(id: number, key: number): void {
    this.#ids.push(id);
    this.#keys.push(key);
    this.#up(this.#ids.length - 1);
  }

  /** The smallest key without removing it (Infinity when empty). */
  peekKey(): number {
    return this.#keys[0] ?? Infinity;
  }

  /** The id with the smallest key without removing it (-1 when empty). */
  peekId(): number {
    return this.#ids[0] ?? -1;
  }

  /** Remove and return the id with the smallest key (-1 when empty). */
  pop(): number {
    const ids = this.#ids;
    const keys = this.#keys;
    if (ids.length === 0) return -1;
    const top = ids[0] as number;
    const lastId = ids.pop() as number;
    const lastKey = keys.pop() as number;
    if (ids.length > 0) {
      ids[0] = lastId;
      keys[0] = lastKey;
      this.#down(0);
    }
    return top;
  }

  #less(a: number, b: number): boolean {
    const ka = this.#keys[a] as number;
    const kb = this.#keys[b] as number;
    return ka < kb || (ka === kb && (this.#ids[a] as number) < (this.#ids[b] as number));
  }

  #swap(a: number, b: number): void {
    const ids = this.#ids;
    const keys = this.#keys;
    [ids[a], ids[b]] = [ids[b] as number, ids[a] as number];
    [keys[a], keys[b]] = [keys[b] as number, keys[a] as number];
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const n = this.#ids.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.#less(l, m)) m = l;
      if (r < n && this.#less(r, m)) m = r;
      if (m === i) return;
      this.#swap(i, m);
      i = m;
    }
  }
}
