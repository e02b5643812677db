/**
 * Independent invariant checker (DESIGN.md §4.1 "no overshoot", plus unique ids) over a ledger
 * of committed sends.
 *
 * Independence is the point: only *types* come from `src/core/`. Keys, local days and local
 * times are re-derived here with deliberately plain code, so a bug in the core's math or
 * calendar cannot be mirrored by the checker. Speed target: ~1M entries in a few seconds, so
 * every rule is a sort (done once for the whole ledger) plus linear sweeps per key.
 *
 * What is checked, per limit rule and per key (the rule's scope value, always inside one
 * portfolio; campaign/apiKey rules skip entries without that field):
 * - rate:     for sends sorted by time and every i <= j,
 *             cost(i..j) * periodMs < (t_j - t_i + 1) * count + burst * periodMs
 *             (GCRA on exact virtual arrivals, each sent at the next whole millisecond; this
 *             implies at most count + burst - 1 in every half-open window of periodMs)
 * - window:   every half-open [s, s + windowMs) holds total cost <= count
 * - daily:    every local calendar day (entry.timeZone) holds total cost <= count
 * - distinct: charges (a send charges unless its recipient has a charge c with
 *             t - windowMs < c <= t) number <= count in every half-open window
 * - batch:    every run of sends less than gapMs apart holds total cost <= size
 * plus send windows (local wall-clock time inside an allowed interval) and duplicate ids.
 */
import { ValidationError } from '../errors.js';
import type {
  BatchRule,
  Category,
  DailyRule,
  DistinctRule,
  LimitKind,
  LimitRule,
  LocalTimeWindow,
  Millis,
  Policy,
  RateRule,
  Scope,
  SendWindowRule,
  WindowRule,
} from '../core/types.js';
import { assertLedgerRecord, maskNumber, maskSecret, type LedgerEntry } from './ledger.js';
import {
  dateLabel,
  dayOf,
  msOfDay,
  wallClock,
  wallLabel,
  weekdayLabel,
  weekdayOf,
} from './localtime.js';

export type ViolationKind = 'rate' | 'window' | 'daily' | 'distinct' | 'batch' | 'send-window' | 'duplicate-id';

export interface Violation {
  readonly kind: ViolationKind;
  /** The policy rule's name (`duplicate-id` for duplicate ids). */
  readonly rule: string;
  /** The counted key, masked: `portfolio/scope value` (numbers masked), `@date` for daily. */
  readonly key: string;
  /** Human-readable, never a full phone number. */
  readonly detail: string;
  /** The instant of the send that made the overshoot (the second occurrence for duplicates). */
  readonly at: Millis;
  /** Ids of the sends involved (for long spans: the first 10 and the last 10). */
  readonly ids: readonly string[];
}

export interface Peak {
  readonly rule: string;
  readonly kind: LimitKind;
  /** The largest load seen on any key (rate: the most cost in any half-open period). */
  readonly observed: number;
  /** The most a conforming schedule can reach (rate: count + burst - 1; batch: size; others: count). */
  readonly budget: number;
  /** The (masked) key where `observed` was first reached; '' when the rule matched nothing. */
  readonly key: string;
}

export interface CheckReport {
  /** False whenever any violation exists, even if `violations` was cut at `maxViolations`. */
  readonly ok: boolean;
  readonly entries: number;
  /** Sorted by `at` (then kind, rule, key); at most `maxViolations`. */
  readonly violations: readonly Violation[];
  /** per rule: the maximum observed load vs budget */
  readonly peaks: readonly Peak[];
}

export interface CheckOptions {
  /** Cap on reported violations (default 100; `Infinity` for all). Does not affect `ok`. */
  readonly maxViolations?: number;
}

const DEFAULT_MAX_VIOLATIONS = 100;
/** A long span reports its first and last ids only. */
const IDS_EACH_END = 10;

