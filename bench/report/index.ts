/**
 * The bench report: one self-contained HTML page (inline CSS and SVG; no script, font, stylesheet
 * or image from anywhere) drawn from the results file. A pure function: results in, HTML out.
 */
import type { SustainedRun, HeadroomResult } from '../sustained/types.js';
import type { LatencySeries } from '../latency.js';
import type { BenchResults } from './types.js';
import { computeVerdict, MIN_LIVENESS, type Verdict } from './verdict.js';
import { planningColumns, planningRows, type PlanningRow } from './planning-rows.js';
import { barChart, esc, fmtCount, fmtUs, lineChart, type Series, type Tick } from './svg.js';

export { computeVerdict, formatVerdict, type Verdict } from './verdict.js';
export type { BenchResults, MachineDetails, SuiteName } from './types.js';

const PALETTE = ['#0969da', '#cf222e', '#1a7f37', '#8250df', '#bf8700', '#0a7b83', '#e16f24', '#6e7781', '#bc4c00', '#4b2d83'];
const LIBRARY_COLOR: Record<SustainedRun['library'], string> = {
  sluice: '#1a7f37',
  'rate-limiter-flexible': '#8250df',
  bottleneck: '#bf8700',
  limiter: '#0969da',
  'hand-written': '#6e7781',
};
const BUDGET = '#cf222e';
const GOOD = '#1a7f37';
const BAD = '#cf222e';

/** Either text (escaped here) or markup built in this file from escaped parts. */
type Cell = string | number | { readonly html: string };

function cell(c: Cell): string {
  if (typeof c === 'number') return esc(fmtNumber(c));
  if (typeof c === 'string') return esc(c);
  return c.html;
}

