import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResults } from '../../bench/report/types.js';
import { fixture, run } from '../bench/report-fixture.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const sluice = (...args: string[]) => spawnSync(process.execPath, ['dist/cli/main.js', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-'));

describe('sluice bench (through the CLI)', () => {
  it('--help lists the suites and options', () => {
    const r = sluice('bench', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/usage: sluice bench/);
    for (const word of ['micro', 'threads', 'latency', 'redis', 'planning', 'sustained', 'headroom', '--quick', '--out', '--html']) expect(r.stdout).toContain(word);
    expect(sluice('--help').stdout).toMatch(/^ {2}bench /m);
  });

  it.each([
    [['bench', '--suite', 'micro,nope'], /unknown suite 'nope'/],
    [['bench', '--bogus'], /unknown option --bogus/],
    [['bench', '--out'], /--out needs a value/],
  ])('exits 2 on bad usage: %j', (args, message) => {
    const r = sluice(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('--from re-renders the report and the verdict: exit 0 on good results, 1 on a double send', () => {
    const dir = tmp();
    const good = path.join(dir, 'good.json');
    const bad = path.join(dir, 'bad.json');
    writeFileSync(good, JSON.stringify(fixture()));
    const failing: BenchResults = { ...fixture(), sustained: { quick: true, runs: [run({ doubleSends: 2 })], headroom: [] } };
    writeFileSync(bad, JSON.stringify(failing));
    const ok = sluice('bench', '--from', good, '--html', path.join(dir, 'good.html'));
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/VERDICT: PASS/);
    expect(readFileSync(path.join(dir, 'good.html'), 'utf8')).toMatch(/^<!doctype html>/);
    const ko = sluice('bench', '--from', bad, '--html', path.join(dir, 'bad.html'));
    expect(ko.status).toBe(1);
    expect(ko.stdout).toMatch(/VERDICT: FAIL/);
    expect(ko.stdout).toMatch(/FAIL double-send +sluice memory, 2 threads: 2 message\(s\)/);
  });

  it('runs the latency suite and writes the JSON results and the HTML report', () => {
    const dir = tmp();
    const out = path.join(dir, 'results.json');
    const html = path.join(dir, 'report.html');
    const r = sluice('bench', '--quick', '--suite', 'latency', '--out', out, '--html', html);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const results = JSON.parse(readFileSync(out, 'utf8')) as BenchResults;
    expect(results.suites).toEqual(['latency']);
    expect(results.machine.cores).toBeGreaterThan(0);
    expect(results.machine.node).toBe(process.version);
    // The test harness's machines have redis-server (the Redis suites never skip).
    expect(results.machine.redisServer).toMatch(/^\d+\.\d+/);
    const series = results.latency?.series ?? [];
    expect(series.map((s) => s.store)).toEqual(['memory', 'memory', 'memory', 'redis', 'redis']);
    for (const s of series) {
      expect(s.count).toBeGreaterThan(1000);
      expect(s.errors).toBe(0);
      // Measured from the intended start, a call's latency is never below its service time.
      expect(s.p50Us).toBeGreaterThanOrEqual(s.serviceP50Us * 0.99);
      expect(s.p50Us).toBeLessThanOrEqual(s.p99Us);
      expect(s.p99Us).toBeLessThanOrEqual(s.maxUs);
      expect(s.curve.at(-1)).toEqual({ percentile: 100, us: s.maxUs });
    }
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<section id="latency">');
    expect(page).toContain('<svg');
    expect(r.stdout).toMatch(/VERDICT: PASS/);
  });
});
