/**
 * Measures a run from what the mock sender recorded: the most requests in any sliding window of
 * each limit (per key of its scope), per-recipient counts per local day, percentiles. Written
 * apart from the stores and the planner: nothing here trusts what a limiter says it did.
 */
import type { LimitCheck, Percentiles } from './types.js';

/** Most instants in any half-open window [s, s + windowMs) (instants need not be sorted). */
export function maxInSlidingWindow(instants: readonly number[] | Float64Array, windowMs: number): number {
  const t = Float64Array.from(instants).sort();
  let best = 0;
  let j = 0;
  // A window holding the most instants can start at one of them.
  for (let i = 0; i < t.length; i++) {
    while (j < t.length && (t[j] as number) < (t[i] as number) + windowMs) j++;
    if (j - i > best) best = j - i;
  }
  return best;
}

/**
 * The length of the longest list (0 for none). A loop, not Math.max(...lengths): a headroom
 * step has hundreds of thousands of keys, more arguments than a call can take.
 */
export function longestList(byKey: ReadonlyMap<string, readonly unknown[]>): number {
  let best = 0;
  for (const list of byKey.values()) if (list.length > best) best = list.length;
  return best;
}

/** maxInSlidingWindow over every key's instants; the highest. */
export function maxOverKeys(byKey: ReadonlyMap<string, number[]>, windowMs: number): number {
  let best = 0;
  for (const list of byKey.values()) {
    if (list.length <= best) continue;
    best = Math.max(best, maxInSlidingWindow(list, windowMs));
  }
  return best;
}

export function groupBy<T>(items: readonly T[], key: (item: T) => string, value: (item: T) => number): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const item of items) {
    const k = key(item);
    let list = out.get(k);
    if (list === undefined) out.set(k, (list = []));
    list.push(value(item));
  }
  return out;
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar date of an instant in a zone, `YYYY-MM-DD` (the checker has its own; this is the bench's). */
export function localDate(instant: number, timeZone: string): string {
  let f = dayFormats.get(timeZone);
  if (f === undefined) dayFormats.set(timeZone, (f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })));
  return f.format(new Date(Math.floor(instant)));
}

export function limitCheck(rule: string, scope: string, windowMs: number, budget: number, maxInWindow: number): LimitCheck {
  const overshoot = budget > 0 ? maxInWindow / budget : maxInWindow > 0 ? Number.POSITIVE_INFINITY : 0;
  return { rule, scope, windowMs, budget, maxInWindow, overshoot: Number(overshoot.toFixed(4)), ok: maxInWindow <= budget };
}

/** Nearest-rank percentiles of raw values (the runs hold at most a few hundred thousand). */
export function percentiles(values: readonly number[] | Float64Array, digits = 2): Percentiles | null {
  if (values.length === 0) return null;
  const s = Float64Array.from(values).sort();
  const at = (q: number) => Number((s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number).toFixed(digits));
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: Number((s[s.length - 1] as number).toFixed(digits)), count: s.length };
}

/** Count per whole second from `origin`, over `seconds` seconds. */
export function perSecond(instants: readonly number[], origin: number, seconds: number): number[] {
  const out = new Array<number>(seconds).fill(0);
  for (const t of instants) {
    const s = Math.floor((t - origin) / 1000);
    if (s >= 0 && s < seconds) out[s] = (out[s] as number) + 1;
  }
  return out;
}

/** At each second's end, how many instants lie in the window of `windowMs` ending there. */
export function windowCountEachSecond(instants: readonly number[], origin: number, seconds: number, windowMs: number): number[] {
  const t = Float64Array.from(instants).sort();
  const out: number[] = [];
  let lo = 0;
  let hi = 0;
  for (let s = 1; s <= seconds; s++) {
    const end = origin + s * 1000;
    while (hi < t.length && (t[hi] as number) < end) hi++;
    while (lo < hi && (t[lo] as number) < end - windowMs) lo++;
    out.push(hi - lo);
  }
  return out;
}
