import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMicro, type MicroResult } from './micro.js';
import { runThreads, type ThreadResult } from './threads.js';
import { runRedis, type RedisResults } from './redis.js';
import { runLatency, type LatencyResults } from './latency.js';
import { POOL_ROUNDS_FLAG, runPlanning, runPoolRounds } from './planning.js';
import type { PlanQualityRow } from './plan-quality.js';
import { runSustained } from './sustained/index.js';
import type { SustainedResults } from './sustained/types.js';
import { renderReport } from './report/index.js';
import { computeVerdict, formatVerdict } from './report/verdict.js';
import { planningColumns, planningQuality, planningRows } from './report/planning-rows.js';
import { DEFAULT_SUITES, SUITES, type BenchResults, type MachineDetails, type SuiteError, type SuiteName } from './report/types.js';

/**
 * `sluice bench` / `npm run bench -- [options]`: runs the selected suites side by side in one
 * process, prints their tables, writes the results as JSON (with the machine's details) and a
 * self-contained HTML report, and ends with the CI verdict. Exit codes: 0 pass, 1 the verdict
 * failed (an overshoot, a double send, a lost message, liveness below 95%, a suite that did not
 * finish), 2 bad usage.
 */
const USAGE = `usage: sluice bench [options]      (or: npm run bench -- [options])

Runs the benchmark suites on this machine, prints their figures, writes a JSON results file and a
self-contained HTML report, and ends with a verdict.

options
  --suite a,b,...   suites to run (default: all but headroom):
                      micro      single-thread decisions (tinybench), sluice and peers
                      threads    one shared limit hammered from worker threads
                      latency    admission latency, coordinated-omission corrected (hdr-histogram)
                      redis      Redis store throughput and closed-loop latency (local redis-server)
                      planning   planning throughput of a whole campaign
                      sustained  real-time runs at 10,000 msgs/min through a mock sender, with peers
                      headroom   highest rate held with zero overshoot (long)
  --headroom        add the headroom suite to the selection
  --quick           CI mode: short runs (the whole default selection in under 3 minutes)
  --out FILE        JSON results (default bench-results/latest.json)
  --html FILE       HTML report (default bench-results/report.html)
  --from FILE       do not run anything: re-render the report and the verdict from a results file
  -h, --help        this text

The verdict fails (exit 1) on any overshoot of a budget, any double send, any lost message or
liveness below 95% in a sluice run, or a suite that did not finish; never on a timing figure.
Peers are expected to overshoot: that is reported, not failed. Exit 2 is bad usage.
`;

class UsageError extends Error {}

interface Options {
  readonly quick: boolean;
  readonly suites: readonly SuiteName[];
  readonly out: string;
  readonly html: string;
  readonly from: string | undefined;
  readonly help: boolean;
}

function parseArgs(args: readonly string[]): Options {
  let quick = false;
  let headroom = false;
  let help = false;
  let suiteArg: string | undefined;
  let out = 'bench-results/latest.json';
  let html = 'bench-results/report.html';
  let from: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const raw = args[i] as string;
    const eq = raw.indexOf('=');
    const flag = raw.startsWith('--') && eq > 0 ? raw.slice(0, eq) : raw;
    const inline = raw.startsWith('--') && eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = args[i + 1];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      i++;
      return v;
    };
    switch (flag) {
      case '--quick':
        quick = true;
        break;
      case '--headroom':
        headroom = true;
        break;
      case '-h':
      case '--help':
        help = true;
        break;
      case '--suite':
        suiteArg = value();
        break;
      case '--out':
        out = value();
        break;
      case '--html':
        html = value();
        break;
      case '--from':
        from = value();
        break;
      default:
        throw new UsageError(raw.startsWith('-') ? `unknown option ${flag}` : `unexpected argument '${raw}'`);
    }
  }
  const chosen = suiteArg === undefined ? [...DEFAULT_SUITES] : suiteArg.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of chosen) if (!(SUITES as readonly string[]).includes(s)) throw new UsageError(`unknown suite '${s}' (suites: ${SUITES.join(', ')})`);
  if (chosen.length === 0) throw new UsageError('--suite needs at least one suite');
  if (headroom && !chosen.includes('headroom')) chosen.push('headroom');
  // Run in the canonical order whatever order they were named in.
  const suites = SUITES.filter((s) => chosen.includes(s));
  return { quick, suites, out, html, from, help };
}