export function checkLedger(policy: Policy, ledger: readonly LedgerEntry[], options: CheckOptions = {}): CheckReport {
  const maxViolations = options.maxViolations ?? DEFAULT_MAX_VIOLATIONS;
  if (!(maxViolations === Infinity || (Number.isSafeInteger(maxViolations) && maxViolations >= 0))) {
    throw new ValidationError('options.maxViolations', 'a non-negative integer or Infinity', maxViolations);
  }
  checkPolicyShape(policy);
  const sendWindows = policy.sendWindows.map((w, k) => parseSendWindow(w, `policy.sendWindows[${k}]`));
  for (let i = 0; i < ledger.length; i++) assertLedgerRecord(ledger[i], `ledger[${i}]`);

  const ctx = new Context(ledger, maxViolations);
  checkDuplicateIds(ctx);
  const peaks: Peak[] = [];
  for (const rule of policy.limits) {
    const peak = new PeakTracker();
    const sink: Sink = (v) => ctx.report(v);
    forEachGroup(ctx, rule, (g) => {
      switch (rule.kind) {
        case 'rate':
          checkRate(ctx, rule, g, sink, peak);
          break;
        case 'window':
          checkWindow(ctx, rule, g, sink, peak);
          break;
        case 'daily':
          checkDaily(ctx, rule, g, sink, peak);
          break;
        case 'distinct':
          checkDistinct(ctx, rule, g, sink, peak);
          break;
        case 'batch':
          checkBatch(ctx, rule, g, sink, peak);
          break;
      }
    });
    peaks.push({ rule: rule.name, kind: rule.kind, observed: peak.observed, budget: budgetOf(rule), key: peak.key });
  }
  for (const w of sendWindows) checkSendWindow(ctx, w);

  return { ok: ctx.total === 0, entries: ledger.length, violations: ctx.firstViolations(), peaks };
}

/* ------------------------------------------------------------------------------------------ */
/* Shared state                                                                                */

class Context {
  readonly ledger: readonly LedgerEntry[];
  readonly maxViolations: number;
  /** Ledger positions sorted by (sendAt, position): every per-key list inherits this order. */
  readonly order: number[];
  /** Every entry's key per scope. */
  readonly keys: ScopeKeys;
  /** Local wall clock per entry, computed on first use (NaN = not yet). */
  private readonly walls: Float64Array;
  /** Every violation found, counted even when not kept. */
  total = 0;
  /** Candidates for the report; never more than ~2 × maxViolations (see `report`). */
  private kept: Violation[] = [];

  constructor(ledger: readonly LedgerEntry[], maxViolations: number) {
    this.ledger = ledger;
    this.maxViolations = maxViolations;
    const order = Array.from({ length: ledger.length }, (_, i) => i);
    const t = new Float64Array(ledger.length);
    for (let i = 0; i < ledger.length; i++) t[i] = (ledger[i] as LedgerEntry).sendAt;
    order.sort((a, b) => (t[a] as number) - (t[b] as number) || a - b);
    this.order = order;
    this.keys = new ScopeKeys(ledger);
    this.walls = new Float64Array(ledger.length).fill(Number.NaN);
  }

  entry(i: number): LedgerEntry {
    return this.ledger[i] as LedgerEntry;
  }

  wall(i: number): number {
    let w = this.walls[i] as number;
    if (Number.isNaN(w)) {
      const e = this.entry(i);
      w = wallClock(e.timeZone, e.sendAt);
      this.walls[i] = w;
    }
    return w;
  }

  /**
   * Records a violation. Memory stays bounded on a badly broken ledger: when the buffer grows
   * past twice the cap it is cut back to the `maxViolations` first (by `compareViolations`);
   * whatever is cut can never be among the final first `maxViolations`.
   */
  report(v: Violation): void {
    this.total++;
    if (this.maxViolations === 0) return;
    this.kept.push(v);
    if (this.kept.length >= 2 * this.maxViolations + 1024) this.compact();
  }

  firstViolations(): Violation[] {
    this.compact();
    return this.kept;
  }

  private compact(): void {
    this.kept.sort(compareViolations);
    if (this.kept.length > this.maxViolations) this.kept.length = this.maxViolations;
  }

  /** Ids of ledger positions `idx[from..to]` (inclusive), shortened for long spans. */
  ids(idx: readonly number[], from: number, to: number): string[] {
    const out: string[] = [];
    const n = to - from + 1;
    if (n <= 2 * IDS_EACH_END) {
      for (let k = from; k <= to; k++) out.push(this.entry(idx[k] as number).id);
    } else {
      for (let k = from; k < from + IDS_EACH_END; k++) out.push(this.entry(idx[k] as number).id);
      for (let k = to - IDS_EACH_END + 1; k <= to; k++) out.push(this.entry(idx[k] as number).id);
    }
    return out;
  }
}

type Sink = (v: Violation) => void;

class PeakTracker {
  observed = 0;
  key = '';
  /** Whether `value` would become the new peak (so callers build a key only then). */
  beats(value: number): boolean {
    return value > this.observed;
  }
  see(value: number, key: string): void {
    if (value > this.observed) {
      this.observed = value;
      this.key = key;
    }
  }
}

function budgetOf(rule: LimitRule): number {
  switch (rule.kind) {
    case 'rate':
      return rule.count + rule.burst - 1;
    case 'batch':
      return rule.size;
    default:
      return rule.count;
  }
}

const KIND_ORDER: readonly ViolationKind[] = ['duplicate-id', 'rate', 'window', 'daily', 'distinct', 'batch', 'send-window'];

