import { windowEarliest } from './sorted-log.js';

/**
 * The distinct (messaging) limit: at most `count` recipient charges in any window of W.
 * A recipient is charged by a send at t unless its last charge c satisfies t − W < c ≤ t.
 * A recipient's own sends are admitted in time order (t ≥ its last send), which makes the
 * store's charge decisions identical to a replay of the sends in time order.
 *
 * Per-recipient state: `lastSend`, `lastCharge` (0 = never: 2020 is far enough in the past).
 */
export function distinctEarliest(
  charges: Float64Array,
  base: number,
  len: number,
  lastSend: number,
  lastCharge: number,
  t: number,
  count: number,
  W: number,
): number {
  const at = t > lastSend ? t : lastSend;
  if (at < lastCharge + W) return at; // already counted inside the window: free
  return windowEarliest(charges, base, len, at, 1, count, W);
}

/** Whether a send at t (≥ lastSend) opens a new charge. */
export function distinctCharges(lastCharge: number, t: number, W: number): boolean {
  return t >= lastCharge + W;
}
