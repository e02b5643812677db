import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { SharedRateLimiter } from '../src/index.js';

export interface ThreadResult {
  readonly scenario: string;
  readonly threads: number;
  readonly decisionsPerSecond: number;
  readonly grantedPerSecond: number;
  /** Largest number of grants in any window of the limit's period, from per-run accounting. */
  readonly budgetPerSecond: number;
}

const worker = fileURLToPath(new URL('./hammer-worker.js', import.meta.url));

async function hammer(threads: number, durationMs: number, count: number, periodMs: number, keyPerThread: boolean) {
  const limiter = SharedRateLimiter.create({ count, periodMs });
  const go = new SharedArrayBuffer(4);
  const runs = Array.from({ length: threads }, (_, i) =>
    new Promise<{ decisions: number; granted: number }>((resolve, reject) => {
      const w = new Worker(worker, { workerData: { handle: limiter.handle, key: keyPerThread ? `k${i}` : 'shared', durationMs, go } });
      w.once('message', resolve);
      w.once('error', reject);
    }),
  );
  await new Promise((r) => setTimeout(r, 100)); // let the workers load and wait on the flag
  Atomics.store(new Int32Array(go), 0, 1);
  Atomics.notify(new Int32Array(go), 0);
  const results = await Promise.all(runs);
  const seconds = durationMs / 1000;
  return {
    decisionsPerSecond: results.reduce((s, r) => s + r.decisions, 0) / seconds,
    grantedPerSecond: results.reduce((s, r) => s + r.granted, 0) / seconds,
  };
}

export async function runThreads(durationMs: number): Promise<ThreadResult[]> {
  const out: ThreadResult[] = [];
  const scenarios = [
    { scenario: 'one shared key, saturated (budget 100,000/s)', count: 100_000, periodMs: 1000, perThread: false },
    { scenario: 'one shared key, every decision a grant', count: 1_000_000_000, periodMs: 1000, perThread: false },
    { scenario: 'a key per thread, every decision a grant', count: 1_000_000_000, periodMs: 1000, perThread: true },
  ];
  for (const s of scenarios) {
    for (const threads of [1, 2]) {
      const r = await hammer(threads, durationMs, s.count, s.periodMs, s.perThread);
      out.push({ scenario: s.scenario, threads, ...r, budgetPerSecond: (s.count * 1000) / s.periodMs });
    }
  }
  return out;
}
