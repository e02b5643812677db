import { describe, expect, it } from 'vitest';
import { renderReport } from '../../bench/report/index.js';
import { esc, logTicks, niceTicks } from '../../bench/report/svg.js';
import type { BenchResults } from '../../bench/report/types.js';
import { fixture, peer, run } from './report-fixture.js';

const VOID = new Set(['meta', 'br', 'hr', 'img', 'input', 'link', 'area', 'base', 'col', 'embed', 'source', 'track', 'wbr']);

/** Every opened tag closed in order, no stray `<` in text; returns the tag names seen. */
function checkWellFormed(html: string): string[] {
  const body = html.replace(/^<!doctype html>/i, '');
  const stack: string[] = [];
  const seen: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+(?:="[^"]*")?)*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(body); m !== null; m = tag.exec(body)) {
    const text = body.slice(last, m.index);
    if (text.includes('<')) throw new Error(`stray '<' in text near: ${text.slice(text.indexOf('<'), text.indexOf('<') + 40)}`);
    last = m.index + m[0].length;
    const [, closing, name, , selfClosing] = m;
    const lower = (name as string).toLowerCase();
    seen.push(lower);
    if (closing === '/') {
      const open = stack.pop();
      if (open !== lower) throw new Error(`</${lower}> closes <${open}>`);
    } else if (selfClosing !== '/' && !VOID.has(lower)) {
      stack.push(lower);
    }
  }
  if (body.slice(last).includes('<')) throw new Error('stray < at the end');
  if (stack.length > 0) throw new Error(`unclosed: ${stack.join(' > ')}`);
  return seen;
}

/** The markup of one `<section id=…>`, or undefined. */
function section(html: string, id: string): string | undefined {
  const start = html.indexOf(`<section id="${id}">`);
  if (start < 0) return undefined;
  return html.slice(start, html.indexOf('</section>', start));
}
const svgCount = (s: string | undefined) => (s ?? '').split('<svg').length - 1;

