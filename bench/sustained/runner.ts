/**
 * One sending process of a sustained run (bench/sustained/runner-entry.ts forks it): offers its
 * share of the workload at the scheduled instants, asks its limiter, and posts what the limiter
 * lets through to the mock sender. sluice posts each message at its admitted slot; peers post as
 * soon as their limiter says yes, the way their documentation uses them.
 */
import { Worker } from 'node:worker_threads';
import { Redis } from 'ioredis';
import { MemoryStore, RedisStore, type Decision, type MemoryStoreHandle, type Message } from '../../src/index.js';
import { messageAt, offerTimes, sluicePolicy, type WorkloadSpec } from './workload.js';
import { Poster } from './poster.js';

export type RunnerKind = 'sluice-memory' | 'sluice-redis' | 'rlf-memory' | 'rlf-redis' | 'bottleneck-local' | 'bottleneck-redis' | 'limiter' | 'token-bucket';

export interface RunnerSpec {
  readonly run: string;
  readonly kind: RunnerKind;
  readonly workload: WorkloadSpec;
  readonly mockUrl: string;
  readonly redis?: { readonly host: string; readonly port: number };
  /** Epoch ms at which offering starts (the same instant in every process of the run). */
  readonly startAt: number;
  /** This process offers messages whose index ≡ share.index (mod share.of). */
  readonly share: { readonly index: number; readonly of: number };
  /** sluice-memory: worker threads sharing one embedded store. */
  readonly threads?: number;
  /** Time after the run's end allowed for the last posts to land. */
  readonly graceMs: number;
}

export interface RunnerReport {
  readonly offered: number;
  readonly posted: number;
  readonly sendErrors: number;
  /** Refusals by reason (sluice: the store's reason; peers never refuse, they only wait). */
  readonly refused: Readonly<Record<string, number>>;
  /** Offered but neither posted nor refused when the run ended (peers' queues at the end). */
  readonly unsentAtEnd: number;
  /** sluice: index and admitted slot of every admitted message, interleaved. */
  readonly committed: Float64Array;
  /** Offer-to-decision times in µs, from the intended offer instant (coordinated omission). */
  readonly latenciesUs: Float64Array;
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
  readonly maxRssMiB: number;
  /** Not a decision: an error that stopped the limiter (reported, and the run is marked). */
  readonly failure: string | null;
}

/** Epoch-anchored monotonic milliseconds (the stores anchor theirs the same way). */
const anchor = Date.now() - performance.now();
const clock = (): number => anchor + performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

class Tally {
  offered = 0;
  posted = 0;
  sendErrors = 0;
  inFlight = 0;
  readonly refused: Record<string, number> = {};
  readonly committed: number[] = [];
  readonly latencies: number[] = [];
  failure: string | null = null;

  refuse(reason: string): void {
    this.refused[reason] = (this.refused[reason] ?? 0) + 1;
  }
}

/** Posts a message now, counting the outcome. */
function postNow(poster: Poster, tally: Tally, message: Message, sendAt: number | null): void {
  tally.inFlight++;
  poster.post(message, sendAt).then(
    () => {
      tally.posted++;
      tally.inFlight--;
    },
    () => {
      tally.sendErrors++;
      tally.inFlight--;
    },
  );
}

/** Posts at the slot, never before it: a timer that fires early is re-armed. */
function postAt(poster: Poster, tally: Tally, message: Message, sendAt: number): void {
  const fire = () => {
    const early = sendAt - clock();
    if (early > 0) setTimeout(fire, early);
    else postNow(poster, tally, message, sendAt);
  };
  tally.inFlight++;
  setTimeout(() => {
    tally.inFlight--;
    fire();
  }, sendAt - clock());
}

type Offer = (message: Message, index: number, intendedAt: number) => void;

/** One wake-up's due messages, in offer order. */
interface Due {
  readonly messages: Message[];
  readonly indices: number[];
  readonly intendedAt: number[];
}

/**
 * How often a sender wakes to take what became due: a sender service polls its queue; it does
 * not run a timer per message. When a process is starved, the next wake-up simply finds more.
 */
const TICK_MS = 10;

/** Offers this share's messages, a wake-up's worth at a time; resolves once the last was offered. */
async function offerDue(spec: RunnerSpec, tally: Tally, take: (due: Due) => void): Promise<void> {
  const times = offerTimes(spec.workload);
  const end = spec.startAt + spec.workload.durationMs;
  let i = spec.share.index;
  while (i < times.length) {
    const next = spec.startAt + (times[i] as number);
    const wait = next - clock();
    if (wait > 0) await sleep(Math.max(wait, TICK_MS));
    const now = clock();
    const due: Due = { messages: [], indices: [], intendedAt: [] };
    for (; i < times.length && spec.startAt + (times[i] as number) <= now; i += spec.share.of) {
      due.messages.push({ ...messageAt(spec.workload, spec.run, i), deadline: end });
      due.indices.push(i);
      due.intendedAt.push(spec.startAt + (times[i] as number));
    }
    tally.offered += due.messages.length;
    if (due.messages.length > 0) take(due);
  }
}

