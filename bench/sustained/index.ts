/**
 * Sustained real-time runs. Every run (sluice and each peer) sends the same workload, at the same
 * time, through its own processes to one local mock sender, which records each arrival. sluice
 * runs twice: the embedded store shared by 2 worker threads, and the Redis store shared by 3
 * sender processes. A run is judged only by what arrived (and, for sluice, also by its committed
 * slots through the independent checker), never by what the limiter reports about itself.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { checkLedger, type LedgerEntry } from '../../src/index.js';
import { startRedis, type RedisHandle } from '../../test/support/redis-server.js';
import { optionalPeer } from '../support/optional-peer.js';
import { groupBy, longestList, limitCheck, localDate, maxOverKeys, percentiles, perSecond, windowCountEachSecond } from './analyse.js';
import { MockSender, type Arrival } from './mock-sender.js';
import type { RunnerKind, RunnerReport, RunnerSpec } from './runner.js';
import type { HeadroomResult, HeadroomStep, LimitCheck, SustainedResults, SustainedRun } from './types.js';
import { messageAt, numbersFor, PAIR_SPACING_MS, platformPolicy, PORTFOLIO, RECIPIENT_DAILY, sluicePolicy, type WorkloadSpec } from './workload.js';

export type { SustainedResults } from './types.js';

/** The bundled runner entry, next to the bundled bench (tests pass the path of the built one). */
const defaultRunnerFile = fileURLToPath(new URL('./sustained-runner.js', import.meta.url));
const clock = (() => {
  const anchor = Date.now() - performance.now();
  return () => anchor + performance.now();
})();

export interface RunPlan {
  readonly run: string;
  readonly name: string;
  readonly library: SustainedRun['library'];
  readonly store: SustainedRun['store'];
  readonly kind: RunnerKind;
  readonly processes: number;
  readonly threads: number;
  /** The npm package a peer run needs (skipped with a note when not installed). */
  readonly peer?: string;
}

export const RUNS: readonly RunPlan[] = [
  { run: 'sluice-memory', name: 'sluice memory, 2 threads', library: 'sluice', store: 'memory', kind: 'sluice-memory', processes: 1, threads: 2 },
  { run: 'sluice-redis', name: 'sluice redis, 3 processes', library: 'sluice', store: 'redis', kind: 'sluice-redis', processes: 3, threads: 1 },
  { run: 'rlf-memory', name: 'rate-limiter-flexible (memory)', library: 'rate-limiter-flexible', store: 'memory', kind: 'rlf-memory', processes: 1, threads: 1, peer: 'rate-limiter-flexible' },
  { run: 'rlf-redis', name: 'rate-limiter-flexible (Redis)', library: 'rate-limiter-flexible', store: 'redis', kind: 'rlf-redis', processes: 1, threads: 1, peer: 'rate-limiter-flexible' },
  { run: 'bottleneck-local', name: 'bottleneck (local)', library: 'bottleneck', store: 'memory', kind: 'bottleneck-local', processes: 1, threads: 1, peer: 'bottleneck' },
  { run: 'bottleneck-redis', name: 'bottleneck (Redis)', library: 'bottleneck', store: 'redis', kind: 'bottleneck-redis', processes: 1, threads: 1, peer: 'bottleneck' },
  { run: 'limiter', name: 'limiter (RateLimiter)', library: 'limiter', store: 'memory', kind: 'limiter', processes: 1, threads: 1, peer: 'limiter' },
  { run: 'token-bucket', name: 'hand-written token bucket', library: 'hand-written', store: 'memory', kind: 'token-bucket', processes: 1, threads: 1 },
];

/** The standard run: 10,000 msgs/min for the account over 4 numbers at 80/s each. */
function standardWorkload(quick: boolean): WorkloadSpec {
  return {
    budget: 10_000,
    windowMs: 60_000,
    // Longer than one window, so that every window boundary a limiter has is crossed under load.
    durationMs: quick ? 75_000 : 180_000,
    trickleShare: 0.5,
    floodShare: 2,
    floodAtMs: quick ? 25_000 : 60_000,
    numbers: 4,
    numberPerSecond: 80,
    recipients: quick ? 25_000 : 60_000,
  };
}

const GRACE_MS = 1_500;
/** Lead time for the processes to start and connect before the common start instant. */
const LEAD_MS = 6_000;

