/**
 * The CI verdict: fails on a broken promise (a budget exceeded, a message sent twice or lost,
 * sluice not keeping up with the load it was offered) and never on a timing figure, which varies
 * with the machine. Peers are expected to overshoot: that is reported, not failed.
 */
import type { BenchResults } from './types.js';
import { planningQuality, planningRows } from './planning-rows.js';

export type CheckKind = 'overshoot' | 'double-send' | 'lost' | 'liveness' | 'verification' | 'coverage' | 'error';

export interface Failure {
  readonly kind: CheckKind;
  /** The run, row or suite that failed. */
  readonly subject: string;
  readonly detail: string;
}

export interface Verdict {
  readonly ok: boolean;
  /** How many checks were made (a verdict over nothing is not a pass worth printing as one). */
  readonly checks: number;
  readonly failures: readonly Failure[];
  /** Reported, not failed: peers' overshoot, headroom steps not held. */
  readonly notes: readonly string[];
}

/** Liveness below this in a sluice run fails the build. */
export const MIN_LIVENESS = 0.95;

const x = (n: number) => `${n.toFixed(3)}×`;

export function computeVerdict(results: BenchResults): Verdict {
  const failures: Failure[] = [];
  const notes: string[] = [];
  let checks = 0;
  const check = (ok: boolean, failure: Failure) => {
    checks++;
    if (!ok) failures.push(failure);
  };

  for (const e of results.errors) check(false, { kind: 'error', subject: `${e.suite} suite`, detail: `did not finish: ${e.message}` });

  const sustained = results.sustained;
  if (sustained !== undefined) {
    const sluiceRuns = sustained.runs.filter((r) => r.library === 'sluice');
    if (results.suites.includes('sustained')) {
      check(sluiceRuns.length > 0, { kind: 'coverage', subject: 'sustained suite', detail: 'no sluice run was reported, so nothing was proven' });
    }
    for (const r of sluiceRuns) {
      check(Number.isFinite(r.overshoot) && r.overshoot <= 1, { kind: 'overshoot', subject: r.name, detail: `overshoot ${x(r.overshoot)} of its budget` });
      for (const l of r.limits) {
        check(l.maxInWindow <= l.budget, {
          kind: 'overshoot',
          subject: `${r.name} / ${l.rule}`,
          detail: `${l.maxInWindow} in a ${l.windowMs} ms window against a budget of ${l.budget} (${l.scope})`,
        });
      }
      check(r.doubleSends === 0, { kind: 'double-send', subject: r.name, detail: `${r.doubleSends} message(s) reached the sender more than once` });
      check(r.lost === 0, { kind: 'lost', subject: r.name, detail: `${r.lost} message(s) ended in no named state` });
      check(Number.isFinite(r.liveness) && r.liveness >= MIN_LIVENESS, {
        kind: 'liveness',
        subject: r.name,
        detail: `liveness ${(r.liveness * 100).toFixed(1)}% < ${MIN_LIVENESS * 100}% (achieved ${Math.round(r.achievedPerMinute)}/min)`,
      });
    }
    for (const r of sustained.runs) {
      if (r.library !== 'sluice' && r.overshoot > 1) notes.push(`peer ${r.name} overshot its budget ${x(r.overshoot)} (reported, not failed)`);
    }
    for (const h of sustained.headroom) {
      notes.push(`headroom ${h.store}: highest rate held with zero overshoot ${Math.round(h.highestHeldPerMinute).toLocaleString('en')}/min`);
    }
  }

  for (const t of results.threads ?? []) {
    if (t.reference) continue;
    check(t.withinLimit, {
      kind: 'overshoot',
      subject: `threads: ${t.scenario} (${t.clock}, ${t.threads} thr)`,
      detail: `${t.maxInWindow} grants in one period against ${t.allowedInWindow} allowed`,
    });
  }

  if (results.planning !== undefined) {
    // Tolerant of the suite's naming: `verified` or `verifiedOk`, and a `violations` count.
    for (const row of planningRows(results.planning)) {
      const flags = [row['verified'], row['verifiedOk']].filter((v): v is boolean => typeof v === 'boolean');
      const violations = typeof row['violations'] === 'number' ? row['violations'] : 0;
      if (flags.length > 0 || typeof row['violations'] === 'number') {
        check(flags.every(Boolean) && violations === 0, {
          kind: 'verification',
          subject: `planning ${describeRow(row)}`,
          detail: `the independent checker found ${violations > 0 ? `${violations} violated limit(s)` : 'a violated limit'} in the plan`,
        });
      }
      const speedup = row['speedupVsOneThread'];
      if (typeof speedup === 'number') {
        const ceiling = row['cpuSpeedupCeiling'];
        const machine = typeof ceiling === 'number' ? `; a pure CPU loop scaled ${ceiling}x on this machine just before` : '';
        const workers = row['workersSpeedup'];
        const phase = typeof workers === 'number' ? `; its worker phase ${workers}x` : '';
        notes.push(`planning ${describeRow(row)}: ${speedup}x faster than 1 thread${phase}${machine} (timing: reported, not failed)`);
      }
    }
    // The plan-quality campaigns are checked by the independent checker too.
    for (const q of planningQuality(results.planning)) {
      const violations = typeof q['violations'] === 'number' ? q['violations'] : 0;
      check(violations === 0, { kind: 'verification', subject: `plan quality ${String(q['campaign'])}, ${String(q['threads'])} threads`, detail: `the independent checker found ${violations} violated limit(s) in the plan` });
    }
  }

  return { ok: failures.length === 0, checks, failures, notes };
}

function describeRow(row: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof row['name'] === 'string') parts.push(row['name']);
  if (typeof row['recipients'] === 'number') parts.push(`${row['recipients']} recipients`);
  if (typeof row['threads'] === 'number') parts.push(`${row['threads']} threads`);
  return parts.join(', ');
}

/** The block printed at the end of a run (plain text, for CI logs). */
export function formatVerdict(v: Verdict): string {
  const lines: string[] = [];
  const rule = '='.repeat(72);
  lines.push(rule);
  if (v.ok && v.checks === 0) lines.push('VERDICT: PASS  (the selected suites make no pass/fail check: only figures)');
  else if (v.ok) lines.push(`VERDICT: PASS  (${v.checks} checks: no overshoot, no double send, no lost message, liveness >= ${MIN_LIVENESS * 100}%)`);
  else lines.push(`VERDICT: FAIL  (${v.failures.length} of ${v.checks} checks failed)`);
  for (const f of v.failures) lines.push(`  FAIL ${f.kind.padEnd(12)} ${f.subject}: ${f.detail}`);
  for (const n of v.notes) lines.push(`  note ${n}`);
  lines.push('  (timing figures are reported, never failed: they depend on the machine)');
  lines.push(rule);
  return lines.join('\n');
}