/** Peers are asked one message at a time, the way their APIs are used. */
function offerAll(spec: RunnerSpec, tally: Tally, offer: Offer): Promise<void> {
  return offerDue(spec, tally, (due) => {
    for (let k = 0; k < due.messages.length; k++) offer(due.messages[k] as Message, due.indices[k] as number, due.intendedAt[k] as number);
  });
}

async function waitForEnd(spec: RunnerSpec, tally: Tally): Promise<void> {
  await sleep(spec.startAt + spec.workload.durationMs + spec.graceMs - clock());
  // Posts already on the wire finish (bounded: the mock answers at once).
  const stopAt = clock() + 5_000;
  while (tally.inFlight > 0 && clock() < stopAt) await sleep(20);
}

/**
 * A slot past the run's end is refused (`deadline`) anyway; capping the wait there also keeps
 * each admission's calendar short.
 */
function waitLeft(spec: RunnerSpec): number {
  return Math.max(0, Math.ceil(spec.startAt + spec.workload.durationMs - clock()) + 1_000);
}

function recordDecision(tally: Tally, poster: Poster, message: Message, index: number, intendedAt: number, d: Decision): void {
  tally.latencies.push((clock() - intendedAt) * 1000);
  if (d.ok) {
    tally.committed.push(index, d.sendAt);
    postAt(poster, tally, message, d.sendAt);
  } else tally.refuse(d.reason);
}

// ---------------------------------------------------------------- sluice

/** One thread's share on the embedded store (in a worker thread, or the process itself). */
export async function sluiceMemoryShare(spec: RunnerSpec, handle: MemoryStoreHandle): Promise<Omit<RunnerReport, 'cpuUserMs' | 'cpuSystemMs' | 'maxRssMiB'>> {
  const store = MemoryStore.attach(handle);
  const poster = new Poster(spec.mockUrl, spec.run);
  const tally = new Tally();
  await offerDue(spec, tally, (due) => {
    const decisions = store.admitManySync(due.messages, { maxWaitMs: waitLeft(spec) });
    decisions.forEach((d, k) => recordDecision(tally, poster, due.messages[k] as Message, due.indices[k] as number, due.intendedAt[k] as number, d));
  });
  await waitForEnd(spec, tally);
  poster.close();
  return finish(tally);
}

async function sluiceMemory(spec: RunnerSpec, workerFile: string): Promise<Omit<RunnerReport, 'cpuUserMs' | 'cpuSystemMs' | 'maxRssMiB'>> {
  const threads = spec.threads ?? 1;
  const total = offerTimes(spec.workload).length;
  const store = MemoryStore.create(sluicePolicy(spec.workload), {
    // A message touches one pair and one recipient, so a run never needs more keys than messages.
    capacity: {
      maxMessages: total + 1_024,
      keys: { 'pair-spacing': Math.min(spec.workload.recipients * spec.workload.numbers, total) + 1_024, 'recipient-daily': Math.min(spec.workload.recipients, total) + 1_024 },
    },
  });
  const parts = await Promise.all(
    Array.from({ length: threads }, (_, t) => {
      const share = { index: t, of: threads };
      return new Promise<Omit<RunnerReport, 'cpuUserMs' | 'cpuSystemMs' | 'maxRssMiB'>>((resolve, reject) => {
        const w = new Worker(workerFile, { workerData: { spec: { ...spec, share }, handle: store.handle } });
        w.once('message', resolve);
        w.once('error', reject);
        w.once('exit', (code) => reject(new Error(`sender thread ${t} exited with code ${code} before reporting`)));
      });
    }),
  );
  return merge(parts);
}

