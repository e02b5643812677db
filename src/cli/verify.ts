/**
 * `sluice verify --policy P --schedule FILE [--json] [--max-violations N] [--deadline ISO]`: checks a planned
 * schedule (see `schedule-format.ts`) against a policy with the independent checker.
 *
 * Independence: this file reads the policy and the schedule and hands the sends to
 * `checkLedger`; it never imports the planner or a store, so a bug there cannot be mirrored here.
 *
 * Beyond the checker's limits, send windows and duplicate ids, the schedule itself is checked:
 * - every skip reason is one of `SKIP_REASONS`;
 * - no id is both sent and skipped, except with reason `duplicate`: a repeated input row is
 *   skipped under the id of the row that was planned, so that pair is expected;
 * - with a deadline, no send after it.
 *
 * Exit codes: 0 clean, 1 at least one violation, 2 bad arguments or unreadable/invalid input.
 * Output never holds a full phone number: the checker masks the numbers in its keys, and every
 * other string taken from the input (ids, campaign names, skip reasons) has each run of 8 or
 * more digits masked past its fourth character (`maskDigits`).
 */
import { readFileSync } from 'node:fs';
import { SluiceError, ValidationError, maskValue } from '../errors.js';
import { checkLedger, type Violation, type ViolationKind } from '../verify/checker.js';
import type { LedgerEntry } from '../verify/ledger.js';
import type { LimitKind, LimitRule, Millis, Policy, Scope, SendWindowRule } from '../core/types.js';
import { loadPolicy } from './policy-file.js';
import { SKIP_REASONS, isSkipReason, parseSchedule, type Schedule } from './schedule-format.js';

export interface VerifyArgs {
  /** Preset name or policy file (`--policy`). */
  readonly policy: string;
  /** Schedule file, JSON Lines (`--schedule`). */
  readonly schedule: string;
  /** How many violations to list (`--max-violations`, default 20); 0 lists none. Does not affect the exit code. */
  readonly maxViolations?: number;
  /** Machine-readable output (`--json`). */
  readonly json?: boolean;
  /** The campaign's deadline (`--deadline`): no send may be after it. */
  readonly deadline?: Millis;
}

export const DEFAULT_MAX_VIOLATIONS = 20;

/** Problems of the schedule itself rather than of a limit. */
export type ScheduleViolationKind = 'unknown-skip-reason' | 'sent-and-skipped' | 'after-deadline';

export interface VerifyViolation {
  readonly kind: ViolationKind | ScheduleViolationKind;
  /** Policy rule name; `duplicate-id`, `skip-reasons`, `sent-and-skipped` or `deadline` for the schedule checks. */
  readonly rule: string;
  /** The counted key, masked (`acme/+491••••••••••`); the id for the schedule checks. */
  readonly key: string;
  /** The send that made the overshoot; null for a skipped row (it has no instant). */
  readonly at: Millis | null;
  readonly detail: string;
  /** Ids involved, masked (long spans: the first 10 and the last 10). */
  readonly ids: readonly string[];
  /** 1-based schedule lines of those ids, ascending: where to look, without printing any number. */
  readonly lines: readonly number[];
}

export type RuleKind = LimitKind | 'send-window' | 'schedule';

export interface RuleSummary {
  readonly rule: string;
  readonly kind: RuleKind;
  /** The limit's scope; null for send windows and schedule checks. */
  readonly scope: Scope | null;
  /** Sends the rule applies to (for `skip-reasons` and `sent-and-skipped`: skipped rows). */
  readonly checked: number;
  /** Limits only: the highest load on any key, the most the rule allows, and where (masked). */
  readonly observed: number | null;
  readonly budget: number | null;
  readonly key: string | null;
  readonly ok: boolean;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly policy: string;
  readonly sends: number;
  readonly firstSendAt: Millis | null;
  readonly lastSendAt: Millis | null;
  readonly skipped: number;
  /** Most frequent first; unknown reasons masked. */
  readonly skippedByReason: readonly { readonly reason: string; readonly count: number }[];
  readonly rules: readonly RuleSummary[];
  /** Violations found: exact when `violationCountExact`, otherwise a lower bound. */
  readonly violationCount: number;
  readonly violationCountExact: boolean;
  /** Schedule problems first (by line), then limit violations in time order; at most `maxViolations`. */
  readonly violations: readonly VerifyViolation[];
}

