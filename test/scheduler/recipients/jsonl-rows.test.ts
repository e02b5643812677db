import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonlRowReader, MAX_LINE_CHARS, parseJsonl, type RecipientRow } from '../../../src/scheduler/recipients/index.js';

const rows = (text: string): RecipientRow[] => [...parseJsonl(text)];
const plain = (r: readonly RecipientRow[]): unknown[] => r.map((x) => (x.kind === 'fields' ? { ...x, fields: { ...x.fields } } : x));
const fields = (line: number, f: Record<string, string>): RecipientRow => ({ kind: 'fields', row: line, line, fields: f });
const error = (line: number, detail: string): RecipientRow => ({ kind: 'parse-error', row: line, line, detail });

describe('parseJsonl', () => {
  it.each<[string, string, RecipientRow[]]>([
    ['one object per line', '{"to":"+1","id":"a"}\n{"to":"+2"}\n', [fields(1, { to: '+1', id: 'a' }), fields(2, { to: '+2' })]],
    ['blank lines skipped but counted', '\n{"to":"+1"}\n   \n\n{"to":"+2"}', [fields(2, { to: '+1' }), fields(5, { to: '+2' })]],
    ['CRLF', '{"to":"+1"}\r\n\r\n{"to":"+2"}\r\n', [fields(1, { to: '+1' }), fields(3, { to: '+2' })]],
    ['BOM', '\ufeff{"to":"+1"}\n', [fields(1, { to: '+1' })]],
    [
      'numbers and booleans become strings, null is absent',
      '{"to":"+1","optIn":true,"lastInboundAt":1748000000000,"tz":null,"n":1.5}',
      [fields(1, { to: '+1', optIn: 'true', lastInboundAt: '1748000000000', n: '1.5' })],
    ],
    ['malformed JSON', '{"to":"+1"}\n{"to": +447400123456\n{"to":"+2"}', [fields(1, { to: '+1' }), error(2, 'not valid JSON'), fields(3, { to: '+2' })]],
    ['not an object', '[1,2]\n"x"\n42\nnull', [error(1, 'not a JSON object'), error(2, 'not a JSON object'), error(3, 'not a JSON object'), error(4, 'not a JSON object')]],
    ['nested values', '{"to":"+1","vars":{"a":1}}\n{"to":"+1","list":[1]}', [error(1, 'property 2 holds a nested object or array'), error(2, 'property 2 holds a nested object or array')]],
    ['two objects on one line', '{"to":"+1"}{"to":"+2"}', [error(1, 'not valid JSON')]],
    ['empty text', '', []],
  ])('%s', (_name, text, expected) => {
    expect(plain(rows(text))).toEqual(plain(expected));
  });

  it('parse errors never quote the line (V8 JSON errors would)', () => {
    for (const line of ['{"to":"+447400123456",}', '{"to":"+447400123456"', '+447400123456', '{"+447400123456":{"x":1}}']) {
      const [r] = rows(line);
      expect(r?.kind).toBe('parse-error');
      expect(JSON.stringify(r)).not.toContain('7400');
    }
  });

  it('an over-long line is a parse-error row; the next line is read normally', () => {
    const text = `{"to":"${'1'.repeat(MAX_LINE_CHARS)}"}\n{"to":"+2"}\n`;
    expect(plain(rows(text))).toEqual(plain([error(1, `a line longer than ${MAX_LINE_CHARS} characters`), fields(2, { to: '+2' })]));
  });

  it('__proto__ keys are plain data', () => {
    const [r] = rows('{"__proto__":{"polluted":1},"to":"+1"}\n{"__proto__":"x","to":"+1"}');
    expect(r?.kind).toBe('parse-error');
    const second = rows('{"__proto__":"x","to":"+1"}')[0];
    expect(second?.kind).toBe('fields');
    if (second?.kind === 'fields') {
      expect(Object.getPrototypeOf(second.fields)).toBeNull();
      expect(second.fields['__proto__']).toBe('x');
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('chunk boundaries never change the result', () => {
    const lineArb = fc.oneof(
      fc.record({ to: fc.string(), id: fc.string() }).map((o) => JSON.stringify(o)),
      fc.constantFrom('', '  ', '{bad', '[1]', '{"a":{"b":1}}', '{"é":"日本","n":3}'),
    );
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 10 }), fc.constantFrom('\n', '\r\n'), fc.array(fc.nat(), { maxLength: 6 }), (lines, eol, cuts) => {
        const text = lines.join(eol);
        const whole = plain(rows(text));
        const reader = new JsonlRowReader();
        const out: RecipientRow[] = [];
        let from = 0;
        for (const p of [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b).concat(text.length)) {
          out.push(...reader.push(text.slice(from, p)));
          from = p;
        }
        out.push(...reader.end());
        expect(plain(out)).toEqual(whole);
        // Row numbers are line numbers.
        for (const r of out) expect(lines[r.line - 1]?.trim()).not.toBe('');
      }),
      { numRuns: 500 },
    );
  });
});
