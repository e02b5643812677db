import { writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { runMicro, type MicroResult } from './micro.js';
import { runThreads } from './threads.js';
import { runRedis } from './redis.js';

/**
 * `npm run bench [-- --quick] [--suite micro,threads] [--out bench-results/latest.json]`
 * Prints a side-by-side table and writes the figures as JSON with the machine's details.
 */
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const suiteArg = valueOf('--suite');
const suites = new Set((suiteArg ?? 'micro,threads,redis').split(','));
const outFile = valueOf('--out') ?? 'bench-results/latest.json';

function valueOf(flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M/s` : `${(n / 1e3).toFixed(1)} k/s`);
const ratio = (a: number, b: number | undefined) => (b === undefined || b === 0 ? '   n/a' : `${(a / b).toFixed(2)}×`.padStart(6));
const pct = (share: number) => `${(share * 100).toFixed(share === 1 || share === 0 ? 0 : 1)}%`;

const results: Record<string, unknown> = {
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: process.platform },
  quick,
  at: new Date().toISOString(),
};

if (suites.has('micro')) {
  const micro = await runMicro(quick ? 300 : 2000);
  results['micro'] = micro;
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
if (suites.has('threads')) {
  const threads = await runThreads(quick ? 300 : 2000);
  results['threads'] = threads;
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

if (suites.has('redis')) {
  const redis = await runRedis(quick ? 1000 : 3000);
  results['redis'] = redis;
  console.log(`\nRedis store against a local redis-server ${redis.redisVersion} (loopback, one client process)`);
  for (const r of redis.throughput) console.log(`  ${(r.name + (r.batch > 1 ? ` (${r.batch}/call)` : '')).padEnd(66)} ${String(r.inFlight).padStart(3)} in flight  ${fmt(r.perSecond).padStart(12)}`);
  console.log('  latency at 16 in flight (µs):');
  for (const l of redis.latency) console.log(`  ${l.name.padEnd(66)} p50 ${l.p50us}  p99 ${l.p99us}  p99.9 ${l.p999us}  max ${l.maxUs}`);
}

mkdirSync(outFile.replace(/\/[^/]*$/, '') || '.', { recursive: true });
writeFileSync(outFile, JSON.stringify(results, null, 2));
console.log(`\nwrote ${outFile}`);
