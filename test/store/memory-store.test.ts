import { describe, expect, it } from 'vitest';
import { CapacityError, MemoryStore, validatePolicy, type Message } from '../../src/index.js';

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

// Store behaviour shared with the Redis store lives in test/shared/store-conformance.ts; this file
// keeps what only the embedded store has.
describe('MemoryStore specifics', () => {
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

  it('the synchronous API answers like the asynchronous one', async () => {
    const a = MemoryStore.create(policy);
    const b = MemoryStore.create(policy);
    const m = msg();
    expect(a.admitSync(m, { now: at(0) })).toEqual(await b.admit(m, { now: at(0) }));
    const other = msg({ to: '+447700900002' });
    expect(a.peekSync(other, { now: at(0) })).toEqual(await b.peek(other, { now: at(0) }));
    expect(a.capacitySync(m, at(0))).toEqual(await b.capacity(m, { now: at(0) }));
  });
});