function table(headers: readonly string[], rows: readonly (readonly Cell[])[], numeric: (i: number) => boolean = () => false): string {
  const head = headers.map((h, i) => `<th${numeric(i) ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric(i) ? ' class="num"' : ''}>${cell(c)}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function fmtNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return n.toLocaleString('en');
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en');
  return String(Number(n.toPrecision(3)));
}
const perMin = (n: number) => `${Math.round(n).toLocaleString('en')}/min`;
const ratio = (n: number) => `${n.toFixed(3)}×`;
const pct = (n: number) => `${(n * 100).toFixed(1)}%`;
const rate = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M/s` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k/s` : `${n.toFixed(0)}/s`);
const okCell = (ok: boolean, text = ok ? 'ok' : 'FAIL') => ({ html: `<span class="${ok ? 'ok' : 'bad'}">${esc(text)}</span>` });

function section(id: string, title: string, body: string, intro?: string): string {
  return `<section id="${esc(id)}"><h2>${esc(title)}</h2>${intro === undefined ? '' : `<p class="intro">${esc(intro)}</p>`}${body}</section>`;
}
const notRun = (what: string) => `<p class="muted">${esc(what)}</p>`;

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;margin:0;background:#f6f8fa}
main{max-width:1180px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:24px;margin:16px 0 4px}h2{font-size:19px;margin:0 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
h3{font-size:15px;margin:16px 0 6px}
section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:16px 20px;margin:16px 0}
nav a{margin-right:12px;color:#0969da;text-decoration:none}
table{border-collapse:collapse;font-size:13px;margin:8px 0;width:100%}
th,td{border-bottom:1px solid #e5e8eb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.ok{color:#1a7f37;font-weight:600}.bad{color:#cf222e;font-weight:700}.muted{color:#656d76}
.intro{color:#424a53;font-size:14px;max-width:900px}
.verdict{padding:12px 16px;border-radius:6px;font-size:15px;margin:12px 0}
.verdict.pass{background:#dafbe1;border:1px solid #1a7f37}.verdict.fail{background:#ffebe9;border:1px solid #cf222e}
.verdict ul{margin:6px 0 0 18px;padding:0}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:12px}
.card{border:1px solid #e5e8eb;border-radius:6px;padding:8px 10px}
.card h3{margin:2px 0 4px}
figure{margin:6px 0}svg.chart{max-width:100%;height:auto;display:block}
figcaption{font-size:12px;color:#424a53}
.key{display:inline-block;margin-right:12px}.swatch{display:inline-block;width:14px;height:4px;vertical-align:middle;margin-right:4px}
.swatch.dashed{height:0;border-top:2px dashed;background:none}
dl.machine{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;font-size:14px}dl.machine dt{color:#656d76}dl.machine dd{margin:0}
code{background:#eff1f3;padding:1px 4px;border-radius:4px}
`;

export function renderReport(results: BenchResults, verdict: Verdict = computeVerdict(results)): string {
  const parts: string[] = [];
  const sections: [string, string][] = [];
  const add = (id: string, title: string, html: string) => {
    sections.push([id, title]);
    parts.push(section(id, title, html));
  };
  if (results.sustained !== undefined) {
    add('sustained', 'Sustained real-time runs', sustainedSection(results.sustained.runs));
    add('peers', 'Peers side by side', peersSection(results.sustained.runs));
    if (results.sustained.headroom.length > 0) add('headroom', 'Headroom', headroomSection(results.sustained.headroom));
  }
  if (results.latency !== undefined) add('latency', 'Admission latency', latencySection(results));
  if (results.planning !== undefined) add('planning', 'Planning throughput', planningSection(results.planning));
  if (results.micro !== undefined || results.threads !== undefined || results.redis !== undefined) add('micro', 'Micro figures', microSection(results));
  add('machine', 'Machine', machineSection(results));

  const title = `sluice bench, ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC${results.quick ? ' (quick)' : ''}`;
  const nav = sections.map(([id, t]) => `<a href="#${esc(id)}">${esc(t)}</a>`).join('');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title><style>${STYLE}</style></head><body><main>`,
    `<h1>${esc(title)}</h1>`,
    `<p class="muted">${esc(`${results.quick ? 'CI mode (--quick)' : 'full run'} · suites ${results.suites.join(', ')} · ${(results.wallMs / 1000).toFixed(0)} s · `)}<code>${esc(results.command)}</code></p>`,
    verdictBlock(verdict),
    `<nav>${nav}</nav>`,
    ...parts,
    '</main></body></html>',
  ].join('\n');
}

function verdictBlock(v: Verdict): string {
  const head = v.ok && v.checks === 0
    ? '<strong>PASS</strong> · the selected suites make no pass/fail check: only figures'
    : v.ok
    ? `<strong>PASS</strong> · ${v.checks} checks: no overshoot, no double send, no lost message, liveness ≥ ${MIN_LIVENESS * 100}% in every sluice run`
    : `<strong>FAIL</strong> · ${v.failures.length} of ${v.checks} checks failed`;
  const items = [
    ...v.failures.map((f) => `<li><span class="bad">${esc(f.kind)}</span> ${esc(f.subject)}: ${esc(f.detail)}</li>`),
    ...v.notes.map((n) => `<li class="muted">${esc(n)}</li>`),
  ];
  return `<div class="verdict ${v.ok ? 'pass' : 'fail'}">${head}${items.length > 0 ? `<ul>${items.join('')}</ul>` : ''}<div class="muted">Timing figures are reported, never failed: they depend on the machine.</div></div>`;
}

// ---------------------------------------------------------------- sustained

/** The budget of the limit plotted in `series.windowCountPerSecond`. */
function windowBudget(r: SustainedRun): number {
  const w = r.series.windowMs;
  const expected = (r.budgetPerMinute * w) / 60_000;
  const same = r.limits.filter((l) => l.windowMs === w);
  return (same.find((l) => l.budget === expected) ?? same[0])?.budget ?? expected;
}

function sortedRuns(runs: readonly SustainedRun[]): SustainedRun[] {
  return [...runs].sort((a, b) => Number(b.library === 'sluice') - Number(a.library === 'sluice'));
}

function sustainedSection(runs: readonly SustainedRun[]): string {
  if (runs.length === 0) return notRun('No sustained run was reported.');
  const rows = sortedRuns(runs).map((r) => {
    const sluice = r.library === 'sluice';
    const verdict = !sluice ? { html: '<span class="muted">peer</span>' } : okCell(r.overshoot <= 1 && r.doubleSends === 0 && r.lost === 0 && r.liveness >= MIN_LIVENESS);
    return [
      r.name,
      `${r.store}, ${r.parallelismKind === 'single' ? 'single' : `${r.parallelism} ${r.parallelismKind}`}`,
      perMin(r.offeredPerMinute),
      perMin(r.achievedPerMinute),
      sluice ? okCell(r.liveness >= MIN_LIVENESS, pct(r.liveness)) : pct(r.liveness),
      r.overshoot <= 1 ? okCell(true, ratio(r.overshoot)) : okCell(false, ratio(r.overshoot)),
      sluice ? okCell(r.doubleSends === 0, String(r.doubleSends)) : r.doubleSends,
      sluice ? okCell(r.lost === 0, String(r.lost)) : r.lost,
      r.sendErrorMs === null ? '–' : `${fmtNumber(r.sendErrorMs.p50)} / ${fmtNumber(r.sendErrorMs.p99)}`,
      r.admissionLatencyUs === null ? '–' : `${fmtUs(r.admissionLatencyUs.p50)} / ${fmtUs(r.admissionLatencyUs.p99)}`,
      pct(r.cpu.shareOfOneCore),
      fmtNumber(r.memory.maxRssMiB),
      verdict,
    ] satisfies Cell[];
  });
  const summary = table(
    ['run', 'store', 'offered', 'achieved', 'liveness', 'overshoot', 'double sends', 'lost', 'send error p50 / p99 (ms)', 'admission p50 / p99', 'CPU (1 core)', 'max RSS MiB', 'verdict'],
    rows,
    (i) => i >= 2 && i <= 11,
  );
  const limitRows = sortedRuns(runs).flatMap((r) =>
    r.limits.map((l) => [r.name, l.rule, l.scope, `${fmtNumber(l.windowMs / 1000)} s`, l.budget, l.maxInWindow, okCell(l.maxInWindow <= l.budget, ratio(l.overshoot))] satisfies Cell[]),
  );
  const limits = limitRows.length === 0 ? '' : `<h3>Every limit, measured from the arrivals at the mock sender</h3>${table(['run', 'limit', 'scope', 'window', 'budget', 'max in any window', 'overshoot'], limitRows, (i) => i >= 3 && i <= 6)}`;
  const cards = sortedRuns(runs).map((r) => runCard(r)).join('');
  return (
    `<p class="intro">${esc('Messages flow through the limiter to a local mock sender that records each arrival. Overshoot is the most arrivals in any sliding window of a limit\'s length divided by its budget: sluice must stay at or below 1.0×. Liveness is achieved ÷ min(offered, budget).')}</p>` +
    summary +
    limits +
    `<h3>Per run: sends per second, and the sliding-window count against its budget</h3><div class="grid">${cards}</div>`
  );
}

function runCard(r: SustainedRun): string {
  const color = LIBRARY_COLOR[r.library] ?? PALETTE[0];
  const sends: Series = { label: 'sends per second', color, points: r.series.sendsPerSecond.map((v, i) => [i, v] as const) };
  const perSecondBudget = r.budgetPerMinute / 60;
  const sendsChart = lineChart({
    title: `${r.name}: sends per second`,
    x: { label: 'time into the run (s)' },
    y: { label: 'sends per second' },
    series: [sends],
    hlines: [{ value: perSecondBudget, label: `budget ${fmtCount(r.budgetPerMinute)}/min = ${fmtNumber(perSecondBudget)}/s`, color: BUDGET }],
    height: 240,
  });
  const budget = windowBudget(r);
  const worst = Math.max(0, ...r.series.windowCountPerSecond);
  const windowChart = lineChart({
    title: `${r.name}: sends in the last ${fmtNumber(r.series.windowMs / 1000)} s (sliding window)`,
    x: { label: 'time into the run (s)' },
    y: { label: `sends in window` },
    series: [{ label: `window count (max ${fmtNumber(worst)})`, color, points: r.series.windowCountPerSecond.map((v, i) => [i, v] as const) }],
    hlines: [{ value: budget, label: `budget ${fmtNumber(budget)}`, color: BUDGET }],
    height: 240,
  });
  const badge = r.overshoot <= 1 ? `<span class="ok">${esc(ratio(r.overshoot))}</span>` : `<span class="bad">${esc(ratio(r.overshoot))}</span>`;
  return `<div class="card"><h3>${esc(r.name)} · overshoot ${badge} · ${esc(perMin(r.achievedPerMinute))}</h3>${sendsChart}${windowChart}</div>`;
}

function peersSection(runs: readonly SustainedRun[]): string {
  if (runs.length === 0) return notRun('No run was reported.');
  const ordered = sortedRuns(runs);
  const budget = Math.max(...ordered.map((r) => r.budgetPerMinute));
  const throughput = barChart({
    title: 'Achieved throughput on the same workload',
    xLabel: 'messages per minute',
    bars: ordered.map((r) => ({ label: r.name, value: r.achievedPerMinute, color: LIBRARY_COLOR[r.library] ?? PALETTE[0], text: perMin(r.achievedPerMinute) })),
    ref: { value: budget, label: `budget ${fmtCount(budget)}/min`, color: BUDGET },
  });
  const overshoot = barChart({
    title: 'Overshoot: most sends in any window ÷ budget (worst limit)',
    xLabel: 'overshoot ratio',
    bars: ordered.map((r) => ({ label: r.name, value: r.overshoot, color: r.overshoot > 1 ? BAD : GOOD, text: ratio(r.overshoot) })),
    ref: { value: 1, label: '1.0× = budget', color: '#24292f' },
    format: (v) => `${fmtCount(v)}×`,
  });
  return `<p class="intro">${esc('Every library ran the same workload in the same bench run. A bar past the 1.0× line means that library let more messages through in some window than the budget allows.')}</p>${throughput}${overshoot}`;
}

function headroomSection(headroom: readonly HeadroomResult[]): string {
  const series: Series[] = headroom.map((h, i) => ({
    label: `${h.store} store: achieved`,
    color: PALETTE[i % PALETTE.length] as string,
    // Sorted by offered rate: the bisection steps come after the doubling ones.
    points: [...h.steps].sort((a, b) => a.offeredPerMinute - b.offeredPerMinute).map((s) => [s.offeredPerMinute, s.achievedPerMinute] as const),
    markers: true,
  }));
  const allOffered = headroom.flatMap((h) => h.steps.map((s) => s.offeredPerMinute));
  const diagonal: Series = { label: 'achieved = offered', color: '#8c959f', points: allOffered.length > 0 ? [[0, 0], [Math.max(...allOffered), Math.max(...allOffered)]] : [], dash: true };
  const chart = lineChart({ title: 'Offered against achieved rate, per step', x: { label: 'offered (messages per minute)', min: 0 }, y: { label: 'achieved (messages per minute)' }, series: [...series, diagonal] });
  const rows = headroom.flatMap((h) =>
    h.steps.map((s) => [h.store, perMin(s.offeredPerMinute), perMin(s.achievedPerMinute), ratio(s.overshoot), pct(s.liveness), okCell(s.held, s.held ? 'held' : 'not held')] satisfies Cell[]),
  );
  const best = headroom.map((h) => `${h.store}: ${perMin(h.highestHeldPerMinute)}`).join(' · ');
  return `<p class="intro">${esc(`The highest sustained rate held with zero overshoot and liveness ≥ ${MIN_LIVENESS * 100}%: ${best}.`)}</p>${chart}${table(['store', 'offered', 'achieved', 'overshoot', 'liveness', ''], rows, (i) => i >= 1 && i <= 4)}`;
}

// ---------------------------------------------------------------- latency

/** Percentile p as a position on a log axis of 1 / (1 − p): 90% → 1, 99% → 2, 99.9% → 3. */
export const percentileX = (p: number) => -Math.log10(1 - Math.min(p, 99.99999) / 100);

function percentileTicks(maxX: number): Tick[] {
  const ticks: Tick[] = [{ value: 0, label: '0%' }, { value: percentileX(50), label: '50%' }];
  const labels = ['90%', '99%', '99.9%', '99.99%', '99.999%', '99.9999%'];
  for (let k = 1; k <= Math.min(6, Math.floor(maxX)); k++) ticks.push({ value: k, label: labels[k - 1] as string });
  return ticks;
}

/** The answered rate, red when the store fell more than 5% behind the offered rate. */
function keptUp(s: LatencySeries): Cell {
  const text = `${fmtCount(s.achievedPerSecond)}/s`;
  return s.achievedPerSecond >= s.ratePerSecond * 0.95 ? text : { html: `<span class="bad" title="fell behind the offered rate">${esc(text)}</span>` };
}

const seriesLabel = (s: LatencySeries) => `${s.name} at ${fmtCount(s.ratePerSecond)}/s`;

function latencySection(results: BenchResults): string {
  const lat = results.latency;
  if (lat === undefined) return '';
  const series = lat.series;
  if (series.length === 0) return notRun('No latency series was measured.');
  const curves: Series[] = series.map((s, i) => {
    // The max is drawn where the last sample sits: 1 − 1/count.
    const points = s.curve.map((p) => [p.percentile >= 100 ? Math.log10(Math.max(10, s.count)) : percentileX(p.percentile), Math.max(p.us, 0.001)] as const);
    return { label: seriesLabel(s), color: PALETTE[i % PALETTE.length] as string, points, markers: true };
  });
  const maxX = Math.max(1, ...curves.flatMap((c) => c.points.map((p) => p[0])));
  const chart = lineChart({
    title: 'Admission latency by percentile (coordinated-omission corrected)',
    x: { label: 'percentile (log scale: each step is ten times rarer)', ticks: percentileTicks(maxX), min: 0, max: maxX * 1.03 },
    y: { label: 'latency (log scale)', log: true, format: fmtUs },
    series: curves,
    height: 340,
    width: 760,
  });
  const rows = series.map((s) => [s.name, s.store, `${fmtCount(s.ratePerSecond)}/s`, keptUp(s), s.count, fmtUs(s.p50Us), fmtUs(s.p90Us), fmtUs(s.p99Us), fmtUs(s.p999Us), fmtUs(s.p9999Us), fmtUs(s.maxUs), `${fmtUs(s.serviceP50Us)} / ${fmtUs(s.serviceP99Us)}`, s.errors] satisfies Cell[]);
  const redisNote = 'skipped' in lat.redis ? `Redis rows skipped: ${lat.redis.skipped}.` : `Redis ${lat.redis.version} on loopback, sharing the machine's cores with the bench.`;
  return (
    `<p class="intro">${esc(`Method: ${lat.method}. ${redisNote} "Answered" is the rate the store kept up with; the service column is the uncorrected service time (from the actual start), what a closed loop would have reported.`)}</p>` +
    chart +
    table(['operation', 'store', 'rate', 'answered', 'calls', 'p50', 'p90', 'p99', 'p99.9', 'p99.99', 'max', 'service p50 / p99', 'errors'], rows, (i) => i >= 2 && i !== 11)
  );
}

// ---------------------------------------------------------------- planning

function rowLabel(row: PlanningRow, i: number): string {
  const parts: string[] = [];
  if (typeof row['name'] === 'string') parts.push(row['name']);
  if (typeof row['recipients'] === 'number') parts.push(`${fmtCount(row['recipients'])} recipients`);
  if (typeof row['threads'] === 'number') parts.push(`${row['threads']} thread${row['threads'] === 1 ? '' : 's'}`);
  return parts.length > 0 ? parts.join(', ') : `row ${i + 1}`;
}

function planningSection(planning: unknown): string {
  const rows = planningRows(planning);
  if (rows.length === 0) return notRun('The planning suite returned no figures.');
  const columns = planningColumns(rows);
  const body = rows.map((row) =>
    columns.map((c): Cell => {
      const v = row[c];
      if (typeof v === 'boolean') return c.startsWith('verified') ? okCell(v, v ? 'yes' : 'NO') : v ? 'yes' : 'no';
      if (c === 'violations' && typeof v === 'number') return okCell(v === 0, String(v));
      if (typeof v === 'number' || typeof v === 'string') return v;
      return '';
    }),
  );
  const numericCols = new Set(columns.filter((c) => rows.some((r) => typeof r[c] === 'number')));
  const out: string[] = [];
  const speed = rows
    .map((row, i) => ({ row, i, planned: row['messagesPlanned'], wall: row['wallMs'] }))
    .filter((r): r is { row: PlanningRow; i: number; planned: number; wall: number } => typeof r.planned === 'number' && typeof r.wall === 'number' && r.wall > 0);
  if (speed.length > 0) {
    out.push(
      barChart({
        title: 'Messages planned per second (wall clock)',
        xLabel: 'messages per second',
        bars: speed.map((s, k) => ({ label: rowLabel(s.row, s.i), value: (s.planned * 1000) / s.wall, color: '#0969da', text: `${fmtCount((s.planned * 1000) / s.wall)}/s (${fmtNumber(s.wall / 1000)} s)` })),
      }),
    );
  }
  const rss = rows.map((row, i) => ({ row, i, v: row['peakRssMiB'] })).filter((r): r is { row: PlanningRow; i: number; v: number } => typeof r.v === 'number');
  if (rss.length > 0) {
    out.push(barChart({ title: 'Peak resident memory', xLabel: 'MiB', bars: rss.map((r) => ({ label: rowLabel(r.row, r.i), value: r.v, color: '#8c959f', text: `${fmtNumber(r.v)} MiB` })) }));
  }
  out.push(table(columns, body, (i) => numericCols.has(columns[i] as string)));
  return `<p class="intro">${esc('A whole campaign planned against the policy, then checked by the independent verifier.')}</p>${out.join('')}`;
}

// ---------------------------------------------------------------- micro, threads, redis

function microSection(results: BenchResults): string {
  const out: string[] = [];
  const micro = results.micro;
  if (micro !== undefined && micro.length > 0) {
    const kindColor = { baseline: '#8c959f', sluice: GOOD, peer: '#8250df' } as const;
    out.push(
      barChart({
        title: 'Single-thread decisions per second (tinybench)',
        xLabel: 'decisions per second',
        bars: micro.map((m) => ({ label: m.name, value: m.decisionsPerSecond, color: kindColor[m.kind], text: rate(m.decisionsPerSecond) })),
        width: 1000,
        labelWidth: 440,
      }),
    );
    out.push(table(['task', 'kind', 'clock', 'decisions/s', '± rme', 'grants', 'samples'], micro.map((m) => [m.name, m.kind, m.clock, rate(m.decisionsPerSecond), `${m.rme.toFixed(1)}%`, pct(m.grantShare), m.samples]), (i) => i >= 3));
  }
  const threads = results.threads;
  if (threads !== undefined && threads.length > 0) {
    out.push('<h3>One limit hammered from worker threads</h3>');
    out.push(
      table(
        ['scenario', 'clock', 'threads', 'decisions/s', 'granted/s', 'most in any period / allowed', 'within limit', '÷ 1 thread'],
        threads.map((t) => [
          t.scenario,
          t.clock,
          t.threads,
          rate(t.decisionsPerSecond),
          rate(t.grantedPerSecond),
          t.reference ? 'n/a' : `${t.maxInWindow.toLocaleString('en')} / ${t.allowedInWindow.toLocaleString('en')}`,
          t.reference ? 'n/a' : okCell(t.withinLimit, t.withinLimit ? 'yes' : 'NO'),
          t.threads === 1 ? '' : ratio(t.scalingVsOneThread),
        ]),
        (i) => i >= 2 && i !== 6,
      ),
    );
  }
  const redis = results.redis;
  if (redis !== undefined) {
    out.push(`<h3>${esc(`Redis store, closed loop (redis-server ${redis.redisVersion}, loopback)`)}</h3>`);
    out.push(
      table(
        ['operation', 'in flight', 'per call', 'per second', 'Redis µs per op', 'Redis CPU (cores)'],
        redis.throughput.map((r) => [r.name, r.inFlight, r.batch, rate(r.perSecond), r.serverUsPerOp.toFixed(1), r.redisCpu.toFixed(2)]),
        (i) => i >= 1,
      ),
    );
    out.push(
      table(
        ['operation', 'in flight', 'p50', 'p99', 'p99.9', 'max', 'client GC pauses (mean)', 'ops over 1 ms (during a pause)'],
        redis.latency.map((l) => [l.name, l.inFlight, fmtUs(l.p50us), fmtUs(l.p99us), fmtUs(l.p999us), fmtUs(l.maxUs), l.gc ? `${l.gc.pauses} (${l.gc.meanPauseMs} ms)` : '–', l.gc ? `${l.gc.slowOps} (${l.gc.slowOpsDuringGc})` : '–']),
        (i) => i >= 1,
      ),
    );
  }
  return out.length > 0 ? out.join('') : notRun('No micro figures.');
}

// ---------------------------------------------------------------- machine

function machineSection(results: BenchResults): string {
  const m = results.machine;
  const items: [string, string][] = [
    ['CPU', `${m.cpuModel} · ${m.cores} cores`],
    ['memory', `${m.memoryGiB} GiB`],
    ['OS', m.os],
    ['Node', m.node],
    ['redis-server', m.redisServer ?? 'not found'],
    ['sluice', `${m.sluiceVersion ?? 'unknown version'}${m.gitCommit === null ? '' : ` · commit ${m.gitCommit}`}`],
    ['load average at start', m.loadAverage.map((l) => l.toFixed(2)).join(' / ')],
    ['started', results.startedAt],
    ['finished', results.finishedAt],
    ['suite times', Object.entries(results.suiteMs).map(([k, v]) => `${k} ${((v ?? 0) / 1000).toFixed(1)} s`).join(' · ')],
  ];
  const errors = results.errors.length === 0 ? '' : `<h3>Suites that did not finish</h3>${table(['suite', 'error'], results.errors.map((e) => [e.suite, e.message]))}`;
  return `<dl class="machine">${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>${errors}`;
}