/**
 * Runs `sluice verify`. `out` and `err` each receive one line per call, without its newline.
 * Returns the exit code.
 */
export function runVerify(args: VerifyArgs, out: (s: string) => void, err: (s: string) => void): number {
  const fail = (message: string): number => {
    err(`sluice verify: ${message}`);
    return 2;
  };
  const maxViolations = args.maxViolations ?? DEFAULT_MAX_VIOLATIONS;
  if (!isCap(maxViolations)) return fail(`--max-violations must be an integer from 0 to ${MAX_CAP}, got ${maskValue(maxViolations)}`);

  let policy: Policy;
  try {
    policy = loadPolicy(args.policy);
  } catch (e) {
    if (e instanceof SluiceError) return fail(e.message);
    throw e;
  }

  let text: string;
  try {
    text = readFileSync(args.schedule, 'utf8');
  } catch (e) {
    const code = typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : 'unknown error';
    return fail(
      code === 'ENOENT'
        ? `schedule file ${JSON.stringify(args.schedule)} does not exist`
        : `schedule file ${JSON.stringify(args.schedule)} cannot be read (${code})`,
    );
  }
  let schedule: Schedule;
  try {
    schedule = parseSchedule(text);
  } catch (e) {
    if (e instanceof ValidationError) return fail(`schedule file ${JSON.stringify(args.schedule)}: ${e.message}`);
    throw e;
  }

  const report = verifySchedule(policy, schedule, { maxViolations, ...(args.deadline !== undefined ? { deadline: args.deadline } : {}) });
  const lines = args.json === true ? [JSON.stringify(toJson(report, args), null, 2)] : formatReport(report, args);
  for (const line of lines) out(line);
  return report.ok ? 0 : 1;
}

/** Cap on `maxViolations`: far more than anyone reads, small enough to bound memory. */
const MAX_CAP = 1_000_000;

function isCap(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0 && n <= MAX_CAP;
}

/**
 * The checks of `sluice verify` on a parsed schedule, without IO. `maxViolations` caps the list
 * (default 20), never the verdict; with `deadline`, a send after it is a violation.
 */
