import { CapacityError } from '../../errors.js';
import { lock, unlock } from './shared-lock.js';

/**
 * Interns strings to dense integer handles (0, 1, 2, …) in shared memory, so every worker
 * thread maps the same key to the same handle and the hot path works on integers only.
 *
 * Open addressing with linear probing. Lookups take no lock: a slot's handle is published with
 * `Atomics.store` after its hash and characters are written, so a reader that sees the handle
 * sees the characters. Inserts take the table's lock and probe again under it.
 * Entries are never removed: capacity is fixed at creation (a full table throws CapacityError).
 */
export interface StringTableBuffers {
  readonly meta: SharedArrayBuffer; // Int32 [lock, count, charsUsed]
  readonly slots: SharedArrayBuffer; // Int32 per slot: [hash, handle + 1]
  readonly entries: SharedArrayBuffer; // Int32 per handle: [charOffset, length]
  readonly chars: SharedArrayBuffer; // Uint16 code units
}

export class SharedStringTable {
  readonly capacity: number;
  readonly buffers: StringTableBuffers;
  readonly #meta: Int32Array;
  readonly #slots: Int32Array;
  readonly #entries: Int32Array;
  readonly #chars: Uint16Array;
  readonly #mask: number;
  /** Per-thread memo in front of the shared table (strings seen by this thread). */
  readonly #local = new Map<string, number>();

  static create(capacity: number, averageLength = 32): SharedStringTable {
    const slotCount = nextPowerOfTwo(Math.max(16, capacity * 2));
    return new SharedStringTable(capacity, {
      meta: new SharedArrayBuffer(16),
      slots: new SharedArrayBuffer(slotCount * 8),
      entries: new SharedArrayBuffer(capacity * 8),
      chars: new SharedArrayBuffer(Math.max(64, capacity * averageLength) * 2),
    });
  }

  constructor(capacity: number, buffers: StringTableBuffers) {
    this.capacity = capacity;
    this.buffers = buffers;
    this.#meta = new Int32Array(buffers.meta);
    this.#slots = new Int32Array(buffers.slots);
    this.#entries = new Int32Array(buffers.entries);
    this.#chars = new Uint16Array(buffers.chars);
    this.#mask = this.#slots.length / 2 - 1;
  }

  get size(): number {
    return Atomics.load(this.#meta, 1);
  }

  /** The handle of `s`, adding it if new. */
  intern(s: string): number {
    const memo = this.#local.get(s);
    if (memo !== undefined) return memo;
    const h = hashString(s);
    let handle = this.#find(s, h);
    if (handle < 0) handle = this.#insert(s, h);
    this.#local.set(s, handle);
    return handle;
  }

  /**
   * Reserves `count` consecutive handles that name no string (`stringOf` gives '' and `lookup`
   * never finds them) and returns the first: state slots that a caller addresses by its own
   * dense ids, such as a campaign planner numbering its recipients. Throws CapacityError when
   * the table cannot hold them.
   */
  reserve(count: number): number {
    const meta = this.#meta;
    lock(meta, 0);
    try {
      const first = meta[1] as number;
      if (first + count > this.capacity) throw new CapacityError(`more than ${this.capacity} distinct keys in one table`);
      Atomics.store(meta, 1, first + count);
      return first;
    } finally {
      unlock(meta, 0);
    }
  }

  /** The handle of `s`, or -1 if it was never interned. */
  lookup(s: string): number {
    const memo = this.#local.get(s);
    if (memo !== undefined) return memo;
    const handle = this.#find(s, hashString(s));
    if (handle >= 0) this.#local.set(s, handle);
    return handle;
  }

  /** The string behind a handle. */
  stringOf(handle: number): string {
    const offset = this.#entries[handle * 2] as number;
    const length = this.#entries[handle * 2 + 1] as number;
    return String.fromCharCode(...this.#chars.subarray(offset, offset + length));
  }

  #find(s: string, h: number): number {
    let i = h & this.#mask;
    for (;;) {
      const published = Atomics.load(this.#slots, i * 2 + 1);
      if (published === 0) return -1;
      if (this.#slots[i * 2] === h && this.#equals(published - 1, s)) return published - 1;
      i = (i + 1) & this.#mask;
    }
  }

  #insert(s: string, h: number): number {
    const meta = this.#meta;
    lock(meta, 0);
    try {
      let i = h & this.#mask;
      for (;;) {
        const published = Atomics.load(this.#slots, i * 2 + 1);
        if (published === 0) break;
        if (this.#slots[i * 2] === h && this.#equals(published - 1, s)) return published - 1;
        i = (i + 1) & this.#mask;
      }
      const handle = meta[1] as number;
      const offset = meta[2] as number;
      if (handle >= this.capacity) throw new CapacityError(`more than ${this.capacity} distinct keys in one table`);
      if (offset + s.length > this.#chars.length) throw new CapacityError('key characters exceed the table arena');
      for (let k = 0; k < s.length; k++) this.#chars[offset + k] = s.charCodeAt(k);
      this.#entries[handle * 2] = offset;
      this.#entries[handle * 2 + 1] = s.length;
      this.#slots[i * 2] = h;
      meta[2] = offset + s.length;
      Atomics.store(meta, 1, handle + 1);
      Atomics.store(this.#slots, i * 2 + 1, handle + 1);
      return handle;
    } finally {
      unlock(meta, 0);
    }
  }

  #equals(handle: number, s: string): boolean {
    const offset = this.#entries[handle * 2] as number;
    if (this.#entries[handle * 2 + 1] !== s.length) return false;
    for (let k = 0; k < s.length; k++) if (this.#chars[offset + k] !== s.charCodeAt(k)) return false;
    return true;
  }
}

/** FNV-1a over UTF-16 code units. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
