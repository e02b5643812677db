import type { Piscina } from 'piscina';
import { PlannerClosedError, ValidationError } from '../errors.js';
import { objectPlan, type CampaignPlan, type CampaignRecipient } from './campaign.js';
import type { ColumnarPlan } from './columnar-plan.js';
import { planOnPoolInPhases, planningPool, type ParallelPlanOptions, type PlanPhases } from './parallel-plan.js';
import { recipientColumns, type RecipientColumns } from './recipient-columns.js';

export interface CampaignPlannerOptions {
  /**
   * Worker threads the planner keeps (default 2, at most 256). A campaign is split by sending
   * number, so one with fewer numbers than threads leaves the extra threads idle.
   */
  readonly threads?: number;
  /** The worker script (see ParallelPlanOptions.workerFile). */
  readonly workerFile?: string | URL;
}

/** What one plan of a CampaignPlanner takes: a campaign's options, the threads being the planner's. */
export type PlannerCampaignOptions = Omit<ParallelPlanOptions, 'threads' | 'workerFile'>;

/** The planner's pool and plan queue, reachable from this module only (the bench times phases through it). */
interface PlannerState {
  pool: Piscina | null;
  /** The last plan queued: each plan starts once the one before it has settled. */
  tail: Promise<unknown>;
}
const states = new WeakMap<CampaignPlanner, PlannerState>();

/**
 * Worker threads kept between plans: `planCampaignParallel` and `planCampaignColumnsParallel`
 * start a pool for each call and stop it after, so every call pays for starting its threads and
 * for compiling the planner's code again in each of them (V8 compiles per thread); a planner
 * pays that once. Plans give the same result as those functions with the same thread count.
 *
 * Plans run one at a time, in the order they were asked for: the parts of one plan wait for
 * each other, so two plans sharing the threads at once could each hold a thread the other needs.
 * A plan that fails (PlanWorkerError) leaves the planner usable. `close()` when done: the threads
 * keep running until then.
 */
export class CampaignPlanner {
  readonly threads: number;

  constructor(options: CampaignPlannerOptions = {}) {
    const threads = options.threads ?? 2;
    if (!Number.isSafeInteger(threads) || threads < 1 || threads > 256) throw new ValidationError('threads', 'an integer from 1 to 256', threads);
    this.threads = threads;
    // The threads start now, while the caller reads and lays out its first campaign.
    states.set(this, { pool: planningPool(threads, options.workerFile), tail: Promise.resolve() });
  }

  /** `planCampaignColumnsParallel` on this planner's threads. */
  planColumns(recipients: RecipientColumns, options: PlannerCampaignOptions): Promise<ColumnarPlan> {
    return plannerRun(this, recipients, options, null);
  }

  /** `planCampaignParallel` on this planner's threads. */
  async plan(recipients: readonly CampaignRecipient[], options: PlannerCampaignOptions): Promise<CampaignPlan> {
    return objectPlan(recipients, options, await plannerRun(this, recipientColumns(recipients), options, null));
  }

  /** Stops the threads once the plans already asked for have settled. Later plans fail with PlannerClosedError. */
  async close(): Promise<void> {
    const state = stateOf(this);
    const pool = state.pool;
    if (pool === null) return;
    state.pool = null;
    await state.tail.catch(() => undefined);
    await pool.destroy();
  }
}

function stateOf(planner: CampaignPlanner): PlannerState {
  const state = states.get(planner);
  if (state === undefined) throw new TypeError('not a CampaignPlanner');
  return state;
}

/**
 * A plan on the planner's threads, queued behind the plans before it; timing its phases into
 * `phases` when given (the planning bench's access; not in the package's API).
 */
export function plannerRun(planner: CampaignPlanner, recipients: RecipientColumns, options: PlannerCampaignOptions, phases: PlanPhases | null): Promise<ColumnarPlan> {
  const state = stateOf(planner);
  const pool = state.pool;
  if (pool === null) return Promise.reject(new PlannerClosedError());
  const run = () => planOnPoolInPhases(pool, recipients, options, planner.threads, phases);
  const result = state.tail.then(run, run);
  state.tail = result.catch(() => undefined);
  return result;
}