function compareViolations(a: Violation, b: Violation): number {
  if (a.at !== b.at) return a.at - b.at;
  if (a.kind !== b.kind) return KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind);
  if (a.rule !== b.rule) return a.rule < b.rule ? -1 : 1;
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  return 0;
}

function iso(t: number): string {
  return new Date(t).toISOString();
}

/* ------------------------------------------------------------------------------------------ */
/* Keys                                                                                        */

/**
 * One key's sends while its rule is checked. A rule's groups are checked one after another, so
 * one Group is refilled for each (see forEachGroup): the checks keep nothing of it past their
 * call but strings and their own arrays.
 */
class Group {
  /** Ledger positions, in (sendAt, position) order. */
  readonly idx: number[] = [];
  #scope: Scope = 'portfolio';
  #first: LedgerEntry | null = null;
  #display: string | null = null;

  refill(scope: Scope, first: LedgerEntry, positions: Int32Array, from: number, to: number): void {
    this.#scope = scope;
    this.#first = first;
    this.#display = null;
    const idx = this.idx;
    idx.length = 0;
    for (let k = from; k < to; k++) idx.push(positions[k] as number);
  }

  /** Masked, for reports; built on first use (most keys of a big ledger never need it). */
  get display(): string {
    return (this.#display ??= displayKey(this.#scope, this.#first as LedgerEntry));
  }
}

/** Dense ids (0..count-1) per ledger position, -1 where the entry has no such value. */
interface DenseIds {
  readonly ids: Int32Array;
  readonly count: number;
}

type KeyField = 'portfolio' | 'from' | 'to' | 'campaign' | 'apiKey';

/** The field that, with the portfolio, makes a scope's key (pair: the number's key and `to`). */
const SCOPE_FIELD: Readonly<Record<Exclude<Scope, 'portfolio' | 'pair'>, KeyField>> = { number: 'from', recipient: 'to', campaign: 'campaign', apiKey: 'apiKey' };

/** Ids for the keys of positions 0..n-1 in order of first appearance; -1 where there is none. */
function denseIds<K>(n: number, keyAt: (i: number) => K | undefined): DenseIds {
  const ids = new Int32Array(n);
  const seen = new Map<K, number>();
  for (let i = 0; i < n; i++) {
    const key = keyAt(i);
    if (key === undefined) {
      ids[i] = -1;
      continue;
    }
    let id = seen.get(key);
    if (id === undefined) {
      id = seen.size;
      seen.set(key, id);
    }
    ids[i] = id;
  }
  return { ids, count: seen.size };
}

/**
 * Ids of one field's values: equal strings get equal ids. The entries' own strings are looked up
 * (their hashes are cached by the engine), so no key string is built per send.
 */
function fieldIds(ledger: readonly LedgerEntry[], field: KeyField): DenseIds {
  return denseIds(ledger.length, (i) => (ledger[i] as LedgerEntry)[field]);
}

/** Ids of the pairs (a, b): equal pairs get equal ids; -1 where either part is missing. */
function pairIds(a: DenseIds, b: DenseIds): DenseIds {
  // One value of `a` on every entry (one portfolio, the usual ledger): the pairs are b's values.
  if (a.count === 1 && !a.ids.includes(-1)) return b;
  // a * b.count + b is one exact integer per pair while the product of the counts stays below
  // 2^53 (a ledger would need ~95 M distinct values in both parts to reach it).
  if (a.count * b.count > Number.MAX_SAFE_INTEGER) throw new RangeError('checkLedger: too many distinct keys to number exactly');
  return denseIds(a.ids.length, (i) => {
    const x = a.ids[i] as number;
    const y = b.ids[i] as number;
    return x < 0 || y < 0 ? undefined : x * b.count + y;
  });
}

/**
 * The key of every entry in `scope` (always inside its portfolio), as dense ids: two entries
 * share a key exactly when they share the scope's fields. Memoised per scope and field, since
 * several rules usually share a scope.
 */
class ScopeKeys {
  readonly #ledger: readonly LedgerEntry[];
  readonly #fields = new Map<KeyField, DenseIds>();
  readonly #scopes = new Map<Scope, DenseIds>();

  constructor(ledger: readonly LedgerEntry[]) {
    this.#ledger = ledger;
  }

