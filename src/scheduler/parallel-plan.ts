import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { PlanWorkerError } from '../errors.js';
import { NUMBER_KEY_GAP, campaignStore, objectPlan, prepareCampaign, withKeys, type CampaignOptions, type CampaignPlan, type CampaignRecipient, type PreparedCampaign } from './campaign.js';
import { columnarPlan, mergeTimeOrders, type ColumnarPlan } from './columnar-plan.js';
import { allDistinct } from './distinct-numbers.js';
import { recipientColumns, type RecipientColumns } from './recipient-columns.js';
import type { BatchRule, Policy } from '../core/types.js';
import type { MemoryStore } from '../store/memory/memory-store.js';
import { CATEGORY_ORDER, outcomeBuffer, outcomeViews, partResultViews, type CompactCampaign, type CompactOutcome } from './compact-plan.js';
import { partClockBuffer, signOffFailedClock } from './part-clock.js';
import { columnBytes, packTask, type PlanTask } from './plan-task.js';
import { apportion, runBarrierBuffer, signOffFailedPart } from './run-barrier.js';
import { workerExecArgv, workerScriptPath } from './worker-path.js';

export interface ParallelPlanOptions extends Omit<CampaignOptions, 'store'> {
  /**
   * Worker threads (default 2). The campaign is split by sending number, so more threads than
   * numbers in the pool do not help: at most `numbers.length` workers run.
   */
  readonly threads?: number;
  /**
   * The worker script (default: `plan-worker.js` beside the bundle that holds this function, as
   * built into `dist/`). Only needed when running from the TypeScript sources.
   */
  readonly workerFile?: string | URL;
}

/**
 * `planCampaign` on a Piscina pool of worker threads. The sending numbers are split between the
 * workers (number k to part k mod parts); each worker plans the messages of its numbers in
 * simulated time order, and every limit is exact whatever the number of threads. Per-number and
 * per-pair limits live in one worker, so do per-recipient limits (daily caps) when no recipient
 * is messaged from numbers of two workers. What the workers share is handled in one of two ways:
 * - leased batches, when the campaign's batch rule is all they share (see `leasableBatch`): each
 *   worker plans on a store of its own and the workers agree on each batch run (RunBarrier). The
 *   plan is deterministic for a given thread count, but not the one-thread plan;
 * - a shared store otherwise (a portfolio's messaging limit, recipients reached from two
 *   workers): one embedded store in shared memory, the shared limits decided under its portfolio
 *   lock and the workers kept close in simulated time (PartClock). Which worker takes a contended
 *   slot of a shared limit depends on thread timing, so two runs may differ.
 * Message columns go to the workers and send instants come back as transferred typed arrays.
 *
 * With one thread the plan is deterministic and equals `planCampaign`'s.
 *
 * A worker that throws (say, a store capacity exhausted) fails the whole plan with a
 * PlanWorkerError carrying its error as `cause`; the pool is shut down either way.
 */
export async function planCampaignParallel(recipients: readonly CampaignRecipient[], o: ParallelPlanOptions): Promise<CampaignPlan> {
  return objectPlan(recipients, o, await planCampaignInPhases(recipientColumns(recipients), o, null));
}

/**
 * `planCampaignParallel` for a campaign held as columns (see RecipientColumns), returning the
 * plan as columns (see `planCampaignColumns`): what a caller with a million recipients uses to
 * keep the calling thread's share of the work small, so that the threads' share scales.
 */
export async function planCampaignColumnsParallel(recipients: RecipientColumns, o: ParallelPlanOptions): Promise<ColumnarPlan> {
  return planCampaignInPhases(recipients, o, null);
}

/**
 * How long each phase of a parallel plan took, in ms: laying the campaign out and splitting it
 * (the calling thread), the workers (from the first task handed to the pool to the last part's
 * outcome, pool start included; merging the parts' outcomes counts here too), and building the
 * plan's columns (the calling thread). Shutting the pool down falls in none of them.
 */
