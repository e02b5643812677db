import type { Cluster, Redis } from 'ioredis';
import { zoneCalendar, type ZoneCalendar } from '../../core/calendar.js';
import { rateParams } from '../../core/limits/rate.js';
import { limitScope, resolveRules, validateMessage, validateMessageId } from '../../core/policy/index.js';
import { DEFAULT_MAX_WAIT_MS } from '../../core/reference.js';
import { allowedUntil, compileWindows, nextAllowedInstant, type CompiledWindows } from '../../core/send-window.js';
import { DAY, STATE_EPOCH } from '../../core/time.js';
import type { Category, Decision, LimitCapacity, LimitRule, Message, Millis, Policy, SendWindowRule } from '../../core/types.js';
import { OutcomeUnknownError, StoreUnavailableError, UnsafeConfigError, ValidationError } from '../../errors.js';
import type { AdmissionStore, AdmitCallOptions, CancelOptions, CancelOutcome } from '../contract.js';
import { ALREADY_CANCELLED, CANCELLED_OUTCOME, CHARGE_RELIED_ON, UNKNOWN_ID } from '../cancel-outcome.js';
import { SCRIPTS } from './scripts.js';


/** Error replies that mean the command was refused before it ran (see #call). */
const NOT_EXECUTED = /^(BUSY|LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY) /;

export type RedisClient = Redis | Cluster;

/**
 * How many times each client became ready: with the client's status when a call was issued, this
 * tells whether the call could have reached Redis before its connection failed (one listener per
 * client, however many stores share it).
 */
const readyCounts = new WeakMap<RedisClient, { n: number }>();
function readyCounter(client: RedisClient): { n: number } {
  const known = readyCounts.get(client);
  if (known !== undefined) return known;
  const counter = { n: 0 };
  client.on('ready', () => {
    counter.n++;
  });
  readyCounts.set(client, counter);
  return counter;
}

/** How many times one call is sent when Redis keeps answering NOSCRIPT (SCRIPT FLUSH in a loop). */
const NOSCRIPT_TRIES = 8;

/**
 * The typed error for a failed call (see the README's failure table). `neverConnected`: the
 * client was not connected when the call was issued and did not connect before it failed.
 */
function typedError(operation: string, err: unknown, msg: string, neverConnected: boolean): unknown {
  if (/timed out/i.test(msg)) return new OutcomeUnknownError(operation, { cause: err });
  // ioredis Cluster retries MOVED, ASK, TRYAGAIN (a slot being resharded), CLUSTERDOWN and lost
  // connections against one budget (maxRedirections), then gives up naming only the last error:
  // an earlier try may have run before its connection dropped, so nothing is promised.
  if (/^Too many Cluster redirections/.test(msg)) {
    const last = msg.replace(/^Too many Cluster redirections\. /, '').split('\n')[0];
    return new OutcomeUnknownError(operation, { cause: err, detail: `the cluster client gave up redirecting (${last})` });
  }
  // Refused before writing (no offline queue and no connection): never sent.
  if (/Stream isn't writeable/i.test(msg)) return new StoreUnavailableError(`${operation}: ${msg}`, { cause: err });
  if (/ECONNREFUSED|Connection is closed|max retries|ENOTFOUND|EHOSTUNREACH|ECONNRESET|EPIPE/i.test(msg)) {
    if (neverConnected) return new StoreUnavailableError(`${operation}: ${msg}`, { cause: err });
    // Written on a connection that then died (ioredis resends in-flight calls after reconnecting,
    // and gives up after maxRetriesPerRequest): the script may have run.
    return new OutcomeUnknownError(operation, { cause: err, detail: `the connection was lost after the call may have reached Redis (${msg.split('\n')[0]})` });
  }
  // Replies by which Redis refuses to run a command at all (another script is busy, the dataset
  // is loading, the node is a replica or its cluster is down): nothing was admitted.
  if (NOT_EXECUTED.test(msg)) return new StoreUnavailableError(`${operation}: ${msg.split('\n')[0]}`, { cause: err });
  return err;
}

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
  /** At most this many messages per script call, in `admitMany` and for concurrent `admit` calls (default 128). */
  readonly chunkSize?: number;
  /**
   * The furthest ahead any call may reserve (a call's `maxWaitMs` may not exceed it; default 30
   * days). After a detected state loss the portfolio is held for this plus the policy's longest
   * window: reservations and window contents from before the loss are unknown until then.
   */
  readonly maxWaitMs?: number;
}

