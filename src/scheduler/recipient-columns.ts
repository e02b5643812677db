import type { Category, Message } from '../core/types.js';
import { validateE164, validateMessage } from '../core/policy/index.js';
import { ValidationError } from '../errors.js';
import { CATEGORY_ORDER } from './compact-plan.js';
import { e164Digits } from './e164-digits.js';

/** Categories by their code in `RecipientColumns.category`, in priority order (authentication first). */
export const CAMPAIGN_CATEGORIES: readonly Category[] = CATEGORY_ORDER;

/**
 * A screened campaign as columns, one entry per recipient in input order: what the columnar
 * planners take (`planCampaignColumns`, `planCampaignColumnsParallel`). Plain typed arrays, so
 * a million recipients are a few arrays rather than a million objects.
 */
export interface RecipientColumns {
  /** The canonical E.164 number without its `+`, as an integer (8 to 15 digits, the first not 0). */
  readonly to: Float64Array;
  /** Index in CAMPAIGN_CATEGORIES. */
  readonly category: Uint8Array;
  /** Index in `zones`. */
  readonly zone: Uint16Array;
  /** IANA time zones (at most 65,535). */
  readonly zones: readonly string[];
  /** The 1-based input row of each recipient (message ids are `campaign:row`); default: its index + 1. */
  readonly row?: Int32Array;
}

/** The smallest and largest E.164 digit strings as integers: 8 and 15 digits. */
const MIN_DIGITS = 10_000_000;
const MAX_DIGITS = 999_999_999_999_999;

/** The input row of recipient i. */
export function rowOf(c: RecipientColumns, i: number): number {
  return c.row === undefined ? i + 1 : (c.row[i] as number);
}

/**
 * Recipient objects as columns. Checks what the columns cannot hold (a category name, a
 * canonical number, at most 65,535 zones), naming the recipient; `checkRecipientColumns` does
 * the rest.
 */
export function recipientColumns(recipients: readonly { readonly row: number; readonly to: string; readonly timeZone: string; readonly category: Category }[]): RecipientColumns {
  const m = recipients.length;
  const to = new Float64Array(m);
  const category = new Uint8Array(m);
  const zone = new Uint16Array(m);
  const row = new Int32Array(m);
  const zoneIds = new Map<string, number>();
  for (let i = 0; i < m; i++) {
    const r = recipients[i]!;
    const p = CATEGORY_RANK[r.category];
    if (p === undefined) throw new ValidationError(`recipients[${i}].category`, `one of ${CATEGORY_ORDER.join(', ')}`, r.category);
    category[i] = p;
    const d = e164Digits(r.to);
    if (d < 0) {
      validateE164(r.to, `recipients[${i}].to`); // throws, naming the recipient
      throw new ValidationError(`recipients[${i}].to`, 'a canonical E.164 number', r.to);
    }
    to[i] = d;
    let z = zoneIds.get(r.timeZone);
    if (z === undefined) {
      if (zoneIds.size >= 65_535) throw new ValidationError(`recipients[${i}].timeZone`, 'one of at most 65,535 distinct zones in a campaign', r.timeZone);
      zoneIds.set(r.timeZone, (z = zoneIds.size));
    }
    zone[i] = z;
    // Checked here: the column would turn a missing or fractional row into another number.
    if (!Number.isSafeInteger(r.row) || r.row < 1 || r.row > 2_147_483_647) throw new ValidationError(`recipients[${i}].row`, 'a positive integer', r.row);
    row[i] = r.row;
  }
  return { to, category, zone, zones: [...zoneIds.keys()], row };
}

const CATEGORY_RANK: Readonly<Record<string, number>> = Object.fromEntries(CATEGORY_ORDER.map((c, i) => [c, i]));

/** What a recipient's message needs besides the columns. */
export interface MessageContext {
  readonly portfolio: string;
  readonly campaign: string;
  readonly start: number;
  readonly deadline?: number;
}

/** Recipient i's message from `from`. */
export function columnMessage(c: RecipientColumns, i: number, o: MessageContext, from: string): Message {
  return {
    id: `${o.campaign}:${rowOf(c, i)}`,
    to: `+${c.to[i] as number}`,
    from,
    portfolio: o.portfolio,
    category: CATEGORY_ORDER[c.category[i] as number] as Category,
    campaign: o.campaign,
    timeZone: c.zones[c.zone[i] as number] as string,
    notBefore: o.start,
    ...(o.deadline !== undefined ? { deadline: o.deadline } : {}),
  };
}

/**
 * Checks the columns before anything is planned (a typed error naming the recipient and the
 * rule): equal lengths, every number, category and zone code in range, every row a positive
 * integer, and once per distinct (category, zone) the full message validation (so every zone
 * name, the campaign and portfolio ids, the instants), then every sending number.
 */
export function checkRecipientColumns(c: RecipientColumns, o: MessageContext, numbers: readonly string[]): void {
  const m = c.to.length;
  for (const [field, column] of [['category', c.category], ['zone', c.zone], ['row', c.row]] as const) {
    if (column !== undefined && column.length !== m) throw new ValidationError(`recipients.${field}`, `as many entries as recipients.to (${m})`, column.length);
  }
  if (c.zones.length > 65_535) throw new ValidationError('recipients.zones', 'at most 65,535 distinct zones in a campaign', c.zones.length);
  const zones = c.zones.length;
  // Classes already validated, by category code and zone id: a bit each.
  const seen = new Uint8Array(CATEGORY_ORDER.length * 65_536);
  const { to, category, zone, row } = c;
  for (let i = 0; i < m; i++) {
    const d = to[i] as number;
    if (!(d >= MIN_DIGITS && d <= MAX_DIGITS) || Math.floor(d) !== d) throw new ValidationError(`recipients[${i}].to`, 'the digits of a canonical E.164 number (8 to 15, the first not 0)', d);
    const p = category[i] as number;
    if (p >= CATEGORY_ORDER.length) throw new ValidationError(`recipients[${i}].category`, `a code from 0 to ${CATEGORY_ORDER.length - 1} (CAMPAIGN_CATEGORIES)`, p);
    const z = zone[i] as number;
    if (z >= zones) throw new ValidationError(`recipients[${i}].zone`, `an index in recipients.zones (fewer than ${zones})`, z);
    if (row !== undefined && !((row[i] as number) > 0)) throw new ValidationError(`recipients[${i}].row`, 'a positive integer', row[i]);
    const classKey = p * 65_536 + z;
    if (seen[classKey] === 0) {
      seen[classKey] = 1;
      validateMessage(columnMessage(c, i, o, numbers[0] as string), `recipients[${i}]`);
    }
  }
  const sample: RecipientColumns = m > 0 ? c : { to: Float64Array.of(10_000_000_000), category: Uint8Array.of(3), zone: Uint16Array.of(0), zones: ['UTC'] };
  for (const [k, from] of numbers.entries()) validateMessage(columnMessage(sample, 0, o, from), `numbers[${k}]`);
}
