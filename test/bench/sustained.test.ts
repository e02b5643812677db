// The sustained suite's own measuring parts, and one short real run side by side: real sender
// processes (forked from the built runner), real worker threads, a real redis-server, real HTTP
// to the mock sender. The measurement must catch a limiter that overshoots, or it proves nothing.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupBy, limitCheck, longestList, localDate, maxInSlidingWindow, maxOverKeys, percentiles, windowCountEachSecond } from '../../bench/sustained/analyse.js';
import { MockSender } from '../../bench/sustained/mock-sender.js';
import { Poster } from '../../bench/sustained/poster.js';
import { RUNS, runSideBySide, type RunPlan } from '../../bench/sustained/index.js';
import { offerTimes, messageAt, type WorkloadSpec } from '../../bench/sustained/workload.js';
import { startRedis, type RedisHandle } from '../support/redis-server.js';

describe('sliding-window measurement', () => {
  it('finds the most instants in any half-open window, wherever it starts', () => {
    expect(maxInSlidingWindow([], 1000)).toBe(0);
    expect(maxInSlidingWindow([0, 999, 1000], 1000)).toBe(2);
    // Fixed windows [0,1000) and [1000,2000) hold 3 each; the sliding window [100,1100) holds 5.
    expect(maxInSlidingWindow([100, 900, 950, 1000, 1010, 1900], 1000)).toBe(5);
    expect(maxInSlidingWindow([5, 1, 3], 10)).toBe(3);
  });

  it('agrees with a brute force over random instants', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 50; round++) {
      const xs = Array.from({ length: 40 }, () => Math.floor(rand() * 5000));
      const w = 1 + Math.floor(rand() * 1500);
      let brute = 0;
      for (const s of xs) brute = Math.max(brute, xs.filter((t) => t >= s && t < s + w).length);
      expect(maxInSlidingWindow(xs, w)).toBe(brute);
    }
  });

  it('takes the worst key and flags a limit exceeded', () => {
    const byKey = groupBy([{ k: 'a', t: 0 }, { k: 'a', t: 10 }, { k: 'b', t: 0 }], (x) => x.k, (x) => x.t);
    expect(maxOverKeys(byKey, 100)).toBe(2);
    expect(limitCheck('r', 'number', 100, 1, 2)).toMatchObject({ ok: false, overshoot: 2 });
    expect(limitCheck('r', 'number', 100, 2, 2)).toMatchObject({ ok: true, overshoot: 1 });
    expect(limitCheck('violations', 'all', 0, 0, 3).ok).toBe(false);
  });

  it('finds the longest list over more keys than a call takes arguments', () => {
    const byKey = new Map<string, number[]>();
    for (let k = 0; k < 300_000; k++) byKey.set(`k${k}`, k === 123_456 ? [1, 2, 3] : [k]);
    expect(longestList(byKey)).toBe(3);
    expect(longestList(new Map())).toBe(0);
  });

  it('counts a local day in the recipient zone, and the window at each second', () => {
    // 2026-03-29 00:30 UTC is still the 28th in New York.
    expect(localDate(Date.UTC(2026, 2, 29, 0, 30), 'America/New_York')).toBe('2026-03-28');
    expect(localDate(Date.UTC(2026, 2, 29, 0, 30), 'Asia/Kolkata')).toBe('2026-03-29');
    expect(windowCountEachSecond([100, 1500, 2500], 0, 3, 1000)).toEqual([1, 1, 1]);
    expect(windowCountEachSecond([100, 1500, 2500], 0, 3, 2000)).toEqual([1, 2, 2]);
    expect(percentiles([3, 1, 2, 4])).toMatchObject({ p50: 2, max: 4, count: 4 });
  });
});

describe('mock sender', () => {
  it('records well-formed sends per run and rejects anything else', async () => {
    const mock = await MockSender.start();
    try {
      const poster = new Poster(mock.url, 'r1');
      const m = messageAt({ budget: 1, windowMs: 1, durationMs: 1, trickleShare: 1, floodShare: 1, floodAtMs: 0, numbers: 2, numberPerSecond: 1, recipients: 10 }, 'r1', 3);
      await poster.post(m, 1234);
      await poster.post(m, null);
      poster.close();
      const bad = await new Promise<number>((resolve) => {
        const req = http.request(`${mock.url}/send/r1`, { method: 'POST' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.end('{"id":1}');
      });
      expect(bad).toBe(400);
      expect(mock.rejected).toBe(1);
      const got = mock.arrivals('r1');
      expect(got.map((a) => [a.id, a.sendAt])).toEqual([
        ['r1-3', 1234],
        ['r1-3', null],
      ]);
      expect(got[0]?.arrivedAt).toBeGreaterThan(Date.now() - 60_000);
    } finally {
      await mock.close();
    }
  });

  it('offers a quiet start, then a flood', () => {
    const w: WorkloadSpec = { budget: 60, windowMs: 60_000, durationMs: 120_000, trickleShare: 0.5, floodShare: 2, floodAtMs: 60_000, numbers: 1, numberPerSecond: 1, recipients: 10 };
    const t = offerTimes(w);
    expect(t.length).toBe(30 + 120);
    expect(t.filter((x) => x < 60_000).length).toBe(30);
    expect(Array.from(t).every((x, i) => i === 0 || x >= (t[i - 1] as number))).toBe(true);
  });
});

const builtRunner = fileURLToPath(new URL('../../dist/bench/sustained-runner.js', import.meta.url));

describe('a short sustained run, side by side', () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    if (!existsSync(builtRunner)) throw new Error(`${builtRunner} is missing: run \`npm run build\` first (npm test does)`);
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('sluice holds every limit on what arrived (memory threads and Redis processes); a token bucket is caught overshooting', async () => {
    // 60 per 2 s for the account over 2 numbers: a small copy of the standard run. At this size
    // the standard 1% headroom is under one message, so sluice keeps 10% (200 ms of jitter) here.
    const w: WorkloadSpec = { budget: 60, windowMs: 2_000, durationMs: 6_000, trickleShare: 0.5, floodShare: 2, floodAtMs: 2_000, numbers: 2, numberPerSecond: 40, recipients: 1_000, accountHeadroom: 0.9 };
    const pick = (run: string) => RUNS.find((p) => p.run === run) as RunPlan;
    const measured = await runSideBySide([pick('sluice-memory'), pick('sluice-redis'), pick('token-bucket')], w, redis, builtRunner);
    const [memory, viaRedis, bucket] = measured.map((m) => m.run);
    for (const r of [memory, viaRedis]) {
      expect(r?.limits.filter((l) => !l.ok)).toEqual([]);
      expect(r?.overshoot).toBeLessThanOrEqual(1);
      expect(r?.doubleSends).toBe(0);
      expect(r?.lost).toBe(0);
      expect(r?.limits.some((l) => l.rule.startsWith('checker: committed'))).toBe(true);
      // Every offered message is accounted for by name.
      const outcomes = Object.values(r?.outcomes ?? {}).reduce((a, b) => a + b, 0);
      expect(outcomes).toBe(offerTimes(w).length);
      expect(r?.sent).toBeGreaterThan(0.7 * w.budget * (w.durationMs / w.windowMs));
    }
    // The bucket starts full and refills: more than the budget in some window.
    expect(bucket?.overshoot).toBeGreaterThan(1.2);
    expect(bucket?.limits.find((l) => l.rule === 'account-window')?.ok).toBe(false);
  });
});