async function sluiceRedis(spec: RunnerSpec): Promise<Omit<RunnerReport, 'cpuUserMs' | 'cpuSystemMs' | 'maxRssMiB'>> {
  const redis = requireRedis(spec);
  const client = new Redis({ host: redis.host, port: redis.port, lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  const store = await RedisStore.connect(sluicePolicy(spec.workload), client, { prefix: `sluice-bench:${spec.run}:` });
  const poster = new Poster(spec.mockUrl, spec.run);
  const tally = new Tally();
  // What became due since the last wake-up goes in one admitMany: one round trip, each message
  // still decided and committed on its own, all or nothing, in offer order.
  await offerDue(spec, tally, (due) => {
    tally.inFlight++;
    store.admitMany(due.messages, { maxWaitMs: waitLeft(spec) }).then(
      (decisions) => {
        tally.inFlight--;
        decisions.forEach((d, k) => recordDecision(tally, poster, due.messages[k] as Message, due.indices[k] as number, due.intendedAt[k] as number, d));
      },
      (e: unknown) => {
        tally.inFlight--;
        for (let k = 0; k < due.messages.length; k++) tally.refuse(`error:${e instanceof Error ? e.name : 'unknown'}`);
      },
    );
  });
  await waitForEnd(spec, tally);
  poster.close();
  await store.close();
  client.disconnect();
  return finish(tally);
}

// ---------------------------------------------------------------- peers

async function rlf(spec: RunnerSpec): Promise<Omit<RunnerReport, 'cpuUserMs' | 'cpuSystemMs' | 'maxRssMiB'>> {
  const m = await import('rate-limiter-flexible');
  const w = spec.workload;
  let client: Redis | null = null;
  let limiter: InstanceType<typeof m.RateLimiterMemory> | InstanceType<typeof m.RateLimiterRedis>;
  if (spec.kind === 'rlf-redis') {
    const redis = requireRedis(spec);
    client = new Redis({ host: redis.host, port: redis.port });
    limiter = new m.RateLimiterRedis({ storeClient: client, points: w.budget, duration: w.windowMs / 1000, keyPrefix: `rlf-bench-${spec.run}` });
  } else limiter = new m.RateLimiterMemory({ points: w.budget, duration: w.windowMs / 1000 });
  const poster = new Poster(spec.mockUrl, spec.run);
  const tally = new Tally();
  const end = spec.startAt + w.durationMs;
  // The documented pattern: consume, and on refusal wait msBeforeNext and try again.
  const attempt = (message: Message, intendedAt: number, first: boolean) => {
    if (clock() > end) return;
    limiter.consume(PORTFOLIO_KEY).then(
      () => {
        if (first) tally.latencies.push((clock() - intendedAt) * 1000);
        postNow(poster, tally, message, null);
      },
      (res: unknown) => {
        if (first) tally.latencies.push((clock() - intendedAt) * 1000);
        if (res instanceof Error) {
          tally.failure ??= res.message;
          return;
        }
        const wait = (res as { msBeforeNext: number }).msBeforeNext;
        setTimeout(() => attempt(message, intendedAt, false), Math.max(1, wait));
      },
    );
  };
  await offerAll(spec, tally, (message, _i, intendedAt) => attempt(message, intendedAt, true));
  await waitForEnd(spec, tally);
  poster.close();
  client?.disconnect();
  return finish(tally);
}

async function bottleneck(spec: RunnerSpec): Promise<Omit<RunnerReport, 'cpuUserMs' | 'cpuSystemMs' | 'maxRssMiB'>> {
  const { default: Bottleneck } = await import('bottleneck');
  const w = spec.workload;
  const common = { reservoir: w.budget, reservoirRefreshAmount: w.budget, reservoirRefreshInterval: w.windowMs };
  const limiter =
    spec.kind === 'bottleneck-redis'
      ? new Bottleneck({ ...common, id: `bottleneck-bench-${spec.run}`, datastore: 'ioredis', clearDatastore: true, clientOptions: { host: requireRedis(spec).host, port: requireRedis(spec).port }, Redis })
      : new Bottleneck(common);
  if (spec.kind === 'bottleneck-redis') await limiter.ready();
  const poster = new Poster(spec.mockUrl, spec.run);
  const tally = new Tally();
  limiter.on('error', (e: unknown) => (tally.failure ??= e instanceof Error ? e.message : String(e)));
  await offerAll(spec, tally, (message) => {
    limiter.schedule(() => poster.post(message, null)).then(
      () => tally.posted++,
      () => undefined, // dropped at the end of the run: counted as unsent
    );
  });
  await sleep(spec.startAt + w.durationMs - clock());
  await limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
  await waitForEnd(spec, tally);
  poster.close();
  await limiter.disconnect().catch(() => undefined);
  return finish(tally);
}

async function limiterPeer(spec: RunnerSpec): Promise<Omit<RunnerReport, 'cpuUserMs' | 'cpuSystemMs' | 'maxRssMiB'>> {
  const { RateLimiter } = await import('limiter');
  const w = spec.workload;
  const limiter = new RateLimiter({ tokensPerInterval: w.budget, interval: w.windowMs });
  const poster = new Poster(spec.mockUrl, spec.run);
  const tally = new Tally();
  const end = spec.startAt + w.durationMs;
  await offerAll(spec, tally, (message) => {
    limiter.removeTokens(1).then(
      () => {
        if (clock() <= end) postNow(poster, tally, message, null);
      },
      (e: unknown) => (tally.failure ??= e instanceof Error ? e.message : String(e)),
    );
  });
  await waitForEnd(spec, tally);
  poster.close();
  return finish(tally);
}

/** The token bucket people write by hand: capacity = budget, refilled continuously. */
async function tokenBucket(spec: RunnerSpec): Promise<Omit<RunnerReport, 'cpuUserMs' | 'cpuSystemMs' | 'maxRssMiB'>> {
  const w = spec.workload;
  const perMs = w.budget / w.windowMs;
  let tokens = w.budget;
  let last = clock();
  const take = (): number => {
    const now = clock();
    tokens = Math.min(w.budget, tokens + (now - last) * perMs);
    last = now;
    if (tokens >= 1) {
      tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - tokens) / perMs);
  };
  const poster = new Poster(spec.mockUrl, spec.run);
  const tally = new Tally();
  const end = spec.startAt + w.durationMs;
  const attempt = (message: Message, intendedAt: number, first: boolean) => {
    if (clock() > end) return;
    const wait = take();
    if (first) tally.latencies.push((clock() - intendedAt) * 1000);
    if (wait === 0) postNow(poster, tally, message, null);
    else setTimeout(() => attempt(message, intendedAt, false), wait);
  };
  await offerAll(spec, tally, (message, _i, intendedAt) => attempt(message, intendedAt, true));
  await waitForEnd(spec, tally);
  poster.close();
  return finish(tally);
}

// ---------------------------------------------------------------- plumbing

/** Peers limit one key for the whole account: the headline budget. */
const PORTFOLIO_KEY = 'account';

function requireRedis(spec: RunnerSpec): { host: string; port: number } {
  if (spec.redis === undefined) throw new Error(`${spec.kind} needs a Redis`);
  return spec.redis;
}

function finish(t: Tally): Omit<RunnerReport, 'cpuUserMs' | 'cpuSystemMs' | 'maxRssMiB'> {
  const refusedCount = Object.values(t.refused).reduce((a, b) => a + b, 0);
  return {
    offered: t.offered,
    posted: t.posted,
    sendErrors: t.sendErrors,
    refused: t.refused,
    unsentAtEnd: Math.max(0, t.offered - t.posted - t.sendErrors - refusedCount),
    committed: Float64Array.from(t.committed),
    latenciesUs: Float64Array.from(t.latencies),
    failure: t.failure,
  };
}

function merge(parts: readonly Omit<RunnerReport, 'cpuUserMs' | 'cpuSystemMs' | 'maxRssMiB'>[]): Omit<RunnerReport, 'cpuUserMs' | 'cpuSystemMs' | 'maxRssMiB'> {
  const refused: Record<string, number> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p.refused)) refused[k] = (refused[k] ?? 0) + v;
  const cat = (xs: Float64Array[]) => {
    const out = new Float64Array(xs.reduce((a, x) => a + x.length, 0));
    let o = 0;
    for (const x of xs) {
      out.set(x, o);
      o += x.length;
    }
    return out;
  };
  return {
    offered: parts.reduce((a, p) => a + p.offered, 0),
    posted: parts.reduce((a, p) => a + p.posted, 0),
    sendErrors: parts.reduce((a, p) => a + p.sendErrors, 0),
    refused,
    unsentAtEnd: parts.reduce((a, p) => a + p.unsentAtEnd, 0),
    committed: cat(parts.map((p) => p.committed)),
    latenciesUs: cat(parts.map((p) => p.latenciesUs)),
    failure: parts.find((p) => p.failure !== null)?.failure ?? null,
  };
}

