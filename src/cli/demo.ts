import { definePolicy } from '../core/policy/index.js';
import { MemoryStore } from '../store/memory/memory-store.js';
import { planInTimeOrder } from '../scheduler/time-ordered-planner.js';
import { checkLedger } from '../verify/checker.js';
import { batchRuns } from '../scheduler/batches.js';
import type { BatchRule, Category, Message, Millis, Policy } from '../core/types.js';

export interface DemoOptions {
  readonly recipients: number;
  readonly numbers: number;
  readonly start: Millis;
  readonly seed: number;
}

/** Countries the sample campaign reaches: calling code, a mobile prefix, the zone to assume. */
const REGIONS: readonly { cc: string; prefix: string; digits: number; zone: string; weight: number }[] = [
  { cc: '44', prefix: '7', digits: 9, zone: 'Europe/London', weight: 14 },
  { cc: '34', prefix: '6', digits: 8, zone: 'Europe/Madrid', weight: 10 },
  { cc: '49', prefix: '15', digits: 9, zone: 'Europe/Berlin', weight: 8 },
  { cc: '91', prefix: '9', digits: 9, zone: 'Asia/Kolkata', weight: 12 },
  { cc: '977', prefix: '98', digits: 8, zone: 'Asia/Kathmandu', weight: 3 },
  { cc: '971', prefix: '50', digits: 7, zone: 'Asia/Dubai', weight: 4 },
  { cc: '81', prefix: '90', digits: 8, zone: 'Asia/Tokyo', weight: 6 },
  { cc: '61', prefix: '4', digits: 8, zone: 'Australia/Sydney', weight: 5 },
  { cc: '64', prefix: '21', digits: 7, zone: 'Pacific/Auckland', weight: 2 },
  { cc: '234', prefix: '80', digits: 8, zone: 'Africa/Lagos', weight: 6 },
  { cc: '55', prefix: '119', digits: 8, zone: 'America/Sao_Paulo', weight: 10 },
  { cc: '52', prefix: '55', digits: 8, zone: 'America/Mexico_City', weight: 6 },
  { cc: '1', prefix: '212', digits: 7, zone: 'America/New_York', weight: 8 },
  { cc: '1', prefix: '415', digits: 7, zone: 'America/Los_Angeles', weight: 6 },
];

/** The policy of the demo: the operator playbook plus the platform's 2,000-recipient messaging tier. */
export function demoPolicy(): Policy {
  return definePolicy('conservative', {
    name: 'conservative-tier-2000',
    addLimits: [
      { name: 'portfolio-messaging-limit', scope: 'portfolio', kind: 'distinct', count: 2_000, windowMs: 86_400_000, categories: ['authentication', 'utility', 'marketing'] },
    ],
  });
}

/** A deterministic sample campaign: most people get one message, a few get a drip of six. */
export function demoCampaign(o: DemoOptions): Message[] {
  const random = mulberry32(o.seed);
  const totalWeight = REGIONS.reduce((s, r) => s + r.weight, 0);
  const messages: Message[] = [];
  const seen = new Set<string>();
  for (let i = 0; messages.length < o.recipients * 1.1 && i < o.recipients; i++) {
    let pick = random() * totalWeight;
    const region = REGIONS.find((r) => (pick -= r.weight) < 0) ?? (REGIONS[0] as (typeof REGIONS)[number]);
    let local = region.prefix;
    while (local.length < region.prefix.length + region.digits) local += String(Math.floor(random() * 10));
    const to = `+${region.cc}${local}`;
    if (seen.has(to)) continue;
    seen.add(to);
    const from = `sender-${(i % o.numbers) + 1}`;
    const drip = random() < 0.02 ? 6 : 1;
    for (let k = 0; k < drip; k++) {
      const category: Category = k > 0 || random() < 0.15 ? 'utility' : 'marketing';
      messages.push({
        id: `demo-${i}-${k}`,
        to,
        from,
        portfolio: 'acme',
        category,
        campaign: 'winter-sale',
        timeZone: region.zone,
        notBefore: o.start + k * 60 * 60_000,
      });
    }
  }
  return messages;
}

export interface DemoReport {
  readonly text: string;
  readonly violations: number;
  readonly committed: number;
}