  of(scope: Scope): DenseIds {
    let keys = this.#scopes.get(scope);
    if (keys === undefined) {
      const portfolio = this.#field('portfolio');
      if (scope === 'portfolio') keys = portfolio;
      else if (scope === 'pair') keys = pairIds(this.of('number'), this.#field('to'));
      else keys = pairIds(portfolio, this.#field(SCOPE_FIELD[scope]));
      this.#scopes.set(scope, keys);
    }
    return keys;
  }

  #field(field: KeyField): DenseIds {
    let ids = this.#fields.get(field);
    if (ids === undefined) {
      ids = fieldIds(this.#ledger, field);
      this.#fields.set(field, ids);
    }
    return ids;
  }
}

function displayKey(scope: Scope, e: LedgerEntry): string {
  switch (scope) {
    case 'number':
      return `${e.portfolio}/${maskNumber(e.from)}`;
    case 'pair':
      return `${e.portfolio}/${maskNumber(e.from)}>${maskNumber(e.to)}`;
    case 'recipient':
      return `${e.portfolio}/${maskNumber(e.to)}`;
    case 'portfolio':
      return e.portfolio;
    case 'campaign':
      return `${e.portfolio}/campaign:${e.campaign ?? ''}`;
    case 'apiKey':
      return `${e.portfolio}/apiKey:${maskSecret(e.apiKey ?? '')}`;
  }
}

/**
 * Calls `check` with each key's sends under `rule`, keys in order of their first send (by time,
 * then ledger position). The sends are bucketed by key in two passes over typed arrays (a
 * counting sort), so a ledger of a million one-send keys makes no object per key.
 */
function forEachGroup(ctx: Context, rule: LimitRule, check: (g: Group) => void): void {
  const cats: ReadonlySet<Category> | null = rule.categories === undefined ? null : new Set(rule.categories);
  const { ids, count } = ctx.keys.of(rule.scope);
  const order = ctx.order;
  // rank: a key's place in order of first send (-1: no send yet); first: that send per rank.
  const rank = new Int32Array(count).fill(-1);
  const first = new Int32Array(count);
  const sizes = new Int32Array(count + 1);
  const included = new Uint8Array(order.length);
  let ranked = 0;
  for (let o = 0; o < order.length; o++) {
    const i = order[o] as number;
    const key = ids[i] as number;
    if (key < 0) continue;
    if (cats !== null && !cats.has(ctx.entry(i).category)) continue;
    included[o] = 1;
    let r = rank[key] as number;
    if (r < 0) {
      r = ranked++;
      rank[key] = r;
      first[r] = i;
    }
    sizes[r + 1] = (sizes[r + 1] as number) + 1;
  }
  // sizes becomes the start of each rank's run in `positions`.
  for (let r = 0; r < ranked; r++) sizes[r + 1] = (sizes[r + 1] as number) + (sizes[r] as number);
  const positions = new Int32Array(sizes[ranked] as number);
  const next = sizes.slice(0, ranked);
  for (let o = 0; o < order.length; o++) {
    if (included[o] === 0) continue;
    const i = order[o] as number;
    const r = rank[ids[i] as number] as number;
    const at = next[r] as number;
    positions[at] = i;
    next[r] = at + 1;
  }
  const g = new Group();
  for (let r = 0; r < ranked; r++) {
    g.refill(rule.scope, ctx.entry(first[r] as number), positions, sizes[r] as number, sizes[r + 1] as number);
    check(g);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Sliding windows and episodes                                                               */

/**
 * For each right end j of sorted `times`, the total weight of the sends in (t_j - w, t_j] up
 * to j. Every half-open window [s, s + w) is covered: if its latest send is at t_j, all its
 * sends lie in (t_j - w, t_j], which itself is the window [t_j - w + 1, t_j + 1). Sends tied
 * at t_j are all counted by the last of them, so ties cannot hide an overshoot.
 */
function slidingSums(
  times: ArrayLike<number>,
  weights: ArrayLike<number>,
  w: number,
  visit: (j: number, lo: number, sum: number) => void,
): void {
  let lo = 0;
  let sum = 0;
  for (let j = 0; j < times.length; j++) {
    sum += weights[j] as number;
    const edge = (times[j] as number) - w;
    while ((times[lo] as number) <= edge) {
      sum -= weights[lo] as number;
      lo++;
    }
    visit(j, lo, sum);
  }
}

/**
 * Collapses consecutive offending right ends into one violation, so one overshoot is one
 * report, not one per later send. The first offending right end is reported; the detail says
 * how long it lasted and how far it went.
 */
class Episodes {
  private open: { j: number; lo: number; value: number; detail: string; span: number; worst: number; lastAt: number } | null =
    null;
  constructor(
    private readonly ctx: Context,
    private readonly base: { kind: ViolationKind; rule: string; keyOf: { readonly display: string } },
    private readonly idx: readonly number[],
    private readonly times: ArrayLike<number>,
    private readonly sink: Sink,
  ) {}

  bad(j: number, lo: number, value: number, detail: () => string): void {
    const at = this.times[j] as number;
    if (this.open === null) {
      this.open = { j, lo, value, detail: detail(), span: 1, worst: value, lastAt: at };
    } else {
      this.open.span++;
      this.open.worst = Math.max(this.open.worst, value);
      this.open.lastAt = at;
    }
  }

  good(): void {
    const o = this.open;
    if (o === null) return;
    this.open = null;
    const tail =
      o.span > 1 ? `; still over for ${o.span - 1} more send(s), until ${iso(o.lastAt)}, reaching ${o.worst}` : '';
    this.sink({
      kind: this.base.kind,
      rule: this.base.rule,
      key: this.base.keyOf.display,
      detail: o.detail + tail,
      at: this.times[o.j] as number,
      ids: this.ctx.ids(this.idx, o.lo, o.j),
    });
  }
}

function timesOf(ctx: Context, idx: readonly number[]): Float64Array {
  const out = new Float64Array(idx.length);
  for (let k = 0; k < idx.length; k++) out[k] = ctx.entry(idx[k] as number).sendAt;
  return out;
}

function costsOf(ctx: Context, idx: readonly number[]): Float64Array {
  const out = new Float64Array(idx.length);
  for (let k = 0; k < idx.length; k++) out[k] = ctx.entry(idx[k] as number).cost;
  return out;
}

/* ------------------------------------------------------------------------------------------ */
/* rate                                                                                        */

/**
 * GCRA conformance of whole-millisecond sends: for every i <= j (sorted by time),
 *   (P[j+1] - P[i]) * period < (t_j - t_i + 1) * count + burst * period,   P = prefix sums of cost.
 * A store keeps exact (fractional) virtual arrivals v and sends at ceil(v), so t_j - t_i can be up
 * to 1 ms short of v_j - v_i: that millisecond is the slack. With t_j - t_i <= period - 1 inside a
 * half-open window it still gives cost < count + burst, i.e. at most count + burst - 1.
 * Rearranged: P[j+1]*period - t_j*count - count - burst*period < P[i]*period - t_i*count =: A[i],
 * so a running minimum of A over i <= j decides every pair in O(1) per j. Times are taken
 * relative to the key's first send so the products stay small; if they could still pass
 * 2^53 the same scan runs in BigInt.
 */
function checkRate(ctx: Context, rule: RateRule, g: Group, sink: Sink, peak: PeakTracker): void {
  const times = timesOf(ctx, g.idx);
  const costs = costsOf(ctx, g.idx);
  const n = times.length;
  const t0 = times[0] as number;
  // prefix[k] = cost of sends 0..k-1, for O(1) span sums in reports.
  const prefix = new Float64Array(n + 1);
  for (let j = 0; j < n; j++) prefix[j + 1] = (prefix[j] as number) + (costs[j] as number);
  const total = prefix[n] as number;
  const span = (times[n - 1] as number) - t0;
  const bound = Number.MAX_SAFE_INTEGER / 4;
  const safe = total * rule.periodMs <= bound && span * rule.count <= bound && rule.burst * rule.periodMs <= bound;

  const ep = new Episodes(ctx, { kind: 'rate', rule: rule.name, keyOf: g }, g.idx, times, sink);
  const onRightEnd = (j: number, argmin: number, bad: boolean): void => {
    if (!bad) {
      ep.good();
      return;
    }
    const sum = (prefix[j + 1] as number) - (prefix[argmin] as number);
    const ti = times[argmin] as number;
    const tj = times[j] as number;
    ep.bad(j, argmin, sum, () => {
      const allowed = Math.ceil(((tj - ti + 1) * rule.count + rule.burst * rule.periodMs) / rule.periodMs) - 1;
      return (
        `${sum} cost units from ${iso(ti)} to ${iso(tj)} (${tj - ti} ms apart); ` +
        `${rule.count} per ${rule.periodMs} ms with burst ${rule.burst} allows at most ${allowed}`
      );
    });
  };
  if (safe) rateScanNumber(times, costs, rule, onRightEnd);
  else rateScanBigInt(times, costs, rule, onRightEnd);
  ep.good();

  slidingSums(times, costs, rule.periodMs, (_j, _lo, sum) => {
    if (peak.beats(sum)) peak.see(sum, g.display);
  });
}

type RightEnd = (j: number, argmin: number, bad: boolean) => void;

function rateScanNumber(times: Float64Array, costs: Float64Array, rule: RateRule, visit: RightEnd): void {
  const t0 = times[0] as number;
  const { count, periodMs: period, burst } = rule;
  let prefix = 0; // P[j]: cost of sends before j
  let minA = Infinity;
  let argmin = -1;
  for (let j = 0; j < times.length; j++) {
    const rel = (times[j] as number) - t0;
    const a = prefix * period - rel * count;
    if (a < minA) {
      minA = a;
      argmin = j;
    }
    prefix += costs[j] as number;
    const lhs = prefix * period - rel * count - count - burst * period;
    visit(j, argmin, lhs >= minA);
  }
}

function rateScanBigInt(times: Float64Array, costs: Float64Array, rule: RateRule, visit: RightEnd): void {
  const t0 = times[0] as number;
  const count = BigInt(rule.count);
  const period = BigInt(rule.periodMs);
  const burst = BigInt(rule.burst);
  let prefix = 0n;
  let minA: bigint | null = null;
  let argmin = -1;
  for (let j = 0; j < times.length; j++) {
    const rel = BigInt((times[j] as number) - t0);
    const a = prefix * period - rel * count;
    if (minA === null || a < minA) {
      minA = a;
      argmin = j;
    }
    prefix += BigInt(costs[j] as number);
    const lhs = prefix * period - rel * count - count - burst * period;
    visit(j, argmin, lhs >= minA);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* window                                                                                      */

function checkWindow(ctx: Context, rule: WindowRule, g: Group, sink: Sink, peak: PeakTracker): void {
  const times = timesOf(ctx, g.idx);
  const costs = costsOf(ctx, g.idx);
  const ep = new Episodes(ctx, { kind: 'window', rule: rule.name, keyOf: g }, g.idx, times, sink);
  slidingSums(times, costs, rule.windowMs, (j, lo, sum) => {
    if (peak.beats(sum)) peak.see(sum, g.display);
    if (sum <= rule.count) {
      ep.good();
      return;
    }
    const tj = times[j] as number;
    ep.bad(j, lo, sum, () => `${sum} cost units in [${iso(tj - rule.windowMs + 1)}, ${iso(tj + 1)}) > ${rule.count}`);
  });
  ep.good();
}

/* ------------------------------------------------------------------------------------------ */
/* daily                                                                                       */

/**
 * Per key and per local calendar date of each send in its own `timeZone`. Sends of one key in
 * different zones that fall on the same local date label share that date's count (the key's
 * counter is named by the date), which is the stricter reading.
 */
function checkDaily(ctx: Context, rule: DailyRule, g: Group, sink: Sink, peak: PeakTracker): void {
  // No local day can hold more than the key's whole total: a total within the cap and below the
  // peak so far can neither overshoot nor raise the peak.
  let total = 0;
  for (const i of g.idx) total += ctx.entry(i).cost;
  if (total <= rule.count && !peak.beats(total)) return;
  const days = new Map<number, { sum: number; idx: number[]; overAt: number; zones: Set<string> }>();
  for (const i of g.idx) {
    const e = ctx.entry(i);
    const day = dayOf(ctx.wall(i));
    let d = days.get(day);
    if (d === undefined) {
      d = { sum: 0, idx: [], overAt: -1, zones: new Set() };
      days.set(day, d);
    }
    d.sum += e.cost;
    d.idx.push(i);
    d.zones.add(e.timeZone);
    if (d.sum > rule.count && d.overAt < 0) d.overAt = d.idx.length - 1;
  }
  for (const [day, d] of days) {
    if (d.overAt < 0 && !peak.beats(d.sum)) continue;
    const key = `${g.display}@${dateLabel(day)}`;
    peak.see(d.sum, key);
    if (d.overAt < 0) continue;
    const zones = [...d.zones];
    const zoneText = zones.slice(0, 3).join(', ') + (zones.length > 3 ? ', …' : '');
    sink({
      kind: 'daily',
      rule: rule.name,
      key,
      detail: `${d.sum} cost units on local day ${dateLabel(day)} (${zoneText}) > ${rule.count}`,
      at: ctx.entry(d.idx[d.overAt] as number).sendAt,
      ids: ctx.ids(d.idx, 0, d.overAt),
    });
  }
}

/* ------------------------------------------------------------------------------------------ */
/* distinct                                                                                    */

function checkDistinct(ctx: Context, rule: DistinctRule, g: Group, sink: Sink, peak: PeakTracker): void {
  // Charges, decided greedily in time order per recipient: the latest charge is the only one
  // that can lie in (t - windowMs, t], since charges of one recipient only move forward.
  const lastCharge = new Map<string, number>();
  const charged: number[] = [];
  for (const i of g.idx) {
    const e = ctx.entry(i);
    const c = lastCharge.get(e.to);
    if (c !== undefined && e.sendAt - rule.windowMs < c) continue;
    lastCharge.set(e.to, e.sendAt);
    charged.push(i);
  }
  const times = timesOf(ctx, charged);
  const ones = new Float64Array(charged.length).fill(1);
  const ep = new Episodes(ctx, { kind: 'distinct', rule: rule.name, keyOf: g }, charged, times, sink);
  slidingSums(times, ones, rule.windowMs, (j, lo, n) => {
    if (peak.beats(n)) peak.see(n, g.display);
    if (n <= rule.count) {
      ep.good();
      return;
    }
    const tj = times[j] as number;
    ep.bad(
      j,
      lo,
      n,
      () => `${n} recipients charged in [${iso(tj - rule.windowMs + 1)}, ${iso(tj + 1)}) > ${rule.count}`,
    );
  });
  ep.good();
}

/* ------------------------------------------------------------------------------------------ */
/* batch                                                                                       */

function checkBatch(ctx: Context, rule: BatchRule, g: Group, sink: Sink, peak: PeakTracker): void {
  const idx = g.idx;
  let start = 0;
  while (start < idx.length) {
    // A run: extend while the next send is less than gapMs after the previous one.
    let end = start;
    let sum = ctx.entry(idx[start] as number).cost;
    let overAt = sum > rule.size ? start : -1;
    while (
      end + 1 < idx.length &&
      ctx.entry(idx[end + 1] as number).sendAt - ctx.entry(idx[end] as number).sendAt < rule.gapMs
    ) {
      end++;
      sum += ctx.entry(idx[end] as number).cost;
      if (overAt < 0 && sum > rule.size) overAt = end;
    }
    if (peak.beats(sum)) peak.see(sum, g.display);
    if (overAt >= 0) {
      const first = ctx.entry(idx[start] as number).sendAt;
      const last = ctx.entry(idx[end] as number).sendAt;
      sink({
        kind: 'batch',
        rule: rule.name,
        key: g.display,
        detail:
          `run of ${end - start + 1} sends (${sum} cost units) from ${iso(first)} to ${iso(last)} ` +
          `with gaps < ${rule.gapMs} ms > size ${rule.size}`,
        at: ctx.entry(idx[overAt] as number).sendAt,
        ids: ctx.ids(idx, start, end),
      });
    }
    start = end + 1;
  }
}

/* ------------------------------------------------------------------------------------------ */
/* send windows                                                                                */

interface Interval {
  readonly from: number;
  readonly to: number;
  /** to <= from: the interval ends on the next local day. */
  readonly crossing: boolean;
  /** Local weekdays (0 = Sunday) on which the interval starts; null = every day. */
  readonly days: ReadonlySet<number> | null;
  readonly label: string;
}

interface ParsedSendWindow {
  readonly name: string;
  readonly categories: ReadonlySet<Category>;
  readonly intervals: readonly Interval[];
}

const WEEKDAY_NUMBER: Readonly<Record<string, number>> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

/** `HH:MM` → ms since midnight; `24:00` only where `allow24` (an interval's end). */
function parseClock(s: unknown, field: string, allow24: boolean): number {
  const m = typeof s === 'string' ? /^(\d\d):(\d\d)$/.exec(s) : null;
  const h = m === null ? NaN : Number(m[1]);
  const mi = m === null ? NaN : Number(m[2]);
  const ok = (h <= 23 && mi <= 59) || (allow24 && h === 24 && mi === 0);
  if (!ok) throw new ValidationError(field, allow24 ? 'HH:MM from 00:00 to 24:00' : 'HH:MM from 00:00 to 23:59', s);
  return (h * 60 + mi) * 60_000;
}

function parseSendWindow(w: SendWindowRule, where: string): ParsedSendWindow {
  if (typeof w.name !== 'string' || w.name === '') throw new ValidationError(`${where}.name`, 'a non-empty string', w.name);
  checkCategories(w.categories, `${where}.categories`, false);
  if (!Array.isArray(w.allowed)) throw new ValidationError(`${where}.allowed`, 'an array', w.allowed);
  const intervals = w.allowed.map((a: LocalTimeWindow, k: number): Interval => {
    const from = parseClock(a.from, `${where}.allowed[${k}].from`, false);
    const to = parseClock(a.to, `${where}.allowed[${k}].to`, true);
    let days: Set<number> | null = null;
    if (a.days !== undefined) {
      if (!Array.isArray(a.days)) throw new ValidationError(`${where}.allowed[${k}].days`, 'an array of weekdays', a.days);
      days = new Set();
      for (const d of a.days as readonly string[]) {
        const n = WEEKDAY_NUMBER[d];
        if (n === undefined) throw new ValidationError(`${where}.allowed[${k}].days`, 'weekdays mon..sun', d);
        days.add(n);
      }
    }
    const label = `[${a.from}, ${a.to})${a.days === undefined ? '' : ` on ${a.days.join(',')}`}`;
    return { from, to, crossing: to <= from, days, label };
  });
  return { name: w.name, categories: new Set(w.categories), intervals };
}

/** Whether a local wall clock lies inside an interval. */
function insideInterval(iv: Interval, wall: number): boolean {
  const ms = msOfDay(wall);
  const weekday = weekdayOf(dayOf(wall));
  const startsOn = (wd: number): boolean => iv.days === null || iv.days.has(wd);
  if (!iv.crossing) return iv.from <= ms && ms < iv.to && startsOn(weekday);
  // Crossing midnight: the evening part belongs to today's interval, the morning part to
  // the interval that started yesterday.
  return (ms >= iv.from && startsOn(weekday)) || (ms < iv.to && startsOn((weekday + 6) % 7));
}

function checkSendWindow(ctx: Context, w: ParsedSendWindow): void {
  for (const i of ctx.order) {
    const e = ctx.entry(i);
    if (!w.categories.has(e.category)) continue;
    const wall = ctx.wall(i);
    if (w.intervals.some((iv) => insideInterval(iv, wall))) continue;
    const key = `${e.portfolio}/${maskNumber(e.to)}`;
    const allowed = w.intervals.length === 0 ? 'no allowed interval' : w.intervals.map((iv) => iv.label).join(' or ');
    ctx.report({
      kind: 'send-window',
      rule: w.name,
      key,
      detail: `local time ${weekdayLabel(weekdayOf(dayOf(wall)))} ${wallLabel(wall)} (${e.timeZone}) is outside ${allowed}`,
      at: e.sendAt,
      ids: [e.id],
    });
  }
}

/* ------------------------------------------------------------------------------------------ */
/* duplicate ids                                                                               */

function checkDuplicateIds(ctx: Context): void {
  const first = new Map<string, number>();
  const repeated = new Map<string, number[]>();
  for (const i of ctx.order) {
    const id = ctx.entry(i).id;
    const f = first.get(id);
    if (f === undefined) {
      first.set(id, i);
      continue;
    }
    const list = repeated.get(id);
    if (list === undefined) repeated.set(id, [f, i]);
    else list.push(i);
  }
  for (const [id, list] of repeated) {
    // `list` is in time order: the second occurrence is the first one that should not exist.
    ctx.report({
      kind: 'duplicate-id',
      rule: 'duplicate-id',
      key: id,
      detail: `id occurs ${list.length} times (ledger positions ${list.slice(0, 10).join(', ')}${list.length > 10 ? ', …' : ''})`,
      at: ctx.entry(list[1] as number).sendAt,
      ids: [id],
    });
  }
}

/* ------------------------------------------------------------------------------------------ */
/* policy shape (the checker's own, minimal validation: only what its arithmetic relies on)   */

const SCOPE_SET: ReadonlySet<string> = new Set(['number', 'pair', 'recipient', 'portfolio', 'campaign', 'apiKey']);
const CATEGORY_SET: ReadonlySet<string> = new Set(['authentication', 'utility', 'marketing', 'service']);

function checkCategories(cats: unknown, field: string, optional: boolean): void {
  if (cats === undefined && optional) return;
  if (!Array.isArray(cats)) throw new ValidationError(field, 'an array of categories', cats);
  for (const c of cats) {
    if (typeof c !== 'string' || !CATEGORY_SET.has(c)) throw new ValidationError(field, 'categories only', c);
  }
}

function checkInt(value: unknown, field: string, min: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new ValidationError(field, `an integer >= ${min}`, value);
  }
}

function checkPolicyShape(policy: Policy): void {
  if (!Array.isArray(policy.limits)) throw new ValidationError('policy.limits', 'an array', policy.limits);
  if (!Array.isArray(policy.sendWindows)) throw new ValidationError('policy.sendWindows', 'an array', policy.sendWindows);
  policy.limits.forEach((rule: LimitRule, k: number) => {
    const at = `policy.limits[${k}]`;
    if (typeof rule.name !== 'string' || rule.name === '') throw new ValidationError(`${at}.name`, 'a non-empty string', rule.name);
    if (!SCOPE_SET.has(rule.scope)) throw new ValidationError(`${at}.scope`, 'a scope', rule.scope);
    checkCategories(rule.categories, `${at}.categories`, true);
    switch (rule.kind) {
      case 'rate':
        checkInt(rule.count, `${at}.count`, 1);
        checkInt(rule.periodMs, `${at}.periodMs`, 1);
        checkInt(rule.burst, `${at}.burst`, 1);
        break;
      case 'window':
        checkInt(rule.count, `${at}.count`, 0);
        checkInt(rule.windowMs, `${at}.windowMs`, 1);
        break;
      case 'daily':
        checkInt(rule.count, `${at}.count`, 0);
        break;
      case 'distinct':
        checkInt(rule.count, `${at}.count`, 0);
        checkInt(rule.windowMs, `${at}.windowMs`, 1);
        break;
      case 'batch':
        checkInt(rule.size, `${at}.size`, 0);
        checkInt(rule.gapMs, `${at}.gapMs`, 0);
        break;
      default:
        throw new ValidationError(`${at}.kind`, 'rate, window, daily, distinct or batch', (rule as { kind: unknown }).kind);
    }
  });
}
