/**
 * The bench results file (`bench-results/latest.json`): what `bench/main.ts` writes, what the HTML
 * report and the CI verdict read. Suites that were not selected are absent.
 */
import type { MicroResult } from '../micro.js';
import type { ThreadResult } from '../threads.js';
import type { RedisResults } from '../redis.js';
import type { LatencyResults } from '../latency.js';
import type { SustainedResults } from '../sustained/types.js';

export const SUITES = ['micro', 'threads', 'latency', 'redis', 'planning', 'sustained', 'headroom'] as const;
export type SuiteName = (typeof SUITES)[number];
/** What runs when no `--suite` is given (headroom is long: `--headroom` adds it). */
export const DEFAULT_SUITES: readonly SuiteName[] = ['micro', 'threads', 'latency', 'redis', 'planning', 'sustained'];

export interface MachineDetails {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  /** e.g. `Linux 6.1.0 (Debian GNU/Linux 12 (bookworm)) x64`. */
  readonly os: string;
  /** 1-, 5- and 15-minute load averages when the bench started (a busy machine makes noisy figures). */
  readonly loadAverage: readonly number[];
  /** `redis-server --version`'s version, or null when no redis-server is on the PATH. */
  readonly redisServer: string | null;
  /** The sluice version (package.json) and, when run from a git checkout of sluice, its commit. */
  readonly sluiceVersion: string | null;
  readonly gitCommit: string | null;
}

export interface SuiteError {
  readonly suite: SuiteName;
  readonly message: string;
}

export interface BenchResults {
  readonly schema: 1;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly wallMs: number;
  readonly quick: boolean;
  readonly suites: readonly SuiteName[];
  /** How long each suite took, ms. */
  readonly suiteMs: Readonly<Partial<Record<SuiteName, number>>>;
  /** The command line, to repeat the run. */
  readonly command: string;
  readonly machine: MachineDetails;
  readonly micro?: readonly MicroResult[];
  readonly threads?: readonly ThreadResult[];
  readonly latency?: LatencyResults;
  readonly redis?: RedisResults;
  /** The planning suite's result as it returned it (rendered generically: rows of figures). */
  readonly planning?: unknown;
  /** Sustained runs, peers and (with `--headroom`) the headroom search. */
  readonly sustained?: SustainedResults;
  /** Suites that threw: a suite that did not finish proves nothing, so the verdict fails. */
  readonly errors: readonly SuiteError[];
}