export interface PlanPhases {
  prepareMs: number;
  workersMs: number;
  assembleMs: number;
}

/**
 * `planCampaignColumnsParallel`, timing its phases into `phases` when given (for the planning
 * bench, which shows what part of a plan the threads share; not in the package's API).
 */
export async function planCampaignInPhases(recipients: RecipientColumns, o: ParallelPlanOptions, phases: PlanPhases | null): Promise<ColumnarPlan> {
  const threads = o.threads ?? 2;
  if (!Number.isSafeInteger(threads) || threads < 1 || threads > 256) {
    throw new RangeError(`Expected \`threads\` to be an integer from 1 to 256, got ${String(threads)}`);
  }
  // The workers start (a thread and its modules each) while this thread lays the campaign out.
  const pool = planningPool(Math.max(1, Math.min(threads, o.numbers.length)), o.workerFile);
  try {
    return await planOnPoolInPhases(pool, recipients, o, threads, phases);
  } finally {
    await pool.destroy();
  }
}

/** A Piscina pool of `size` planning workers running `workerFile` (default: plan-worker.js beside this bundle). */
export function planningPool(size: number, workerFile: string | URL | undefined): Piscina {
  const filename = workerScriptPath(workerFile, 'plan-worker.js', 'planning');
  return new Piscina({ filename, minThreads: size, maxThreads: size, idleTimeout: 1_000, atomics: 'disabled', execArgv: workerExecArgv() });
}

/**
 * One campaign planned on `pool` (at least min(threads, numbers) workers, none of them busy:
 * the parts of a plan wait for each other, so two plans must never share a pool at once).
 */
export async function planOnPoolInPhases(pool: Piscina, recipients: RecipientColumns, o: ParallelPlanOptions, threads: number, phases: PlanPhases | null): Promise<ColumnarPlan> {
  const planned = await planOnPool(pool, recipients, o, threads, phases);
  const began = performance.now();
  const { prepared, outcome, timePositions } = planned;
  const plan = columnarPlan(prepared.policy, o.numbers.length, prepared.order, prepared.columns.number, outcome, timePositions);
  if (phases !== null) phases.assembleMs = performance.now() - began;
  return plan;
}

/**
 * The campaign laid out, split into parts and planned on `pool` (at least as many threads as
 * parts). Recipients are first taken to be distinct (so numbered by position, with nothing
 * sorted before the workers start), and this thread checks that while they plan; if there is a
 * duplicate, the campaign is laid out again with ids by value and planned again.
 */
async function planOnPool(pool: Piscina, recipients: RecipientColumns, o: ParallelPlanOptions, threads: number, phases: PlanPhases | null): Promise<{ prepared: PreparedCampaign; outcome: CompactOutcome; timePositions: Int32Array }> {
  const began = performance.now();
  const assumed = prepareCampaign(recipients, o, 'positions');
  const first = await planRound(pool, assumed, o, threads, true, phases, began);
  if (first.distinct) return { prepared: assumed, ...first };
  const again = performance.now();
  const prepared = prepareCampaign(recipients, o, 'dense');
  return { prepared, ...(await planRound(pool, prepared, o, threads, false, phases, again)) };
}

