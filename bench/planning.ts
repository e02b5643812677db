// Planning throughput: a synthetic campaign of N recipients is planned with the `conservative`
// preset on the embedded store, then checked by the independent ledger checker. Recipients are
// built in memory (already screened), so the figure is the planner's own cost; the screening
// stage (libphonenumber-js canonicalisation) is timed separately on a sample of raw notations.
import { loadPolicy } from '../src/cli/policy-file.js';
import { definePolicy } from '../src/core/policy/index.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { planCampaign, type CampaignRecipient } from '../src/scheduler/campaign.js';
import { planCampaignInPhases, type PlanPhases } from '../src/scheduler/parallel-plan.js';
import { CampaignPlanner, plannerRun } from '../src/scheduler/campaign-planner.js';
import { readRecipientFile, screenRecipients, screenRecipientsAsync, screenRecipientsParallel } from '../src/scheduler/recipients/index.js';
import type { RecipientRow } from '../src/scheduler/recipients/types.js';
import { checkLedger } from '../src/verify/checker.js';
import { runPlanQuality, type PlanQualityRow } from './plan-quality.js';
import type { Category, CommittedSend, Millis, Policy } from '../src/core/types.js';
import { columnarSends } from '../src/scheduler/columnar-plan.js';
import { CAMPAIGN_CATEGORIES, type RecipientColumns } from '../src/scheduler/recipient-columns.js';

export interface PlanningResult {
  /**
   * `in-thread`: planCampaign on the calling thread; `pool`: planCampaignColumnsParallel on a
   * Piscina pool of `threads` workers; `pool, no batch rule`: the same without the preset's batch
   * rule, so that the workers share nothing (the machine's own speedup on this work); `planner,
   * threads kept`: the preset's campaign on a CampaignPlanner whose threads were started and
   * warmed once, before the rounds; `screening (CSV file)`: reading and screening a recipient file as
   * `sluice plan --threads N` does (no planning); `sluice plan (CSV file)`: the whole command in
   * its own process, file in, schedule out, self-check included (peak RSS is that process's).
   */
  readonly name: 'in-thread' | 'pool' | 'pool, no batch rule' | 'planner, threads kept' | 'screening (CSV file)' | 'sluice plan (CSV file)';
  readonly recipients: number;
  readonly threads: number;
  readonly wallMs: number;
  readonly planningMs: number;
  readonly screeningUsPerRow: number;
  readonly peakRssMiB: number;
  readonly messagesPlanned: number;
  readonly skipped: number;
  readonly verifiedOk: boolean;
  readonly violations: number;
  /** Pool rows with several threads: planning time of the 1-thread pool row of the same size / this row's. */
  readonly speedupVsOneThread?: number;
  /**
   * Pool rows: the planning time of each run, in ms, in run order (full mode: 5 runs of 1 and 2
   * threads, alternated, so that a slow phase of the machine does not fall on one row only);
   * `planningMs` is their median.
   */
  readonly planningRuns?: string;
  /**
   * Pool rows with several threads: how much faster the same number of threads ran a pure CPU
   * loop than one, measured just before (the machine's own ceiling for the speedup: below
   * `threads` when other work shares the cores).
   */
  readonly cpuSpeedupCeiling?: number;
  /**
   * Pool rows: of `planningMs`, the worker phase (pool start, the parts planned, their outcomes
   * merged) and the calling thread's serial work (laying the campaign out before, building the
   * plan's row and send objects after), medians over the runs.
   */
  readonly workersMs?: number;
  readonly serialMs?: number;
  /** Pool rows with several threads: the 1-thread row's worker phase / this row's. */
  readonly workersSpeedup?: number;
}

const ZONES = ['Europe/London', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'America/Sao_Paulo'] as const;
const CATEGORIES: readonly Category[] = ['marketing', 'marketing', 'marketing', 'utility', 'authentication'];

