/**
 * JSON Lines, read incrementally: one JSON object per line, in chunks of any size.
 *
 * - `row` and `line` are the 1-based line number. Blank (whitespace-only) lines are skipped
 *   but still counted, so row numbers match what an editor shows.
 * - Line ends are LF or CRLF. A leading BOM is dropped.
 * - A line that is not valid JSON, is not an object, holds a nested object or array as a
 *   value, or is longer than `MAX_LINE_CHARS` becomes a `parse-error` row. The detail never
 *   quotes the line (V8's JSON errors do, and the line holds a phone number).
 * - Values become strings: strings as they are, numbers and booleans as `String(value)`;
 *   `null` means the field is absent.
 */
import type { RecipientRow } from './types.js';

/** Longest line kept (characters). Longer ones become `parse-error` rows, unbuffered. */
export const MAX_LINE_CHARS = 1 << 20;
const SLICE_CHARS = 1 << 16;

export class JsonlRowReader {
  /** Pieces of the current, not yet terminated line (joined once it ends). */
  #pending: string[] = [];
  #pendingChars = 0;
  #overlong = false;
  #line = 0;
  #started = false;

  /** Consumes the next chunk; returns the rows whose lines it completed. */
  push(chunk: string): RecipientRow[] {
    const out: RecipientRow[] = [];
    let text = chunk;
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let from = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
      this.#keep(text, from, nl);
      this.#endLine(out);
      from = nl + 1;
    }
    this.#keep(text, from, text.length);
    return out;
  }

  /** Ends the input: completes a last line that had no line break. */
  end(): RecipientRow[] {
    const out: RecipientRow[] = [];
    if (this.#pendingChars > 0 || this.#overlong) this.#endLine(out);
    return out;
  }

  #keep(text: string, from: number, to: number): void {
    if (to <= from || this.#overlong) return;
    this.#pendingChars += to - from;
    if (this.#pendingChars > MAX_LINE_CHARS) {
      this.#overlong = true;
      this.#pending = [];
      return;
    }
    this.#pending.push(text.slice(from, to));
  }

  #endLine(out: RecipientRow[]): void {
    const line = ++this.#line;
    const overlong = this.#overlong;
    const text = this.#pending.length === 1 ? (this.#pending[0] as string) : this.#pending.join('');
    this.#pending = [];
    this.#pendingChars = 0;
    this.#overlong = false;
    if (overlong) {
      out.push({ kind: 'parse-error', row: line, line, detail: `a line longer than ${MAX_LINE_CHARS} characters` });
      return;
    }
    if (text.trim() === '') return;
    out.push(readLine(text, line));
  }
}

function readLine(text: string, line: number): RecipientRow {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'parse-error', row: line, line, detail: 'not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'parse-error', row: line, line, detail: 'not a JSON object' };
  }
  const fields = Object.create(null) as Record<string, string>;
  // JSON.parse makes `__proto__` an own data property, and `fields` has no prototype, so every
  // key is copied as plain data.
  // The detail names the property by position, not by name: a name could be a number too.
  let position = 0;
  for (const [key, v] of Object.entries(value)) {
    position++;
    if (typeof v === 'string') fields[key] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') fields[key] = String(v);
    else if (v !== null) return { kind: 'parse-error', row: line, line, detail: `property ${position} holds a nested object or array` };
  }
  return { kind: 'fields', row: line, line, fields };
}

/** All rows of a JSONL text, produced lazily (see the module comment). */
export function* parseJsonl(text: string): Generator<RecipientRow, void, undefined> {
  const reader = new JsonlRowReader();
  for (let at = 0; at < text.length; at += SLICE_CHARS) {
    yield* reader.push(text.slice(at, at + SLICE_CHARS));
  }
  yield* reader.end();
}