// ---------------------------------------------------------------- machine details

const packageRoot = fileURLToPath(new URL('../..', import.meta.url));

function quiet(cmd: string, args: readonly string[]): string | null {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  } catch {
    return null;
  }
}

function machineDetails(): MachineDetails {
  const cpus = os.cpus();
  let distro = '';
  try {
    distro = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  } catch {
    // not Linux, or no os-release: the kernel line is enough
  }
  const redisLine = quiet('redis-server', ['--version']);
  let sluiceVersion: string | null = null;
  try {
    const pkg = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
    if (pkg.name === 'sluice' && typeof pkg.version === 'string') sluiceVersion = pkg.version;
  } catch {
    // run from somewhere without the package.json
  }
  // Only a git checkout of sluice itself: inside node_modules of another repository, git would
  // answer with that repository's commit.
  let gitCommit: string | null = null;
  const top = quiet('git', ['-C', packageRoot, 'rev-parse', '--show-toplevel']);
  if (top !== null && path.resolve(top) === path.resolve(packageRoot)) {
    const head = quiet('git', ['-C', packageRoot, 'rev-parse', '--short=12', 'HEAD']);
    const dirty = quiet('git', ['-C', packageRoot, 'status', '--porcelain', '--untracked-files=no']);
    if (head !== null) gitCommit = `${head}${dirty !== null && dirty !== '' ? ' (with uncommitted changes)' : ''}`;
  }
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()}${distro === '' ? '' : ` (${distro})`} ${os.arch()}`,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    redisServer: redisLine === null ? null : (/v=(\S+)/.exec(redisLine)?.[1] ?? redisLine),
    sluiceVersion,
    gitCommit,
  };
}

// ---------------------------------------------------------------- printing

const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M/s` : `${(n / 1e3).toFixed(1)} k/s`);
const ratio = (a: number, b: number | undefined) => (b === undefined || b === 0 ? '   n/a' : `${(a / b).toFixed(2)}×`.padStart(6));
const pct = (share: number) => `${(share * 100).toFixed(share === 1 || share === 0 ? 0 : 1)}%`;
const us = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${v.toFixed(v < 10 ? 2 : 0)} µs`);

function printMicro(micro: readonly MicroResult[]): void {
  const baseline = (clock: MicroResult['clock']) => micro.find((m) => m.kind === 'baseline' && m.clock === clock)?.decisionsPerSecond;
  const wallBase = baseline('Date.now');
  const rlf = micro.find((m) => m.name.startsWith('rate-limiter-flexible'))?.decisionsPerSecond;
  console.log('\nmicro decisions (single thread; decisions per second; grants = share of decisions granted)');
  console.log(
    `  ${'task'.padEnd(64)} ${'figure'.padStart(11)}  ${'±rme'.padStart(6)}  ${'grants'.padStart(6)}  ` +
      `${'÷same-clock base'.padStart(16)}  ${'÷Date.now base'.padStart(14)}  ${'÷rlf'.padStart(6)}`,
  );
  for (const m of micro) {
    // A batch with a caller-supplied now reads Date.now once per batch: its baseline is Date.now.
    const same = m.kind === 'baseline' ? undefined : baseline(m.clock === 'caller' ? 'Date.now' : m.clock);
    const sluice = m.kind === 'sluice';
    console.log(
      `  ${m.name.padEnd(64)} ${fmt(m.decisionsPerSecond).padStart(11)}  ${`±${m.rme.toFixed(1)}%`.padStart(6)}  ${pct(m.grantShare).padStart(6)}  ` +
        `${(m.kind === 'baseline' ? '' : ratio(m.decisionsPerSecond, same)).padStart(16)}  ${ratio(m.decisionsPerSecond, wallBase).padStart(14)}  ` +
        `${(sluice ? ratio(m.decisionsPerSecond, rlf) : '').padStart(6)}`,
    );
  }
}

function printThreads(threads: readonly ThreadResult[]): void {
  console.log('\nshared limit hammered from worker threads (each decision reads the limiter clock; limit checked on the grants\' instants)');
  console.log(
    `  ${'scenario'.padEnd(56)} ${'clock'.padEnd(9)} thr  ${'decisions'.padStart(11)}  ${'granted'.padStart(11)}  ${'grants'.padStart(6)}  ` +
      `${'max in any period / allowed'.padStart(27)}  ok  ${'÷1 thread'.padStart(9)}`,
  );
  for (const t of threads) {
    console.log(
      `  ${t.scenario.padEnd(56)} ${t.clock.padEnd(9)} ${String(t.threads).padStart(3)}  ${fmt(t.decisionsPerSecond).padStart(11)}  ${fmt(t.grantedPerSecond).padStart(11)}  ` +
        `${pct(t.grantShare).padStart(6)}  ${(t.reference ? 'n/a' : `${t.maxInWindow.toLocaleString('en')} / ${t.allowedInWindow.toLocaleString('en')}`).padStart(27)}  ` +
        `${t.reference ? '   ' : t.withinLimit ? 'yes' : 'NO '} ${(t.threads === 1 ? '' : `${t.scalingVsOneThread.toFixed(2)}×`).padStart(9)}`,
    );
  }
  console.log('  (budget = configured count/s; the open scenarios sustain 1 M/s past their burst because state resolution is capped at 1000 units/ms)');
}

function printRedis(redis: RedisResults): void {
  console.log(`\nRedis store against a local redis-server ${redis.redisVersion} (loopback, one client process)`);
  console.log(`  ${''.padEnd(66)} ${''.padStart(13)} ${'per second'.padStart(12)}  ${'Redis µs/op'.padStart(11)}  ${'Redis CPU'.padStart(9)}`);
  for (const r of redis.throughput) {
    console.log(
      `  ${(r.name + (r.batch > 1 ? ` (${r.batch}/call)` : '')).padEnd(66)} ${String(r.inFlight).padStart(3)} in flight  ${fmt(r.perSecond).padStart(12)}  ${r.serverUsPerOp.toFixed(1).padStart(11)}  ${r.redisCpu.toFixed(2).padStart(9)}`,
    );
  }
  console.log('  (Redis µs/op: the server\'s command time per message or consume, from INFO commandstats; Redis CPU: cores redis-server used, 1.00 = one core saturated)');
  console.log('  latency at 16 in flight (µs):');
  for (const l of redis.latency) console.log(`  ${l.name.padEnd(66)} p50 ${l.p50us}  p99 ${l.p99us}  p99.9 ${l.p999us}  max ${l.maxUs}`);
  console.log('  the client\'s garbage collection during those runs (a pause delays every operation in flight):');
  for (const l of redis.latency) {
    const g = l.gc;
    if (g === undefined) continue;
    console.log(`  ${l.name.padEnd(66)} ${g.pauses} pauses (${g.majorPauses} full), mean ${g.meanPauseMs} ms, max ${g.maxPauseMs} ms, ${(g.pausedShare * 100).toFixed(1)}% of the run; ${g.slowOps} operations over 1 ms, ${g.slowOpsDuringGc} of them during a pause`);
  }
}

function printLatency(latency: LatencyResults): void {
  console.log('\nadmission latency, coordinated-omission corrected (open loop at a fixed rate; measured from each call\'s intended start)');
  console.log(`  ${'operation'.padEnd(52)} ${'rate'.padStart(8)} ${'answered'.padStart(9)} ${'calls'.padStart(8)} ${'p50'.padStart(9)} ${'p90'.padStart(9)} ${'p99'.padStart(9)} ${'p99.9'.padStart(9)} ${'p99.99'.padStart(9)} ${'max'.padStart(9)}   uncorrected p50/p99`);
  for (const s of latency.series) {
    console.log(
      `  ${s.name.padEnd(52)} ${`${s.ratePerSecond.toLocaleString('en')}/s`.padStart(8)} ${`${s.achievedPerSecond.toLocaleString('en')}/s`.padStart(9)} ${s.count.toLocaleString('en').padStart(8)} ${us(s.p50Us).padStart(9)} ${us(s.p90Us).padStart(9)} ${us(s.p99Us).padStart(9)} ` +
        `${us(s.p999Us).padStart(9)} ${us(s.p9999Us).padStart(9)} ${us(s.maxUs).padStart(9)}   ${us(s.serviceP50Us)} / ${us(s.serviceP99Us)}${s.errors > 0 ? `  (${s.errors} errors)` : ''}`,
    );
  }
  if ('skipped' in latency.redis) console.log(`  Redis rows skipped: ${latency.redis.skipped}`);
}

function printPlanning(planning: unknown): void {
  console.log('\nplanning throughput (a whole campaign planned, then checked by the independent verifier)');
  const rows = planningRows(planning);
  const columns = planningColumns(rows);
  const text = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? v.toLocaleString('en') : v.toFixed(2)) : v === undefined ? '' : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => text(r[c]).length)));
  console.log(`  ${columns.map((c, i) => c.padStart(widths[i] as number)).join('  ')}`);
  for (const r of rows) console.log(`  ${columns.map((c, i) => text(r[c]).padStart(widths[i] as number)).join('  ')}`);
  // Results this bench wrote: the rows are PlanQualityRow.
  const quality = planningQuality(planning) as unknown as PlanQualityRow[];
  if (quality.length === 0) return;
  console.log('\nplan quality by threads (hours from the start to the last send; batch runs; violations found by the checker)');
  const campaigns = [...new Set(quality.map((q) => q.campaign))];
  for (const c of campaigns) {
    const of = quality.filter((q) => q.campaign === c);
    console.log(`  ${`${c} (${(of[0]?.recipients ?? 0).toLocaleString('en')})`.padEnd(36)} ${of.map((q) => `${q.threads} thread${q.threads > 1 ? 's' : ''} ${q.finishHours.toFixed(2)} h, ${q.runs} runs${q.violations > 0 ? `, ${q.violations} VIOLATIONS` : ''}`).join(' · ')}`);
  }
}

function printSustained(s: SustainedResults): void {
  if (s.runs.length > 0) printRuns(s);
  if (s.headroom.length > 0) console.log('\nheadroom: sluice alone, highest rate held with zero overshoot and liveness ≥ 95%');
  for (const h of s.headroom) {
    console.log(`  headroom ${h.store}: highest held ${Math.round(h.highestHeldPerMinute).toLocaleString('en')}/min (${h.steps.map((st) => `${Math.round(st.offeredPerMinute / 1000)}k ${st.held ? 'held' : 'not held'}`).join(', ')})`);
  }
}

function printRuns(s: SustainedResults): void {
  console.log('\nsustained runs through the mock sender (overshoot = most sends in any window ÷ budget, worst limit)');
  console.log(`  ${'run'.padEnd(40)} ${'achieved/min'.padStart(12)} ${'liveness'.padStart(8)} ${'overshoot'.padStart(9)} ${'double'.padStart(6)} ${'lost'.padStart(5)} ${'send err p99'.padStart(12)} ${'adm p99'.padStart(9)} ${'CPU'.padStart(6)} ${'RSS MiB'.padStart(7)}`);
  for (const r of s.runs) {
    console.log(
      `  ${r.name.padEnd(40)} ${Math.round(r.achievedPerMinute).toLocaleString('en').padStart(12)} ${pct(r.liveness).padStart(8)} ${`${r.overshoot.toFixed(3)}×`.padStart(9)} ${String(r.doubleSends).padStart(6)} ${String(r.lost).padStart(5)} ` +
        `${(r.sendErrorMs === null ? '–' : `${r.sendErrorMs.p99} ms`).padStart(12)} ${(r.admissionLatencyUs === null ? '–' : us(r.admissionLatencyUs.p99)).padStart(9)} ${pct(r.cpu.shareOfOneCore).padStart(6)} ${String(Math.round(r.memory.maxRssMiB)).padStart(7)}`,
    );
  }
}

// ---------------------------------------------------------------- run

function writeFile(file: string, text: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, text);
}

function finish(results: BenchResults, html: string): number {
  writeFile(html, renderReport(results));
  console.log(`wrote ${html}`);
  const verdict = computeVerdict(results);
  console.log(`\n${formatVerdict(verdict)}`);
  return verdict.ok ? 0 : 1;
}

async function run(options: Options, args: readonly string[]): Promise<number> {
  if (options.from !== undefined) {
    if (!existsSync(options.from)) throw new UsageError(`--from: no file ${options.from}`);
    const results = JSON.parse(readFileSync(options.from, 'utf8')) as BenchResults;
    if (results.schema !== 1 || typeof results.machine !== 'object') throw new UsageError(`--from: ${options.from} is not a sluice bench results file`);
    return finish(results, options.html);
  }
  const quick = options.quick;
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const machine = machineDetails();
  console.log(`sluice bench${quick ? ' --quick' : ''}: ${options.suites.join(', ')} on ${machine.cpuModel} (${machine.cores} cores), Node ${machine.node}`);
  const suiteMs: Partial<Record<SuiteName, number>> = {};
  const errors: SuiteError[] = [];
  let micro: MicroResult[] | undefined;
  let threads: ThreadResult[] | undefined;
  let latency: LatencyResults | undefined;
  let redis: RedisResults | undefined;
  let planning: unknown;
  let sustained: SustainedResults | undefined;
  const log = (line: string) => console.log(`  ${line}`);

  const timed = async (suite: SuiteName, body: () => Promise<void>) => {
    const t = performance.now();
    try {
      await body();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      errors.push({ suite, message });
      console.log(`\n${suite}: did not finish: ${message}`);
    }
    suiteMs[suite] = Math.round(performance.now() - t);
  };

  const has = (s: SuiteName) => options.suites.includes(s);
  // Quick times are chosen so the whole default selection fits CI's 3 minutes on 2 cores,
  // the sustained runs taking most of it.
  if (has('micro')) await timed('micro', async () => printMicro((micro = await runMicro(quick ? 100 : 2000))));
  if (has('threads')) await timed('threads', async () => printThreads((threads = await runThreads(quick ? 300 : 2000))));
  if (has('latency')) await timed('latency', async () => printLatency((latency = await runLatency({ quick, log }))));
  if (has('redis')) await timed('redis', async () => printRedis((redis = await runRedis(quick ? 400 : 3000))));
  if (has('planning')) await timed('planning', async () => printPlanning((planning = await runPlanning({ quick }))));
  if (has('sustained') || has('headroom')) {
    const suite: SuiteName = has('sustained') ? 'sustained' : 'headroom';
    await timed(suite, async () => printSustained((sustained = await runSustained({ quick, headroom: has('headroom'), sideBySide: has('sustained'), log }))));
  }

  const finished = Date.now();
  const results: BenchResults = {
    schema: 1,
    startedAt,
    finishedAt: new Date(finished).toISOString(),
    wallMs: finished - started,
    quick,
    suites: options.suites,
    suiteMs,
    command: ['sluice bench', ...args].join(' '),
    machine,
    ...(micro === undefined ? {} : { micro }),
    ...(threads === undefined ? {} : { threads }),
    ...(latency === undefined ? {} : { latency }),
    ...(redis === undefined ? {} : { redis }),
    ...(planning === undefined ? {} : { planning }),
    ...(sustained === undefined ? {} : { sustained }),
    errors,
  };
  writeFile(options.out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nbench took ${((finished - started) / 1000).toFixed(1)} s (${Object.entries(suiteMs).map(([k, v]) => `${k} ${((v ?? 0) / 1000).toFixed(1)} s`).join(', ')})`);
  console.log(`wrote ${options.out}`);
  return finish(results, options.html);
}

const args = process.argv.slice(2);
let exitCode: number;
try {
  const options = args[0] === POOL_ROUNDS_FLAG ? null : parseArgs(args);
  if (options === null) {
    // The planning suite's pool rows, in the process it started for them (see runPoolRounds).
    process.stdout.write(JSON.stringify(await runPoolRounds(Number(args[1]), Number(args[2]), Number(args[3]))));
    exitCode = 0;
  } else if (options.help) {
    process.stdout.write(USAGE);
    exitCode = 0;
  } else {
    exitCode = await run(options, args);
  }
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(`sluice bench: ${err.message}\n\n${USAGE}`);
    exitCode = 2;
  } else {
    process.stderr.write(`sluice bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    exitCode = 70;
  }
}
process.exitCode = exitCode;
// A suite that leaves a handle open (a socket, a worker) must not hang CI after the verdict.
setTimeout(() => process.exit(exitCode), 2000).unref();
