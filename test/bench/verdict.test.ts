import { describe, expect, it } from 'vitest';
import { computeVerdict, formatVerdict, type CheckKind } from '../../bench/report/verdict.js';
import type { BenchResults } from '../../bench/report/types.js';
import type { SustainedRun } from '../../bench/sustained/types.js';
import { fixture, peer, run } from './report-fixture.js';

function withRuns(runs: SustainedRun[], overrides: Partial<BenchResults> = {}): BenchResults {
  const base = fixture(overrides);
  return { ...base, sustained: { quick: true, runs, headroom: base.sustained?.headroom ?? [] } };
}

const kinds = (r: BenchResults): CheckKind[] => computeVerdict(r).failures.map((f) => f.kind);

describe('CI verdict', () => {
  it('passes good results, with peers overshooting (reported as notes, not failed)', () => {
    const v = computeVerdict(fixture());
    expect(v.failures).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.checks).toBeGreaterThan(10);
    expect(v.notes.join('\n')).toMatch(/bottleneck \(Redis\) overshot its budget 1\.350×/);
    expect(formatVerdict(v)).toMatch(/^VERDICT: PASS/m);
  });

  it('passes a sluice run exactly at its budget (overshoot 1.0×) and at 95% liveness', () => {
    const exact = run({ overshoot: 1, liveness: 0.95, limits: [{ rule: 'account-per-minute', scope: 'account', windowMs: 60_000, budget: 10_000, maxInWindow: 10_000, overshoot: 1, ok: true }] });
    expect(computeVerdict(withRuns([exact])).ok).toBe(true);
  });

  it.each<[string, Partial<SustainedRun>, CheckKind]>([
    ['overshoot', { overshoot: 1.0001 }, 'overshoot'],
    ['overshoot not a number', { overshoot: Number.NaN }, 'overshoot'],
    ['double send', { doubleSends: 1 }, 'double-send'],
    ['lost message', { lost: 2 }, 'lost'],
    ['liveness', { liveness: 0.949 }, 'liveness'],
  ])('fails a sluice run on %s', (_name, bad, kind) => {
    const results = withRuns([run(bad), peer('limiter', 'limiter', 1.2)]);
    const v = computeVerdict(results);
    expect(v.ok).toBe(false);
    expect(kinds(results)).toEqual([kind]);
    const text = formatVerdict(v);
    expect(text).toMatch(/^VERDICT: FAIL {2}\(1 of \d+ checks failed\)/m);
    expect(text).toContain(`FAIL ${kind}`);
  });

  it('fails on one limit over its budget even when the run-level overshoot says otherwise', () => {
    const r = run({ limits: [{ rule: 'recipient-daily', scope: 'recipient', windowMs: 86_400_000, budget: 2, maxInWindow: 3, overshoot: 1.5, ok: false }] });
    expect(kinds(withRuns([r]))).toEqual(['overshoot']);
  });

  it('does not fail peers for overshoot, double sends, losses or liveness', () => {
    const bad = peer('hand-written token bucket', 'hand-written', 3);
    const v = computeVerdict(withRuns([run(), { ...bad, doubleSends: 5, lost: 5, liveness: 0.2 }]));
    expect(v.ok).toBe(true);
  });

  it('never fails on a timing figure', () => {
    const slow = run({
      sendErrorMs: { p50: 5_000, p90: 9_000, p99: 60_000, p999: 90_000, max: 100_000, count: 10 },
      admissionLatencyUs: { p50: 1e6, p90: 1e6, p99: 1e7, p999: 1e7, max: 1e8, count: 10 },
      cpu: { userMs: 1e6, systemMs: 1e6, shareOfOneCore: 2 },
    });
    const base = fixture();
    const latency = base.latency;
    if (latency === undefined) throw new Error('fixture has latency');
    const v = computeVerdict(withRuns([slow], { latency: { ...latency, series: latency.series.map((s) => ({ ...s, p99Us: 1e9, maxUs: 1e10 })) } }));
    expect(v.ok).toBe(true);
  });

  it('fails when the sustained suite was selected but reported no sluice run', () => {
    expect(kinds(withRuns([peer('limiter', 'limiter', 1)]))).toEqual(['coverage']);
  });

  it('fails on a suite that did not finish', () => {
    const v = computeVerdict(fixture({ errors: [{ suite: 'redis', message: 'redis-server not found' }] }));
    expect(v.failures).toEqual([{ kind: 'error', subject: 'redis suite', detail: 'did not finish: redis-server not found' }]);
  });

  it('fails on a worker-thread run over its limit and on a plan the verifier rejects', () => {
    const base = fixture();
    const t = base.threads?.[0];
    if (t === undefined) throw new Error('fixture has threads');
    expect(kinds(fixture({ threads: [{ ...t, maxInWindow: 100_001, withinLimit: false }] }))).toEqual(['overshoot']);
    expect(kinds(fixture({ threads: [{ ...t, reference: true, withinLimit: false }] }))).toEqual([]);
    expect(kinds(fixture({ planning: { recipients: 10, threads: 1, wallMs: 1, messagesPlanned: 10, verified: false } }))).toEqual(['verification']);
    // The planning suite's rows may say it as `verifiedOk` and a `violations` count.
    expect(kinds(fixture({ planning: { rows: [{ recipients: 10, verifiedOk: true, violations: 0 }, { recipients: 20, verifiedOk: false, violations: 3 }] } }))).toEqual(['verification']);
    expect(kinds(fixture({ planning: { rows: [{ recipients: 10, violations: 1 }] } }))).toEqual(['verification']);
    expect(kinds(fixture({ planning: { rows: [{ recipients: 10, verifiedOk: true, violations: 0 }] } }))).toEqual([]);
    // The plan-quality campaigns (1, 2 and 3 threads) fail the verdict on a violation too.
    expect(kinds(fixture({ planning: { rows: [], quality: [{ campaign: 'c', threads: 2, finishHours: 5, runs: 20, violations: 0 }] } }))).toEqual([]);
    expect(kinds(fixture({ planning: { rows: [], quality: [{ campaign: 'c', threads: 1, violations: 0 }, { campaign: 'c', threads: 3, violations: 2 }] } }))).toEqual(['verification']);
  });

  it('says when the selected suites check nothing', () => {
    const { sustained: _s, threads: _t, planning: _p, ...rest } = fixture();
    const v = computeVerdict({ ...rest, suites: ['micro', 'latency'] });
    expect(v).toMatchObject({ ok: true, checks: 0 });
    expect(formatVerdict(v)).toMatch(/PASS {2}\(the selected suites make no pass\/fail check/);
  });
});