/** One planning of a prepared campaign on the pool; `check`: whether to check that its recipients are distinct (ids by position), reported as `distinct`. */
async function planRound(pool: Piscina, prepared: PreparedCampaign, o: ParallelPlanOptions, threads: number, check: boolean, phases: PlanPhases | null, began: number): Promise<{ outcome: CompactOutcome; timePositions: Int32Array; distinct: boolean }> {
  const columns = prepared.columns;
  const n = columns.to.length;
  let parts = Math.min(threads, o.numbers.length);
  // When each recipient's messages all fall in one part (always so for a screened campaign, where
  // every recipient appears once), recipient limits such as the daily cap are owned by that part
  // and stay out of the portfolio lock, which is then left to the truly shared limits.
  let ownsRecipients = recipientsInOnePart(columns.recipient, columns.number, parts, prepared.recipientCount);
  let batch = parts > 1 ? leasableBatch(prepared.policy, ownsRecipients) : null;
  if (batch !== null && batch.size < parts) {
    // Every part needs a quota of at least one send per run.
    parts = batch.size;
    ownsRecipients = recipientsInOnePart(columns.recipient, columns.number, parts, prepared.recipientCount);
    batch = parts > 1 ? leasableBatch(prepared.policy, ownsRecipients) : null;
  }

  // Part p takes numbers p, p + parts, p + 2·parts, …: with a rotation over the pool, the parts
  // hold nearly equal shares of every category and zone.
  const numberMap = new Int32Array(o.numbers.length);
  const partNumbers: string[][] = Array.from({ length: parts }, () => []);
  o.numbers.forEach((num, k) => {
    const list = partNumbers[k % parts]!;
    numberMap[k] = list.length;
    list.push(num);
  });
  const counts = new Int32Array(parts);
  for (let i = 0; i < n; i++) {
    const p = (columns.number[i] as number) % parts;
    counts[p] = (counts[p] as number) + 1;
  }
  const positions = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(parts);
  for (let i = 0; i < n; i++) {
    const p = (columns.number[i] as number) % parts;
    positions[p]![fill[p] as number] = i;
    fill[p] = (fill[p] as number) + 1;
  }

  const sync = { clock: partClockBuffer(parts), parts, ownsRecipients, lookaheadSeconds: 1 };
  // Every part's columns in one shared buffer, a region each.
  const offsets = new Float64Array(parts);
  let bytes = 0;
  positions.forEach((pos, p) => {
    offsets[p] = bytes;
    bytes += columnBytes(pos.length);
  });
  const shared = new SharedArrayBuffer(bytes);
  const into = (p: number) => ({ columns: shared, offset: offsets[p] as number });
  let tasks: PlanTask[];
  if (batch !== null) {
    // Leased batches: the parts share nothing but the batch runs, so each plans on a store of
    // its own, with its recipients and pairs numbered from 0.
    const ids = partLocalIds(columns.recipient, columns.pair, positions, prepared.recipientCount, prepared.pairCount);
    const barrier = runBarrierBuffer(parts);
    const rule = batch.rule;
    const gapMs = batch.gapMs;
    // Polling at the barrier pays only while a core is left over for the rest: the calling
    // thread's duplicate check, and V8's compiler and collector threads, which a spinning part
    // would slow down (2 parts on 2 cores: the worker phase ran 1.47-1.54x faster than 1 thread
    // without polling, 1.36-1.49x with 2 ms of it, three alternated sets).
    const spinMs = parts < availableParallelism() ? 2 : 0;
    const size = batch.size;
    // The first run's quotas by the messages the batch rule counts in each part.
    const counted = new Int32Array(parts);
    for (let i = 0; i < n; i++) {
      const p = (columns.number[i] as number) % parts;
      counted[p] = (counted[p] as number) + (batch.categories[columns.category[i] as number] as number);
    }
    const quotas = apportion(size, counted);
    tasks = positions.map((pos, p) => {
      const lease = { policy: prepared.policy, barrier, size, quota: quotas[p] as number, gapMs, rule, categories: batch.categories, spinMs, recipients: ids.recipients[p] as number, pairs: ids.pairs[p] as number };
      return packTask({ handle: null, lease }, { ...sync, part: p }, columns, pos, partNumbers[p]!, numberMap, into(p), ids);
    });
  } else {
    const store = campaignStore(prepared.policy, n, o, columns.commitAheadMs);
    const compact = withKeys(prepared, store);
    separateNumberKeys(store, compact, partNumbers);
    // A part may run this far ahead of the slowest one in simulated time (see PartClock); what
    // it is ahead by is at most how late the slowest part's next sends can slip.
    tasks = positions.map((pos, p) => packTask({ handle: store.handle, lease: null }, { ...sync, part: p }, compact, pos, partNumbers[p]!, numberMap, into(p)));
  }
  const handed = performance.now();
  if (phases !== null) phases.prepareMs = handed - began;
  // Every part's task settles before the plan does, failed or not: the pool's threads are then
  // free (a CampaignPlanner's next plan needs them all). A failed part is signed off, so that
  // the others, which may be waiting for it, finish.
  const running = Promise.allSettled(
    tasks.map(async (task, p) => {
      try {
        return (await pool.run(task, { name: 'plan' })) as ArrayBuffer;
      } catch (cause) {
        if (task.lease !== null) signOffFailedPart(task.lease.barrier, p, parts);
        signOffFailedClock(task.clock, p);
        throw new PlanWorkerError(p, { cause });
      }
    }),
  ).then((settled) => {
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<ArrayBuffer>).value);
  });
  // Awaited below; a worker's failure must not count as unhandled while this thread checks.
  running.catch(() => undefined);
  let distinct = true;
  if (check) {
    // While the workers plan, this thread (otherwise idle) checks that the recipients the plan
    // numbered by position are indeed distinct, once the pool has had a turn to hand the tasks out.
    await new Promise((resolve) => setImmediate(resolve));
    distinct = allDistinct(prepared.columns.to);
  }
  const outcomes = await running;
  const outcome = outcomeViews(outcomeBuffer(n), n);
  const results = positions.map((pos, p) => partResultViews(outcomes[p]!, pos.length));
  positions.forEach((pos, p) => merge(outcome, results[p]!.outcome, pos));
  const timePositions = mergeTimeOrders(results.map((r, p) => ({ positions: positions[p]!, sendAt: r.outcome.sendAt, order: r.order.subarray(0, r.tail[0]) })));
  if (phases !== null) phases.workersMs = performance.now() - handed;
  return { outcome, timePositions, distinct };
}


