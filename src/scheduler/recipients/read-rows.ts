/**
 * Reads a recipient file from disk as rows, streaming: the file is read in 64 KiB chunks and
 * each chunk's rows are handed out before the next is read, so memory stays at one chunk plus
 * one record whatever the file size. (Measured on a 1M-row file: 1 MiB chunks were no faster
 * and left ~16k rows waiting per chunk, which outlive young-generation GC and swell the heap.)
 *
 * The format comes from the extension: `.csv` → CSV (csv-rows.ts), `.jsonl` / `.ndjson` →
 * JSON Lines (jsonl-rows.ts); anything else throws `ValidationError`. Files must be UTF-8
 * (a UTF-8 BOM is fine); a UTF-16 BOM throws rather than yielding a file's worth of garbage.
 */
import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { ValidationError } from '../../errors.js';
import { CsvRowReader, type CsvOptions } from './csv-rows.js';
import { JsonlRowReader } from './jsonl-rows.js';
import type { RecipientRow } from './types.js';

export { parseCsv, CsvRowReader, MAX_RECORD_CHARS, type CsvOptions } from './csv-rows.js';
export { parseJsonl, JsonlRowReader, MAX_LINE_CHARS } from './jsonl-rows.js';

export type RecipientFileFormat = 'csv' | 'jsonl';

const CHUNK_BYTES = 1 << 16;

/** The format of a path by its extension (case-insensitive), or undefined. */
export function formatOfPath(path: string): RecipientFileFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  return undefined;
}

function isUtf16Bom(bytes: Buffer): boolean {
  const a = bytes[0];
  const b = bytes[1];
  return (a === 0xff && b === 0xfe) || (a === 0xfe && b === 0xff);
}

/** Rows of a `.csv`, `.jsonl` or `.ndjson` file, read lazily. */
export async function* readRecipientFile(path: string, options: CsvOptions = {}): AsyncGenerator<RecipientRow, void, undefined> {
  const format = formatOfPath(path);
  if (format === undefined) throw new ValidationError('path', 'a file ending in .csv, .jsonl or .ndjson', extname(path));
  const reader = format === 'csv' ? new CsvRowReader(options) : new JsonlRowReader();
  const decoder = new StringDecoder('utf8');
  const stream = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  let first = true;
  // Leaving the loop early (the consumer stopped) closes the stream.
  for await (const chunk of stream) {
    const bytes = chunk as Buffer;
    if (first) {
      first = false;
      if (isUtf16Bom(bytes)) throw new ValidationError('path', 'a UTF-8 text file', 'UTF-16');
    }
    // StringDecoder holds back a multi-byte character split across two chunks.
    yield* reader.push(decoder.write(bytes));
  }
  yield* reader.push(decoder.end());
  yield* reader.end();
}
