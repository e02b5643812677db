/**
 * RFC 4180 CSV, read incrementally: text arrives in chunks of any size (a chunk may end in the
 * middle of a field, a quoted line break or a CRLF) and complete rows come out. Work is linear
 * in the input and memory is bounded by one record, so a million-row file never becomes a
 * million-line array.
 *
 * Format accepted:
 * - The first non-blank record is the header. Column names are trimmed; an empty or repeated
 *   name throws `ValidationError` (a file-level error: every row would be ambiguous).
 * - Fields are separated by `,` (or the `delimiter` option); records end with CRLF, LF or CR.
 * - A field starting with `"` is quoted: it may contain delimiters, line breaks and `""` (one
 *   quote). Text between the closing quote and the next delimiter, a quote inside an
 *   unquoted field, an unterminated quoted field and a record longer than
 *   `MAX_RECORD_CHARS` are `parse-error` rows. After a quoting error the row ends at the next
 *   line break, so one bad row does not swallow the rest of the file.
 * - A data record whose field count differs from the header's is a `parse-error` row.
 * - A leading BOM is dropped. Completely empty lines are skipped and not counted as rows.
 * - Values are kept exactly (no trimming): screening decides what spaces mean per field.
 *
 * `row` is the 1-based data record number (header excluded); `line` the physical line where
 * the record starts (a quoted field can span lines).
 */
import { ValidationError } from '../../errors.js';
import type { RecipientRow } from './types.js';

/** Longest record kept (characters). Longer ones become `parse-error` rows, unbuffered. */
export const MAX_RECORD_CHARS = 1 << 20;
/** Slice size `parseCsv` feeds itself, so rows come out while the text is still being read. */
const SLICE_CHARS = 1 << 16;

export interface CsvOptions {
  /** Field separator, one character other than `"`, CR and LF. Default `,`. */
  readonly delimiter?: string;
}

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

const enum State {
  /** At the start of a field. */
  FieldStart,
  Unquoted,
  Quoted,
  /** Inside a quoted field, just after a `"`: an escaped quote or the closing one. */
  QuoteSeen,
  /** After a quoting error: skip to the end of the line. */
  Skip,
}

export class CsvRowReader {
  readonly #delimiter: number;
  #header: readonly string[] | null = null;
  #state: State = State.FieldStart;
  #fields: string[] = [];
  #field = '';
  /** Characters buffered for the current record (bounded by MAX_RECORD_CHARS). */
  #recordChars = 0;
  /** The current record contained at least one character (else it is a blank line). */
  #recordSeen = false;
  #recordError: string | null = null;
  #recordLine = 1;
  #line = 1;
  #row = 0;
  /** The previous character was CR: an LF right after it is the same line break. */
  #afterCr = false;
  #started = false;

  constructor(options: CsvOptions = {}) {
    const delimiter = options.delimiter ?? ',';
    if (typeof delimiter !== 'string' || delimiter.length !== 1 || delimiter === '"' || delimiter === '\r' || delimiter === '\n') {
      throw new ValidationError('delimiter', 'one character other than a quote, CR or LF', delimiter);
    }
    this.#delimiter = delimiter.charCodeAt(0);
  }

  /** Consumes the next chunk; returns the rows it completed. */
  push(chunk: string): RecipientRow[] {
    const out: RecipientRow[] = [];
    let text = chunk;
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const n = text.length;
    let i = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      // Outside quotes, the LF of a CRLF belongs to a line break (and record end) already
      // handled at the CR. Inside quotes the Quoted scan keeps both characters as content.
      if (this.#afterCr && this.#state !== State.Quoted) {
        this.#afterCr = false;
        if (c === LF) {
          i++;
          continue;
        }
      }
      switch (this.#state) {
        case State.FieldStart:
          if (c === QUOTE) {
            this.#recordSeen = true;
            this.#state = State.Quoted;
            i++;
          } else if (c === this.#delimiter) {
            this.#recordSeen = true;
            this.#endField();
            i++;
          } else if (c === CR || c === LF) {
            this.#lineBreak(c);
            this.#endRecord(out);
            i++;
          } else {
            this.#state = State.Unquoted;
          }
          break;
        case State.Unquoted: {
          let j = i;
          while (j < n) {
            const d = text.charCodeAt(j);
            if (d === this.#delimiter || d === CR || d === LF || d === QUOTE) break;
            j++;
          }
          this.#append(text, i, j);
          i = j;
          if (i === n) break;
          const d = text.charCodeAt(i);
          i++;
          if (d === QUOTE) {
            this.#fail('a quote inside an unquoted field');
          } else if (d === this.#delimiter) {
            this.#endField();
            this.#state = State.FieldStart;
          } else {
            this.#lineBreak(d);
            this.#endRecord(out);
          }
          break;
        }
        case State.Quoted: {
          let j = i;
          while (j < n) {
            const d = text.charCodeAt(j);
            if (d === QUOTE) break;
            if (d === CR || d === LF) this.#lineBreak(d);
            else this.#afterCr = false;
            j++;
          }
          this.#append(text, i, j);
          i = j;
          if (i < n) {
            this.#afterCr = false;
            this.#state = State.QuoteSeen;
            i++;
          }
          break;
        }
        case State.QuoteSeen:
          i++;
          if (c === QUOTE) {
            this.#append('"', 0, 1);
            this.#state = State.Quoted;
          } else if (c === this.#delimiter) {
            this.#endField();
            this.#state = State.FieldStart;
          } else if (c === CR || c === LF) {
            this.#lineBreak(c);
            this.#endRecord(out);
          } else {
            this.#fail('text after the closing quote of a field');
            i--; // let Skip see this character: it may itself be a line break
          }
          break;
        case State.Skip: {
          let j = i;
          while (j < n) {
            const d = text.charCodeAt(j);
            if (d === CR || d === LF) break;
            j++;
          }
          i = j;
          if (i < n) {
            this.#lineBreak(text.charCodeAt(i));
            this.#endRecord(out);
            i++;
          }
          break;
        }
      }
    }
    return out;
  }

