import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const sluice = (...args: string[]) => spawnSync(process.execPath, ['dist/cli/main.js', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

describe('sluice demo (the main job, embedded store)', () => {
  it('plans the sample campaign, explains deferrals and verifies the schedule independently', () => {
    const r = sluice('demo', '--recipients', '1500', '--numbers', '3');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/campaign\s+1,6\d\d messages to 1,\d{3} recipients in 14 time zones, 3 sending numbers/);
    expect(r.stdout).toMatch(/#1\s+2026-11-23 06:00:00Z/);
    expect(r.stdout).toMatch(/held .*\n(.*\n)*\s+quiet-hours\s+[\d,]+/);
    expect(r.stdout).toMatch(/recipient-daily\s+\d+/);
    expect(r.stdout).toContain('verified  no limit exceeded');
    // No phone number is ever printed.
    expect(r.stdout).not.toMatch(/\+\d{8,}/);
  });

  it('is deterministic for a seed', () => {
    const a = sluice('demo', '--recipients', '300', '--seed', '3');
    const b = sluice('demo', '--recipients', '300', '--seed', '3');
    const strip = (s: string) => s.replace(/planned\s+in \d+ ms/, '');
    expect(strip(a.stdout)).toBe(strip(b.stdout));
  });

  it.each([
    [['demo', '--bogus', '1'], /unknown option --bogus/],
    [['demo', '--recipients', 'many'], /--recipients must be an integer/],
    [['demo', '--start', 'yesterday'], /--start must be an ISO 8601 instant/],
    [['launch'], /unknown command 'launch'/],
    [[], /usage: sluice/],
  ])('exits 2 with a message on bad usage: %j', (args, message) => {
    const r = sluice(...args);
    expect(r.status).toBe(2);
    expect(r.stdout + r.stderr).toMatch(message);
  });
});
