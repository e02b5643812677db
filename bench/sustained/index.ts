// PLACEHOLDER (wip-report only): the real sustained runs live in the bench/sustained helper's
// branch and replace this file at merge. It returns a small synthetic result, shaped like the
// real one, so that bench/main.ts and the report compile and can be exercised end to end.
import type { SustainedResults, SustainedRun } from './types.js';

export type { SustainedResults } from './types.js';

function syntheticRun(name: string, library: SustainedRun['library'], store: SustainedRun['store'], overshoot: number): SustainedRun {
  const seconds = 10;
  const perSecond = 10_000 / 60;
  const sends = Array.from({ length: seconds }, (_, i) => Math.round(perSecond * (i === 0 ? overshoot : 1)));
  const window = sends.map((_, i) => Math.round(Math.min(i + 1, 60) * perSecond * Math.min(overshoot, 1.2)));
  return {
    name: `${name} (PLACEHOLDER)`,
    library,
    store,
    parallelism: 1,
    parallelismKind: 'single',
    durationMs: seconds * 1000,
    budgetPerMinute: 10_000,
    offeredPerMinute: 12_000,
    sent: sends.reduce((a, b) => a + b, 0),
    achievedPerMinute: 10_000,
    liveness: 1,
    doubleSends: 0,
    lost: 0,
    limits: [{ rule: 'account-per-minute', scope: 'account', windowMs: 60_000, budget: 10_000, maxInWindow: Math.round(10_000 * overshoot), overshoot, ok: overshoot <= 1 }],
    overshoot,
    sendErrorMs: library === 'sluice' ? { p50: 1, p90: 2, p99: 4, p999: 8, max: 9, count: 1000 } : null,
    admissionLatencyUs: { p50: 5, p90: 9, p99: 20, p999: 60, max: 80, count: 1000 },
    cpu: { userMs: 500, systemMs: 100, shareOfOneCore: 0.06 },
    memory: { maxRssMiB: 90 },
    series: { sendsPerSecond: sends, windowCountPerSecond: window, windowMs: 60_000 },
  };
}

/** PLACEHOLDER: synthetic figures, no load is run. */
export async function runSustained(options: { quick: boolean; headroom: boolean; log?: (line: string) => void }): Promise<SustainedResults> {
  options.log?.('sustained: PLACEHOLDER results (the real runs replace bench/sustained/index.ts at merge)');
  return {
    quick: options.quick,
    runs: [syntheticRun('sluice memory', 'sluice', 'memory', 1), syntheticRun('hand-written token bucket', 'hand-written', 'memory', 1.3)],
    headroom: options.headroom
      ? [{ store: 'memory', steps: [{ offeredPerMinute: 100_000, achievedPerMinute: 99_000, overshoot: 1, liveness: 0.99, held: true }], highestHeldPerMinute: 100_000 }]
      : [],
  };
}
