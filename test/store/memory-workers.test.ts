import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { MemoryStore, SharedRateLimiter, checkLedger, validatePolicy } from '../../dist/index.js';
import type { CommittedSend, Decision, Message } from '../../src/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

function run<T>(file: string, workerData: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const w = new Worker(fixture(file), { workerData });
    w.once('message', (m: T) => resolve(m));
    w.once('error', reject);
    w.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
  });
}

const policy = validatePolicy({
  name: 'threads',
  defaultTimeZone: 'Europe/London',
  limits: [
    { name: 'number-rate', scope: 'number', kind: 'rate', count: 20, periodMs: 1000, burst: 1 },
    { name: 'number-window', scope: 'number', kind: 'window', count: 50, windowMs: 5000 },
    { name: 'pair', scope: 'pair', kind: 'rate', count: 1, periodMs: 2000, burst: 1 },
    { name: 'daily', scope: 'recipient', kind: 'daily', count: 3 },
    { name: 'reach', scope: 'portfolio', kind: 'distinct', count: 40, windowMs: 60_000 },
  ],
  sendWindows: [{ name: 'day', categories: ['marketing'], allowed: [{ from: '08:00', to: '20:00' }] }],
});

describe('embedded store shared by worker threads', () => {
  it('two threads admitting the same ids against shared limits: no overshoot, each id consumed once', async () => {
    const store = MemoryStore.create(policy);
    const start = Date.parse('2026-06-01T07:30:00Z'); // 08:30 in London
    const messages: Message[] = Array.from({ length: 1500 }, (_, i) => ({
      id: `m-${i}`,
      to: `+4477009${String(i % 90).padStart(5, '0')}`,
      from: `num-${i % 3}`,
      portfolio: 'acme',
      category: i % 5 === 0 ? 'utility' : 'marketing',
    }));
    // Both threads get every id, in opposite orders: each id must be consumed exactly once.
    const [a, b] = await Promise.all([
      run<{ decisions: Decision[]; committed: CommittedSend[] }>('memory-store-worker.mjs', { handle: store.handle, messages, start, stepMs: 7 }),
      run<{ decisions: Decision[]; committed: CommittedSend[] }>('memory-store-worker.mjs', { handle: store.handle, messages: [...messages].reverse(), start, stepMs: 7 }),
    ]);
    const committed = [...a.committed, ...b.committed];
    const ids = committed.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length); // no id committed twice
    const okFirst = [...a.decisions, ...b.decisions].filter((d) => d.ok && !d.duplicate);
    expect(okFirst.length).toBe(committed.length);
    // A duplicate answer repeats the first decision's instant.
    const first = new Map(committed.map((s) => [s.id, s.sendAt]));
    for (const d of [...a.decisions, ...b.decisions]) if (d.ok && d.duplicate) expect(d.sendAt).toBe(first.get(d.id));
    expect(committed.length).toBeGreaterThan(100);
    const report = checkLedger(policy, committed);
    expect(report.violations).toEqual([]);
  });

  it('two threads on one shared GCRA key with real clocks: never above the rate', async () => {
    const limiter = SharedRateLimiter.create({ count: 2000, periodMs: 100 });
    const go = new SharedArrayBuffer(4);
    const runs = [0, 1].map(() => run<{ granted: number[] }>('rate-limiter-worker.mjs', { handle: limiter.handle, durationMs: 400, go }));
    setTimeout(() => {
      Atomics.store(new Int32Array(go), 0, 1);
      Atomics.notify(new Int32Array(go), 0);
    }, 50);
    const results = await Promise.all(runs);
    const granted = results.flatMap((r) => r.granted).sort((x, y) => x - y);
    expect(results.every((r) => r.granted.length > 0)).toBe(true);
    let worst = 0;
    for (let i = 0, j = 0; i < granted.length; i++) {
      while (j < granted.length && (granted[j] as number) < (granted[i] as number) + 100) j++;
      worst = Math.max(worst, j - i);
    }
    expect(worst).toBeLessThanOrEqual(2000);
  });

  it('two threads reserving on one key: every slot taken exactly once, none skipped (no lost update, full use)', async () => {
    // A fixed caller-supplied instant: the slots depend only on the shared state, not on scheduling.
    const limiter = SharedRateLimiter.create({ count: 80, periodMs: 1000 });
    const go = new SharedArrayBuffer(4);
    const now = Date.parse('2026-06-01T10:00:00Z');
    const runs = [0, 1].map(() => run<{ slots: number[] }>('rate-limiter-reserve-worker.mjs', { handle: limiter.handle, calls: 20_000, now, go }));
    Atomics.store(new Int32Array(go), 0, 1);
    Atomics.notify(new Int32Array(go), 0);
    const slots = (await Promise.all(runs)).flatMap((r) => r.slots).sort((x, y) => x - y);
    expect(slots.length).toBe(40_000);
    // Slot k of an 80/s limit is the whole millisecond at or after k × 12.5 ms.
    slots.forEach((s, k) => expect(s - now).toBe(k === 0 ? 0 : Math.ceil(k * 12.5 - 0.5)));
  });
});
