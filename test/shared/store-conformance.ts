import { describe, expect, it } from 'vitest';
import { validatePolicy } from '../../src/core/policy/index.js';
import { ValidationError } from '../../src/errors.js';
import type { Decision, Message, Policy } from '../../src/core/types.js';
import type { AdmissionStore } from '../../src/store/contract.js';

/**
 * One suite of store behaviours at named instants, run against every store (embedded, Redis,
 * Redis Cluster): the stores must be interchangeable. `make` returns a fresh, empty store.
 */
export function storeConformance(label: string, make: (policy: Policy) => Promise<AdmissionStore>): void {
  const t0 = Date.parse('2026-06-01T10:00:00Z'); // 11:00 in London
  const at = (ms: number) => t0 + ms;
  const policy = validatePolicy({
    name: 'conformance',
    defaultTimeZone: 'Europe/London',
    limits: [
      { name: 'num', scope: 'number', kind: 'rate', count: 2, periodMs: 1000, burst: 1 },
      { name: 'win', scope: 'number', kind: 'window', count: 3, windowMs: 10_000 },
      { name: 'day', scope: 'recipient', kind: 'daily', count: 2 },
      { name: 'reach', scope: 'portfolio', kind: 'distinct', count: 3, windowMs: 3_600_000, categories: ['marketing'] },
      { name: 'runs', scope: 'campaign', kind: 'batch', size: 2, gapMs: 60_000 },
    ],
    sendWindows: [{ name: 'evening-off', categories: ['marketing'], allowed: [{ from: '08:00', to: '18:00' }] }],
  });
  // Only the distinct limit: one recipient per 10 s across the portfolio.
  const reachOnly = validatePolicy({
    name: 'reach-only',
    defaultTimeZone: 'Europe/London',
    limits: [{ name: 'reach', scope: 'portfolio', kind: 'distinct', count: 1, windowMs: 10_000 }],
    sendWindows: [],
  });
  let n = 0;
  const msg = (over: Partial<Message> = {}): Message => ({ id: `c${n++}`, to: '+447700900001', from: 'n1', portfolio: 'p', category: 'utility', ...over });
  const sendAt = (d: Decision) => (d.ok ? d.sendAt : null);

  describe(`store conformance: ${label}`, () => {
    it('paces by the rate, then by the window, and names the limit that delayed', async () => {
      const s = await make(policy);
      const ds: Decision[] = [];
      for (const k of [0, 1, 2, 3]) ds.push(await s.admit(msg({ to: `+44770090000${k}` }), { now: at(0) }));
      expect(ds.map(sendAt)).toEqual([at(0), at(500), at(1000), at(10_000)]);
      expect(ds.map((d) => (d.ok ? d.delayedBy : 'refused'))).toEqual([null, 'num', 'num', 'win']);
    });

    it('a daily cap moves the third message of the local day to the next local midnight', async () => {
      const s = await make(policy);
      const ds: Decision[] = [];
      for (let k = 0; k < 3; k++) ds.push(await s.admit(msg(), { now: at(0) }));
      expect(ds.map(sendAt)).toEqual([at(0), at(500), Date.parse('2026-06-01T23:00:00Z')]);
      expect(ds[2]).toMatchObject({ delayedBy: 'day' });
    });

    it('send windows defer to the next opening in the recipient zone', async () => {
      const s = await make(policy);
      expect(sendAt(await s.admit(msg({ category: 'marketing', timeZone: 'Asia/Kathmandu' }), { now: at(0) }))).toBe(at(0));
      const late = await s.admit(msg({ category: 'marketing', timeZone: 'Asia/Tokyo', to: '+819012345678' }), { now: at(0) });
      expect(sendAt(late)).toBe(Date.parse('2026-06-01T23:00:00Z'));
      expect(late).toMatchObject({ delayedBy: 'evening-off' });
    });

    it('the distinct limit: a recipient already counted costs nothing, a new one waits for the window', async () => {
      const s = await make(policy);
      const m = (to: string) => msg({ category: 'marketing', to, from: `n-${to}` });
      for (const to of ['+447700900011', '+447700900012', '+447700900013']) expect(sendAt(await s.admit(m(to), { now: at(0) }))).toBe(at(0));
      expect(sendAt(await s.admit(m('+447700900011'), { now: at(5000) }))).toBe(at(5000));
      const fourth = await s.admit(m('+447700900014'), { now: at(5000) });
      expect(fourth).toMatchObject({ ok: true, sendAt: at(3_600_000), delayedBy: 'reach' });
    });

    it('batches: at most size per run, then the gap', async () => {
      const s = await make(policy);
      const ds: Decision[] = [];
      for (let k = 0; k < 3; k++) ds.push(await s.admit(msg({ campaign: 'spring', from: `b${k}`, to: `+44770090010${k}` }), { now: at(0) }));
      expect(ds.map(sendAt)).toEqual([at(0), at(0), at(60_000)]);
    });

    it('is idempotent by id: the same id returns the first decision and consumes once', async () => {
      const s = await make(policy);
      const m = msg();
      const first = await s.admit(m, { now: at(0) });
      expect(first.ok).toBe(true);
      expect(await s.admit(m, { now: at(5) })).toEqual({ ok: true, id: m.id, sendAt: at(0), delayedBy: null, duplicate: true });
      expect(sendAt(await s.admit(msg({ to: '+447700900002' }), { now: at(0) }))).toBe(at(500));
    });

    it('admitMany decides in order, each seeing the ones before it', async () => {
      const s = await make(policy);
      const ds = await s.admitMany([0, 1, 2].map((k) => msg({ to: `+44770090005${k}` })), { now: at(0) });
      expect(ds.map(sendAt)).toEqual([at(0), at(500), at(1000)]);
    });

    it('refuses without consuming: deadline, wait beyond maxWaitMs (with retryAt), never', async () => {
      const s = await make(policy);
      await s.admit(msg(), { now: at(0) });
      expect(await s.admit(msg({ deadline: at(400) }), { now: at(0) })).toMatchObject({ ok: false, reason: 'deadline', limit: 'num', retryAt: null });
      expect(await s.admit(msg(), { now: at(0), maxWaitMs: 100 })).toMatchObject({ ok: false, reason: 'wait-exceeds-max', limit: 'num', retryAt: at(400) });
      expect(await s.admit(msg({ cost: 2 }), { now: at(0) })).toMatchObject({ ok: false, reason: 'never', limit: 'num' });
      expect(sendAt(await s.admit(msg({ to: '+447700900009' }), { now: at(0) }))).toBe(at(500));
    });

    it('refuses a message offered after its deadline, even when no limit would delay it', async () => {
      const s = await make(policy);
      const late = msg({ deadline: at(100) });
      expect(await s.peek(late, { now: at(101) })).toMatchObject({ ok: false, reason: 'deadline', limit: null, retryAt: null });
      expect(await s.admit(late, { now: at(101) })).toMatchObject({ ok: false, reason: 'deadline', limit: null, retryAt: null });
      // Nothing consumed: the same number still goes at once, and at the deadline itself it may go.
      expect(sendAt(await s.admit(msg({ deadline: at(200) }), { now: at(200) }))).toBe(at(200));
    });

    it('peek decides without consuming; capacity reports what is left', async () => {
      const s = await make(policy);
      const m = msg();
      expect(sendAt(await s.peek(m, { now: at(0) }))).toBe(at(0));
      expect(sendAt(await s.peek(m, { now: at(0) }))).toBe(at(0));
      await s.admit(m, { now: at(0) });
      const left = async (now: number) => (await s.capacity(msg(), { now })).map((c) => [c.limit, c.remaining]);
      expect(await left(at(0))).toEqual([['num', 0], ['win', 2], ['day', 1]]);
      expect(await left(at(500))).toEqual([['num', 1], ['win', 2], ['day', 1]]);
    });

    it('cancel refunds the newest rate slot and the daily unit; a cancelled id stays cancelled', async () => {
      const s = await make(policy);
      const a = msg();
      const b = msg();
      await s.admit(a, { now: at(0) });
      await s.admit(b, { now: at(0) });
      expect(await s.cancel(b.id, { portfolio: 'p' })).toBe(true);
      expect(await s.cancel(b.id, { portfolio: 'p' })).toBe(false);
      expect(await s.admit(b, { now: at(0) })).toMatchObject({ ok: false, reason: 'cancelled', duplicate: true });
      expect(sendAt(await s.admit(msg(), { now: at(0) }))).toBe(at(500));
      expect(await s.cancel(a.id, { portfolio: 'p' })).toBe(true);
      expect(sendAt(await s.admit(msg({ to: '+447700900003' }), { now: at(0) }))).toBe(at(1000));
      expect(await s.cancel('never-admitted', { portfolio: 'p' })).toBe(false);
    });

    it('cancel is refused while a later send to the recipient rides on the distinct charge the message opened', async () => {
      // Without the first send, the rider would open the recipient's charge at its own instant,
      // later: the recipient would count in windows the store already saw it leave.
      const s = await make(reachOnly);
      const first = msg({ category: 'marketing', to: '+447700900021', from: 'n1' });
      const rider = msg({ category: 'marketing', to: '+447700900021', from: 'n2' });
      expect(sendAt(await s.admit(first, { now: at(0) }))).toBe(at(0));
      expect(sendAt(await s.admit(rider, { now: at(500) }))).toBe(at(500));
      expect(await s.cancel(first.id, { portfolio: 'p' })).toBe(false);
      expect(await s.cancelOutcome(first.id, { portfolio: 'p' })).toEqual({ cancelled: false, reason: 'charge-relied-on' });
      // Nothing changed: the first send stays admitted and still holds the only place until 10 s.
      expect(await s.admit(first, { now: at(600) })).toMatchObject({ ok: true, sendAt: at(0), duplicate: true });
      expect(sendAt(await s.admit(msg({ category: 'marketing', to: '+447700900022', from: 'n3' }), { now: at(600) }))).toBe(at(10_000));
      // The rider, the recipient's newest send, can go; then nothing rides on the first any more.
      expect(await s.cancelOutcome(rider.id, { portfolio: 'p' })).toEqual({ cancelled: true });
      expect(await s.cancel(first.id, { portfolio: 'p' })).toBe(true);
      expect(await s.cancelOutcome(first.id, { portfolio: 'p' })).toEqual({ cancelled: false, reason: 'already-cancelled' });
      expect(await s.cancelOutcome('never-admitted', { portfolio: 'p' })).toEqual({ cancelled: false, reason: 'unknown' });
    });

    it('cancel of a send that opened no charge, or whose charge nothing rides on, is accepted', async () => {
      const s = await make(reachOnly);
      const first = msg({ category: 'marketing', to: '+447700900031', from: 'n1' });
      const rider = msg({ category: 'marketing', to: '+447700900031', from: 'n2' });
      const other = msg({ category: 'marketing', to: '+447700900032', from: 'n3' });
      await s.admit(first, { now: at(0) });
      await s.admit(rider, { now: at(500) });
      expect(sendAt(await s.admit(other, { now: at(600) }))).toBe(at(10_000));
      // The rider opened no charge: cancelling it changes no one's count.
      expect(await s.cancel(rider.id, { portfolio: 'p' })).toBe(true);
      // `other` opened the charge of a recipient nobody else messaged.
      expect(await s.cancel(other.id, { portfolio: 'p' })).toBe(true);
    });

    it('time never runs backwards inside the store', async () => {
      const s = await make(policy);
      await s.admit(msg(), { now: at(5000) });
      expect(sendAt(await s.admit(msg({ to: '+447700900002' }), { now: at(0) }))).toBe(at(5500));
    });

    it('rejects bad input with a typed error naming the field, before writing anything', async () => {
      const s = await make(policy);
      await expect(s.admit(msg({ to: '447700900001' }), { now: at(0) })).rejects.toThrow(ValidationError);
      await expect(s.admit(msg({ id: 'a{b}' }), { now: at(0) })).rejects.toThrow(/message\.id/);
      await expect(s.admit(msg({ cost: Number.NaN }), { now: at(0) })).rejects.toThrow(/message\.cost/);
      expect(sendAt(await s.admit(msg(), { now: at(0) }))).toBe(at(0));
    });
  });
}
