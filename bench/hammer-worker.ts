// Bench worker: hammers a SharedRateLimiter key for a fixed time and reports decisions made.
import { parentPort, workerData } from 'node:worker_threads';
import { SharedRateLimiter, type SharedRateLimiterHandle } from '../src/index.js';

interface HammerData {
  readonly handle: SharedRateLimiterHandle;
  readonly key: string;
  readonly durationMs: number;
  readonly go: SharedArrayBuffer;
}

const { handle, key, durationMs, go } = workerData as HammerData;
const limiter = SharedRateLimiter.attach(handle);
const k = limiter.key(key);
const flag = new Int32Array(go);
while (Atomics.load(flag, 0) === 0) Atomics.wait(flag, 0, 0, 5);
const end = performance.now() + durationMs;
let decisions = 0;
let granted = 0;
// Check the deadline every 4096 decisions so the timer read does not dominate.
while (performance.now() < end) {
  for (let i = 0; i < 4096; i++) if (limiter.tryAcquire(k)) granted++;
  decisions += 4096;
}
parentPort?.postMessage({ decisions, granted });
