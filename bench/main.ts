import { writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { runMicro } from './micro.js';
import { runThreads } from './threads.js';

/**
 * `npm run bench [-- --quick] [--suite micro,threads] [--out bench-results/latest.json]`
 * Prints a side-by-side table and writes the figures as JSON with the machine's details.
 */
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const suiteArg = valueOf('--suite');
const suites = new Set((suiteArg ?? 'micro,threads').split(','));
const outFile = valueOf('--out') ?? 'bench-results/latest.json';

function valueOf(flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M/s` : `${(n / 1e3).toFixed(1)} k/s`);

const results: Record<string, unknown> = {
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: process.platform },
  quick,
  at: new Date().toISOString(),
};

if (suites.has('micro')) {
  const micro = await runMicro(quick ? 300 : 2000);
  results['micro'] = micro;
  const base = micro.find((m) => m.name.startsWith('baseline'))?.decisionsPerSecond ?? 1;
  console.log('\nmicro decisions (single thread; each figure = decisions per second)');
  for (const m of micro) console.log(`  ${m.name.padEnd(62)} ${fmt(m.decisionsPerSecond).padStart(12)}  ±${m.rme.toFixed(1)}%  ${(m.decisionsPerSecond / base).toFixed(2)}× baseline`);
}
if (suites.has('threads')) {
  const threads = await runThreads(quick ? 300 : 2000);
  results['threads'] = threads;
  console.log('\nshared limit hammered from worker threads');
  for (const t of threads) console.log(`  ${t.scenario.padEnd(48)} ${t.threads} thread(s)  ${fmt(t.decisionsPerSecond).padStart(12)} decisions  ${fmt(t.grantedPerSecond).padStart(12)} granted (budget ${fmt(t.budgetPerSecond)})`);
}

mkdirSync(outFile.replace(/\/[^/]*$/, '') || '.', { recursive: true });
writeFileSync(outFile, JSON.stringify(results, null, 2));
console.log(`\nwrote ${outFile}`);
