import type { Cluster, Redis } from 'ioredis';
import { zoneCalendar, type ZoneCalendar } from '../../core/calendar.js';
import { rateParams } from '../../core/limits/rate.js';
import { resolveRules, validateMessage, validateMessageId } from '../../core/policy/index.js';
import { DEFAULT_MAX_WAIT_MS } from '../../core/reference.js';
import { allowedUntil, compileWindows, nextAllowedInstant, type CompiledWindows } from '../../core/send-window.js';
import { DAY, STATE_EPOCH } from '../../core/time.js';
import type { Decision, LimitCapacity, LimitRule, Message, Millis, Policy } from '../../core/types.js';
import { OutcomeUnknownError, StoreUnavailableError, UnsafeConfigError, ValidationError } from '../../errors.js';
import type { AdmissionStore, AdmitCallOptions, CancelOptions } from '../contract.js';
import { SCRIPTS } from './scripts.js';

export type RedisClient = Redis | Cluster;

export interface RedisStoreOptions {
  /**
   * Whose clock decides: `'server'` (default) reads Redis `TIME` inside each script, so every
   * process agrees; `'client'` sends this process's clock, for managed Redis that forbids `TIME`.
   * A call's explicit `now` always wins. Either way the store never lets time run backwards.
   */
  readonly clock?: 'server' | 'client';
  /** Key prefix (default `sluice:`). Every key is `prefix{portfolio}|…` (one hash slot per portfolio). */
  readonly prefix?: string;
  /** How long an admitted id is remembered for idempotency and cancel (default 31 days). */
  readonly recordTtlMs?: number;
  /**
   * Accept a Redis whose `maxmemory-policy` may evict keys (or whose policy cannot be read).
   * Eviction silently forgets budgets, so the default refuses to start.
   */
  readonly allowEvictingPolicy?: boolean;
  /** Messages per script call in `admitMany` (default 128). */
  readonly chunkSize?: number;
  /**
   * The furthest ahead any call may reserve (a call's `maxWaitMs` may not exceed it; default 30
   * days). After a detected state loss the portfolio is held for this plus the policy's longest
   * window: reservations and window contents from before the loss are unknown until then.
   */
  readonly maxWaitMs?: number;
}

type ScriptFn = (numKeys: number, ...args: (string | number)[]) => Promise<unknown>;

const EVICTING = /^(allkeys|volatile)-/;

/**
 * The Redis store: the embedded store's admission, atomic in one Lua script per call, shared by
 * every process. All keys of a message carry its portfolio as the hash tag, so it runs unchanged
 * on Redis Cluster.
 */
export class RedisStore implements AdmissionStore {
  readonly policy: Policy;
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #clock: 'server' | 'client';
  readonly #recordTtl: number;
  readonly #chunk: number;
  readonly #maxWait: number;
  readonly #holdMs: number;
  /** The state epoch and highest seq seen per portfolio: a mismatch later means Redis lost state. */
  readonly #epochs = new Map<string, number>();
  readonly #seqs = new Map<string, number>();
  readonly #windows = new Map<string, CompiledWindows>();
  readonly #rates = new Map<LimitRule, readonly number[]>();
  /** Local day boundaries per zone, for the client day they were computed from. */
  readonly #days = new Map<string, { readonly day: number; readonly args: readonly number[] }>();

  /** Check the server's configuration, register the scripts, and return a store. */
  static async connect(policy: Policy, client: RedisClient, options: RedisStoreOptions = {}): Promise<RedisStore> {
    const store = new RedisStore(policy, client, options);
    if (!options.allowEvictingPolicy) await store.#checkEviction();
    return store;
  }

