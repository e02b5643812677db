import { describe, expect, it } from 'vitest';
import { CapacityError, MemoryStore, ValidationError, validatePolicy, type Message } from '../../src/index.js';

const t0 = Date.parse('2026-06-01T10:00:00Z'); // 11:00 in London
const at = (ms: number) => t0 + ms;

const policy = validatePolicy({
  name: 'unit',
  defaultTimeZone: 'Europe/London',
  limits: [
    { name: 'num', scope: 'number', kind: 'rate', count: 2, periodMs: 1000, burst: 1 },
    { name: 'win', scope: 'number', kind: 'window', count: 3, windowMs: 10_000 },
    { name: 'day', scope: 'recipient', kind: 'daily', count: 2 },
  ],
  sendWindows: [{ name: 'evening-off', categories: ['marketing'], allowed: [{ from: '08:00', to: '18:00' }] }],
});

let n = 0;
const msg = (over: Partial<Message> = {}): Message => ({ id: `m${n++}`, to: '+447700900001', from: 'n1', portfolio: 'p', category: 'utility', ...over });
const sendAt = (d: { ok: boolean; sendAt?: number }) => (d.ok ? d.sendAt : null);

describe('MemoryStore at named instants', () => {
  it('paces by the rate, then by the window, and names the limit that delayed', () => {
    const s = MemoryStore.create(policy);
    const ds = [0, 1, 2, 3].map((k) => s.admitSync(msg({ to: `+44770090000${k}` }), { now: at(0) }));
    expect(ds.map(sendAt)).toEqual([at(0), at(500), at(1000), at(10_000)]);
    expect(ds.map((d) => (d.ok ? d.delayedBy : 'refused'))).toEqual([null, 'num', 'num', 'win']);
  });

  it('daily cap moves the third message of the day to the next local midnight', () => {
    const s = MemoryStore.create(policy);
    const ds = [0, 1, 2].map(() => s.admitSync(msg(), { now: at(0) }));
    expect(ds.map(sendAt)).toEqual([at(0), at(500), Date.parse('2026-06-01T23:00:00Z')]); // 00:00 BST
    expect(ds[2]).toMatchObject({ delayedBy: 'day' });
  });

  it('send windows defer marketing to the next opening in the recipient zone', () => {
    const s = MemoryStore.create(policy);
    const d = s.admitSync(msg({ category: 'marketing', timeZone: 'Asia/Kathmandu' }), { now: at(0) }); // 15:45 local: open
    expect(sendAt(d)).toBe(at(0));
    const late = s.admitSync(msg({ category: 'marketing', timeZone: 'Asia/Tokyo', to: '+819012345678' }), { now: at(0) }); // 19:00 local: closed
    expect(sendAt(late)).toBe(Date.parse('2026-06-01T23:00:00Z')); // 08:00 JST next day
    expect(late).toMatchObject({ delayedBy: 'evening-off' });
  });

  it('is idempotent by id: the same id returns the first decision and consumes once', () => {
    const s = MemoryStore.create(policy);
    const m = msg();
    const first = s.admitSync(m, { now: at(0) });
    const again = s.admitSync(m, { now: at(5) });
    expect(again).toEqual({ ok: true, id: m.id, sendAt: at(0), delayedBy: null, duplicate: true });
    expect(sendAt(s.admitSync(msg({ to: '+447700900002' }), { now: at(0) }))).toBe(at(500)); // one slot used, not two
    expect(first.ok).toBe(true);
  });

  it('refuses without consuming: deadline, wait beyond maxWaitMs (with retryAt), never', () => {
    const s = MemoryStore.create(policy);
    s.admitSync(msg(), { now: at(0) });
    const late = s.admitSync(msg({ deadline: at(400) }), { now: at(0) });
    expect(late).toMatchObject({ ok: false, reason: 'deadline', limit: 'num', retryAt: null });
    const wait = s.admitSync(msg(), { now: at(0), maxWaitMs: 100 });
    expect(wait).toMatchObject({ ok: false, reason: 'wait-exceeds-max', limit: 'num', retryAt: at(400) });
    const never = s.admitSync(msg({ cost: 2 }), { now: at(0) });
    expect(never).toMatchObject({ ok: false, reason: 'never', limit: 'num' });
    // Nothing above consumed: the next one still gets the first free slot.
    expect(sendAt(s.admitSync(msg({ to: '+447700900009' }), { now: at(0) }))).toBe(at(500));
  });

  it('peek decides without consuming; capacity reports what is left now', () => {
    const s = MemoryStore.create(policy);
    const m = msg();
    expect(sendAt(s.peekSync(m, { now: at(0) }))).toBe(at(0));
    expect(sendAt(s.peekSync(m, { now: at(0) }))).toBe(at(0));
    s.admitSync(m, { now: at(0) });
    expect(s.capacitySync(msg(), at(0)).map((c) => [c.limit, c.remaining])).toEqual([['num', 0], ['win', 2], ['day', 1]]);
    expect(s.capacitySync(msg(), at(500)).map((c) => [c.limit, c.remaining])).toEqual([['num', 1], ['win', 2], ['day', 1]]);
  });

  it('cancel refunds the newest rate slot and window/daily exactly; a cancelled id stays cancelled', () => {
    const s = MemoryStore.create(policy);
    const a = msg();
    const b = msg();
    s.admitSync(a, { now: at(0) }); // 0
    s.admitSync(b, { now: at(0) }); // 500, also the recipient's 2nd today
    expect(s.cancelSync(b.id)).toBe(true);
    expect(s.cancelSync(b.id)).toBe(false);
    expect(s.admitSync(b, { now: at(0) })).toMatchObject({ ok: false, reason: 'cancelled', duplicate: true });
    // The newest rate slot and the daily unit came back.
    expect(sendAt(s.admitSync(msg(), { now: at(0) }))).toBe(at(500));
    // Cancelling an older reservation cannot hand back its rate slot (a later one was placed after it).
    expect(s.cancelSync(a.id)).toBe(true);
    expect(sendAt(s.admitSync(msg({ to: '+447700900003' }), { now: at(0) }))).toBe(at(1000));
  });

  it('time never runs backwards inside the store (a late clock reading is raised to the latest seen)', () => {
    const s = MemoryStore.create(policy);
    s.admitSync(msg(), { now: at(5000) });
    const d = s.admitSync(msg({ to: '+447700900002' }), { now: at(0) });
    expect(sendAt(d)).toBe(at(5500));
  });

  it('fails closed when fixed capacity runs out', () => {
    const tiny = MemoryStore.create(policy, { capacity: { maxMessages: 2, entriesPerKey: { win: 3 } } });
    tiny.admitSync(msg(), { now: at(0) });
    tiny.admitSync(msg(), { now: at(0) });
    expect(() => tiny.admitSync(msg(), { now: at(0) })).toThrow(CapacityError);
    const log = MemoryStore.create(policy, { capacity: { entriesPerKey: { win: 3 } } });
    for (let k = 0; k < 3; k++) log.admitSync(msg({ to: `+44770090001${k}` }), { now: at(0) });
    // The window log holds 3 live entries: a 4th cannot be judged, so it is refused, not guessed.
    expect(log.admitSync(msg({ to: '+447700900020' }), { now: at(0) })).toMatchObject({ ok: false, reason: 'capacity', limit: 'win' });
  });

  it('rejects bad input with a typed error naming the field, before writing anything', () => {
    const s = MemoryStore.create(policy);
    expect(() => s.admitSync(msg({ to: '447700900001' }), { now: at(0) })).toThrow(ValidationError);
    expect(() => s.admitSync(msg({ id: 'a{b}' }), { now: at(0) })).toThrow(/message\.id/);
    expect(() => MemoryStore.create(policy, { capacity: { keys: { nope: 4 } } })).toThrow(/capacity\.keys\.nope/);
    expect(sendAt(s.admitSync(msg(), { now: at(0) }))).toBe(at(0)); // nothing was consumed
  });
});