/** Queued single calls of one portfolio with the same mode and options, in call order. */
interface Batch {
  readonly mode: 'admit' | 'peek';
  readonly portfolio: string;
  readonly now: Millis | undefined;
  readonly maxWait: number;
  readonly messages: Message[];
  readonly settle: { readonly resolve: (d: Decision) => void; readonly reject: (err: unknown) => void }[];
}
/** What applies to a message: limit rules and send windows in policy order, and their names. */
interface Shape {
  readonly limits: readonly LimitRule[];
  readonly windows: readonly SendWindowRule[];
  readonly names: readonly string[];
}
/** A shape in one call: its number there, and its first send window that never opens (-1 none). */
interface CallShape {
  readonly index: number;
  readonly closed: number;
}
const CATEGORY_SLOT: Readonly<Record<Category, number>> = { authentication: 0, utility: 1, marketing: 2, service: 3 };
/** A batch of single calls is split in two calls from twice this many messages. */
const COALESCED_MIN = 8;
type ScriptArg = string | number;
type ScriptFn = (numKeys: number, ...args: (ScriptArg | readonly ScriptArg[])[]) => Promise<unknown>;

const EVICTING = /^(allkeys|volatile)-/;

/**
 * The Redis store: the embedded store's admission in a Lua script, each message atomic (all or
 * nothing), shared by every process. All keys of a message carry its portfolio as the hash tag,
 * so it runs unchanged on Redis Cluster.
 */
export class RedisStore implements AdmissionStore {
  readonly policy: Policy;
  readonly #client: RedisClient;
  readonly #readies: { n: number };
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
  readonly #rules = new Map<LimitRule, readonly number[]>();
  /** Per category and presence of campaign and API key: what applies (see #shape). */
  readonly #shapes: (Shape | undefined)[] = [];
  #admitFn: ScriptFn | undefined;
  /** Single admissions and peeks waiting for the end of the tick, oldest first; the newest per portfolio. */
  #pending: Batch[] = [];
  readonly #tails = new Map<string, Batch>();
  /** Local day boundaries per zone, for the client day they were computed from. */
  readonly #days = new Map<string, { readonly day: number; readonly last: number; readonly args: readonly (string | number)[] }>();

  /** Check the server's configuration, register the scripts, and return a store. */
  static async connect(policy: Policy, client: RedisClient, options: RedisStoreOptions = {}): Promise<RedisStore> {
    const store = new RedisStore(policy, client, options);
    if (!options.allowEvictingPolicy) await store.#checkEviction();
    return store;
  }

  private constructor(policy: Policy, client: RedisClient, options: RedisStoreOptions) {
    this.policy = policy;
    this.#client = client;
    this.#readies = readyCounter(client);
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
    return this.#enqueue('admit', message, options);
  }

  async admitMany(messages: readonly Message[], options: AdmitCallOptions = {}): Promise<Decision[]> {
    return this.#run('admit', messages, options);
  }

  async peek(message: Message, options: AdmitCallOptions = {}): Promise<Decision> {
    return this.#enqueue('peek', message, options);
  }

  /** Redis keeps records per portfolio: `options.portfolio` is required. */
  async cancel(id: string, options: CancelOptions = {}): Promise<boolean> {
    return (await this.cancelOutcome(id, options)).cancelled;
  }