export function verifySchedule(policy: Policy, schedule: Schedule, options: { readonly maxViolations?: number; readonly deadline?: Millis } = {}): VerifyReport {
  const cap = options.maxViolations ?? DEFAULT_MAX_VIOLATIONS;
  if (!isCap(cap)) throw new ValidationError('options.maxViolations', `an integer from 0 to ${MAX_CAP}`, cap);
  const deadline = options.deadline;
  if (deadline !== undefined && !Number.isSafeInteger(deadline)) throw new ValidationError('options.deadline', 'an integer instant in ms', deadline);
  const { sends, sendLines, skipped } = schedule;

  // Schedule checks, counted in full; only the first `cap` are kept.
  const sentIndex = new Map<string, number>();
  sends.forEach((e, i) => {
    if (!sentIndex.has(e.id)) sentIndex.set(e.id, i);
  });
  const own: VerifyViolation[] = [];
  let unknownReasons = 0;
  let sentAndSkipped = 0;
  const keep = (v: VerifyViolation): void => {
    if (own.length < cap) own.push(v);
  };
  for (const s of skipped) {
    if (!isSkipReason(s.reason)) {
      unknownReasons++;
      keep({
        kind: 'unknown-skip-reason',
        rule: 'skip-reasons',
        key: maskDigits(s.id),
        at: null,
        detail: `skip reason ${describeReason(s.reason)} is not one of the ${SKIP_REASONS.length} documented reasons`,
        ids: [maskDigits(s.id)],
        lines: [s.line],
      });
    }
    const i = sentIndex.get(s.id);
    // A repeated row (same number or same id) is skipped under the id of the row that was planned.
    if (i !== undefined && s.reason !== 'duplicate' && s.reason !== 'duplicate-id') {
      sentAndSkipped++;
      const sentLine = sendLines[i] ?? 0;
      keep({
        kind: 'sent-and-skipped',
        rule: 'sent-and-skipped',
        key: maskDigits(s.id),
        at: (sends[i] as LedgerEntry).sendAt,
        detail: `id sent on line ${sentLine} and skipped (${describeReason(s.reason)}) on line ${s.line}`,
        ids: [maskDigits(s.id)],
        lines: [sentLine, s.line].sort((a, b) => a - b),
      });
    }
  }

  let late = 0;
  if (deadline !== undefined) {
    sends.forEach((e, i) => {
      if (e.sendAt <= deadline) return;
      late++;
      keep({
        kind: 'after-deadline',
        rule: 'deadline',
        key: maskDigits(e.id),
        at: e.sendAt,
        detail: `sent at ${new Date(e.sendAt).toISOString()}, ${e.sendAt - deadline} ms after the deadline ${new Date(deadline).toISOString()}`,
        ids: [maskDigits(e.id)],
        lines: [sendLines[i] ?? 0],
      });
    });
  }

  // One more than the cap tells whether the list is complete, without keeping every violation
  // of a badly broken schedule in memory.
  const check = checkLedger(policy, sends, { maxViolations: cap + 1 });
  const checkerExact = check.violations.length <= cap;
  const linesOf = linesByIds(sends, sendLines, check.violations);
  const limitViolations = check.violations.map((v): VerifyViolation => ({
    kind: v.kind,
    rule: v.rule,
    key: maskDigits(v.key),
    at: v.at,
    detail: maskE164(v.detail),
    ids: v.ids.map(maskDigits),
    lines: [...new Set(v.ids.flatMap((id) => linesOf.get(id) ?? []))].sort((a, b) => a - b),
  }));
  const violationCount = unknownReasons + sentAndSkipped + late + check.violations.length;

  const ruleStatus = new RuleStatus(policy, sends, check.violations, checkerExact);
  const rules: RuleSummary[] = [];
  for (const rule of policy.limits) {
    const peak = check.peaks.find((p) => p.rule === rule.name);
    const observed = peak?.observed ?? 0;
    const budget = peak?.budget ?? 0;
    rules.push({
      rule: rule.name,
      kind: rule.kind,
      scope: rule.scope,
      checked: sends.filter((e) => limitApplies(rule, e)).length,
      observed,
      budget,
      key: peak === undefined || peak.key === '' ? null : maskDigits(peak.key),
      // A peak over the budget is a violation of any kind of rule (for rate: count + burst − 1
      // in one period is what GCRA conformance implies), so it settles the status cheaply.
      ok: observed <= budget && ruleStatus.limitOk(rule),
    });
  }
  for (const w of policy.sendWindows) {
    rules.push({
      rule: w.name,
      kind: 'send-window',
      scope: null,
      checked: sends.filter((e) => w.categories.includes(e.category)).length,
      observed: null,
      budget: null,
      key: null,
      ok: ruleStatus.windowOk(w),
    });
  }
  const scheduleCheck = (rule: string, checked: number, ok: boolean): RuleSummary => ({
    rule,
    kind: 'schedule',
    scope: null,
    checked,
    observed: null,
    budget: null,
    key: null,
    ok,
  });
  rules.push(scheduleCheck('duplicate-id', sends.length, sentIndex.size === sends.length));
  rules.push(scheduleCheck('skip-reasons', skipped.length, unknownReasons === 0));
  rules.push(scheduleCheck('sent-and-skipped', skipped.length, sentAndSkipped === 0));
  if (deadline !== undefined) rules.push(scheduleCheck('deadline', sends.length, late === 0));

  let first: Millis | null = null;
  let last: Millis | null = null;
  for (const e of sends) {
    if (first === null || e.sendAt < first) first = e.sendAt;
    if (last === null || e.sendAt > last) last = e.sendAt;
  }

  return {
    ok: violationCount === 0,
    policy: policy.name,
    sends: sends.length,
    firstSendAt: first,
    lastSendAt: last,
    skipped: skipped.length,
    skippedByReason: countReasons(skipped.map((s) => s.reason)),
    rules,
    violationCount,
    violationCountExact: checkerExact,
    violations: [...own.sort((a, b) => (a.lines[0] ?? 0) - (b.lines[0] ?? 0)), ...limitViolations].slice(0, cap),
  };
}

