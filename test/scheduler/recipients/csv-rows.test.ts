import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors.js';
import { CsvRowReader, MAX_RECORD_CHARS, parseCsv, type RecipientRow } from '../../../src/scheduler/recipients/index.js';

const rows = (text: string, delimiter?: string): RecipientRow[] => [...parseCsv(text, delimiter === undefined ? {} : { delimiter })];
/** Plain objects for comparison (the parser's are null-prototype). */
const plain = (r: readonly RecipientRow[]): unknown[] => r.map((x) => (x.kind === 'fields' ? { ...x, fields: { ...x.fields } } : x));
const fields = (row: number, line: number, f: Record<string, string>): RecipientRow => ({ kind: 'fields', row, line, fields: f });
const error = (row: number, line: number, detail: string): RecipientRow => ({ kind: 'parse-error', row, line, detail });

describe('parseCsv: RFC 4180 cases', () => {
  it.each<[string, string, RecipientRow[]]>([
    ['simple, LF', 'to,id\n+1,a\n+2,b\n', [fields(1, 2, { to: '+1', id: 'a' }), fields(2, 3, { to: '+2', id: 'b' })]],
    ['CRLF', 'to,id\r\n+1,a\r\n+2,b\r\n', [fields(1, 2, { to: '+1', id: 'a' }), fields(2, 3, { to: '+2', id: 'b' })]],
    ['lone CR line ends', 'to,id\r+1,a\r+2,b', [fields(1, 2, { to: '+1', id: 'a' }), fields(2, 3, { to: '+2', id: 'b' })]],
    ['no trailing newline', 'to,id\n+1,a', [fields(1, 2, { to: '+1', id: 'a' })]],
    ['BOM', '\ufeffto,id\n+1,a\n', [fields(1, 2, { to: '+1', id: 'a' })]],
    ['quoted delimiter', 'to,name\n+1,"Smith, J"\n', [fields(1, 2, { to: '+1', name: 'Smith, J' })]],
    ['escaped quotes', 'to,name\n+1,"say ""hi"""\n', [fields(1, 2, { to: '+1', name: 'say "hi"' })]],
    ['only a quote', 'to,name\n+1,""""\n', [fields(1, 2, { to: '+1', name: '"' })]],
    ['quoted empty', 'to,name\n+1,""\n', [fields(1, 2, { to: '+1', name: '' })]],
    ['empty fields', 'to,a,b\n+1,,\n', [fields(1, 2, { to: '+1', a: '', b: '' })]],
    ['quoted CRLF kept verbatim, lines counted', 'to,note\n+1,"a\r\nb"\n+2,c\n', [fields(1, 2, { to: '+1', note: 'a\r\nb' }), fields(2, 4, { to: '+2', note: 'c' })]],
    ['quoted LF', 'to,note\n"+1","x\ny\nz"\n+2,c', [fields(1, 2, { to: '+1', note: 'x\ny\nz' }), fields(2, 5, { to: '+2', note: 'c' })]],
    ['spaces kept', 'to,name\n +1 , Bob \n', [fields(1, 2, { to: ' +1 ', name: ' Bob ' })]],
    ['header names trimmed', ' to , name \n+1,x\n', [fields(1, 2, { to: '+1', name: 'x' })]],
    ['blank lines skipped, not counted as rows', 'to\n\n+1\n\r\n\n+2\n\n', [fields(1, 3, { to: '+1' }), fields(2, 6, { to: '+2' })]],
    ['blank lines before the header', '\n\nto\n+1\n', [fields(1, 4, { to: '+1' })]],
    ['header only', 'to,id\n', []],
    ['empty text', '', []],
    ['unicode', 'to,name\n+٤٤,Zoë 日本\n', [fields(1, 2, { to: '+٤٤', name: 'Zoë 日本' })]],
  ])('%s', (_name, text, expected) => {
    expect(plain(rows(text))).toEqual(plain(expected));
  });

  it.each<[string, string, RecipientRow[]]>([
    ['too few fields', 'to,id\n+1\n+2,b\n', [error(1, 2, 'expected 2 fields, got 1'), fields(2, 3, { to: '+2', id: 'b' })]],
    ['too many fields', 'to,id\n+1,a,x\n', [error(1, 2, 'expected 2 fields, got 3')]],
    ['quote inside an unquoted field', 'to,id\n+1,a"b\n+2,c\n', [error(1, 2, 'a quote inside an unquoted field'), fields(2, 3, { to: '+2', id: 'c' })]],
    ['text after a closing quote', 'to,id\n"+1"x,a\n+2,c\n', [error(1, 2, 'text after the closing quote of a field'), fields(2, 3, { to: '+2', id: 'c' })]],
    ['text after a closing quote, then CRLF', 'to,id\r\n"+1" ,a\r\n+2,c\r\n', [error(1, 2, 'text after the closing quote of a field'), fields(2, 3, { to: '+2', id: 'c' })]],
    ['unterminated quote swallows the rest, reported once', 'to,id\n+1,"abc\n+2,c\n', [error(1, 2, 'an unterminated quoted field')]],
  ])('%s → parse-error rows', (_name, text, expected) => {
    expect(plain(rows(text))).toEqual(plain(expected));
  });

  it('parse-error details never quote the row', () => {
    for (const r of rows('to,id\n+447400123456,"x"y\n+447400123456\n"+447400123456')) {
      expect(r.kind).toBe('parse-error');
      expect(JSON.stringify(r)).not.toContain('7400');
    }
  });

  it('a record longer than MAX_RECORD_CHARS is a parse-error row; the next row is read normally', () => {
    const big = 'x'.repeat(MAX_RECORD_CHARS + 10);
    const out = rows(`to,note\n+1,"${big}"\n+2,ok\n`);
    expect(plain(out)).toEqual(plain([error(1, 2, `a record longer than ${MAX_RECORD_CHARS} characters`), fields(2, 3, { to: '+2', note: 'ok' })]));
  });

  it('other delimiters', () => {
    expect(plain(rows('to;name\n+1;"a;b"\n', ';'))).toEqual(plain([fields(1, 2, { to: '+1', name: 'a;b' })]));
    expect(plain(rows('to\tname\n+1\tb\n', '\t'))).toEqual(plain([fields(1, 2, { to: '+1', name: 'b' })]));
    for (const bad of ['', ',,', '"', '\n', '\r']) expect(() => new CsvRowReader({ delimiter: bad })).toThrow(ValidationError);
  });

  it('header problems are file-level errors', () => {
    expect(() => rows('to,to\n+1,+2\n')).toThrow(ValidationError);
    expect(() => rows('to,,id\n+1,,a\n')).toThrow(ValidationError);
    expect(() => rows('to,"id\n')).toThrow(ValidationError);
    expect(() => rows('to,i"d\n+1,a\n')).toThrow(/header/);
  });

  it('fields objects have no prototype: a __proto__ column is plain data', () => {
    const [r] = rows('to,__proto__,constructor\n+1,"{""polluted"":1}",x\n');
    expect(r?.kind).toBe('fields');
    if (r?.kind === 'fields') {
      expect(Object.getPrototypeOf(r.fields)).toBeNull();
      expect(r.fields['__proto__']).toBe('{"polluted":1}');
      expect(r.fields['constructor']).toBe('x');
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

// ------------------------------------------------------------------------------------------
// Properties: RFC 4180 round trip, and chunk boundaries never change the result.

const CHARS = ['a', 'b', ' ', ',', '"', '\r', '\n', '\r\n', 'é', '٣', '日', '+'];
const cellArb = fc.array(fc.constantFrom(...CHARS), { maxLength: 6 }).map((c) => c.join(''));

function quote(cell: string, alone: boolean): string {
  // A lone empty cell must be quoted, or its record would be a blank line (which is skipped).
  return /[",\r\n]/.test(cell) || (alone && cell === '') ? `"${cell.replace(/"/g, '""')}"` : cell;
}

/** Number of line breaks (CRLF counts once) before `end`. */
function lineBreaks(text: string, end: number): number {
  let n = 0;
  for (let i = 0; i < end; i++) {
    const c = text[i];
    if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) n++;
  }
  return n;
}

const tableArb = fc.integer({ min: 1, max: 4 }).chain((width) =>
  fc.record({
    width: fc.constant(width),
    body: fc.array(fc.array(cellArb, { minLength: width, maxLength: width }), { maxLength: 12 }),
    eol: fc.constantFrom('\n', '\r\n'),
    trailing: fc.boolean(),
    cuts: fc.array(fc.nat(), { maxLength: 8 }),
  }),
);

describe('CSV properties', () => {
  it('round-trips RFC 4180 text, with correct row and line numbers, however the text is chunked', () => {
    fc.assert(
      fc.property(tableArb, ({ width, body, eol, trailing, cuts }) => {
        const header = Array.from({ length: width }, (_, k) => `c${k}`);
        let text = header.join(',');
        const starts: number[] = [];
        body.forEach((record) => {
          text += eol;
          starts.push(text.length);
          text += record.map((cell) => quote(cell, width === 1)).join(',');
        });
        if (trailing) text += eol;
        const expected = body.map((record, k) => {
          const f: Record<string, string> = {};
          header.forEach((h, j) => (f[h] = record[j] ?? ''));
          return { kind: 'fields', row: k + 1, line: 1 + lineBreaks(text, starts[k] ?? 0), fields: f };
        });
        expect(plain(rows(text))).toEqual(expected);

        // Same text cut at arbitrary points (also inside CRLF pairs and quoted fields).
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const reader = new CsvRowReader();
        const chunked: RecipientRow[] = [];
        let from = 0;
        for (const p of [...points, text.length]) {
          chunked.push(...reader.push(text.slice(from, p)));
          from = p;
        }
        chunked.push(...reader.end());
        expect(plain(chunked)).toEqual(expected);
      }),
      { numRuns: 1_000 },
    );
  });

  it('never throws on arbitrary data rows, and every row gets a number', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...CHARS, 'x'), { maxLength: 60 }).map((c) => c.join('')), (body) => {
        const out = rows(`to,id\n${body}`);
        out.forEach((r, k) => expect(r.row).toBe(k + 1));
      }),
      { numRuns: 1_000 },
    );
  });
});