  /** Redis keeps records per portfolio: `options.portfolio` is required. */
  async cancelOutcome(id: string, options: CancelOptions = {}): Promise<CancelOutcome> {
    this.#flush();
    validateMessageId(id, 'id');
    const portfolio = options.portfolio;
    if (typeof portfolio !== 'string' || portfolio.length === 0 || /[{}|]/.test(portfolio)) {
      throw new ValidationError('options.portfolio', 'the portfolio of the message (the Redis store keeps records per portfolio)', portfolio);
    }
    const record = this.#recordKey(portfolio, id);
    // The record names the state keys cancel touches: Cluster needs every key declared.
    const value = await this.#call('cancel', () => this.#client.get(record));
    if (value === null) return UNKNOWN_ID;
    if (!value.startsWith('a\t')) return ALREADY_CANCELLED;
    const keys = [record, ...undoKeys(value)];
    const fn = this.#script(SCRIPTS.cancel.name);
    const r = await this.#call('cancel', () => fn(keys.length, ...keys));
    // The record may have changed between the read and the script (another cancel, expiry).
    return r === 1 ? CANCELLED_OUTCOME : r === 2 ? CHARGE_RELIED_ON : r === 3 ? ALREADY_CANCELLED : UNKNOWN_ID;
  }

  async capacity(input: Message, options: { readonly now?: Millis } = {}): Promise<LimitCapacity[]> {
    this.#flush();
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
          remaining = Math.max(0, rule.count - dailyCount((await this.#client.get(k)) ?? '', calendar.dayOf(now)));
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

  /**
   * Single admissions and peeks wait for the end of the current tick (process.nextTick, after the
   * promise continuations already queued), and those for one portfolio with the same options go
   * in one script call: concurrent callers share the call's fixed cost (meta, rules, round trip).
   * Each message is still decided and committed on its own, all or nothing, in the order the
   * calls were made, exactly as separate calls sent in that order would be.
   */
  #enqueue(mode: 'admit' | 'peek', input: Message, options: AdmitCallOptions): Promise<Decision> {
    const message = validateMessage(input, 'message');
    const maxWait = this.#maxWaitOf(options);
    const now = options.now;
    return new Promise<Decision>((resolve, reject) => {
      // Only the portfolio's newest batch may grow: a message never overtakes an earlier call.
      let batch = this.#tails.get(message.portfolio);
      if (batch === undefined || batch.mode !== mode || batch.now !== now || batch.maxWait !== maxWait) {
        batch = { mode, portfolio: message.portfolio, now, maxWait, messages: [], settle: [] };
        this.#tails.set(message.portfolio, batch);
        this.#pending.push(batch);
        if (this.#pending.length === 1) process.nextTick(this.#flushLater);
      }
      batch.messages.push(message);
      batch.settle.push({ resolve, reject });
    });
  }

  readonly #flushLater = (): void => this.#flush();

  /**
   * Send the queued batches, in the order they were made. Every other call flushes first, so that
   * commands reach Redis in the order the store was called (ioredis keeps a connection's order).
   */
  #flush(): void {
    if (this.#pending.length === 0) return;
    const batches = this.#pending;
    this.#pending = [];
    this.#tails.clear();
    for (const b of batches) {
      const clientNow = b.now ?? Date.now();
      // Two calls once there are enough messages: the client prepares the next batch while Redis
      // runs the second call, instead of both waiting on one call.
      const n = b.messages.length;
      const size = Math.min(this.#chunk, n < 2 * COALESCED_MIN ? n : Math.ceil(n / 2));
      for (let c = 0; c < b.messages.length; c += size) {
        const end = Math.min(b.messages.length, c + size);
        this.#runChunk(b.mode, b.portfolio, b.messages.slice(c, end), clientNow, b.now, b.maxWait).then(
          (ds) => {
            for (let k = c; k < end; k++) b.settle[k]?.resolve(ds[k - c] as Decision);
          },
          (err: unknown) => {
            for (let k = c; k < end; k++) b.settle[k]?.reject(err);
          },
        );
      }
    }
  }

  #maxWaitOf(options: AdmitCallOptions): number {
    const maxWait = options.maxWaitMs ?? this.#maxWait;
    if (typeof maxWait !== 'number' || !Number.isSafeInteger(maxWait) || maxWait < 0 || maxWait > this.#maxWait) {
      throw new ValidationError('options.maxWaitMs', `a non-negative integer at most the store's maxWaitMs (${this.#maxWait})`, maxWait);
    }
    return maxWait;
  }

  async #run(mode: 'admit' | 'peek', messages: readonly Message[], options: AdmitCallOptions): Promise<Decision[]> {
    this.#flush();
    const validated = messages.map((m, i) => validateMessage(m, messages.length === 1 ? 'message' : `messages[${i}]`));
    const maxWait = this.#maxWaitOf(options);
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
    const head = this.#prefixed(portfolio, '');
    // KEYS: the meta, the records in message order (the script finds message j's at 1 + j), then
    // limit state. Limit keys repeat across messages (a number's rate, an API key): each goes once.
    const keys: string[] = [`${head}meta`];
    for (const m of messages) keys.push(`${head}msg|${m.id}`);
    const limitKeys = new Map<string, number>();
    const rulePrefixes = new Map<LimitRule, string>();
    const now = explicitNow ?? (this.#clock === 'client' ? clientNow : -1);
    const horizon = clientNow + maxWait + 2 * DAY;
    // Rules, tables and shapes go once per call; messages name them by number (see lua/admit.lua).
    const rules = new Map<LimitRule, number>();
    const ruleArgs: ScriptArg[] = [];
    const dayTables = new Map<string, number>();
    const dayArgs: ScriptArg[] = [];
    const windowTables = new Map<string, { readonly index: number; readonly never: boolean }>();
    const windowArgs: ScriptArg[] = [];
    const callShapes = new Map<Shape, Map<string, CallShape>>();
    const shapeArgs: ScriptArg[] = [];
    let shapeCount = 0;
    const messageArgs: ScriptArg[] = [messages.length];
    const shapes: Shape[] = new Array(messages.length);
    const early: (Decision | null)[] = new Array(messages.length);
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i] as Message;
      const shape = this.#shape(m);
      shapes[i] = shape;
      const timeZone = m.timeZone ?? this.policy.defaultTimeZone;
      let byZone = callShapes.get(shape);
      if (byZone === undefined) {
        byZone = new Map();
        callShapes.set(shape, byZone);
      }
      let callShape = byZone.get(timeZone);
      if (callShape === undefined) {
        shapeArgs.push(shape.limits.length, shape.windows.length);
        for (const rule of shape.limits) {
          let r = rules.get(rule);
          if (r === undefined) {
            r = rules.size + 1;
            rules.set(rule, r);
            for (const x of this.#ruleArgs(rule)) ruleArgs.push(x);
          }
          shapeArgs.push(r);
          if (rule.kind === 'daily') {
            let d = dayTables.get(timeZone);
            if (d === undefined) {
              d = dayTables.size + 1;
              dayTables.set(timeZone, d);
              for (const x of this.#dayArgs(zoneCalendar(timeZone), clientNow, horizon)) dayArgs.push(x);
            }
            shapeArgs.push(d);
          }
        }
        let closed = -1;
        for (let w = 0; w < shape.windows.length; w++) {
          const table = this.#windowTable(windowTables, windowArgs, timeZone, shape.windows[w] as SendWindowRule, clientNow, horizon);
          if (closed < 0 && table.never) closed = w;
          shapeArgs.push(table.index);
        }
        callShape = { index: ++shapeCount, closed };
        byZone.set(timeZone, callShape);
      }
      // One argument per message (see lua/admit.lua): ioredis encodes, and Redis parses, one
      // string instead of a dozen. Ids, keys and members never contain control characters.
      let block = `${m.id}\t${callShape.index}\t${m.cost ?? 1}\t${m.notBefore ?? -1}\t${m.deadline ?? -1}`;
      for (const rule of shape.limits) {
        // The store key of resolveRules (`${portfolio}|${rule}|${scope}`), the portfolio as hash
        // tag: the rule's part is made once per call.
        let rulePrefix = rulePrefixes.get(rule);
        if (rulePrefix === undefined) {
          rulePrefix = `${head}${rule.name}|`;
          rulePrefixes.set(rule, rulePrefix);
        }
        const key = rulePrefix + (limitScope(rule, m) as string);
        const k = limitKeys.get(key);
        if (k === undefined) {
          // A new key goes next in KEYS, and the block leaves its index empty (the script counts).
          keys.push(key);
          limitKeys.set(key, keys.length);
          // The members hash follows its charges set: the script finds it at k + 1.
          if (rule.kind === 'distinct') keys.push(`${key}|members`);
          block += '\t';
        } else {
          block += `\t${k}`;
        }
        if (rule.kind === 'distinct') block += `\t${m.to}`;
      }
      messageArgs.push(block);
      const closed = callShape.closed;
      early[i] = closed >= 0 ? { ok: false, id: m.id, reason: 'never', limit: shape.windows[closed]?.name ?? null, retryAt: null, duplicate: false } : null;
    }
    const header = [mode, now, this.#recordTtl, this.#epochs.get(portfolio) ?? -1, this.#seqs.get(portfolio) ?? -1, this.#holdMs, maxWait, horizon, rules.size];
    const fn = this.#admitScript();
    // Arrays, not spreads: ioredis flattens one level of array arguments.
    const reply = (await this.#call(mode, () =>
      fn(keys.length, keys, header, ruleArgs, dayTables.size, dayArgs, windowTables.size, windowArgs, shapeCount, shapeArgs, messageArgs),
    )) as number[];
    const epoch = reply[0] as number;
    const seq = reply[1] as number;
    if (epoch >= 0) this.#epochs.set(portfolio, epoch);
    if (seq > (this.#seqs.get(portfolio) ?? -1)) this.#seqs.set(portfolio, seq);
    const decisions: Decision[] = new Array(messages.length);
    for (let i = 0; i < messages.length; i++) decisions[i] = early[i] ?? decisionOf((messages[i] as Message).id, reply, 2 + i * 4, (shapes[i] as Shape).names);
    return decisions;
  }

  /**
   * The rules and send windows that apply to a message depend only on its category and on whether
   * it has a campaign and an API key (resolveRules skips rules whose scope field is missing).
   */
  #shape(m: Message): Shape {
    const slot = CATEGORY_SLOT[m.category] * 4 + (m.campaign === undefined ? 0 : 2) + (m.apiKey === undefined ? 0 : 1);
    let shape = this.#shapes[slot];
    if (shape === undefined) {
      const resolved = resolveRules(this.policy, m);
      const limits = resolved.limits.map((l) => l.rule);
      shape = { limits, windows: resolved.windows, names: [...limits.map((r) => r.name), ...resolved.windows.map((w) => w.name)] };
      this.#shapes[slot] = shape;
    }
    return shape;
  }

  /**
   * A send window's table for this call (allowed intervals in the zone from a day before `now`
   * to `horizon`), added to `args` on first use, and whether the window never opens again.
   */
  #windowTable(
    tables: Map<string, { readonly index: number; readonly never: boolean }>,
    args: ScriptArg[],
    timeZone: string,
    rule: SendWindowRule,
    clientNow: Millis,
    horizon: Millis,
  ): { readonly index: number; readonly never: boolean } {
    const tableKey = `${timeZone}\u0000${rule.name}`;
    let table = tables.get(tableKey);
    if (table === undefined) {
      const compiled = this.#compiled(timeZone, rule.name, rule.allowed);
      table = { index: tables.size + 1, never: nextAllowedInstant(compiled, clientNow) === Infinity };
      tables.set(tableKey, table);
      const intervals: number[] = [];
      let t = clientNow - DAY;
      while (t < horizon) {
        const s = nextAllowedInstant(compiled, t);
        if (s >= horizon) break;
        const e = Math.min(allowedUntil(compiled, s), 2 * horizon);
        intervals.push(s, e);
        t = e;
      }
      const [width, packed] = packTable(intervals);
      args.push(width, packed);
    }
    return table;
  }

  #admitScript(): ScriptFn {
    this.#admitFn ??= this.#script(SCRIPTS.admit.name);
    return this.#admitFn;
  }

  async #call<T>(operation: string, f: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      // A call issued while the client was not connected waits in ioredis's offline queue: it can
      // only have reached Redis if the client became ready since.
      const issuedReady = this.#client.status === 'ready';
      const readies = this.#readies.n;
      try {
        return await f();
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        // ioredis answers one NOSCRIPT by resending the script with EVAL, but a second NOSCRIPT
        // (the script cache flushed again in between) reaches us. NOSCRIPT means it did not run.
        if (msg.startsWith('NOSCRIPT') && attempt < NOSCRIPT_TRIES) continue;
        throw typedError(operation, err, msg, !issuedReady && this.#readies.n === readies);
      }
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

  /** A rule's block in the rules section of lua/admit.lua: kind code first. */
  #ruleArgs(rule: LimitRule): readonly number[] {
    let args = this.#rules.get(rule);
    if (!args) {
      switch (rule.kind) {
        case 'rate': {
          const p = rateParams(rule.count, rule.periodMs, rule.burst);
          args = [1, p.q, p.T, p.tau, p.maxCost];
          break;
        }
        case 'window':
          args = [2, rule.count, rule.windowMs];
          break;
        case 'daily':
          args = [3, rule.count];
          break;
        case 'distinct':
          args = [4, rule.count, rule.windowMs];
          break;
        case 'batch':
          args = [5, rule.size, rule.gapMs];
          break;
      }
      this.#rules.set(rule, args);
    }
    return args;
  }

  /**
   * `day0, width, bounds`: local day starts from a day before `now` to past `horizon`, packed in
   * one fixed-width string (one argument instead of ~33; the script reads the few it needs).
   */
  #dayArgs(calendar: ZoneCalendar, now: Millis, horizon: Millis): readonly (string | number)[] {
    const first = calendar.dayOf(now - DAY);
    const cached = this.#days.get(calendar.timeZone);
    if (cached && cached.day === first && cached.last > horizon) return cached.args;
    let day = first;
    const bounds = [calendar.dayStart(day)];
    while ((bounds[bounds.length - 1] as number) <= horizon) bounds.push(calendar.dayStart(++day));
    const [width, packed] = packTable(bounds);
    const args = [first, width, packed];
    this.#days.set(calendar.timeZone, { day: first, last: bounds[bounds.length - 1] as number, args });
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

/** A daily key's count for one local day: the state is 'day:count' entries joined by ',' (lua/admit.lua). */
function dailyCount(state: string, day: number): number {
  for (const entry of state.split(',')) {
    const [d, count] = entry.split(':');
    if (Number(d) === day) return Number(count);
  }
  return 0;
}

/** The state keys a record's undo lines name, in order (see lua/cancel.lua). */
function undoKeys(record: string): string[] {
  const keys: string[] = [];
  const lines = record.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '') continue;
    const f = line.split('\t');
    if (f[0] === 'x') keys.push(f[1] as string, f[2] as string);
    else keys.push(f[1] as string);
  }
  return keys;
}

/**
 * Numbers as one string, each right-aligned in the width of the longest: the script reads entry
 * k at (k - 1) * width + 1 without splitting the rest.
 */
function packTable(values: readonly number[]): [number, string] {
  let width = 1;
  for (const v of values) width = Math.max(width, String(v).length);
  let packed = '';
  for (const v of values) packed += String(v).padStart(width);
  return [width, packed];
}