/** Distinct, valid-shaped E.164 numbers (UK mobile range) with a spread of zones and categories. */
export function syntheticRecipients(n: number): CampaignRecipient[] {
  const out: CampaignRecipient[] = new Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = { id: `r${i}`, row: i + 1, to: `+447${String(100_000_000 + i).slice(-9)}`, timeZone: ZONES[i % ZONES.length] as string, category: CATEGORIES[i % CATEGORIES.length] as Category };
  }
  return out;
}

function screeningCost(start: Millis): number {
  const notations = ['+44 7700 900{n}', '0044-7700-900{n}', '+４４７７００９００{n}'];
  const rows: RecipientRow[] = Array.from({ length: 3_000 }, (_, i) => ({
    kind: 'fields' as const,
    row: i + 1,
    line: i + 2,
    fields: { to: (notations[i % 3] as string).replace('{n}', String(100 + (i % 900))), optIn: 'true' },
  }));
  const began = performance.now();
  let seen = 0;
  for (const _ of screenRecipients(rows, { now: start, suppression: new Set() })) seen++;
  return ((performance.now() - began) * 1000) / Math.max(1, seen);
}

/** The worker file beside this bundle (dist/bench/plan-worker.js), as tsup.config.ts builds it. */
const WORKER_FILE = new URL('./plan-worker.js', import.meta.url);

/**
 * A full collection on demand (without starting the bench with --expose-gc). Each timed plan
 * starts from a collected heap: else a full collection inside it pays for the previous run's
 * garbage (0.5–0.9 s with a million-send plan alive), which fell on one row or another.
 */
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/**
 * The recipients of `syntheticRecipients(n)` as columns, built directly (no object per
 * recipient is ever alive, as for a caller that holds its campaign as columns).
 */
export function syntheticColumns(n: number): RecipientColumns {
  const to = new Float64Array(n);
  const category = new Uint8Array(n);
  const zone = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    to[i] = Number(`447${String(100_000_000 + i).slice(-9)}`);
    category[i] = CAMPAIGN_CATEGORIES.indexOf(CATEGORIES[i % CATEGORIES.length] as Category);
    zone[i] = i % ZONES.length;
  }
  return { to, category, zone, zones: ZONES };
}

/**
 * Plans once in-thread (`pool` false: `planCampaign`, recipient and plan objects) or on a pool
 * of `threads` workers (`planCampaignColumnsParallel`'s path: recipients and plan as columns);
 * `check` false skips the verifier (a repeat).
 */
export async function planOnce(recipients: number, start: Millis, pool = false, threads = 1, check = true, shared: 'batch' | 'nothing' = 'batch', planner: CampaignPlanner | null = null): Promise<PlanningResult> {
  const policy = shared === 'batch' ? loadPolicy('conservative') : definePolicy('conservative', { limits: { 'campaign-batches': null } });
  const columns = pool ? syntheticColumns(recipients) : null;
  const list = pool ? [] : syntheticRecipients(recipients);
  const options = { policy, numbers: ['n1', 'n2', 'n3', 'n4'], portfolio: 'bench', campaign: 'bench', start, accountStartedAt: start - 90 * 86_400_000 };
  collect();
  const began = performance.now();
  const phases: PlanPhases = { prepareMs: 0, workersMs: 0, assembleMs: 0 };
  let planned: { policy: Policy; sends: () => CommittedSend[]; sent: number; rows: number };
  if (columns !== null) {
    const plan = planner === null ? await planCampaignInPhases(columns, { ...options, threads, workerFile: WORKER_FILE }, phases) : await plannerRun(planner, columns, options, phases);
    planned = { policy: plan.policy, sends: () => columnarSends(plan, columns, options), sent: plan.timeOrder.length, rows: plan.count };
  } else {
    const plan = await planCampaign(list, options);
    planned = { policy: plan.policy, sends: () => plan.sends as CommittedSend[], sent: plan.sends.length, rows: plan.rows.length };
  }
  const planningMs = performance.now() - began;
  const report = check ? checkLedger(planned.policy, planned.sends()) : { violations: [] };
  const wallMs = performance.now() - began;
  return {
    name: !pool ? 'in-thread' : planner !== null ? 'planner, threads kept' : shared === 'batch' ? 'pool' : 'pool, no batch rule',
    recipients,
    threads,
    wallMs: Math.round(wallMs),
    planningMs: Math.round(planningMs),
    screeningUsPerRow: Number(screeningCost(start).toFixed(1)),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    messagesPlanned: planned.sent,
    skipped: planned.rows - planned.sent,
    verifiedOk: report.violations.length === 0,
    violations: report.violations.length,
    ...(pool ? { workersMs: Math.round(phases.workersMs), serialMs: Math.round(phases.prepareMs + phases.assembleMs) } : {}),
  };
}

