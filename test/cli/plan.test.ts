import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const sluice = (...args: string[]) => spawnSync(process.execPath, ['dist/cli/main.js', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
const dir = mkdtempSync(join(tmpdir(), 'sluice-plan-'));

// The README's walk-through, on the example campaign shipped in examples/.
const planArgs = (out: string) => ['plan', '--policy', 'examples/policy.json', '--recipients', 'examples/recipients.csv', '--suppression', 'examples/suppression.txt', '--start', '2026-11-23T06:00:00Z', '--numbers', 'phone-1,phone-2', '--portfolio', 'acme', '--campaign', 'winter-sale', '--out', out];

describe('sluice plan → sluice verify on the example campaign', () => {
  const schedule = join(dir, 'schedule.jsonl');
  const planned = sluice(...planArgs(schedule));
  const lines = readFileSync(schedule, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const input = readFileSync(join(root, 'examples/recipients.csv'), 'utf8').trim().split('\n').slice(1);

  it('exits 0 and writes exactly one line per input row, in input order, carrying its id', () => {
    expect(planned.status).toBe(0);
    expect(lines.length).toBe(input.length);
    expect(lines.map((l) => l['id'])).toEqual(input.map((row) => row.split(',')[0]));
  });

  it('skips with machine-readable reasons, and one person in four notations is planned once', () => {
    const reason = (id: string) => lines.find((l) => l['id'] === id)?.['skipped'];
    expect(['d2', 'd3', 'd4'].map(reason)).toEqual(['duplicate', 'duplicate', 'duplicate']);
    expect(lines.find((l) => l['id'] === 'd1')).toMatchObject({ to: '+447400123499' });
    expect(Object.fromEntries(['n1', 'n2', 's1', 'x1', 'w1', 'i1', 'i2', 'm1'].map((id) => [id, reason(id)]))).toEqual({
      n1: 'not-opted-in', n2: 'not-opted-in', s1: 'stale', x1: 'suppressed', w1: 'outside-service-window', i1: 'invalid-number', i2: 'invalid-number', m1: 'missing-number',
    });
    // A Spanish number may be on the Canary Islands: without a tz it is not guessed.
    expect(lines.filter((l) => l['skipped'] === 'ambiguous-time-zone').every((l) => String(input[(l['row'] as number) - 1]).includes('+34'))).toBe(true);
    expect(lines.find((l) => l['id'] === 'w2')).toMatchObject({ category: 'service' });
  });

  it('summarises on stderr: reasons, held rules, batches, finish, per-hour histogram, self-verification', () => {
    expect(planned.stderr).toMatch(/rows\s+51: \d+ planned, \d+ skipped/);
    expect(planned.stderr).toMatch(/quiet-hours\s+\d+/);
    expect(planned.stderr).toMatch(/finish\s+2026-11-2\dT/);
    expect(planned.stderr).toMatch(/per hour\s+\(UTC\)\n\s+2026-11-23T06h\s+\d+ █+/);
    expect(planned.stderr).toContain('verified  no limit exceeded');
    expect(planned.stderr + planned.stdout).not.toMatch(/\+\d{9,}/); // no phone number on the terminal
  });

  it('the schedule verifies clean; the same schedule with one send moved into quiet hours does not', () => {
    expect(sluice('verify', '--policy', 'examples/policy.json', '--schedule', schedule).status).toBe(0);
    const broken = lines.map((l) => (l['id'] === 'c1' ? { ...l, sendAt: '2026-11-23T23:30:00.000Z' } : l));
    const brokenFile = join(dir, 'broken.jsonl');
    writeFileSync(brokenFile, broken.map((l) => JSON.stringify(l)).join('\n'));
    const r = sluice('verify', '--policy', 'examples/policy.json', '--schedule', brokenFile);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/quiet-hours/);
  });

  it('--threads 2 screens on worker threads and writes the same schedule, byte for byte', () => {
    const threaded = join(dir, 'threaded.jsonl');
    const r = sluice(...planArgs(threaded), '--threads', '2');
    expect(r.status).toBe(0);
    expect(readFileSync(threaded, 'utf8')).toBe(readFileSync(schedule, 'utf8'));
    expect(sluice(...planArgs(threaded), '--threads', '0').status).toBe(2);
  });

  it('bad input exits 2 with a message, not a stack trace', () => {
    const r = sluice('plan', '--policy', 'no-such-policy.json', '--recipients', 'examples/recipients.csv');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no-such-policy\.json/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