/**
 * Interns the sending numbers' keys part by part, with NUMBER_KEY_GAP unused keys between parts. A
 * number's state for a rate (its next slot) or a window (its length) is one word per key, and
 * every message writes it: two parts' numbers side by side would share a cache line that both
 * cores write all the time (false sharing), although no state is shared. Skipped when the gaps
 * would take much of a number rule's key table (thousands of numbers or parts).
 */
function separateNumberKeys(store: MemoryStore, c: CompactCampaign, partNumbers: readonly (readonly string[])[]): void {
  const numbers = partNumbers.reduce((sum, list) => sum + list.length, 0);
  if (partNumbers.length < 2 || numbers + NUMBER_KEY_GAP * partNumbers.length > 2_048 || c.to.length === 0) return;
  const numberRules = store.policy.limits.flatMap((rule, r) => (rule.scope === 'number' ? [r] : []));
  if (numberRules.length === 0) return;
  for (const list of partNumbers) {
    for (const from of list) {
      // One message per category interns the keys of every number rule, whatever categories it applies to.
      for (const category of CATEGORY_ORDER) {
        store.prepare({ id: `${c.campaign}:keys`, to: `+${c.to[0] as number}`, from, portfolio: c.portfolio, category, campaign: c.campaign, timeZone: c.zones[0] as string });
      }
    }
    for (const r of numberRules) store.reserveKeys(r, NUMBER_KEY_GAP);
  }
}

/** Whether every recipient id's messages all go from numbers of one part (number k is in part k mod parts). */
function recipientsInOnePart(recipient: Int32Array, number: Uint16Array, parts: number, recipients: number): boolean {
  // As many recipients as messages: each is messaged once.
  if (recipients === recipient.length) return true;
  const partOf = new Int16Array(recipients).fill(-1);
  for (let i = 0; i < recipient.length; i++) {
    const r = recipient[i] as number;
    const p = (number[i] as number) % parts;
    const seen = partOf[r] as number;
    if (seen < 0) partOf[r] = p;
    else if (seen !== p) return false;
  }
  return true;
}

