/**
 * Worker thread entry of the parallel campaign planner (a Piscina worker file: plain named
 * handlers). It plans its part of the campaign (the messages of its sending numbers), either on
 * the campaign's embedded store, attached through its shared memory, or with leased batches on
 * a store of its own, and hands the outcome back as one transferred buffer.
 */
import { move } from 'piscina';
import { MemoryStore } from '../store/memory/memory-store.js';
import { campaignStore } from './campaign.js';
import { timeOrderOf } from './columnar-plan.js';
import { partResultBuffer, partResultViews, planCompact, reserveCampaignKeys, type PartResult } from './compact-plan.js';
import { PartClock } from './part-clock.js';
import { partViews, type PlanTask } from './plan-task.js';
import { RunBarrier } from './run-barrier.js';

export function plan(task: PlanTask): unknown {
  const part = partViews(task);
  const n = part.to.length;
  const buffer = partResultBuffer(n);
  const views = partResultViews(buffer, n);
  const lease = task.lease;
  if (lease !== null) {
    // Nothing but the batch runs is shared: a private store, no lock, no lockstep.
    const barrier = new RunBarrier(lease.barrier, task.part, task.parts, lease.size, lease.gapMs, lease.spinMs);
    let store: MemoryStore;
    let own: typeof part;
    try {
      store = campaignStore(lease.policy, n, task, task.commitAheadMs);
      own = { ...part, ...reserveCampaignKeys(store, lease.recipients, lease.pairs) };
    } catch (err) {
      barrier.done(0, task.start, -Infinity); // planCompact signs off itself, even when it throws
      throw err;
    }
    planCompact(store, own, views.outcome, null, 'none', { barrier, quota: lease.quota, gapMs: lease.gapMs, rule: lease.rule, categories: lease.categories });
    return finished(buffer, views);
  }
  const store = MemoryStore.attach(task.handle as NonNullable<PlanTask['handle']>);
  const clock = new PartClock(task.clock, task.part, task.parts, task.start, task.lookaheadSeconds);
  try {
    // With one part the plan takes the portfolio lock for everything, as planCampaign does, so
    // it stays equal to planCampaign's (attribution of delays included).
    const owns = task.parts === 1 ? 'none' : task.ownsRecipients ? 'numbers-and-recipients' : 'numbers';
    planCompact(store, part, views.outcome, clock, owns);
  } finally {
    clock.done();
  }
  return finished(buffer, views);
}

/**
 * The part's sends put in time order (sorted here, in parallel, rather than on the calling
 * thread) and the buffer moved back.
 */
function finished(buffer: ArrayBuffer, views: PartResult): unknown {
  const order = timeOrderOf(views.outcome.sendAt);
  views.order.set(order);
  views.tail[0] = order.length;
  return move(buffer);
}
