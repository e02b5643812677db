// A complete bench results file, as bench/main.ts writes it, with every section filled: the input
// of the report and verdict tests. Figures are plausible, not measured.
import type { BenchResults } from '../../bench/report/types.js';
import type { SustainedRun } from '../../bench/sustained/types.js';

const perSecond = 10_000 / 60;

export function run(overrides: Partial<SustainedRun> = {}): SustainedRun {
  const seconds = 30;
  const sends = Array.from({ length: seconds }, (_, i) => Math.round(perSecond + (i % 3) - 1));
  const window = sends.map((_, i) => Math.round(Math.min(i + 1, 60) * perSecond));
  return {
    name: 'sluice memory, 2 threads',
    library: 'sluice',
    store: 'memory',
    parallelism: 2,
    parallelismKind: 'threads',
    durationMs: seconds * 1000,
    budgetPerMinute: 10_000,
    offeredPerMinute: 12_000,
    sent: sends.reduce((a, b) => a + b, 0),
    achievedPerMinute: 9_990,
    liveness: 0.999,
    doubleSends: 0,
    lost: 0,
    limits: [
      { rule: 'account-per-minute', scope: 'account', windowMs: 60_000, budget: 10_000, maxInWindow: 5_000, overshoot: 0.5, ok: true },
      { rule: 'recipient-daily', scope: 'recipient', windowMs: 86_400_000, budget: 2, maxInWindow: 1, overshoot: 0.5, ok: true },
    ],
    overshoot: 0.5,
    sendErrorMs: { p50: 0.8, p90: 1.5, p99: 3.2, p999: 6, max: 9, count: 5000 },
    admissionLatencyUs: { p50: 12, p90: 20, p99: 45, p999: 120, max: 400, count: 5000 },
    cpu: { userMs: 2_000, systemMs: 300, shareOfOneCore: 0.08 },
    memory: { maxRssMiB: 120 },
    series: { sendsPerSecond: sends, windowCountPerSecond: window, windowMs: 60_000 },
    ...overrides,
  };
}

export function peer(name: string, library: SustainedRun['library'], overshoot: number): SustainedRun {
  return run({
    name,
    library,
    parallelismKind: 'single',
    parallelism: 1,
    overshoot,
    achievedPerMinute: 10_000 * overshoot,
    sendErrorMs: null,
    limits: [{ rule: 'account-per-minute', scope: 'account', windowMs: 60_000, budget: 10_000, maxInWindow: Math.round(10_000 * overshoot), overshoot, ok: overshoot <= 1 }],
  });
}

