import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('README examples run as published', () => {
  it('examples/quickstart.mjs (imports the built package by its name)', () => {
    const r = spawnSync(process.execPath, ['examples/quickstart.mjs'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'first: true 2026-11-23T10:00:00.000Z',
      'retry: true true true',
      'survey: 2026-11-23T10:00:06.000Z delayed by pair-rate',
      'capacity: number-throughput 0',
      'capacity: pair-rate 0',
      'capacity: portfolio-messaging-limit 1999',
      'cancelled: true',
      '',
    ]);
  });

  it('examples/columns.mjs (a campaign as columns on 2 worker threads)', () => {
    const r = spawnSync(process.execPath, ['examples/columns.mjs'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'planned: 10000 of 20000 in 10 batches',
      'row 1: 2026-11-23T09:00:00.000Z phone-1 batch 1',
      'first skipped: row 2, deadline',
      'verified: true',
      '',
    ]);
  });

  it('examples/planner.mjs (two campaigns on one CampaignPlanner, then closed)', () => {
    const r = spawnSync(process.execPath, ['examples/planner.mjs'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'winter-sale: 5000 sends in 5 batches, last at 2026-11-23T09:05:24.855Z, verified: true',
      'new-year: 3000 sends in 3 batches, last at 2026-11-23T08:33:08.125Z, verified: true',
      '',
    ]);
  });
});