/** Runs this process's part of the run and measures the process's own CPU and memory. */
export async function runShare(spec: RunnerSpec, workerFile: string): Promise<RunnerReport> {
  const before = process.cpuUsage();
  // Sampled, not resourceUsage().maxRSS: Linux carries ru_maxrss across fork and exec, so a
  // forked runner would report its parent's peak (the bench process's, after planning 1M).
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss > peakRss) peakRss = rss;
  }, 100);
  sampler.unref();
  let part: Omit<RunnerReport, 'cpuUserMs' | 'cpuSystemMs' | 'maxRssMiB'>;
  switch (spec.kind) {
    case 'sluice-memory':
      part = await sluiceMemory(spec, workerFile);
      break;
    case 'sluice-redis':
      part = await sluiceRedis(spec);
      break;
    case 'rlf-memory':
    case 'rlf-redis':
      part = await rlf(spec);
      break;
    case 'bottleneck-local':
    case 'bottleneck-redis':
      part = await bottleneck(spec);
      break;
    case 'limiter':
      part = await limiterPeer(spec);
      break;
    case 'token-bucket':
      part = await tokenBucket(spec);
      break;
  }
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  const cpu = process.cpuUsage(before);
  return { ...part, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, maxRssMiB: peakRss / 1024 / 1024 };
}