export function fixture(overrides: Partial<BenchResults> = {}): BenchResults {
  return {
    schema: 1,
    startedAt: '2026-11-22T08:00:00.000Z',
    finishedAt: '2026-11-22T08:02:40.000Z',
    wallMs: 160_000,
    quick: true,
    suites: ['micro', 'threads', 'latency', 'redis', 'planning', 'sustained', 'headroom'],
    suiteMs: { micro: 5_000, threads: 6_000, latency: 7_000, redis: 9_000, planning: 8_000, sustained: 100_000, headroom: 25_000 },
    command: 'sluice bench --quick --headroom',
    machine: {
      cpuModel: 'AMD EPYC',
      cores: 2,
      memoryGiB: 24,
      node: 'v20.20.2',
      os: 'Linux 6.1.0 (Debian GNU/Linux 12 (bookworm)) x64',
      loadAverage: [1.5, 1.2, 1.1],
      redisServer: '7.0.15',
      sluiceVersion: '0.1.0',
      gitCommit: 'abcdef123456',
    },
    micro: [
      { name: 'baseline: hand-written token bucket, Date.now per call', kind: 'baseline', clock: 'Date.now', decisionsPerSecond: 24e6, grantShare: 1, rme: 0.5, samples: 100 },
      { name: 'sluice tryAcquire, ticker clock per call', kind: 'sluice', clock: 'ticker', decisionsPerSecond: 31e6, grantShare: 1, rme: 0.7, samples: 100 },
      { name: 'rate-limiter-flexible RateLimiterMemory.consume', kind: 'peer', clock: 'Date.now', decisionsPerSecond: 5.7e6, grantShare: 1, rme: 1.1, samples: 100 },
    ],
    threads: [
      {
        scenario: 'one shared key, saturated (budget 100,000/s)',
        reference: false,
        clock: 'monotonic',
        threads: 2,
        decisionsPerSecond: 40e6,
        grantedPerSecond: 100_000,
        grantShare: 0.0025,
        budgetPerSecond: 100_000,
        sustainedPerSecond: 100_000,
        maxInWindow: 100_000,
        allowedInWindow: 100_000,
        withinLimit: true,
        scalingVsOneThread: 1.99,
      },
    ],
    latency: {
      method: 'open loop at a fixed rate; latency from the intended start',
      redis: { version: '7.0.15' },
      series: [
        {
          name: 'MemoryStore.admitSync (4 limits)',
          store: 'memory',
          ratePerSecond: 20_000,
          durationMs: 1500,
          achievedPerSecond: 19_990,
          count: 30_000,
          errors: 0,
          p50Us: 9.7,
          p90Us: 14,
          p99Us: 40,
          p999Us: 900,
          p9999Us: 2000,
          maxUs: 2500,
          meanUs: 12,
          serviceP50Us: 9.5,
          serviceP99Us: 21,
          serviceMaxUs: 2400,
          curve: [
            { percentile: 50, us: 9.7 },
            { percentile: 90, us: 14 },
            { percentile: 99, us: 40 },
            { percentile: 99.9, us: 900 },
            { percentile: 99.99, us: 2000 },
            { percentile: 100, us: 2500 },
          ],
        },
        {
          name: 'RedisStore.admit (4 limits, loopback)',
          store: 'redis',
          ratePerSecond: 1_000,
          durationMs: 1500,
          achievedPerSecond: 800,
          count: 1_500,
          errors: 0,
          p50Us: 300,
          p90Us: 460,
          p99Us: 4000,
          p999Us: 11_000,
          p9999Us: 12_000,
          maxUs: 12_000,
          meanUs: 400,
          serviceP50Us: 290,
          serviceP99Us: 3500,
          serviceMaxUs: 11_000,
          curve: [
            { percentile: 50, us: 300 },
            { percentile: 90, us: 460 },
            { percentile: 99, us: 4000 },
            { percentile: 99.9, us: 11_000 },
            { percentile: 100, us: 12_000 },
          ],
        },
      ],
    },
    redis: {
      redisVersion: '7.0.15',
      throughput: [{ name: 'sluice 4-limit atomic admission', inFlight: 16, batch: 1, perSecond: 22_600, serverUsPerOp: 27.4, redisCpu: 0.93 }],
      latency: [{ name: 'sluice 4-limit atomic admission', inFlight: 16, p50us: 635, p99us: 3500, p999us: 6100, maxUs: 9000, gc: { pauses: 110, majorPauses: 3, meanPauseMs: 2.4, maxPauseMs: 9.1, pausedShare: 0.066, slowOps: 5200, slowOpsDuringGc: 2100 } }],
    },
    planning: [
      { recipients: 100_000, threads: 1, wallMs: 4000, planningMs: 3000, screeningMs: 500, peakRssMiB: 300, messagesPlanned: 100_000, verified: true },
      { recipients: 100_000, threads: 2, wallMs: 2500, planningMs: 1800, screeningMs: 500, peakRssMiB: 350, messagesPlanned: 100_000, verified: true },
    ],
    sustained: {
      quick: true,
      runs: [
        run(),
        run({ name: 'sluice redis, 3 processes', store: 'redis', parallelism: 3, parallelismKind: 'processes' }),
        peer('rate-limiter-flexible (memory)', 'rate-limiter-flexible', 1.0),
        peer('bottleneck (Redis)', 'bottleneck', 1.35),
        peer('hand-written token bucket', 'hand-written', 1.9),
      ],
      headroom: [
        {
          store: 'memory',
          steps: [
            { offeredPerMinute: 100_000, achievedPerMinute: 99_800, overshoot: 1, liveness: 0.998, held: true },
            { offeredPerMinute: 200_000, achievedPerMinute: 199_000, overshoot: 1, liveness: 0.995, held: true },
            { offeredPerMinute: 400_000, achievedPerMinute: 300_000, overshoot: 1, liveness: 0.75, held: false },
          ],
          highestHeldPerMinute: 200_000,
        },
      ],
    },
    errors: [],
    ...overrides,
  };
}
