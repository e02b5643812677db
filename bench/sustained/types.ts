/**
 * The shape of the sustained-run results: written by bench/sustained (the runs), read by
 * bench/report (the HTML report) and bench/main.ts (the CI verdict). Change it in one place.
 */

/** Percentiles of one distribution; every figure in the unit named by the field holding it. */
export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly count: number;
}

/** One limit as measured from the arrivals the mock sender recorded. */
export interface LimitCheck {
  /** Rule name as configured (e.g. `account-per-minute`, `number-rate`, `recipient-daily`). */
  readonly rule: string;
  /** What one budget counts over: `account`, `number`, `recipient`, `pair`, `key`. */
  readonly scope: string;
  readonly windowMs: number;
  /** Configured count allowed in any window of `windowMs` (per key of the scope). */
  readonly budget: number;
  /** Highest count in any sliding window of `windowMs`, over every key of the scope. */
  readonly maxInWindow: number;
  /** maxInWindow ÷ budget: must be ≤ 1 for sluice. */
  readonly overshoot: number;
  readonly ok: boolean;
}

/** One sustained run (sluice or a peer) through the mock sender. */
export interface SustainedRun {
  /** e.g. `sluice memory, 2 threads`, `sluice redis, 3 processes`, `bottleneck (Redis)`. */
  readonly name: string;
  readonly library: 'sluice' | 'rate-limiter-flexible' | 'bottleneck' | 'limiter' | 'hand-written';
  readonly store: 'memory' | 'redis';
  /** Worker threads or sender processes that shared the limits. */
  readonly parallelism: number;
  readonly parallelismKind: 'threads' | 'processes' | 'single';
  readonly durationMs: number;
  /** Budget of the headline limit, per minute (10,000 for the standard run). */
  readonly budgetPerMinute: number;
  readonly offeredPerMinute: number;
  readonly sent: number;
  readonly achievedPerMinute: number;
  /** achieved ÷ min(offered, budget) over the run's steady part: must be ≥ 0.95 for sluice. */
  readonly liveness: number;
  /** Messages that reached the mock sender more than once (by message id). */
  readonly doubleSends: number;
  /** Messages that ended in no named state (neither sent nor refused with a reason). */
  readonly lost: number;
  /**
   * Where every offered message ended: `sent`, `refused:<reason>` (sluice: e.g. `refused:deadline`
   * for a slot past the run's end), `send-error`, `unsent-at-end` (still queued in a peer's limiter).
   */
  readonly outcomes?: Readonly<Record<string, number>>;
  readonly limits: readonly LimitCheck[];
  /**
   * Highest overshoot over the limits the library was configured to enforce: every limit for
   * sluice; the account budget for peers (each limits one key, the way people use them).
   */
  readonly overshoot: number;
  /** |arrival − sendAt| in ms (sluice only: peers have no sendAt). */
  readonly sendErrorMs: Percentiles | null;
  /** Time to a decision in µs, coordinated-omission corrected where the run is rate-driven. */
  readonly admissionLatencyUs: Percentiles | null;
  readonly cpu: { readonly userMs: number; readonly systemMs: number; readonly shareOfOneCore: number };
  readonly memory: { readonly maxRssMiB: number };
  /** For the plots: sends in each second of the run, and the headline limit's sliding-window count sampled each second. */
  readonly series: { readonly sendsPerSecond: readonly number[]; readonly windowCountPerSecond: readonly number[]; readonly windowMs: number };
}

export interface HeadroomStep {
  readonly offeredPerMinute: number;
  readonly achievedPerMinute: number;
  readonly overshoot: number;
  readonly liveness: number;
  readonly held: boolean;
}

export interface HeadroomResult {
  readonly store: 'memory' | 'redis';
  readonly steps: readonly HeadroomStep[];
  /** Highest offered rate held with zero overshoot and liveness ≥ 0.95. */
  readonly highestHeldPerMinute: number;
}

export interface SustainedResults {
  readonly quick: boolean;
  readonly runs: readonly SustainedRun[];
  readonly headroom: readonly HeadroomResult[];
}
