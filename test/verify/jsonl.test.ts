import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { parseLedgerJsonl } from '../../src/verify/jsonl.js';

const line = (over: Record<string, unknown> = {}): string =>
  JSON.stringify({
    id: 'm1',
    sendAt: 1705320000000,
    to: '+4915112345678',
    from: 'num-1',
    portfolio: 'pf-1',
    category: 'utility',
    cost: 2,
    timeZone: 'Europe/London',
    ...over,
  });

function fieldOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as Error).message).not.toContain('+4915112345678');
    return (e as ValidationError).field;
  }
  throw new Error('expected a ValidationError');
}

describe('parseLedgerJsonl', () => {
  it('parses one record per line, skips blank lines, accepts CRLF, drops unknown fields', () => {
    const text = `${line()}\r\n\n   \n${line({ id: 'm2', cost: undefined, campaign: 'c', apiKey: 'k', status: 200 })}\n`;
    expect(parseLedgerJsonl(text)).toEqual([
      { id: 'm1', sendAt: 1705320000000, to: '+4915112345678', from: 'num-1', portfolio: 'pf-1', category: 'utility', cost: 2, timeZone: 'Europe/London' },
      { id: 'm2', sendAt: 1705320000000, to: '+4915112345678', from: 'num-1', portfolio: 'pf-1', category: 'utility', cost: 1, campaign: 'c', apiKey: 'k', timeZone: 'Europe/London' },
    ]);
    expect(parseLedgerJsonl('')).toEqual([]);
  });

  it('names the line and the field of the first bad value', () => {
    expect(fieldOf(() => parseLedgerJsonl(`${line()}\n\n{"id": "m2", oops}`))).toBe('line 3');
    expect(fieldOf(() => parseLedgerJsonl(`${line()}\n[1,2]`))).toBe('line 2');
    expect(fieldOf(() => parseLedgerJsonl(`${line()}\n${line({ sendAt: '2024-01-01' })}`))).toBe('line 2.sendAt');
    expect(fieldOf(() => parseLedgerJsonl(line({ sendAt: 1.5 })))).toBe('line 1.sendAt');
    expect(fieldOf(() => parseLedgerJsonl(line({ sendAt: -1 })))).toBe('line 1.sendAt');
    expect(fieldOf(() => parseLedgerJsonl(line({ to: '' })))).toBe('line 1.to');
    expect(fieldOf(() => parseLedgerJsonl(line({ from: 5 })))).toBe('line 1.from');
    expect(fieldOf(() => parseLedgerJsonl(line({ category: 'promo' })))).toBe('line 1.category');
    expect(fieldOf(() => parseLedgerJsonl(line({ cost: -1 })))).toBe('line 1.cost');
    expect(fieldOf(() => parseLedgerJsonl(line({ cost: '1' })))).toBe('line 1.cost');
    expect(fieldOf(() => parseLedgerJsonl(line({ campaign: 7 })))).toBe('line 1.campaign');
    expect(fieldOf(() => parseLedgerJsonl(line({ timeZone: 'Mars/Olympus' })))).toBe('line 1.timeZone');
    expect(fieldOf(() => parseLedgerJsonl(line({ timeZone: undefined })))).toBe('line 1.timeZone');
    expect(fieldOf(() => parseLedgerJsonl(`${line()}\n{"to":"+4915112345678"`))).toBe('line 2');
  });
});
