import type { Decision, Message, Millis } from '../core/types.js';
import type { MemoryStore } from '../store/memory/memory-store.js';
import type { AdmissionStore } from '../store/contract.js';
import { MinHeap } from './min-heap.js';

export interface PlanOptions {
  /** How far past its candidate instant a message may be committed (default 60 s). */
  readonly commitAheadMs?: number;
}

export interface PlanOutcome {
  /** Final decision per input message, in input order. */
  readonly decisions: readonly Decision[];
  /** For each message, every rule that deferred it, in the order they did (empty when it went at its first candidate). */
  readonly deferredBy: readonly (readonly string[])[];
}

/**
 * Plans messages in simulated time order. Each message is offered to the store at its candidate
 * instant with a short `maxWaitMs`; when its slot lies further out (quiet hours, a full daily cap,
 * the messaging limit), nothing is consumed and it is offered again at `retryAt`. Commits thus
 * happen in near time order, so limits kept per key in time order (GCRA, batches) are never
 * blocked by one recipient whose slot is tomorrow.
 */
export function planInTimeOrder(store: MemoryStore, messages: readonly Message[], start: Millis, options: PlanOptions = {}): PlanOutcome {
  const ahead = options.commitAheadMs ?? 60_000;
  const heap = new MinHeap();
  const prepared = messages.map((m) => store.prepare(m));
  const decisions: Decision[] = new Array(messages.length);
  const deferredBy: string[][] = messages.map(() => []);
  messages.forEach((m, i) => heap.push(i, Math.max(start, m.notBefore ?? start)));
  while (heap.size > 0) {
    const at = heap.peekKey();
    const i = heap.pop();
    const d = store.admitPreparedSync(prepared[i]!, { now: at, maxWaitMs: ahead });
    if (retry(d, i, at, heap, deferredBy)) continue;
    decisions[i] = d;
  }
  return { decisions, deferredBy };
}

/**
 * The same plan over any store (the Redis store, say): one awaited admission at a time, so the
 * store sees the same time-ordered sequence as the synchronous planner.
 */
export async function planInTimeOrderAsync(store: AdmissionStore, messages: readonly Message[], start: Millis, options: PlanOptions = {}): Promise<PlanOutcome> {
  const ahead = options.commitAheadMs ?? 60_000;
  const heap = new MinHeap();
  const decisions: Decision[] = new Array(messages.length);
  const deferredBy: string[][] = messages.map(() => []);
  messages.forEach((m, i) => heap.push(i, Math.max(start, m.notBefore ?? start)));
  while (heap.size > 0) {
    const at = heap.peekKey();
    const i = heap.pop();
    const d = await store.admit(messages[i]!, { now: at, maxWaitMs: ahead });
    if (retry(d, i, at, heap, deferredBy)) continue;
    decisions[i] = d;
  }
  return { decisions, deferredBy };
}

/** A refusal for waiting is offered again at `retryAt`; true when the message was re-queued. */
function retry(d: Decision, i: number, at: Millis, heap: MinHeap, deferredBy: string[][]): boolean {
  if (d.ok || d.reason !== 'wait-exceeds-max' || d.retryAt === null) return false;
  const seen = deferredBy[i] as string[];
  if (d.limit !== null && !seen.includes(d.limit)) seen.push(d.limit);
  heap.push(i, Math.max(d.retryAt, at + 1));
  return true;
}