function forkShare(runnerFile: string, spec: RunnerSpec): Promise<RunnerReport> {
  return new Promise((resolve, reject) => {
    const child = fork(runnerFile, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let settled = false;
    child.once('message', (m: { ok: true; report: RunnerReport } | { ok: false; error: string }) => {
      settled = true;
      if (m.ok) resolve(m.report);
      else reject(new Error(`${spec.run}: ${m.error}`));
    });
    child.once('error', reject);
    // 'close' (not 'exit'): it comes after the IPC channel has delivered every message.
    child.once('close', (code) => {
      if (!settled) reject(new Error(`${spec.run}: sender process exited with code ${code} before reporting`));
    });
    child.send(spec);
  });
}

function mergeReports(parts: readonly RunnerReport[]): RunnerReport & { maxRssMiB: number } {
  const refused: Record<string, number> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p.refused)) refused[k] = (refused[k] ?? 0) + v;
  const cat = (xs: Float64Array[]) => Float64Array.from(xs.flatMap((x) => Array.from(x)));
  return {
    offered: parts.reduce((a, p) => a + p.offered, 0),
    posted: parts.reduce((a, p) => a + p.posted, 0),
    sendErrors: parts.reduce((a, p) => a + p.sendErrors, 0),
    refused,
    unsentAtEnd: parts.reduce((a, p) => a + p.unsentAtEnd, 0),
    committed: cat(parts.map((p) => p.committed)),
    latenciesUs: cat(parts.map((p) => p.latenciesUs)),
    cpuUserMs: parts.reduce((a, p) => a + p.cpuUserMs, 0),
    cpuSystemMs: parts.reduce((a, p) => a + p.cpuSystemMs, 0),
    // The largest sending process (processes of one run do not share memory).
    maxRssMiB: Math.max(...parts.map((p) => p.maxRssMiB)),
    failure: parts.find((p) => p.failure !== null)?.failure ?? null,
  };
}

/** Arrivals as checker ledger entries, stamped with their arrival (what the platform sees). */
function arrivalLedger(arrivals: readonly Arrival[]): LedgerEntry[] {
  return arrivals.map((a) => ({ id: a.id, sendAt: Math.floor(a.arrivedAt), to: a.to, from: a.from, portfolio: PORTFOLIO, category: a.category as LedgerEntry['category'], cost: 1, timeZone: a.timeZone }));
}

function committedLedger(w: WorkloadSpec, run: string, committed: Float64Array): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  for (let i = 0; i < committed.length; i += 2) {
    const m = messageAt(w, run, committed[i] as number);
    out.push({ id: m.id, sendAt: committed[i + 1] as number, to: m.to, from: m.from, portfolio: m.portfolio, category: m.category, cost: 1, campaign: run, timeZone: m.timeZone as string });
  }
  return out.sort((a, b) => a.sendAt - b.sendAt);
}

/** The platform's limits measured on the arrivals. */
function arrivalLimits(w: WorkloadSpec, arrivals: readonly Arrival[]): LimitCheck[] {
  const at = (a: Arrival) => a.arrivedAt;
  return [
    limitCheck('account-window', 'account', w.windowMs, w.budget, maxOverKeys(groupBy(arrivals, () => PORTFOLIO, at), w.windowMs)),
    limitCheck('number-per-second', 'number', 1_000, w.numberPerSecond, maxOverKeys(groupBy(arrivals, (a) => a.from, at), 1_000)),
    limitCheck('pair-spacing', 'pair', PAIR_SPACING_MS, 1, maxOverKeys(groupBy(arrivals, (a) => `${a.from}>${a.to}`, at), PAIR_SPACING_MS)),
    limitCheck('recipient-daily', 'recipient', 86_400_000, RECIPIENT_DAILY, longestList(groupBy(arrivals, (a) => `${a.to}@${localDate(a.arrivedAt, a.timeZone)}`, at))),
  ];
}

export interface Measured {
  readonly run: SustainedRun;
  readonly failures: readonly string[];
}