export function runDemo(o: DemoOptions): DemoReport {
  const policy = demoPolicy();
  const messages = demoCampaign(o);
  const recipients = new Set(messages.map((m) => m.to)).size;
  const zones = new Set(messages.map((m) => m.timeZone)).size;
  const store = MemoryStore.create(policy, {
    recordLedger: true,
    capacity: { maxMessages: messages.length + 16, members: recipients + 16, keys: { 'pair-spacing': recipients + 16, 'recipient-daily': recipients + 16 } },
  });
  const began = performance.now();
  const { decisions, deferredBy } = planInTimeOrder(store, messages, o.start);
  const planningMs = performance.now() - began;
  const committed = store.committed().sort((a, b) => a.sendAt - b.sendAt);
  const report = checkLedger(policy, committed);

  const lines: string[] = [];
  const out = (s = '') => lines.push(s);
  out(`sluice demo: plan a campaign on the embedded store (no Redis needed)`);
  out(`policy    conservative preset + the platform's messaging tier of 2,000 people per moving 24 h`);
  out(`campaign  ${fmtInt(messages.length)} messages to ${fmtInt(recipients)} recipients in ${zones} time zones, ${o.numbers} sending numbers`);
  out(`start     ${iso(o.start)}`);
  out();

  const batchRule = policy.limits.find((r): r is BatchRule => r.kind === 'batch');
  const gap = batchRule?.gapMs ?? 15 * 60_000;
  const { runs } = batchRuns(committed, gap);
  out(`batches   (at most ${fmtInt(batchRule?.size ?? 0)} messages, then a pause of at least ${gap / 60_000} min)`);
  const shown = runs.length <= 14 ? runs : [...runs.slice(0, 10), null, ...runs.slice(-3)];
  for (const r of shown) {
    if (r === null) {
      out(`  …         ${runs.length - 13} more batches`);
      continue;
    }
    out(`  #${String(r.index).padEnd(4)} ${iso(r.first)} → ${clock(r.last)}  ${fmtInt(r.count).padStart(6)} messages from ${r.numbers} numbers`);
  }
  out();

  // Held: a rule moved the message to another part of the day (or another day). Paced: it only
  // waited for its turn under a rate or batch limit.
  const pacing = new Set(policy.limits.filter((r) => r.kind === 'rate' || r.kind === 'batch' || r.kind === 'window').map((r) => r.name));
  const held = new Map<string, number>();
  const paced = new Map<string, number>();
  let heldTotal = 0;
  let pacedTotal = 0;
  decisions.forEach((d, i) => {
    const rules = new Set(deferredBy[i]);
    if (d.ok && d.delayedBy !== null) rules.add(d.delayedBy);
    const holds = [...rules].filter((r) => !pacing.has(r));
    const paces = [...rules].filter((r) => pacing.has(r));
    if (holds.length > 0) heldTotal++;
    else if (paces.length > 0) pacedTotal++;
    for (const r of holds) held.set(r, (held.get(r) ?? 0) + 1);
    if (holds.length === 0) for (const r of paces) paced.set(r, (paced.get(r) ?? 0) + 1);
  });
  out(`held      ${fmtInt(heldTotal)} messages deferred to a later slot instead of skipped (one message may be held by several rules)`);
  for (const [by, n] of [...held].sort((a, b) => b[1] - a[1])) out(`  ${by.padEnd(28)} ${fmtInt(n).padStart(6)}  ${explain(by)}`);
  out(`paced     ${fmtInt(pacedTotal)} more messages only waited for their turn`);
  for (const [by, n] of [...paced].sort((a, b) => b[1] - a[1])) out(`  ${by.padEnd(28)} ${fmtInt(n).padStart(6)}  ${explain(by)}`);
  const refused = decisions.filter((d) => !d.ok);
  if (refused.length > 0) {
    out(`refused   ${fmtInt(refused.length)}`);
    const why = new Map<string, number>();
    for (const d of refused) if (!d.ok) why.set(`${d.reason}${d.limit ? ` (${d.limit})` : ''}`, (why.get(`${d.reason}${d.limit ? ` (${d.limit})` : ''}`) ?? 0) + 1);
    for (const [k, n] of why) out(`  ${k.padEnd(28)} ${fmtInt(n).padStart(6)}`);
  }
  out();
  const last = committed[committed.length - 1]?.sendAt ?? o.start;
  out(`finished  ${iso(last)}  (${duration(last - o.start)} after the start; ${fmtInt(committed.length)} sends)`);
  out(`verified  ${report.ok ? 'no limit exceeded' : `${report.violations.length} VIOLATIONS`}: independent checker over every committed send`);
  out(`planned   in ${planningMs.toFixed(0)} ms`);
  return { text: lines.join('\n'), violations: report.violations.length, committed: committed.length };
}

const EXPLAIN: Record<string, string> = {
  'quiet-hours': "recipient's local night (sends only 09:00–22:00 local)",
  'recipient-daily': "cap per recipient per local day reached: next local day",
  'portfolio-messaging-limit': 'unique recipients per moving 24 h reached',
  'campaign-batches': 'batch full: waits for the pause between batches',
  'number-per-minute': "sending number's per-minute budget",
  'pair-spacing': 'spacing between two messages to the same person',
  'number-ceiling': 'hard ceiling per minute',
  'number-burst-10min': 'burst check per 10 minutes',
};
function explain(rule: string): string {
  return EXPLAIN[rule] ?? '';
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const fmtInt = (n: number) => n.toLocaleString('en-US');
const iso = (t: Millis) => `${new Date(t).toISOString().slice(0, 19).replace('T', ' ')}Z`;
const clock = (t: Millis) => new Date(t).toISOString().slice(11, 19) + 'Z';
function duration(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.round((ms % 3_600_000) / 60_000);
  return h > 0 ? `${h} h ${m} min` : `${m} min`;
}
