/**
 * The workload of a sustained run, generated the same way in every process from its spec: which
 * message is offered when, to whom, from which number. Also the two policies of a run: the
 * platform's limits (what the arrivals at the mock sender are checked against, and what peers are
 * configured with) and sluice's own policy, which keeps the playbook's headroom under them.
 */
import { validatePolicy, type Category, type Message, type Policy } from '../../src/index.js';

export interface WorkloadSpec {
  /** Headline budget: messages per `windowMs` for the whole account (portfolio). */
  readonly budget: number;
  readonly windowMs: number;
  /** Run length, from the common start instant. */
  readonly durationMs: number;
  /**
   * Offered load: `trickleShare` of the budget rate until `floodAtMs`, then `floodShare` of it.
   * A quiet start then a flood is what a campaign launch looks like, and it is the pattern that
   * shows whether a limiter bounds every sliding window or only its own buckets.
   */
  readonly trickleShare: number;
  readonly floodShare: number;
  readonly floodAtMs: number;
  /** Sending numbers of the pool (round robin) and the platform's per-number rate per second. */
  readonly numbers: number;
  readonly numberPerSecond: number;
  /** Distinct recipients the messages cycle through. */
  readonly recipients: number;
  /**
   * Share of the account budget sluice is configured with (default ACCOUNT_HEADROOM). What it
   * leaves, budget × (1 − share), is how many messages arrival jitter may bunch into one window.
   */
  readonly accountHeadroom?: number;
}

export const PORTFOLIO = 'bench';
const ZONES = ['Europe/London', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'] as const;
/** The platform's pair rate: about one message per 6 s from one number to one user. */
export const PAIR_SPACING_MS = 6_000;
/** Sluice's pair spacing: the platform's plus 1 s, so arrival jitter cannot bring two closer. */
const SLUICE_PAIR_SPACING_MS = 7_000;
export const RECIPIENT_DAILY = 5;
/**
 * Sluice runs at 98% of the account budget and 90% of each number's rate (DOMAIN.md: keep
 * headroom). The budgets hold exactly on the committed slots; the headroom absorbs the jitter
 * between a slot and the request's arrival (timers, the event loop, loopback HTTP).
 */
export const ACCOUNT_HEADROOM = 0.98;
export const NUMBER_HEADROOM = 0.9;
/**
 * Burst of sluice's per-number rate. Sender processes commit their ticks in whatever order they
 * reach the store; with burst 1 a number cannot take two messages back to back, so a late tick
 * that puts two of one number's messages side by side skips the account slot between them, and a
 * GCRA never gives a skipped slot back (measured: liveness 85% in a replay, 93% in the Redis run).
 * Burst 2 lets the second one take that slot. It stays under the platform: at most
 * floor(0.9 × rate) + 1 in any second, which is ≤ the rate for every rate ≥ 10 per second.
 */
export const NUMBER_BURST = 2;

export interface OfferedMessage {
  readonly index: number;
  /** Offset from the run's start at which the message is offered. */
  readonly offerAtMs: number;
  readonly message: Message;
}

/** Offer instants (offsets from start) of every message, in order. */
export function offerTimes(spec: WorkloadSpec): Float64Array {
  const ratePerMs = spec.budget / spec.windowMs;
  const trickle = Math.floor(spec.floodAtMs * ratePerMs * spec.trickleShare);
  const flood = Math.floor((spec.durationMs - spec.floodAtMs) * ratePerMs * spec.floodShare);
  const out = new Float64Array(trickle + flood);
  for (let i = 0; i < trickle; i++) out[i] = i / (ratePerMs * spec.trickleShare);
  for (let i = 0; i < flood; i++) out[trickle + i] = spec.floodAtMs + i / (ratePerMs * spec.floodShare);
  return out;
}

export function numberName(k: number): string {
  return `n${k + 1}`;
}

/** Message `index` of run `run`: recipients visited in a stride so repeats are far apart. */
export function messageAt(spec: WorkloadSpec, run: string, index: number): Message {
  const r = (index * 7919) % spec.recipients;
  const category: Category = index % 10 === 0 ? 'utility' : 'marketing';
  return {
    id: `${run}-${index}`,
    to: `+4477${String(10_000_000 + r).slice(-8)}`,
    from: numberName(index % spec.numbers),
    portfolio: PORTFOLIO,
    category,
    campaign: run,
    timeZone: ZONES[r % ZONES.length] as string,
  };
}

/** The platform's limits: the arrivals of every run, sluice and peers, are checked against these. */
export function platformPolicy(spec: WorkloadSpec): Policy {
  return validatePolicy({
    name: 'platform',
    limits: [
      { name: 'account-window', kind: 'window', scope: 'portfolio', count: spec.budget, windowMs: spec.windowMs },
      { name: 'number-per-second', kind: 'window', scope: 'number', count: spec.numberPerSecond, windowMs: 1_000 },
      { name: 'pair-spacing', kind: 'window', scope: 'pair', count: 1, windowMs: PAIR_SPACING_MS },
      { name: 'recipient-daily', kind: 'daily', scope: 'recipient', count: RECIPIENT_DAILY },
    ],
    sendWindows: [],
    defaultTimeZone: 'UTC',
  });
}

/** Sluice's policy for the run: evenly paced at the headroom under each platform limit. */
export function sluicePolicy(spec: WorkloadSpec): Policy {
  return validatePolicy({
    name: 'sluice-sustained',
    limits: [
      { name: 'account-rate', kind: 'rate', scope: 'portfolio', count: Math.floor(spec.budget * (spec.accountHeadroom ?? ACCOUNT_HEADROOM)), periodMs: spec.windowMs, burst: 1 },
      { name: 'number-rate', kind: 'rate', scope: 'number', count: Math.floor(spec.numberPerSecond * NUMBER_HEADROOM), periodMs: 1_000, burst: NUMBER_BURST },
      { name: 'pair-spacing', kind: 'rate', scope: 'pair', count: 1, periodMs: SLUICE_PAIR_SPACING_MS, burst: 1 },
      { name: 'recipient-daily', kind: 'daily', scope: 'recipient', count: RECIPIENT_DAILY },
    ],
    sendWindows: [],
    defaultTimeZone: 'UTC',
  });
}

/** Numbers a pool needs so that `perMinute` fits under the per-number rate with headroom. */
export function numbersFor(perMinute: number, numberPerSecond: number): number {
  return Math.max(1, Math.ceil(perMinute / 60 / (numberPerSecond * NUMBER_HEADROOM * 0.8)));
}