/**
 * The batch rule, when it is the only limit the parts would share: every other limit is kept
 * per sending number or pair (one part's), per recipient when each recipient is in one part, or
 * per API key (campaign messages carry none, so it never applies). Null when there are several
 * batch rules or another shared limit (a portfolio's messaging limit, say): those plans share the
 * store. Without a batch rule (and nothing else shared), an endless batch: the parts never meet.
 * `categories`: per index in CATEGORY_ORDER, 1 when the batch rule counts that category.
 */
function leasableBatch(policy: Policy, ownsRecipients: boolean): { readonly rule: number; readonly size: number; readonly gapMs: number; readonly categories: Uint8Array } | null {
  let found: { rule: number; size: number; gapMs: number; categories: Uint8Array } | null = null;
  for (const [r, rule] of policy.limits.entries()) {
    if (rule.kind === 'batch' && (rule.scope === 'campaign' || rule.scope === 'portfolio')) {
      if (found !== null) return null;
      const counted = rule.categories;
      const categories = Uint8Array.from(CATEGORY_ORDER, (c) => (counted === undefined || counted.includes(c) ? 1 : 0));
      found = { rule: r, size: (rule as BatchRule).size, gapMs: (rule as BatchRule).gapMs, categories };
    } else if (!(rule.scope === 'number' || rule.scope === 'pair' || rule.scope === 'apiKey' || (rule.scope === 'recipient' && ownsRecipients))) {
      return null;
    }
  }
  // Nothing shared at all: one run that never ends.
  return found ?? { rule: -1, size: Infinity, gapMs: Infinity, categories: new Uint8Array(CATEGORY_ORDER.length) };
}

/**
 * Recipient and pair ids renumbered from 0 inside each part, in the order the part meets them
 * (each recipient is in one part here, and a pair always is): the maps and the count per part.
 */
function partLocalIds(recipient: Int32Array, pair: Int32Array, positions: readonly Int32Array[], recipients: number, pairs: number) {
  if (recipients === recipient.length && pairs === pair.length) {
    // Every message its own recipient and pair (ids by position, or dense ids of distinct
    // numbers): a message's local id is its index in its part.
    const counts = Int32Array.from(positions, (pos) => pos.length);
    const local = indexInPart(recipient, positions);
    return { recipient: local, pair: pair === recipient ? local : indexInPart(pair, positions), recipients: counts, pairs: counts };
  }
  const recipientMap = new Int32Array(recipients).fill(-1);
  const pairMap = new Int32Array(pairs).fill(-1);
  const recipientCounts = new Int32Array(positions.length);
  const pairCounts = new Int32Array(positions.length);
  positions.forEach((pos, p) => {
    let nr = 0;
    let np = 0;
    for (let k = 0; k < pos.length; k++) {
      const i = pos[k] as number;
      const r = recipient[i] as number;
      if (recipientMap[r] === -1) recipientMap[r] = nr++;
      const q = pair[i] as number;
      if (pairMap[q] === -1) pairMap[q] = np++;
    }
    recipientCounts[p] = nr;
    pairCounts[p] = np;
  });
  return { recipient: recipientMap, pair: pairMap, recipients: recipientCounts, pairs: pairCounts };
}

/** Per id (each held by one message), that message's index in its part. */
function indexInPart(ids: Int32Array, positions: readonly Int32Array[]): Int32Array {
  const local = new Int32Array(ids.length);
  for (const pos of positions) for (let k = 0; k < pos.length; k++) local[ids[pos[k] as number] as number] = k;
  return local;
}

function merge(into: CompactOutcome, part: CompactOutcome, positions: Int32Array): void {
  for (let k = 0; k < positions.length; k++) {
    const i = positions[k] as number;
    into.sendAt[i] = part.sendAt[k] as number;
    into.refusal[i] = part.refusal[k] as number;
    into.rule[i] = part.rule[k] as number;
    into.held[i] = part.held[k] as number;
  }
}