function measure(plan: RunPlan, w: WorkloadSpec, startAt: number, report: RunnerReport, arrivals: readonly Arrival[]): Measured {
  const failures: string[] = [];
  if (report.failure !== null) failures.push(`${plan.name}: ${report.failure}`);
  const ids = new Set<string>();
  let doubleSends = 0;
  for (const a of arrivals) {
    if (ids.has(a.id)) doubleSends++;
    else ids.add(a.id);
  }
  const limits = arrivalLimits(w, arrivals);
  const end = startAt + w.durationMs;
  const flood = arrivals.filter((a) => a.arrivedAt >= startAt + w.floodAtMs && a.arrivedAt < end).length;
  const floodMinutes = (w.durationMs - w.floodAtMs) / 60_000;
  const budgetPerMinute = (w.budget * 60_000) / w.windowMs;
  const achievedPerMinute = flood / floodMinutes;
  let lost = 0;
  let sendErrorMs = null;
  if (plan.library === 'sluice') {
    // Every offered message must be accounted for: arrived, refused with a reason, or a failed post.
    const refused = Object.values(report.refused).reduce((a, b) => a + b, 0);
    lost = Math.max(0, report.offered - ids.size - refused - report.sendErrors);
    sendErrorMs = percentiles(arrivals.filter((a) => a.sendAt !== null).map((a) => Math.abs(a.arrivedAt - (a.sendAt as number))));
    const policy = sluicePolicy(w);
    const committed = checkLedger(policy, committedLedger(w, plan.run, report.committed), { maxViolations: 1_000 });
    limits.push(limitCheck('checker: committed slots vs sluice policy (violations)', 'all', 0, 0, committed.violations.length));
    const onArrival = checkLedger(platformPolicy(w), arrivalLedger(arrivals), { maxViolations: 1_000 });
    limits.push(limitCheck('checker: arrivals vs platform limits (violations)', 'all', 0, 0, onArrival.violations.length));
  }
  const seconds = Math.ceil(w.durationMs / 1000);
  const times = arrivals.map((a) => a.arrivedAt);
  const enforced = plan.library === 'sluice' ? limits.filter((l) => l.windowMs > 0) : limits.filter((l) => l.rule === 'account-window');
  const outcomes: Record<string, number> = { sent: ids.size };
  for (const [reason, n] of Object.entries(report.refused)) outcomes[`refused:${reason}`] = n;
  if (report.sendErrors > 0) outcomes['send-error'] = report.sendErrors;
  if (report.unsentAtEnd > 0) outcomes['unsent-at-end'] = report.unsentAtEnd;
  const run: SustainedRun = {
    name: plan.name,
    library: plan.library,
    store: plan.store,
    parallelism: plan.processes > 1 ? plan.processes : plan.threads,
    parallelismKind: plan.processes > 1 ? 'processes' : plan.threads > 1 ? 'threads' : 'single',
    durationMs: w.durationMs,
    budgetPerMinute,
    offeredPerMinute: Math.round((report.offered / w.durationMs) * 60_000),
    sent: ids.size,
    achievedPerMinute: Math.round(achievedPerMinute),
    liveness: Number((achievedPerMinute / Math.min(budgetPerMinute, budgetPerMinute * w.floodShare)).toFixed(4)),
    doubleSends,
    lost,
    outcomes,
    limits,
    overshoot: Math.max(...enforced.map((l) => l.overshoot)),
    sendErrorMs,
    admissionLatencyUs: percentiles(report.latenciesUs, 1),
    cpu: { userMs: Math.round(report.cpuUserMs), systemMs: Math.round(report.cpuSystemMs), shareOfOneCore: Number(((report.cpuUserMs + report.cpuSystemMs) / (w.durationMs + LEAD_MS + GRACE_MS)).toFixed(4)) },
    memory: { maxRssMiB: Math.round(report.maxRssMiB) },
    series: { sendsPerSecond: perSecond(times, startAt, seconds), windowCountPerSecond: windowCountEachSecond(times, startAt, seconds, w.windowMs), windowMs: w.windowMs },
  };
  return { run, failures };
}

async function available(plan: RunPlan): Promise<boolean> {
  if (plan.peer === undefined) return true;
  const name = plan.peer;
  return (await optionalPeer(name, () => import(name))) !== null;
}

/** Runs the plans side by side on one workload; every run's processes start at the same instant. */
export async function runSideBySide(plans: readonly RunPlan[], w: WorkloadSpec, redis: RedisHandle, runnerFile: string = defaultRunnerFile): Promise<Measured[]> {
  const mock = await MockSender.start();
  try {
    const startAt = Math.ceil(clock() + LEAD_MS);
    const pending = plans.map(async (plan) => {
      const shares = Array.from({ length: plan.processes }, (_, index) =>
        forkShare(runnerFile, { run: plan.run, kind: plan.kind, workload: w, mockUrl: mock.url, redis: { host: redis.host, port: redis.port }, startAt, share: { index, of: plan.processes }, threads: plan.threads, graceMs: GRACE_MS }),
      );
      return mergeReports(await Promise.all(shares));
    });
    const reports = await Promise.allSettled(pending);
    if (mock.rejected > 0) throw new Error(`the mock sender rejected ${mock.rejected} malformed request(s): a bench bug`);
    return reports.map((r, i) => {
      const plan = plans[i] as RunPlan;
      if (r.status === 'rejected') throw new Error(`${plan.name} did not finish: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`);
      return measure(plan, w, startAt, r.value, mock.arrivals(plan.run));
    });
  } finally {
    await mock.close();
  }
}

