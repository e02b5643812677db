import { createWriteStream, readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { CountryCode } from 'libphonenumber-js/max';
import { loadPolicy } from './policy-file.js';
import { planCampaignColumns } from '../scheduler/campaign.js';
import { columnarSends, skipOf, type ColumnarPlan } from '../scheduler/columnar-plan.js';
import { e164Digits } from '../scheduler/e164-digits.js';
import { CAMPAIGN_CATEGORIES, type RecipientColumns } from '../scheduler/recipient-columns.js';
import { readRecipientFile, screenRecipientsAsync, screenRecipientsParallel } from '../scheduler/recipients/index.js';
import { RedisStore } from '../store/redis/redis-store.js';
import { checkLedger } from '../verify/checker.js';
import type { Millis } from '../core/types.js';

export interface PlanArgs {
  readonly policy: string;
  readonly recipients: string;
  readonly start: Millis;
  readonly numbers: readonly string[];
  readonly portfolio: string;
  readonly campaign: string;
  readonly out: string | undefined;
  readonly store: string;
  readonly deadline: Millis | undefined;
  readonly accountStartedAt: Millis | undefined;
  readonly suppression: string | undefined;
  readonly defaultCountry: string | undefined;
  /** Worker threads for screening (1: on this thread). The output is the same for any count. */
  readonly threads: number;
}

/** One skipped or planned row of the output, in the documented schedule format (see README). */
type Line = Record<string, string | number>;

/**
 * `sluice plan`: screen a recipient list, plan the campaign, write one schedule line per input
 * row (in input order) and a summary on stderr. Exit codes: 0 planned (skipped rows are part of
 * a plan, with their reasons), 1 the plan failed its own independent verification (a bug: it
 * should never happen), 2 bad usage or input.
 */
export async function runPlan(a: PlanArgs, err: (s: string) => void, tty: boolean): Promise<number> {
  const policy = loadPolicy(a.policy);
  const suppression = new Set<string>(a.suppression ? readFileSync(a.suppression, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter(Boolean) : []);
  const screenOptions = {
    now: a.start,
    suppression,
    ...(a.defaultCountry !== undefined ? { defaultCountry: a.defaultCountry as CountryCode } : {}),
  };
  const rows = readRecipientFile(a.recipients);
  const outcomes = a.threads > 1 ? screenRecipientsParallel(rows, screenOptions, { threads: a.threads }) : screenRecipientsAsync(rows, screenOptions);
  // Each outcome is kept only as what the rest needs: the input order of rows, the line of a row
  // screened out, the recipient to plan as columns (and its id for the schedule). (A million
  // outcome objects held to the end made every later garbage collection trace them.)
  const order: number[] = [];
  const accepted = new AcceptedColumns();
  const early = new Map<number, Line>();
  for await (const o of outcomes) {
    order.push(o.row);
    if (tty && order.length % 50_000 === 0) err(`\rread ${order.length.toLocaleString('en-US')} rows…`);
    if (o.status === 'skipped') {
      early.set(o.row, { id: o.id, row: o.row, skipped: o.reason, detail: o.detail });
    } else if (o.timeZones.length > 1) {
      // Quiet hours must hold in every zone the number may be in: without a `tz`, do not guess.
      early.set(o.row, { id: o.id, row: o.row, skipped: 'ambiguous-time-zone', detail: `${o.timeZones.length} candidate zones; give a tz column` });
    } else {
      accepted.push(o.id, o.row, o.to, o.timeZone ?? policy.defaultTimeZone, o.category);
    }
  }
  const columns = accepted.columns();
  if (tty) err(`\rplanning ${columns.to.length.toLocaleString('en-US')} recipients…\n`);

  let client: Redis | undefined;
  try {
    let store: RedisStore | undefined;
    if (a.store !== 'memory') {
      client = new Redis(a.store, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await client.connect();
      store = await RedisStore.connect(policy, client, { clock: 'client' });
    }
    const began = performance.now();
    const plan = await planCampaignColumns(columns, {
      policy,
      numbers: a.numbers,
      portfolio: a.portfolio,
      campaign: a.campaign,
      start: a.start,
      ...(a.deadline !== undefined ? { deadline: a.deadline } : {}),
      ...(a.accountStartedAt !== undefined ? { accountStartedAt: a.accountStartedAt } : {}),
      ...(store ? { store } : {}),
    });
    const planningMs = performance.now() - began;
    await writeLines(a.out, scheduleLines(order, early, plan, columns, accepted.ids, a));

    const sends = columnarSends(plan, columns, a);
    const report = checkLedger(plan.policy, sends);
    // The deadline is the campaign's, not a limit the checker knows: checked here.
    const deadline = a.deadline;
    const late = deadline === undefined ? 0 : sends.reduce((n, s) => n + (s.sendAt > deadline ? 1 : 0), 0);
    summary(err, order.length, plan, [...early.values()], planningMs, report.violations.length + late);
    return report.ok && late === 0 ? 0 : 1;
  } finally {
    client?.disconnect();
  }
}

/**
 * The recipients that passed screening, as the columns the planner takes, plus each one's id
 * (the schedule's `id` field). Rows come in input order, so recipient k is the k-th accepted row.
 */
class AcceptedColumns {
  readonly ids: string[] = [];
  readonly #to: number[] = [];
  readonly #category: number[] = [];
  readonly #zone: number[] = [];
  readonly #row: number[] = [];
  readonly #zones = new Map<string, number>();

  push(id: string, row: number, to: string, timeZone: string, category: (typeof CAMPAIGN_CATEGORIES)[number]): void {
    let z = this.#zones.get(timeZone);
    if (z === undefined) this.#zones.set(timeZone, (z = this.#zones.size));
    this.ids.push(id);
    // Screening gives canonical E.164; anything else is refused by the planner's column check.
    this.#to.push(e164Digits(to));
    this.#category.push(CAMPAIGN_CATEGORIES.indexOf(category));
    this.#zone.push(z);
    this.#row.push(row);
  }

  columns(): RecipientColumns {
    return { to: Float64Array.from(this.#to), category: Uint8Array.from(this.#category), zone: Uint16Array.from(this.#zone), zones: [...this.#zones.keys()], row: Int32Array.from(this.#row) };
  }
}

/** Recipient k's schedule line. */
function lineOf(plan: ColumnarPlan, c: RecipientColumns, ids: readonly string[], k: number, a: PlanArgs): Line {
  const skip = skipOf(plan, k);
  const id = ids[k] as string;
  if (skip !== null) return { id, row: c.row![k] as number, skipped: skip.reason, ...(skip.detail !== null ? { detail: `limit ${skip.detail}` } : {}) };
  return {
    id,
    to: `+${c.to[k] as number}`,
    from: a.numbers[plan.from[k] as number] as string,
    portfolio: a.portfolio,
    category: CAMPAIGN_CATEGORIES[c.category[k] as number] as string,
    campaign: a.campaign,
    timeZone: c.zones[c.zone[k] as number] as string,
    sendAt: new Date(plan.sendAt[k] as number).toISOString(),
    batch: plan.batch[k] as number,
  };
}

/**
 * The schedule's lines in input order: a row screened out early, or the plan's line for it (the
 * plan keeps the accepted rows' input order). Made one at a time as they are written.
 */
function* scheduleLines(order: readonly number[], early: ReadonlyMap<number, Line>, plan: ColumnarPlan, c: RecipientColumns, ids: readonly string[], a: PlanArgs): Generator<string> {
  let k = 0;
  for (const row of order) {
    let line = early.get(row);
    if (line === undefined) {
      if (k >= plan.count || c.row![k] !== row) throw new Error(`sluice plan: the plan has no row ${row} in input order`);
      line = lineOf(plan, c, ids, k++, a);
    }
    yield JSON.stringify(line);
  }
}

/** Lines are written in chunks of about 64 KiB: one write per line costs more than the JSON. */
const WRITE_CHUNK = 1 << 16;

async function writeLines(path: string | undefined, lines: Iterable<string>): Promise<void> {
  const stream: NodeJS.WritableStream = path ? createWriteStream(path) : process.stdout;
  let chunk = '';
  const flush = async (): Promise<void> => {
    if (!stream.write(chunk)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
    chunk = '';
  };
  for (const line of lines) {
    chunk += `${line}\n`;
    if (chunk.length >= WRITE_CHUNK) await flush();
  }
  if (chunk !== '') await flush();
  if (path) await new Promise<void>((resolve) => stream.end(() => resolve()));
}

function summary(err: (s: string) => void, rows: number, plan: ColumnarPlan, skippedEarly: readonly Line[], planningMs: number, violations: number): void {
  const fmt = (n: number) => n.toLocaleString('en-US');
  const reasons = new Map<string, number>();
  for (const l of skippedEarly) reasons.set(String(l['skipped']), (reasons.get(String(l['skipped'])) ?? 0) + 1);
  for (let k = 0; k < plan.count; k++) {
    const skip = skipOf(plan, k);
    if (skip !== null) reasons.set(skip.reason, (reasons.get(skip.reason) ?? 0) + 1);
  }
  const sent = plan.timeOrder.length;
  err(`rows      ${fmt(rows)}: ${fmt(sent)} planned, ${fmt(rows - sent)} skipped`);
  for (const [reason, n] of [...reasons].sort((x, y) => y[1] - x[1])) err(`  ${reason.padEnd(26)} ${fmt(n).padStart(9)}`);
  if (plan.heldBy.size > 0) {
    err('held      messages deferred to a later slot (a message may be held by several rules)');
    for (const [rule, n] of [...plan.heldBy].sort((x, y) => y[1] - x[1])) err(`  ${rule.padEnd(26)} ${fmt(n).padStart(9)}`);
  }
  err(`batches   ${fmt(plan.batches.length)}`);
  if (sent > 0) {
    const first = plan.sendAt[plan.timeOrder[0] as number] as number;
    const last = plan.sendAt[plan.timeOrder[sent - 1] as number] as number;
    err(`first     ${new Date(first).toISOString()}`);
    err(`finish    ${new Date(last).toISOString()}`);
    // Sends per UTC hour, as a small bar chart (at most 48 rows: the busiest hours if longer).
    const perHour = new Map<number, number>();
    for (const k of plan.timeOrder) {
      const hour = Math.floor((plan.sendAt[k] as number) / 3_600_000);
      perHour.set(hour, (perHour.get(hour) ?? 0) + 1);
    }
    const hours = [...perHour].sort((x, y) => x[0] - y[0]);
    const shown = hours.length <= 48 ? hours : [...hours].sort((x, y) => y[1] - x[1]).slice(0, 48).sort((x, y) => x[0] - y[0]);
    const peak = Math.max(...shown.map(([, n]) => n));
    err(hours.length <= 48 ? 'per hour  (UTC)' : `per hour  (UTC; the 48 busiest of ${hours.length} hours)`);
    for (const [h, n] of shown) err(`  ${new Date(h * 3_600_000).toISOString().slice(0, 13)}h ${fmt(n).padStart(8)} ${'█'.repeat(Math.max(1, Math.round((40 * n) / peak)))}`);
  }
  err(`verified  ${violations === 0 ? 'no limit exceeded (independent checker)' : `${violations} VIOLATIONS`}`);
  err(`planned   in ${planningMs.toFixed(0)} ms`);
  // The process's high-water mark: what an operator sizes the machine by.
  err(`memory    ${Math.round(process.resourceUsage().maxRSS / 1024).toLocaleString('en-US')} MiB peak`);
}
