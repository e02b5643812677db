import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { SharedRateLimiter, type SharedRateLimiterOptions } from '../src/index.js';
import { rateParams } from '../src/core/limits/rate.js';
import type { HammerData, HammerReport } from './hammer-worker.js';

export interface ThreadResult {
  readonly scenario: string;
  /** A shared-nothing reference row (not sluice): its limit columns do not apply. */
  readonly reference: boolean;
  readonly clock: 'monotonic' | 'ticker';
  readonly threads: number;
  readonly decisionsPerSecond: number;
  readonly grantedPerSecond: number;
  /** Grants ÷ decisions. */
  readonly grantShare: number;
  /** The configured count per second. */
  readonly budgetPerSecond: number;
  /**
   * The rate the limiter can sustain once the burst is spent: count/period, except that state
   * resolution is capped at 1000 units per ms (MAX_UNITS_PER_MS), so 1e9/s sustains 1 M/s.
   */
  readonly sustainedPerSecond: number;
  /** Most grants of one key in any half-open window of the period (measured from the grants' instants). */
  readonly maxInWindow: number;
  /** What GCRA allows in any such window: count + burst − 1. */
  readonly allowedInWindow: number;
  /** Whether maxInWindow ≤ allowedInWindow and every grant's instant was recorded. */
  readonly withinLimit: boolean;
  /** Aggregate decisions/s of this run ÷ the same scenario with one thread (1 for the one-thread row). */
  readonly scalingVsOneThread: number;
}

interface Scenario {
  readonly scenario: string;
  readonly limit: SharedRateLimiterOptions;
  readonly clock: 'monotonic' | 'ticker';
  readonly keyPerThread: boolean;
  /** Each thread decides on a private hand-written bucket (the limiter only supplies the clock). */
  readonly reference?: boolean;
}

const worker = fileURLToPath(new URL('./hammer-worker.js', import.meta.url));

async function hammer(threads: number, durationMs: number, s: Scenario) {
  const limiter = SharedRateLimiter.create({ ...s.limit, clock: s.clock });
  try {
    const go = new SharedArrayBuffer(4);
    const runs = Array.from(
      { length: threads },
      (_, i) =>
        new Promise<HammerReport>((resolve, reject) => {
          const data: HammerData = {
            handle: limiter.handle,
            key: s.keyPerThread ? `k${i}` : 'shared',
            durationMs,
            go,
            mode: s.reference === true ? 'private-bucket' : 'limiter',
          };
          const w = new Worker(worker, { workerData: data });
          w.once('message', resolve);
          w.once('error', reject);
        }),
    );
    await new Promise((r) => setTimeout(r, 100)); // let the workers load and wait on the flag
    Atomics.store(new Int32Array(go), 0, 1);
    Atomics.notify(new Int32Array(go), 0);
    const reports = await Promise.all(runs);
    const seconds = durationMs / 1000;
    const decisions = reports.reduce((sum, r) => sum + r.decisions, 0);
    const granted = reports.reduce((sum, r) => sum + r.granted, 0);
    // Per key: all threads' grants together for a shared key, each thread's alone otherwise.
    const perKey = s.keyPerThread ? reports.map((r) => [r]) : [reports];
    const maxInWindow = Math.max(...perKey.map((group) => worstWindow(group, s.limit.periodMs)));
    const unrecorded = reports.reduce((sum, r) => sum + r.unrecorded, 0);
    const allowedInWindow = s.limit.count + (s.limit.burst ?? 1) - 1;
    return {
      decisionsPerSecond: decisions / seconds,
      grantedPerSecond: granted / seconds,
      grantShare: decisions === 0 ? 0 : granted / decisions,
      maxInWindow,
      allowedInWindow,
      withinLimit: unrecorded === 0 && maxInWindow <= allowedInWindow,
    };
  } finally {
    await limiter.close();
  }
}

/** Most grants in any window [t, t + periodMs) over the merged per-millisecond counts. */
function worstWindow(reports: readonly HammerReport[], periodMs: number): number {
  const start = Math.min(...reports.map((r) => r.origin));
  const end = Math.max(...reports.map((r) => r.origin + r.grantsPerMs.length));
  const merged = new Float64Array(end - start);
  for (const r of reports) {
    const offset = r.origin - start;
    for (let i = 0; i < r.grantsPerMs.length; i++) merged[offset + i] = (merged[offset + i] as number) + (r.grantsPerMs[i] as number);
  }
  let worst = 0;
  let sum = 0;
  for (let i = 0; i < merged.length; i++) {
    sum += merged[i] as number;
    if (i >= periodMs) sum -= merged[i - periodMs] as number;
    if (sum > worst) worst = sum;
  }
  return worst;
}

const OPEN = 1_000_000_000;

export async function runThreads(durationMs: number): Promise<ThreadResult[]> {
  const out: ThreadResult[] = [];
  const saturated: SharedRateLimiterOptions = { count: 100_000, periodMs: 1000 };
  // A burst equal to the count: 1e9 units of tolerance, far more than any run can drain, so
  // every decision really is a grant (burst 1 would cap grants at the 1 M/s state resolution).
  const open: SharedRateLimiterOptions = { count: OPEN, periodMs: 1000, burst: OPEN };
  const scenarios: Scenario[] = [];
  for (const clock of ['monotonic', 'ticker'] as const) {
    scenarios.push(
      // Not sluice: what this machine gives N threads when nothing is shared (same clock).
      { scenario: 'reference: private hand-written bucket per thread', limit: open, clock, keyPerThread: true, reference: true },
      { scenario: 'one shared key, saturated (budget 100,000/s)', limit: saturated, clock, keyPerThread: false },
      { scenario: 'one shared key, every decision a grant (burst = count)', limit: open, clock, keyPerThread: false },
      { scenario: 'a key per thread, every decision a grant (burst = count)', limit: open, clock, keyPerThread: true },
    );
  }
  for (const s of scenarios) {
    const p = rateParams(s.limit.count, s.limit.periodMs, s.limit.burst ?? 1);
    let oneThread = 0;
    for (const threads of [1, 2]) {
      const r = await hammer(threads, durationMs, s);
      if (threads === 1) oneThread = r.decisionsPerSecond;
      out.push({
        scenario: s.scenario,
        reference: s.reference === true,
        clock: s.clock,
        threads,
        ...r,
        budgetPerSecond: (s.limit.count * 1000) / s.limit.periodMs,
        sustainedPerSecond: (p.q * 1000) / p.T,
        scalingVsOneThread: oneThread === 0 ? 0 : r.decisionsPerSecond / oneThread,
      });
    }
  }
  return out;
}