/** The screening worker file beside this bundle (dist/bench/screen-worker.js). */
const SCREEN_WORKER_FILE = new URL('./screen-worker.js', import.meta.url);

/** A CSV of n distinct valid numbers in five notations (UK, US, German; full-width digits among them). */
function writeRecipientCsv(path: string, n: number): void {
  const fullWidth = (t: string) => t.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d)));
  const lines = ['id,to,optIn,category,lastInboundAt'];
  for (let i = 0; i < n; i++) {
    const six = String(i % 1_000_000).padStart(6, '0');
    const notation = i % 5;
    const to = notation === 0 ? `+44 7400 ${six}` : notation === 1 ? `0044-7400-${six}` : notation === 2 ? fullWidth(`+447400${six}`) : notation === 3 ? `+1 (212) 2${six.slice(0, 2)}-${six.slice(2)}` : `+49 151 2${six}0`;
    lines.push(`r${i},${to},true,${i % 3 === 0 ? 'utility' : 'marketing'},2026-01-01T10:00:00Z`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

/** Reads and screens a CSV of `rows` recipients on the calling thread (threads 1) or with `threads` workers. */
async function screenFile(path: string, rows: number, start: Millis, threads: number): Promise<PlanningResult> {
  const options = { now: start };
  const began = performance.now();
  let accepted = 0;
  const outcomes = threads === 1 ? screenRecipientsAsync(readRecipientFile(path), options) : screenRecipientsParallel(readRecipientFile(path), options, { threads, workerFile: SCREEN_WORKER_FILE });
  for await (const o of outcomes) if (o.status === 'accepted') accepted++;
  const wallMs = performance.now() - began;
  return {
    name: 'screening (CSV file)',
    recipients: rows,
    threads,
    wallMs: Math.round(wallMs),
    planningMs: 0,
    screeningUsPerRow: Number(((wallMs * 1000) / rows).toFixed(1)),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    messagesPlanned: 0,
    skipped: rows - accepted,
    verifiedOk: accepted === rows,
    violations: 0,
  };
}

/** The CLI beside this bundle (dist/cli/main.js). */
const CLI_FILE = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/**
 * Runs `sluice plan` on the file in a child process, as an operator would, and reads its
 * summary (planning time, peak memory, the self-check's verdict).
 */
async function planFile(path: string, rows: number, start: Millis, threads: number, dir: string): Promise<PlanningResult> {
  const args = [CLI_FILE, 'plan', '--policy', 'conservative', '--recipients', path, '--numbers', 'n1,n2,n3,n4', '--start', new Date(start).toISOString(), '--threads', String(threads), '--out', join(dir, `schedule-${threads}.jsonl`)];
  const began = performance.now();
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (text += d));
    child.once('error', reject);
    child.once('close', (c) => resolve({ code: c, stderr: text }));
  });
  const wallMs = performance.now() - began;
  const figure = (re: RegExp): number => Number((re.exec(stderr)?.[1] ?? 'NaN').replace(/,/g, ''));
  const planned = figure(/^rows\s+[\d,]+: ([\d,]+) planned/m);
  return {
    name: 'sluice plan (CSV file)',
    recipients: rows,
    threads,
    wallMs: Math.round(wallMs),
    planningMs: figure(/^planned\s+in (\d+) ms/m),
    screeningUsPerRow: 0,
    peakRssMiB: figure(/^memory\s+([\d,]+) MiB peak/m),
    messagesPlanned: planned,
    skipped: rows - planned,
    verifiedOk: code === 0 && /^verified\s+no limit exceeded/m.test(stderr),
    violations: code === 0 ? 0 : -1,
  };
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : Math.round(((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2);
}

/** Wall time of `threads` worker threads each running the same pure CPU loop. */
async function cpuLoop(threads: number): Promise<number> {
  const code = 'let x = 0; for (let i = 0; i < 1e8; i++) x = (x + i * 7) % 1000003; require("node:worker_threads").parentPort.postMessage(x);';
  const began = performance.now();
  await Promise.all(
    Array.from({ length: threads }, () => new Promise<void>((resolve, reject) => {
      const w = new Worker(code, { eval: true });
      w.once('message', () => void w.terminate().then(() => resolve()));
      w.once('error', reject);
    })),
  );
  return performance.now() - began;
}

/** Speedup of `threads` threads over one on a pure CPU loop (threads × one time / parallel time). */
async function cpuCeiling(threads: number): Promise<number> {
  const one = await cpuLoop(1);
  const many = await cpuLoop(threads);
  return Number(((threads * one) / many).toFixed(2));
}

/**
 * The pool rows: 1 and 2 threads alternated, `pairs` rounds (their medians and the speedups), the
 * verifier on the first run of each. Run by the planning suite in a child process of its own
 * (the bench itself, with POOL_ROUNDS_FLAG): in the suite's process, the in-thread rows before leave a heap
 * of a gigabyte whose collection and page releases ran beside the workers and slowed the pool
 * rows by a quarter to a half, the 2-thread ones most (measured: 2 threads on a kept planner
 * 1.33 s after a 1M in-thread plan in the same process, 0.99 s without it).
 */
export async function runPoolRounds(pooled: number, start: number, pairs: number): Promise<PlanningResult[]> {
  const at = start as Millis;
  const rows: PlanningResult[] = [];
  // 1 and 2 threads alternated, the verifier on the first run of each: this machine's speed
  // drifts by tens of percent over a minute, which one run of each would put on one side only.
  const ceiling = await cpuCeiling(2);
  // The preset's campaign (its parts share the batch runs), and the same campaign without the
  // batch rule, whose parts share nothing at all: what two threads give this machine's memory
  // system on this work, measured in the same rounds.
  // And the preset's campaign on a CampaignPlanner of each size, its threads started once and
  // kept from round to round (what a service planning campaign after campaign does): no thread
  // start, and code the threads compiled in earlier rounds. Each plans the campaign once before
  // the rounds, untimed: a warm-up, since thread start and compilation are what it saves.
  const planners = new Map([1, 2].map((t) => [t, new CampaignPlanner({ threads: t, workerFile: WORKER_FILE })]));
  const variants = [
    [0, 1, 'batch', false],
    [1, 2, 'batch', false],
    [2, 1, 'nothing', false],
    [3, 2, 'nothing', false],
    [4, 1, 'batch', true],
    [5, 2, 'batch', true],
  ] as const;
  const runs: PlanningResult[][] = [[], [], [], [], [], []];
  try {
    for (const threads of [1, 2]) await planOnce(pooled, at, true, threads, false, 'batch', planners.get(threads) ?? null);
    for (let k = 0; k < pairs; k++) {
      for (const [side, threads, shared, kept] of variants) runs[side]!.push(await planOnce(pooled, at, true, threads, k === 0, shared, kept ? (planners.get(threads) ?? null) : null));
    }
  } finally {
    for (const planner of planners.values()) await planner.close();
  }
  const [one, two, oneAlone, twoAlone, oneKept, twoKept] = runs.map((list) => {
    const times = list.map((r) => r.planningMs);
    return { ...list[0]!, planningMs: median(times), planningRuns: times.map((t) => t.toLocaleString('en')).join(' · '), workersMs: median(list.map((r) => r.workersMs ?? 0)), serialMs: median(list.map((r) => r.serialMs ?? 0)) };
  }) as [PlanningResult, PlanningResult, PlanningResult, PlanningResult, PlanningResult, PlanningResult];
  for (const [single, double] of [[one, two], [oneAlone, twoAlone], [oneKept, twoKept]] as const) {
    rows.push(single);
    const workersSpeedup = Number(((single.workersMs ?? 0) / Math.max(1, double.workersMs ?? 0)).toFixed(2));
    rows.push({ ...double, speedupVsOneThread: Number((single.planningMs / Math.max(1, double.planningMs)).toFixed(2)), cpuSpeedupCeiling: ceiling, workersSpeedup });
  }
  return rows;
}

/** How the planning suite asks this bench (dist/bench/main.js) to run the pool rounds in a child process. */
export const POOL_ROUNDS_FLAG = '--pool-rounds-child';

/** runPoolRounds in a child process (a fresh heap); its rows come back as JSON on its stdout. */
async function poolRoundsInChild(pooled: number, start: Millis, pairs: number): Promise<PlanningResult[]> {
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), POOL_ROUNDS_FLAG, String(pooled), String(start), String(pairs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.once('error', reject);
    child.once('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
  });
  if (code !== 0) throw new Error(`the pool rounds' process exited with ${String(code)}: ${stderr.trim().slice(-2_000)}`);
  return JSON.parse(stdout) as PlanningResult[];
}

