// Bench worker: hammers a SharedRateLimiter key for a fixed time and reports the decisions made
// and, per millisecond of the limiter's clock, the grants (so the parent can check the limit).
// In 'private-bucket' mode it runs a hand-written token bucket of its own instead, reading the
// same clock: the machine's ceiling for N threads when nothing is shared.
import { parentPort, workerData } from 'node:worker_threads';
import { SharedRateLimiter, type SharedRateLimiterHandle } from '../src/index.js';

export interface HammerData {
  readonly handle: SharedRateLimiterHandle;
  readonly key: string;
  readonly durationMs: number;
  readonly go: SharedArrayBuffer;
  readonly mode: 'limiter' | 'private-bucket';
}

export interface HammerReport {
  readonly decisions: number;
  readonly granted: number;
  /** The limiter clock's reading when the run started: `grantsPerMs[i]` counts grants at origin + i. */
  readonly origin: number;
  readonly grantsPerMs: Float64Array;
  /** Grants whose instant fell outside `grantsPerMs` (must be 0 for the window check to hold). */
  readonly unrecorded: number;
}

const { handle, key, durationMs, go, mode } = workerData as HammerData;
// The handle carries the ticker cell when the limiter has one, so attach reads the same time.
const limiter = SharedRateLimiter.attach(handle);
const k = limiter.key(key);
/** An open hand-written token bucket in this thread's own memory (the reference mode). */
let tokens = Number.MAX_SAFE_INTEGER;
let last = limiter.now();
function privateBucket(now: number): boolean {
  const refill = (now - last) * 1e6;
  if (refill > 0) {
    tokens = Math.min(Number.MAX_SAFE_INTEGER, tokens + refill);
    last = now;
  }
  if (tokens < 1) return false;
  tokens -= 1;
  return true;
}
const decide = mode === 'private-bucket' ? (_k: number, now: number) => privateBucket(now) : (kk: number, now: number) => limiter.tryAcquire(kk, 1, now);
const flag = new Int32Array(go);
while (Atomics.load(flag, 0) === 0) Atomics.wait(flag, 0, 0, 5);
const origin = limiter.now();
// Room for the run plus generous clock lag or skew; instants outside are counted, not dropped silently.
const grantsPerMs = new Float64Array(durationMs + 5_000);
const end = performance.now() + durationMs;
let decisions = 0;
let granted = 0;
let unrecorded = 0;
// Check the deadline every 4096 decisions so the timer read does not dominate. Each decision
// reads the limiter's clock once (what tryAcquire without `now` does) and keeps the instant.
while (performance.now() < end) {
  for (let i = 0; i < 4096; i++) {
    const now = limiter.now();
    if (decide(k, now)) {
      granted++;
      const slot = now - origin;
      if (slot >= 0 && slot < grantsPerMs.length) grantsPerMs[slot] = (grantsPerMs[slot] as number) + 1;
      else unrecorded++;
    }
  }
  decisions += 4096;
}
const report: HammerReport = { decisions, granted, origin, grantsPerMs, unrecorded };
parentPort?.postMessage(report);
