// The README's quick start. Run it after `npm install` with: node examples/quickstart.mjs
import { MemoryStore, definePolicy } from 'sluice';

// The platform's published limits, with our portfolio's messaging tier (2,000 people / 24 h).
const policy = definePolicy('cloud-api', {
  limits: { 'portfolio-messaging-limit': { count: 2000 } },
});
const store = MemoryStore.create(policy); // embedded: shared memory, no Redis

const now = Date.parse('2026-11-23T10:00:00Z'); // omit `now` to use the store's clock
const shipped = {
  id: 'order-1042-shipped', // idempotency key
  to: '+447700900123', // canonical E.164
  from: 'phone-1', // the sending business number
  portfolio: 'acme',
  category: 'utility',
  timeZone: 'Europe/London',
};

const first = await store.admit(shipped, { now });
console.log('first:', first.ok, new Date(first.sendAt).toISOString());

// Asking again (a retry, a redelivered job) returns the first decision and consumes nothing.
const retry = await store.admit(shipped, { now });
console.log('retry:', retry.ok, retry.duplicate, retry.sendAt === first.sendAt);

// A second message to the same person from the same number waits for the pair rate (1 per 6 s).
const survey = await store.admit({ ...shipped, id: 'order-1042-survey' }, { now });
console.log('survey:', new Date(survey.sendAt).toISOString(), 'delayed by', survey.delayedBy);

// What is left right now, per limit.
for (const c of await store.capacity(shipped, { now })) console.log('capacity:', c.limit, c.remaining);

// Changed our mind: cancelling refunds what can safely be refunded.
console.log('cancelled:', await store.cancel('order-1042-survey'));