describe('bench HTML report', () => {
  const html = renderReport(fixture());

  it('is checked by a checker that catches bad markup', () => {
    expect(() => checkWellFormed('<div><span></div>')).toThrow(/closes/);
    expect(() => checkWellFormed('<div>')).toThrow(/unclosed/);
    expect(() => checkWellFormed('<p>a <script> b</p>')).toThrow();
    expect(() => checkWellFormed('<p>1 < 2</p>')).toThrow(/stray/);
  });

  it('is well-formed: every opened tag is closed, in order', () => {
    const tags = checkWellFormed(html);
    expect(tags).toContain('svg');
    expect(tags).toContain('table');
  });

  it('is self-contained: no script, no external stylesheet, font, image or URL', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).not.toMatch(/https?:|\/\/[a-z]/i);
    for (const m of html.matchAll(/\b(?:href|src|xlink:href)="([^"]*)"/g)) expect(m[1]).toMatch(/^#[\w-]+$/);
  });

  it('draws a plot in every section that has data', () => {
    const runs = fixture().sustained?.runs.length ?? 0;
    expect(svgCount(section(html, 'sustained'))).toBe(2 * runs); // sends/s and window count per run
    expect(svgCount(section(html, 'peers'))).toBe(2); // throughput and overshoot bars
    expect(svgCount(section(html, 'headroom'))).toBe(1);
    expect(svgCount(section(html, 'latency'))).toBe(1);
    expect(svgCount(section(html, 'planning'))).toBe(2); // messages per second, peak memory
    expect(svgCount(section(html, 'micro'))).toBe(1);
    expect(section(html, 'machine')).toContain('AMD EPYC');
  });

  it('plots what the issue asks for, with labelled axes and the budget lines', () => {
    const sustained = section(html, 'sustained') ?? '';
    expect(sustained).toContain('sends per second');
    expect(sustained).toContain('budget 10k/min = 167/s');
    expect(sustained).toContain('budget 10,000'); // the sliding-window chart's budget line
    expect(sustained).toContain('time into the run (s)');
    const peers = section(html, 'peers') ?? '';
    expect(peers).toContain('1.0× = budget');
    expect(peers).toContain('1.900×'); // the hand-written bucket's overshoot bar
    const latency = section(html, 'latency') ?? '';
    for (const label of ['50%', '90%', '99%', '99.9%', '99.99%']) expect(latency).toContain(`>${label}</text>`);
    expect(latency).toContain('latency (log scale)');
    expect(latency).toContain('100 µs'); // a tick of the log latency axis
    expect(latency).toMatch(/title="fell behind the offered rate">800\/s</); // Redis answered 800/s of 1,000/s offered
    const planning = section(html, 'planning') ?? '';
    expect(planning).toContain('Messages planned per second');
    expect(planning).toContain('40k/s'); // 100,000 messages in 2.5 s
  });

  it('escapes every string it was given', () => {
    const evil = '<script>alert(1)</script>';
    const base = fixture();
    const results: BenchResults = {
      ...base,
      command: `sluice bench ${evil}`,
      machine: { ...base.machine, cpuModel: `AMD "EPYC" & ${evil}`, os: "O'Linux" },
      sustained: { quick: true, runs: [run({ name: evil }), peer(`peer ${evil}`, 'limiter', 2)], headroom: [] },
      planning: [{ name: '<img src=x onerror=alert(1)>', recipients: 10, wallMs: 5, messagesPlanned: 10, verified: true }],
      errors: [{ suite: 'redis', message: '<b>boom</b> "quoted"' }],
    };
    const out = renderReport(results);
    checkWellFormed(out);
    expect(out).not.toMatch(/<script|<img|<b>/i);
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out).toContain('AMD &quot;EPYC&quot; &amp; ');
    expect(out).toContain('O&#39;Linux');
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(out).toContain('&lt;b&gt;boom&lt;/b&gt; &quot;quoted&quot;');
    expect(esc(`<>&"'`)).toBe('&lt;&gt;&amp;&quot;&#39;');
  });

  it('shows a failing verdict prominently', () => {
    const out = renderReport({ ...fixture(), sustained: { quick: true, runs: [run({ doubleSends: 3 })], headroom: [] } });
    expect(out).toContain('class="verdict fail"');
    expect(out).toMatch(/double-send<\/span> sluice memory, 2 threads: 3 message\(s\) reached the sender more than once/);
    expect(html).toContain('class="verdict pass"');
  });

  it('leaves out sections that were not run and copes with empty data', () => {
    const base = fixture();
    const { latency: _l, planning: _p, micro: _m, threads: _t, redis: _r, ...rest } = base;
    const out = renderReport({ ...rest, suites: ['sustained'], sustained: { quick: true, runs: [run({ series: { sendsPerSecond: [], windowCountPerSecond: [], windowMs: 60_000 } })], headroom: [] } });
    checkWellFormed(out);
    expect(section(out, 'latency')).toBeUndefined();
    expect(section(out, 'planning')).toBeUndefined();
    expect(section(out, 'micro')).toBeUndefined();
    expect(section(out, 'headroom')).toBeUndefined();
    expect(out).not.toMatch(/NaN|Infinity|undefined/);
    const none = renderReport({ ...rest, suites: ['sustained'], sustained: { quick: true, runs: [], headroom: [] } });
    checkWellFormed(none);
    expect(section(none, 'sustained')).toContain('No sustained run was reported.');
  });

  it('renders whatever rows the planning suite returns', () => {
    const single = renderReport(fixture({ planning: { recipients: 1000, threads: 2, wallMs: 100, messagesPlanned: 1000, verified: true, extra: 'x' } }));
    expect(section(single, 'planning')).toContain('<th>extra</th>');
    const wrapped = renderReport(fixture({ planning: { rows: [{ recipients: 5, wallMs: 1, messagesPlanned: 5 }, { recipients: 6, wallMs: 2, messagesPlanned: 6 }] } }));
    expect(svgCount(section(wrapped, 'planning'))).toBe(1);
    expect(section(wrapped, 'planning')?.split('<tr>').length).toBe(4); // header + 2 rows
  });
});

describe('axis ticks', () => {
  it('chooses round linear ticks covering the range', () => {
    expect(niceTicks(0, 170, 5).map((t) => t.value)).toEqual([0, 50, 100, 150]);
    expect(niceTicks(0, 1, 5).map((t) => t.label)).toEqual(['0', '0.2', '0.4', '0.6', '0.8', '1']);
  });
  it('puts log ticks on powers of ten, with 2 and 5 on short ranges', () => {
    expect(logTicks(1, 1e4).map((t) => t.value)).toEqual([1, 10, 100, 1000, 10_000]);
    expect(logTicks(10, 1000).map((t) => t.value)).toEqual([10, 20, 50, 100, 200, 500, 1000]);
  });
});
