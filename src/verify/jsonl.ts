/**
 * Reads a ledger written as JSON Lines (one send record per line), as the fake sender and
 * `sluice verify` produce and consume it.
 */
import { ValidationError } from '../errors.js';
import { toLedgerEntry, type LedgerEntry } from './ledger.js';

/**
 * Parses one JSON object per line. Blank lines (and a trailing newline) are skipped; `\r\n`
 * endings are accepted. A missing `cost` means 1, as for messages. Fields a record carries
 * beyond the ledger's are ignored. Any bad line throws a `ValidationError` whose field names
 * the 1-based line number (`line 7.sendAt`), so a broken ledger is never half-checked.
 */
export function parseLedgerJsonl(text: string): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  for (const { value, where } of jsonLines(text)) out.push(toLedgerEntry(value, where, 1));
  return out;
}

/**
 * The JSON values of a JSON Lines text, with their place (`line N`, 1-based). Blank lines, `\r\n`
 * endings and a leading byte-order mark are accepted; a line that is not JSON throws a
 * `ValidationError` naming it (the raw line is masked, so no phone number is echoed).
 */
export function* jsonLines(text: string): Generator<{ readonly value: unknown; readonly where: string; readonly line: number }> {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    const where = `line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new ValidationError(where, 'one JSON object', line);
    }
    yield { value, where, line: i + 1 };
  }
}