  private constructor(policy: Policy, client: RedisClient, options: RedisStoreOptions) {
    this.policy = policy;
    this.#client = client;
    this.#prefix = options.prefix ?? 'sluice:';
    if (/[{}]/.test(this.#prefix)) throw new ValidationError('options.prefix', 'a string without { or }', this.#prefix);
    this.#clock = options.clock ?? 'server';
    this.#recordTtl = options.recordTtlMs ?? 31 * DAY;
    this.#chunk = options.chunkSize ?? 128;
    this.#maxWait = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    this.#holdMs = this.#maxWait + longestWindow(policy);
    for (const s of Object.values(SCRIPTS)) client.defineCommand(s.name, { lua: s.lua });
  }

  async admit(message: Message, options: AdmitCallOptions = {}): Promise<Decision> {
    const [d] = await this.#run('admit', [message], options);
    return d as Decision;
  }

  async admitMany(messages: readonly Message[], options: AdmitCallOptions = {}): Promise<Decision[]> {
    return this.#run('admit', messages, options);
  }

  async peek(message: Message, options: AdmitCallOptions = {}): Promise<Decision> {
    const [d] = await this.#run('peek', [message], options);
    return d as Decision;
  }

  /** Redis keeps records per portfolio: `options.portfolio` is required. */
  async cancel(id: string, options: CancelOptions = {}): Promise<boolean> {
    validateMessageId(id, 'id');
    const portfolio = options.portfolio;
    if (typeof portfolio !== 'string' || portfolio.length === 0 || /[{}|]/.test(portfolio)) {
      throw new ValidationError('options.portfolio', 'the portfolio of the message (the Redis store keeps records per portfolio)', portfolio);
    }
    const record = this.#recordKey(portfolio, id);
    const undo = await this.#call('cancel', () => this.#client.hget(record, 'u'));
    if (undo === null) return false;
    const keys = [record, ...undoKeys(undo)];
    const fn = this.#script(SCRIPTS.cancel.name);
    const r = await this.#call('cancel', () => fn(keys.length, ...keys));
    return r === 1;
  }

  async capacity(input: Message, options: { readonly now?: Millis } = {}): Promise<LimitCapacity[]> {
    const message = validateMessage(input);
    const resolved = resolveRules(this.policy, message);
    const now = options.now ?? (await this.#now());
    const calendar = zoneCalendar(resolved.timeZone);
    const out: LimitCapacity[] = [];
    for (const { rule, key } of resolved.limits) {
      const k = this.#limitKey(message.portfolio, key);
      let remaining = 0;
      switch (rule.kind) {
        case 'rate': {
          const p = rateParams(rule.count, rule.periodMs, rule.burst);
          const units = (now - STATE_EPOCH) * p.q;
          const tat = Math.max(Number((await this.#client.get(k)) ?? 0), units);
          remaining = Math.max(0, Math.floor((units + p.tau + p.T - tat) / p.T));
          break;
        }
        case 'window':
        case 'distinct':
          remaining = Math.max(0, rule.count - (await this.#client.zcount(k, now - rule.windowMs + 1, now)));
          break;
        case 'daily':
          remaining = Math.max(0, rule.count - Number((await this.#client.hget(k, String(calendar.dayOf(now)))) ?? 0));
          break;
        case 'batch': {
          const [last = 0, run = 0] = ((await this.#client.get(k)) ?? '0:0:0').split(':').map(Number);
          remaining = last === 0 || now - last >= rule.gapMs ? rule.size : Math.max(0, rule.size - run);
          break;
        }
      }
      out.push({ limit: rule.name, kind: rule.kind, key, remaining });
    }
    return out;
  }

  /** The caller owns the client; closing the store does not quit it. */
  async close(): Promise<void> {}

  async #run(mode: 'admit' | 'peek', messages: readonly Message[], options: AdmitCallOptions): Promise<Decision[]> {
    const validated = messages.map((m, i) => validateMessage(m, messages.length === 1 ? 'message' : `messages[${i}]`));
    const maxWait = options.maxWaitMs ?? this.#maxWait;
    if (typeof maxWait !== 'number' || !Number.isSafeInteger(maxWait) || maxWait < 0 || maxWait > this.#maxWait) {
      throw new ValidationError('options.maxWaitMs', `a non-negative integer at most the store's maxWaitMs (${this.#maxWait})`, maxWait);
    }
    const explicitNow = options.now;
    const clientNow = explicitNow ?? Date.now();
    const decisions: Decision[] = new Array(validated.length);
    // One call per portfolio chunk: every key of a call shares the portfolio's hash slot.
    const byPortfolio = new Map<string, number[]>();
    validated.forEach((m, i) => {
      const list = byPortfolio.get(m.portfolio);
      if (list) list.push(i);
      else byPortfolio.set(m.portfolio, [i]);
    });
    const calls: Promise<void>[] = [];
    for (const [portfolio, indexes] of byPortfolio) {
      for (let c = 0; c < indexes.length; c += this.#chunk) {
        const chunk = indexes.slice(c, c + this.#chunk);
        calls.push(this.#runChunk(mode, portfolio, chunk.map((i) => validated[i] as Message), clientNow, explicitNow, maxWait).then((ds) => {
          ds.forEach((d, k) => (decisions[chunk[k] as number] = d));
        }));
      }
    }
    await Promise.all(calls);
    return decisions;
  }

  async #runChunk(mode: 'admit' | 'peek', portfolio: string, messages: readonly Message[], clientNow: Millis, explicitNow: Millis | undefined, maxWait: number): Promise<Decision[]> {
    const keys: string[] = [this.#prefixed(portfolio, 'meta')];
    const index = new Map<string, number>();
    const keyIndex = (k: string): number => {
      let i = index.get(k);
      if (i === undefined) {
        keys.push(k);
        i = keys.length;
        index.set(k, i);
      }
      return i;
    };
    const now = explicitNow ?? (this.#clock === 'client' ? clientNow : -1);
    const horizon = clientNow + maxWait + 2 * DAY;
    const argv: (string | number)[] = [mode, now, this.#recordTtl, this.#epochs.get(portfolio) ?? -1, this.#seqs.get(portfolio) ?? -1, this.#holdMs, messages.length];
    const names: string[][] = [];
    const early: (Decision | null)[] = [];
    for (const m of messages) {
      const resolved = resolveRules(this.policy, m);
      const calendar = zoneCalendar(resolved.timeZone);
      const constraintNames = [...resolved.limits.map((l) => l.rule.name), ...resolved.windows.map((w) => w.name)];
      names.push(constraintNames);
      const compiled = resolved.windows.map((w) => this.#compiled(resolved.timeZone, w.name, w.allowed));
      const closed = compiled.findIndex((w) => nextAllowedInstant(w, clientNow) === Infinity);
      early.push(closed >= 0 ? { ok: false, id: m.id, reason: 'never', limit: resolved.windows[closed]?.name ?? null, retryAt: null, duplicate: false } : null);
      argv.push(m.id, keyIndex(this.#recordKey(portfolio, m.id)), resolved.cost, m.notBefore ?? -1, m.deadline ?? -1, maxWait, horizon, resolved.limits.length, compiled.length);
      for (const { rule, key } of resolved.limits) {
        const k = keyIndex(this.#limitKey(portfolio, key));
        switch (rule.kind) {
          case 'rate':
            argv.push(1, k, ...this.#rateArgs(rule));
            break;
          case 'window':
            argv.push(2, k, rule.count, rule.windowMs);
            break;
          case 'daily':
            argv.push(3, k, rule.count, ...this.#dayArgs(calendar, clientNow, horizon));
            break;
          case 'distinct':
            argv.push(4, k, keyIndex(`${this.#limitKey(portfolio, key)}|members`), rule.count, rule.windowMs, m.to);
            break;
          case 'batch':
            argv.push(5, k, rule.size, rule.gapMs);
            break;
        }
      }
      for (const w of compiled) {
        const intervals: number[] = [];
        let t = clientNow - DAY;
        while (t < horizon) {
          const s = nextAllowedInstant(w, t);
          if (s >= horizon) break;
          const e = Math.min(allowedUntil(w, s), 2 * horizon);
          intervals.push(s, e);
          t = e;
        }
        argv.push(intervals.length / 2, ...intervals);
      }
    }
    const fn = this.#script(SCRIPTS.admit.name);
    const reply = (await this.#call(mode, () => fn(keys.length, ...keys, ...argv))) as number[];
    const [epoch = -1, seq = -1] = reply;
    if (epoch >= 0) this.#epochs.set(portfolio, epoch);
    if (seq > (this.#seqs.get(portfolio) ?? -1)) this.#seqs.set(portfolio, seq);
    return messages.map((m, i) => early[i] ?? decisionOf(m.id, reply, 2 + i * 4, names[i] as string[]));
  }

  async #call<T>(operation: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (/timed out/i.test(msg)) throw new OutcomeUnknownError(operation, { cause: err });
      if (/ECONNREFUSED|Connection is closed|max retries|ENOTFOUND|EHOSTUNREACH|ECONNRESET|Stream isn't writeable/i.test(msg)) {
        throw new StoreUnavailableError(`${operation}: ${msg}`, { cause: err });
      }
      throw err;
    }
  }

  async #now(): Promise<Millis> {
    if (this.#clock === 'client') return Date.now();
    const client = this.#client as Redis;
    const [s, us] = await client.time();
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  }

  async #checkEviction(): Promise<void> {
    const client = this.#client;
    const nodes: Redis[] = 'nodes' in client && typeof (client as Cluster).nodes === 'function' && (client as Cluster).isCluster ? (client as Cluster).nodes('master') : [client as Redis];
    for (const node of nodes) {
      let policy: string;
      try {
        const reply = (await node.config('GET', 'maxmemory-policy')) as string[];
        policy = String(reply[1] ?? '');
      } catch (err) {
        throw new UnsafeConfigError(`cannot read maxmemory-policy (${err instanceof Error ? err.message : String(err)}); pass allowEvictingPolicy: true if you know keys are never evicted`);
      }
      if (EVICTING.test(policy)) {
        throw new UnsafeConfigError(`maxmemory-policy is ${policy}: Redis may evict limit state and sluice would then admit too much; use noeviction (or pass allowEvictingPolicy: true)`);
      }
    }
  }

  #script(name: string): ScriptFn {
    const fn = (this.#client as unknown as Record<string, ScriptFn>)[name];
    if (typeof fn !== 'function') throw new Error(`sluice: script ${name} is not registered`);
    return fn.bind(this.#client);
  }

  #compiled(zone: string, name: string, allowed: Parameters<typeof compileWindows>[1]): CompiledWindows {
    const k = `${zone}\u0000${name}`;
    let w = this.#windows.get(k);
    if (!w) {
      w = compileWindows(zone, allowed);
      this.#windows.set(k, w);
    }
    return w;
  }

  #rateArgs(rule: LimitRule & { kind: 'rate' }): readonly number[] {
    let args = this.#rates.get(rule);
    if (!args) {
      const p = rateParams(rule.count, rule.periodMs, rule.burst);
      args = [p.q, p.T, p.tau, p.maxCost];
      this.#rates.set(rule, args);
    }
    return args;
  }

  /** `nBounds, day0, b1..bn`: local day starts from a day before `now` to past `horizon`. */
  #dayArgs(calendar: ZoneCalendar, now: Millis, horizon: Millis): readonly number[] {
    const first = calendar.dayOf(now - DAY);
    const cached = this.#days.get(calendar.timeZone);
    const last = cached?.args[cached.args.length - 1];
    if (cached && cached.day === first && last !== undefined && last > horizon) return cached.args;
    let day = first;
    const bounds = [calendar.dayStart(day)];
    while ((bounds[bounds.length - 1] as number) <= horizon) bounds.push(calendar.dayStart(++day));
    const args = [bounds.length, first, ...bounds];
    this.#days.set(calendar.timeZone, { day: first, args });
    return args;
  }

  #prefixed(portfolio: string, rest: string): string {
    return `${this.#prefix}{${portfolio}}|${rest}`;
  }

  #recordKey(portfolio: string, id: string): string {
    return this.#prefixed(portfolio, `msg|${id}`);
  }

  /** `limitKey` is `${portfolio}|${rule}|${scope}`; the portfolio becomes the hash tag. */
  #limitKey(portfolio: string, key: string): string {
    return this.#prefixed(portfolio, key.slice(portfolio.length + 1));
  }
}

/** The longest span over which a rule's past sends still matter. */
function longestWindow(policy: Policy): number {
  let longest = 0;
  for (const rule of policy.limits) {
    const span =
      rule.kind === 'rate' ? rule.periodMs * rule.burst
      : rule.kind === 'window' || rule.kind === 'distinct' ? rule.windowMs
      : rule.kind === 'daily' ? 2 * DAY
      : rule.gapMs;
    if (span > longest) longest = span;
  }
  return longest;
}

function decisionOf(id: string, reply: readonly number[], at: number, names: readonly string[]): Decision {
  const code = reply[at] as number;
  const sendAt = reply[at + 1] as number;
  const pusher = reply[at + 2] as number;
  const retryAt = reply[at + 3] as number;
  const limit = pusher >= 0 ? (names[pusher] ?? null) : null;
  switch (code) {
    case 1:
      return { ok: true, id, sendAt, delayedBy: limit, duplicate: false };
    case 2:
      return { ok: true, id, sendAt, delayedBy: null, duplicate: true };
    case 3:
      return { ok: false, id, reason: 'cancelled', limit: null, retryAt: null, duplicate: true };
    case -1:
      return { ok: false, id, reason: 'deadline', limit, retryAt: null, duplicate: false };
    case -3:
      return { ok: false, id, reason: 'never', limit, retryAt: null, duplicate: false };
    case -5:
      return { ok: false, id, reason: 'state-lost', limit: null, retryAt, duplicate: false };
    default:
      // -2: beyond maxWait; -4: the server's clock lies outside the calendar the client sent.
      return { ok: false, id, reason: 'wait-exceeds-max', limit, retryAt: retryAt >= 0 ? retryAt : null, duplicate: false };
  }
}

/** The state keys an undo record names, in order (see lua/cancel.lua). */
function undoKeys(undo: string): string[] {
  const keys: string[] = [];
  for (const line of undo.split('\n')) {
    if (line === '') continue;
    const f = line.split('\t');
    if (f[0] === 'x') keys.push(f[1] as string, f[2] as string);
    else keys.push(f[1] as string);
  }
  return keys;
}