/**
 * Whether each rule holds. The checker's list settles it for every rule it names, and for all
 * rules when the list is complete. When the list was cut, a rule it does not name is checked on
 * its own with nothing kept (`maxViolations: 0`), under unique ids so that the duplicate-id check
 * of that pass cannot mark it broken.
 */
class RuleStatus {
  private uniqueSends: LedgerEntry[] | null = null;
  constructor(
    private readonly policy: Policy,
    private readonly sends: readonly LedgerEntry[],
    private readonly found: readonly Violation[],
    private readonly complete: boolean,
  ) {}

  limitOk(rule: LimitRule): boolean {
    if (this.found.some((v) => v.kind === rule.kind && v.rule === rule.name)) return false;
    return this.complete || this.alone([rule], []);
  }

  windowOk(w: SendWindowRule): boolean {
    if (this.found.some((v) => v.kind === 'send-window' && v.rule === w.name)) return false;
    return this.complete || this.alone([], [w]);
  }

  private alone(limits: readonly LimitRule[], sendWindows: readonly SendWindowRule[]): boolean {
    this.uniqueSends ??= this.sends.map((e, i) => ({ ...e, id: `#${i}` }));
    const policy: Policy = { name: this.policy.name, limits, sendWindows, defaultTimeZone: this.policy.defaultTimeZone };
    return checkLedger(policy, this.uniqueSends, { maxViolations: 0 }).ok;
  }
}

/** Whether the checker counts `e` under `rule`: its category matches and it has the scope's field. */
function limitApplies(rule: LimitRule, e: LedgerEntry): boolean {
  if (rule.categories !== undefined && !rule.categories.includes(e.category)) return false;
  if (rule.scope === 'campaign') return e.campaign !== undefined;
  if (rule.scope === 'apiKey') return e.apiKey !== undefined;
  return true;
}

/** Schedule lines of the ids the reported violations name (all lines, for a duplicated id). */
function linesByIds(sends: readonly LedgerEntry[], sendLines: readonly number[], violations: readonly Violation[]): Map<string, number[]> {
  const wanted = new Set(violations.flatMap((v) => v.ids));
  const lines = new Map<string, number[]>();
  sends.forEach((e, i) => {
    if (!wanted.has(e.id)) return;
    const list = lines.get(e.id);
    const line = sendLines[i] ?? 0;
    if (list === undefined) lines.set(e.id, [line]);
    else list.push(line);
  });
  return lines;
}

function countReasons(reasons: readonly string[]): { reason: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts]
    .map(([reason, count]) => ({ reason: isSkipReason(reason) ? reason : describeReason(reason), count }))
    .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
}

/* ------------------------------------------------------------------------------------------ */
/* Masking                                                                                     */

/**
 * Masks every run of 8 or more digits (with its `+`, if any) past its fourth character, the way
 * the checker masks numbers: a full phone number has at least 8 digits, so none survives.
 * For strings from the input (ids, campaign names, skip reasons), whose content is unknown.
 */
export function maskDigits(s: string): string {
  return s.replace(/\+?\d{8,}/g, (run) => run.slice(0, 4) + run.slice(4).replace(/\d/g, '•'));
}

/**
 * The checker's details are its own text around masked keys, holding durations such as
 * `86400000 ms` that `maskDigits` would spoil; only E.164-shaped runs are masked there, as a
 * second line of defence.
 */
function maskE164(s: string): string {
  return s.replace(/\+\d{8,}/g, (run) => run.slice(0, 4) + run.slice(4).replace(/\d/g, '•'));
}

/** An unknown reason as printed: masked, cut short, quoted (so control characters are escaped). */
function describeReason(reason: string): string {
  const masked = maskDigits(reason);
  return JSON.stringify(masked.length > 40 ? `${masked.slice(0, 40)}…` : masked);
}

/* ------------------------------------------------------------------------------------------ */
/* Output                                                                                      */

