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
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    const where = `line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      // The raw line goes through maskValue inside ValidationError: no phone number is echoed.
      throw new ValidationError(where, 'one JSON object', line);
    }
    out.push(toLedgerEntry(value, where, 1));
  }
  return out;
}
