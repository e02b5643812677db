import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs an example as a user would; it must exit 0 and write nothing to stderr. Returns its stdout lines. */
function runExample(file: string): string[] {
  const r = spawnSync(process.execPath, [file], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.split('\n');
}

describe('README examples run as published', () => {
  it('examples/quickstart.mjs (imports the built package by its name)', () => {
    expect(runExample('examples/quickstart.mjs')).toEqual([
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
    expect(runExample('examples/columns.mjs')).toEqual([
      'planned: 10000 of 20000 in 10 batches',
      'row 1: 2026-11-23T09:00:00.000Z phone-1 batch 1',
      'first skipped: row 2, deadline',
      'verified: true',
      '',
    ]);
  });

  it('examples/planner.mjs (two campaigns on one CampaignPlanner, then closed)', () => {
    expect(runExample('examples/planner.mjs')).toEqual([
      'winter-sale: 5000 sends in 5 batches, last at 2026-11-23T09:05:24.855Z, verified: true',
      'new-year: 3000 sends in 3 batches, last at 2026-11-23T08:33:08.125Z, verified: true',
      '',
    ]);
  });
});
