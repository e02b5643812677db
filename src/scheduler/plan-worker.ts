/**
 * Worker thread entry of the parallel campaign planner (a Piscina worker file: plain named
 * handlers). It attaches to the campaign's embedded store through its shared memory, plans its
 * part of the campaign (the messages of its sending numbers) and hands the outcome back as one
 * transferred buffer.
 */
import { move } from 'piscina';
import { MemoryStore } from '../store/memory/memory-store.js';
import { outcomeBuffer, outcomeViews, planCompact } from './compact-plan.js';
import { PartClock } from './part-clock.js';
import { partViews, type PlanTask } from './plan-task.js';

export function plan(task: PlanTask): unknown {
  const store = MemoryStore.attach(task.handle);
  const part = partViews(task);
  const n = part.to.length;
  const buffer = outcomeBuffer(n);
  const clock = new PartClock(task.clock, task.part, task.parts, task.start, task.lookaheadSeconds);
  try {
    // With one part the plan takes the portfolio lock for everything, as planCampaign does, so
    // it stays equal to planCampaign's (attribution of delays included).
    const owns = task.parts === 1 ? 'none' : task.ownsRecipients ? 'numbers-and-recipients' : 'numbers';
    planCompact(store, part, outcomeViews(buffer, n), clock, owns);
  } finally {
    clock.done();
  }
  return move(buffer);
}