/** Bisection steps after the doubling search finds a rate that does not hold. */
const HEADROOM_REFINE_STEPS = 2;

/**
 * Headroom: sluice alone, rates doubling from 100,000/min until one does not hold, then
 * HEADROOM_REFINE_STEPS bisections between the highest held and the lowest not held (so the
 * figure is within an eighth of the bracket, not a factor of two). A 10 s window scaled to each rate.
 */
async function headroomSearch(store: 'memory' | 'redis', redis: RedisHandle, log?: (line: string) => void): Promise<HeadroomResult> {
  const plan = RUNS.find((p) => p.library === 'sluice' && p.store === store) as RunPlan;
  const steps: HeadroomStep[] = [];
  const attempt = async (perMinute: number): Promise<boolean> => {
    const windowMs = 10_000;
    const w: WorkloadSpec = {
      budget: Math.round((perMinute * windowMs) / 60_000),
      windowMs,
      durationMs: 25_000,
      trickleShare: 0.5,
      floodShare: 1.2,
      floodAtMs: 5_000,
      numbers: numbersFor(perMinute, 80),
      numberPerSecond: 80,
      recipients: Math.ceil((perMinute / 60) * 25 * 1.2),
    };
    const [m] = await runSideBySide([{ ...plan, run: `${plan.run}-${perMinute}` }], w, redis);
    const r = (m as Measured).run;
    const held = r.overshoot <= 1 && r.limits.every((l) => l.ok) && r.liveness >= 0.95 && r.doubleSends === 0 && r.lost === 0;
    steps.push({ offeredPerMinute: r.offeredPerMinute, achievedPerMinute: r.achievedPerMinute, overshoot: r.overshoot, liveness: r.liveness, held });
    log?.(`headroom ${store}: ${perMinute.toLocaleString('en')}/min → achieved ${r.achievedPerMinute.toLocaleString('en')}/min, overshoot ${r.overshoot}, liveness ${r.liveness} ${held ? 'held' : 'not held'}`);
    return held;
  };
  let highest = 0;
  let lowestFailed = 0;
  for (let perMinute = 100_000; perMinute <= 1_600_000; perMinute *= 2) {
    if (!(await attempt(perMinute))) {
      lowestFailed = perMinute;
      break;
    }
    highest = perMinute;
  }
  for (let k = 0; k < HEADROOM_REFINE_STEPS && highest > 0 && lowestFailed > 0; k++) {
    const mid = Math.round((highest + lowestFailed) / 2 / 10_000) * 10_000;
    if (mid <= highest || mid >= lowestFailed) break;
    if (await attempt(mid)) highest = mid;
    else lowestFailed = mid;
  }
  return { store, steps, highestHeldPerMinute: highest };
}

/**
 * The side-by-side runs (unless `sideBySide` is false: `--suite headroom` alone) and, with
 * `headroom`, the headroom search for each sluice store.
 */
export async function runSustained(options: { quick: boolean; headroom: boolean; sideBySide?: boolean; log?: (line: string) => void }): Promise<SustainedResults> {
  const redis = await startRedis();
  try {
    const w = standardWorkload(options.quick);
    const plans: RunPlan[] = [];
    // SLUICE_BENCH_RUNS=sluice-memory,token-bucket narrows the runs (for investigating one of them).
    const only = process.env['SLUICE_BENCH_RUNS']?.split(',');
    if (options.sideBySide !== false) {
      for (const p of RUNS) if ((only === undefined || only.includes(p.run)) && (await available(p))) plans.push(p);
    }
    if (plans.length > 0) options.log?.(`sustained: ${plans.length} runs side by side for ${w.durationMs / 1000} s: ${w.budget.toLocaleString('en')} per ${w.windowMs / 1000} s over ${w.numbers} numbers, offered ${w.trickleShare}× then ${w.floodShare}× the budget from ${w.floodAtMs / 1000} s`);
    const measured = plans.length > 0 ? await runSideBySide(plans, w, redis) : [];
    const failures = measured.flatMap((m) => m.failures);
    for (const f of failures) options.log?.(`sustained: ${f}`);
    for (const m of measured) options.log?.(`${m.run.name}: ${Object.entries(m.run.outcomes ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    const headroom: HeadroomResult[] = [];
    if (options.headroom) for (const store of ['memory', 'redis'] as const) headroom.push(await headroomSearch(store, redis, options.log));
    return { quick: options.quick, runs: measured.map((m) => m.run), headroom };
  } finally {
    await redis.stop();
  }
}
