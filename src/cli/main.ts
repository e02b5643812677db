import { SluiceError } from '../errors.js';
import { runDemo } from './demo.js';
import { runVerify } from './verify.js';
import { runPlan } from './plan.js';
import { runBench } from './bench.js';

/**
 * `sluice <command>`. Exit codes: 0 success, 1 the work found a problem (e.g. a violated
 * limit), 2 bad usage.
 */
const USAGE = `usage: sluice <command> [options]

commands
  demo   plan a sample campaign on the embedded store and show what happens
         --recipients N   recipients in the sample (default 5000)
         --numbers K      sending numbers in the pool (default 4)
         --start ISO      campaign start (default 2026-11-23T06:00:00Z)
         --seed S         sample seed (default 7)
  plan   plan a campaign: one schedule line per recipient row (stdout or --out), a summary on stderr
         --policy P            preset name (conservative, cloud-api) or policy file
         --recipients FILE     CSV or JSONL with a \`to\` column (id, tz, optIn, lastInboundAt, category)
         --start ISO           campaign start (default: now)
         --numbers a,b,c       the pool of sending numbers (default number-1)
         --portfolio NAME      business portfolio (default default)
         --campaign NAME       campaign name (default campaign)
         --store S             memory (default) or redis://host:port (plans against shared limits)
         --out FILE            write the schedule there instead of stdout
         --deadline ISO        skip what cannot go before it (reason: deadline)
         --account-start ISO   when the sending account started: sets its per-minute tier
         --suppression FILE    canonical numbers not to contact, one per line
         --default-country CC  country for numbers written without + (e.g. GB)
         --threads N           screen rows on N worker threads (default 1; same output for any N)
  verify check a schedule (JSONL) against a policy with the independent checker
         --policy P            preset name (conservative, cloud-api) or policy file
         --schedule FILE       the schedule, one JSON object per line
         --max-violations N    violations to list (default 20)
         --deadline ISO        also check that nothing is sent after it (as planned with --deadline)
         --json                machine-readable report
  bench  run the benchmark suites; write a JSON results file and an HTML report; CI verdict
         --quick               CI mode: the default suites in under 3 minutes
         --suite a,b           micro, threads, latency, redis, planning, sustained, headroom
         --headroom            add the headroom search (default: all suites but headroom)
         --out FILE            JSON results (default bench-results/latest.json)
         --html FILE           HTML report (default bench-results/report.html)
         (\`sluice bench --help\` for the details; exit 1 on an overshoot, a double send, a lost
         message or liveness below 95% in a sluice run, never on a timing figure)

exit codes: 0 success, 1 the work found a problem (a violated limit), 2 bad usage or input
`;

class UsageError extends Error {}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  // The bench parses its own options (flags without values, --help) in its own process.
  if (command === 'bench') return runBench(rest);
  const json = rest.includes('--json');
  const flags = parseFlags(rest.filter((a) => a !== '--json'));
  if (json && command !== 'verify') throw new UsageError(`--json is not an option of '${command}'`);
  switch (command) {
    case 'demo': {
      const options = {
        recipients: intFlag(flags, 'recipients', 5000, 1, 200_000),
        numbers: intFlag(flags, 'numbers', 4, 1, 100),
        start: instantFlag(flags, 'start', Date.parse('2026-11-23T06:00:00Z')),
        seed: intFlag(flags, 'seed', 7, 0, 2 ** 31),
      };
      rejectUnknown(flags);
      const report = runDemo(options);
      process.stdout.write(`${report.text}\n`);
      return report.violations === 0 ? 0 : 1;
    }
    case 'plan': {
      const policy = flags.get('policy');
      const recipients = flags.get('recipients');
      if (policy === undefined || recipients === undefined) throw new UsageError('plan needs --policy and --recipients');
      const text = (name: string, fallback?: string): string | undefined => {
        const v = flags.get(name) ?? fallback;
        flags.delete(name);
        return v;
      };
      const args = {
        policy: text('policy') as string,
        recipients: text('recipients') as string,
        start: instantFlag(flags, 'start', Date.now()),
        numbers: (text('numbers', 'number-1') as string).split(',').map((n) => n.trim()).filter(Boolean),
        portfolio: text('portfolio', 'default') as string,
        campaign: text('campaign', 'campaign') as string,
        out: text('out'),
        store: text('store', 'memory') as string,
        deadline: optionalInstant(flags, 'deadline'),
        accountStartedAt: optionalInstant(flags, 'account-start'),
        suppression: text('suppression'),
        defaultCountry: text('default-country'),
        threads: intFlag(flags, 'threads', 1, 1, 64),
      };
      rejectUnknown(flags);
      if (args.store !== 'memory' && !/^rediss?:\/\//.test(args.store)) throw new UsageError('--store must be memory or a redis:// URL');
      return runPlan(args, (s) => process.stderr.write(s.startsWith('\r') ? s : `${s}\n`), process.stderr.isTTY === true);
    }
    case 'verify': {
      const policy = flags.get('policy');
      const schedule = flags.get('schedule');
      flags.delete('policy');
      flags.delete('schedule');
      if (policy === undefined || schedule === undefined) throw new UsageError('verify needs --policy and --schedule');
      const maxViolations = intFlag(flags, 'max-violations', 20, 0, 1_000_000);
      const deadline = optionalInstant(flags, 'deadline');
      rejectUnknown(flags);
      return runVerify({ policy, schedule, maxViolations, json, ...(deadline !== undefined ? { deadline } : {}) }, (s) => process.stdout.write(`${s}\n`), (s) => process.stderr.write(`${s}\n`));
    }
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

function parseFlags(args: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument '${a}'`);
    const eq = a.indexOf('=');
    if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
    else {
      const v = args[i + 1];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      flags.set(a.slice(2), v);
      i++;
    }
  }
  return flags;
}

function rejectUnknown(flags: Map<string, string>): void {
  const [first] = flags.keys();
  if (first !== undefined) throw new UsageError(`unknown option --${first}`);
}

function intFlag(flags: Map<string, string>, name: string, fallback: number, min: number, max: number): number {
  const v = flags.get(name);
  flags.delete(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}`);
  return n;
}

function optionalInstant(flags: Map<string, string>, name: string): number | undefined {
  return flags.has(name) ? instantFlag(flags, name, 0) : undefined;
}

function instantFlag(flags: Map<string, string>, name: string, fallback: number): number {
  const v = flags.get(name);
  flags.delete(name);
  if (v === undefined) return fallback;
  const t = Date.parse(v);
  if (!Number.isFinite(t)) throw new UsageError(`--${name} must be an ISO 8601 instant`);
  return t;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`sluice: ${err.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else if (err instanceof SluiceError || (err as NodeJS.ErrnoException)?.code === 'ENOENT') {
      // Bad input (an invalid policy, a missing file): say what and where, no stack trace.
      process.stderr.write(`sluice: ${(err as Error).message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`sluice: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 70;
    }
  },
);