/**
 * Full mode: 100k and 1M in-thread, then 1M on the pool with 1 and 2 threads, with and without
 * the batch rule, and on kept planners of 1 and 2 threads, 5 runs of each alternated (their
 * median, and the speedups),
 * screening a 200k-row CSV on 1 and 2 threads, and `sluice plan` on a 1M-row CSV with 1 and 2
 * threads. Quick mode: 10k in-thread and on the pool, 20k rows for the file rows. Peak RSS is
 * the process's high-water mark so far (rows run in this order, workers share the process); the
 * pool rows run in a process of their own (one for all of them), and so does each `sluice plan`.
 */
export async function runPlanning(options: { quick: boolean; log?: (line: string) => void }): Promise<{ rows: PlanningResult[]; quality: PlanQualityRow[] }> {
  const start = Date.UTC(2026, 0, 5, 9, 0, 0) as Millis;
  const sizes = options.quick ? [10_000] : [100_000, 1_000_000];
  const pooled = options.quick ? 10_000 : 1_000_000;
  const rows: PlanningResult[] = [];
  for (const n of sizes) rows.push(await planOnce(n, start));
  // The pool rows in a process of their own (see runPoolRounds).
  rows.push(...(await poolRoundsInChild(pooled, start, options.quick ? 1 : 5)));
  // Screening a file (what `sluice plan` does before planning), on this thread and on 2 workers.
  const screenRows = options.quick ? 20_000 : 200_000;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-screen-'));
  try {
    const csv = join(dir, 'recipients.csv');
    writeRecipientCsv(csv, screenRows);
    const alone = await screenFile(csv, screenRows, start, 1);
    rows.push(alone);
    const pooled = await screenFile(csv, screenRows, start, 2);
    rows.push({ ...pooled, speedupVsOneThread: Number((alone.wallMs / Math.max(1, pooled.wallMs)).toFixed(2)) });
    // The whole command on a file of the size (full mode), in its own process.
    const fileRows = options.quick ? screenRows : 1_000_000;
    if (fileRows !== screenRows) writeRecipientCsv(csv, fileRows);
    const cliOne = await planFile(csv, fileRows, start, 1, dir);
    rows.push(cliOne);
    const cliTwo = await planFile(csv, fileRows, start, 2, dir);
    rows.push({ ...cliTwo, speedupVsOneThread: Number((cliOne.wallMs / Math.max(1, cliTwo.wallMs)).toFixed(2)) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // What splitting batch runs between threads does to the campaign's length.
  const quality = await runPlanQuality(options.quick ? 2_000 : 20_000, WORKER_FILE);
  return { rows, quality };
}
