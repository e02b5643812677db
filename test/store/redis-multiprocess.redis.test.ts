import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { checkLedger } from '../../src/verify/checker.js';
import { validatePolicy } from '../../src/core/policy/index.js';
import type { CommittedSend } from '../../src/core/types.js';
import { startRedis, type RedisHandle } from '../support/redis-server.js';

const fixture = fileURLToPath(new URL('../fixtures/redis-admit-process.mjs', import.meta.url));
let server: RedisHandle;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

const policyInput = {
  name: 'fleet',
  defaultTimeZone: 'UTC',
  limits: [
    { name: 'number-rate', scope: 'number', kind: 'rate', count: 400, periodMs: 1000, burst: 1 },
    { name: 'number-window', scope: 'number', kind: 'window', count: 2000, windowMs: 5000 },
    { name: 'pair', scope: 'pair', kind: 'rate', count: 1, periodMs: 2000, burst: 1 },
    { name: 'reach', scope: 'portfolio', kind: 'distinct', count: 4000, windowMs: 60_000 },
  ],
  sendWindows: [],
};

function runProcess(args: object): Promise<{ calls: number; admitted: CommittedSend[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`sender exited ${code}: ${err}`))));
  });
}

describe('three sender processes × 16 in flight on one Redis', () => {
  it('no overshoot in any window, every id consumed once, and the budget is used', async () => {
    // Senders reserve only slots due within 100 ms and offer the rest again later (see README,
    // "Order within a key"): a far reservation would move a number's GCRA frontier past free slots.
    const common = { port: server.port, prefix: 'fleet:', policy: policyInput, durationMs: 3000, inflight: 16, idSpace: 20_000, maxWaitMs: 100 };
    const results = await Promise.all([1, 2, 3].map((seed) => runProcess({ ...common, seed })));
    const ledger = results.flatMap((r) => r.admitted);
    const ids = ledger.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length); // no id consumed twice, across processes
    expect(results.every((r) => r.calls > 100)).toBe(true);
    const report = checkLedger(validatePolicy(policyInput), ledger);
    expect(report.violations).toEqual([]);
    // Liveness: each number is paced at its rate: the committed slots fill ≥ 95% of the span.
    for (const from of ['n0', 'n1']) {
      const times = ledger.filter((s) => s.from === from).map((s) => s.sendAt).sort((a, b) => a - b);
      expect(times.length).toBeGreaterThan(200);
      const span = (times[times.length - 1] as number) - (times[0] as number);
      expect(times.length).toBeGreaterThanOrEqual(0.95 * ((span * 400) / 1000));
    }
  }, 60_000);
});