function iso(t: Millis | null): string | null {
  return t === null ? null : new Date(t).toISOString();
}

function toJson(report: VerifyReport, args: VerifyArgs): unknown {
  return {
    ok: report.ok,
    policy: report.policy,
    schedule: args.schedule,
    sends: report.sends,
    firstSendAt: iso(report.firstSendAt),
    lastSendAt: iso(report.lastSendAt),
    skipped: report.skipped,
    skippedByReason: report.skippedByReason,
    rules: report.rules,
    violationCount: report.violationCount,
    violationCountExact: report.violationCountExact,
    violations: report.violations.map((v) => ({ ...v, at: iso(v.at) })),
  };
}

const fmt = (n: number): string => n.toLocaleString('en-US');

function formatReport(report: VerifyReport, args: VerifyArgs): string[] {
  const lines: string[] = [];
  const out = (s = ''): void => {
    lines.push(s);
  };
  out(`sluice verify: schedule ${JSON.stringify(args.schedule)} against policy "${report.policy}"`);
  const span = report.firstSendAt === null ? '' : ` from ${iso(report.firstSendAt)} to ${iso(report.lastSendAt)}`;
  out(`sends      ${fmt(report.sends)} checked${span}`);
  const reasons = report.skippedByReason.map((r) => `${r.reason} ${fmt(r.count)}`).join(', ');
  out(`skipped    ${fmt(report.skipped)}${reasons === '' ? '' : ` (${reasons})`}`);
  out();

  const ruleWidth = Math.max(20, ...report.rules.map((r) => r.rule.length));
  const kindOf = (r: RuleSummary): string => (r.scope === null ? r.kind : `${r.kind}/${r.scope}`);
  const kindWidth = Math.max(16, ...report.rules.map((r) => kindOf(r).length));
  out(`${'rule'.padEnd(ruleWidth)}  ${'kind'.padEnd(kindWidth)}  ${'checked'.padStart(9)}  ${'peak / budget'.padStart(21)}  result`);
  for (const r of report.rules) {
    const peak = r.observed === null || r.budget === null ? '-' : `${fmt(r.observed)} / ${fmt(r.budget)}`;
    const where = r.key === null ? '' : `  (peak at ${r.key})`;
    out(
      `${r.rule.padEnd(ruleWidth)}  ${kindOf(r).padEnd(kindWidth)}  ${fmt(r.checked).padStart(9)}  ${peak.padStart(21)}  ` +
        `${r.ok ? 'ok' : 'VIOLATED'}${where}`,
    );
  }
  // A rule that applied to nothing proves nothing: usually the schedule lacks campaign or apiKey.
  const idle = report.rules.filter((r) => r.kind !== 'schedule' && r.checked === 0).map((r) => r.rule);
  if (idle.length > 0 && report.sends > 0) {
    out(`note: ${idle.join(', ')} applied to no send (no matching category, or no campaign/apiKey field)`);
  }
  out();

  if (report.violationCount > 0) {
    const count = `${report.violationCountExact ? '' : 'at least '}${fmt(report.violationCount)}`;
    const shown =
      report.violations.length < report.violationCount ? ` (showing the first ${fmt(report.violations.length)})` : '';
    out(`violations ${count}${shown}`);
    report.violations.forEach((v, i) => {
      out(`  ${i + 1}. ${v.kind}  ${v.rule}  ${v.key}${v.at === null ? '' : `  at ${iso(v.at)}`}`);
      out(`     ${v.detail}`);
      const lineText = v.lines.length === 0 ? '' : ` (line${v.lines.length === 1 ? '' : 's'} ${v.lines.join(', ')})`;
      out(`     ids ${v.ids.join(', ')}${lineText}`);
    });
    if (report.violations.some((v) => v.kind === 'unknown-skip-reason')) {
      out(`  documented skip reasons: ${SKIP_REASONS.join(', ')}`);
    }
    out();
    out(`result     FAIL: ${count} violation${report.violationCount === 1 ? '' : 's'}`);
  } else {
    out('result     OK: no violation, every rule holds');
  }
  return lines;
}