  /** Ends the input: completes a last record that had no line break. */
  end(): RecipientRow[] {
    const out: RecipientRow[] = [];
    if (this.#state === State.Quoted) this.#recordError ??= 'an unterminated quoted field';
    if (this.#recordSeen || this.#state !== State.FieldStart) this.#endRecord(out);
    return out;
  }

  /** Counts a line break character (CRLF counts once) and remembers a CR. */
  #lineBreak(c: number): void {
    if (c === CR) {
      this.#line++;
      this.#afterCr = true;
    } else if (this.#afterCr) {
      this.#afterCr = false;
    } else {
      this.#line++;
    }
  }

  #append(text: string, from: number, to: number): void {
    if (to <= from) return;
    this.#recordSeen = true;
    if (this.#recordError !== null) return; // the row is already an error: keep nothing
    this.#recordChars += to - from;
    if (this.#recordChars > MAX_RECORD_CHARS) {
      this.#recordError = `a record longer than ${MAX_RECORD_CHARS} characters`;
      this.#fields = [];
      this.#field = '';
      return;
    }
    this.#field += text.slice(from, to);
  }

  #fail(detail: string): void {
    this.#recordSeen = true;
    this.#recordError ??= detail;
    this.#state = State.Skip;
  }

  #endField(): void {
    if (this.#recordError === null) this.#fields.push(this.#field);
    this.#field = '';
  }

  #endRecord(out: RecipientRow[]): void {
    const seen = this.#recordSeen;
    const line = this.#recordLine;
    this.#endField();
    const fields = this.#fields;
    const error = this.#recordError;
    this.#fields = [];
    this.#recordChars = 0;
    this.#recordSeen = false;
    this.#recordError = null;
    this.#recordLine = this.#line;
    this.#state = State.FieldStart;
    if (!seen) return; // a blank line
    if (this.#header === null) {
      this.#header = readHeader(fields, error);
      return;
    }
    const header = this.#header;
    const row = ++this.#row;
    const expected = header.length;
    if (error !== null) {
      out.push({ kind: 'parse-error', row, line, detail: error });
    } else if (fields.length !== expected) {
      out.push({ kind: 'parse-error', row, line, detail: `expected ${expected} fields, got ${fields.length}` });
    } else {
      const record = Object.create(null) as Record<string, string>;
      for (let k = 0; k < expected; k++) record[header[k] as string] = fields[k] as string;
      out.push({ kind: 'fields', row, line, fields: record });
    }
  }
}

function readHeader(fields: readonly string[], error: string | null): readonly string[] {
  if (error !== null) throw new ValidationError('header', `a well-formed CSV header row (found ${error})`, undefined);
  const names: string[] = [];
  const seen = new Set<string>();
  fields.forEach((raw, k) => {
    const name = raw.trim();
    if (name === '') throw new ValidationError(`header[${k}]`, 'a non-empty column name', raw);
    if (seen.has(name)) throw new ValidationError(`header[${k}]`, 'a column name no earlier column uses', name);
    seen.add(name);
    names.push(name);
  });
  return names;
}

/** All rows of a CSV text, produced lazily (see the module comment for the format). */
export function* parseCsv(text: string, options: CsvOptions = {}): Generator<RecipientRow, void, undefined> {
  const reader = new CsvRowReader(options);
  for (let at = 0; at < text.length; at += SLICE_CHARS) {
    yield* reader.push(text.slice(at, at + SLICE_CHARS));
  }
  yield* reader.end();
}
