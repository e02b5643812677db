import type { AdmitOptions, Decision, LimitCapacity, Message, Millis, Policy } from '../core/types.js';

export interface AdmitCallOptions extends AdmitOptions {
  /**
   * The instant to decide at. Stores read their own clock by default (the embedded store a
   * monotonic clock, the Redis store the server's `TIME`); planners pass simulated time.
   */
  readonly now?: Millis;
}

/**
 * What a cancel did. When `cancelled` is false nothing changed, for `reason`:
 * - `unknown`: no message with this id is admitted (never admitted, refused, or its record
 *   expired), or another call is deciding it right now;
 * - `already-cancelled`;
 * - `charge-relied-on`: the message opened a recipient's distinct (messaging-limit) charge and a
 *   later send to that recipient has been admitted since; it stays admitted (cancel the later
 *   sends first, newest first, or send it).
 */
export type CancelOutcome = { readonly cancelled: true } | { readonly cancelled: false; readonly reason: CancelRefusal };
export type CancelRefusal = 'unknown' | 'already-cancelled' | 'charge-relied-on';

export interface CancelOptions {
  /** The message's portfolio. Required by the Redis store, which keeps records per portfolio. */
  readonly portfolio?: string;
}

/**
 * What every store does, with the same semantics (one conformance suite runs against all).
 * Admission reserves the earliest slot satisfying every limit and send window, all or nothing.
 */
export interface AdmissionStore {
  readonly policy: Policy;
  /** Reserve a slot for one message. Idempotent by `message.id`. */
  admit(message: Message, options?: AdmitCallOptions): Promise<Decision>;
  /** Admit messages in order; each decision sees the ones before it. */
  admitMany(messages: readonly Message[], options?: AdmitCallOptions): Promise<Decision[]>;
  /** The decision `admit` would return now, consuming nothing. */
  peek(message: Message, options?: AdmitCallOptions): Promise<Decision>;
  /**
   * Cancel an admitted message and refund what can be refunded safely. False when unknown, already
   * cancelled, or refused: the message opened a recipient's distinct charge that a later send to
   * that recipient may ride on (then nothing changes and the message stays admitted).
   * `cancelOutcome` says which.
   */
  cancel(id: string, options?: CancelOptions): Promise<boolean>;
  /** `cancel`, telling why nothing was cancelled. */
  cancelOutcome(id: string, options?: CancelOptions): Promise<CancelOutcome>;
  /** What each limit of the message could still take at the instant, without waiting. */
  capacity(message: Message, options?: { readonly now?: Millis }): Promise<LimitCapacity[]>;
  close(): Promise<void>;
}
