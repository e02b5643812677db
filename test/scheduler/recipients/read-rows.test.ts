import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors.js';
import { formatOfPath, parseCsv, parseJsonl, readRecipientFile, type RecipientRow } from '../../../src/scheduler/recipients/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-recipients-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const plain = (r: readonly RecipientRow[]): unknown[] => r.map((x) => (x.kind === 'fields' ? { ...x, fields: { ...x.fields } } : x));

async function collect(path: string): Promise<RecipientRow[]> {
  const out: RecipientRow[] = [];
  for await (const r of readRecipientFile(path)) out.push(r);
  return out;
}

describe('readRecipientFile', () => {
  it('chooses the format by extension', () => {
    expect(formatOfPath('a/b.csv')).toBe('csv');
    expect(formatOfPath('list.CSV')).toBe('csv');
    expect(formatOfPath('x.jsonl')).toBe('jsonl');
    expect(formatOfPath('x.ndjson')).toBe('jsonl');
    expect(formatOfPath('x.json')).toBeUndefined();
    expect(formatOfPath('csv')).toBeUndefined();
  });

  it('reads a CSV larger than one read chunk, with multi-byte characters across chunk edges', async () => {
    // ~2.5 MB: rows of 2- and 3-byte characters, so many 64 KiB reads split a character.
    let text = '\ufeffto,name,note\r\n';
    for (let i = 0; i < 20_000; i++) text += `+٤٤٧٤٠٠${String(i).padStart(6, '0')},"Zoë, ${i}",日本語テキスト${i % 7}\r\n`;
    const path = join(dir, 'big.csv');
    writeFileSync(path, text, 'utf8');
    const fromFile = await collect(path);
    expect(fromFile).toHaveLength(20_000);
    expect(plain(fromFile)).toEqual(plain([...parseCsv(text)]));
  });

  it('reads .jsonl and .ndjson', async () => {
    const text = '{"to":"+1","name":"Zoë"}\n\n{bad\n{"to":"+2"}';
    for (const name of ['list.jsonl', 'list.ndjson']) {
      const path = join(dir, name);
      writeFileSync(path, text, 'utf8');
      expect(plain(await collect(path))).toEqual(plain([...parseJsonl(text)]));
    }
  });

  it('rejects unknown extensions and UTF-16 files', async () => {
    const txt = join(dir, 'list.txt');
    writeFileSync(txt, 'to\n+1\n');
    await expect(collect(txt)).rejects.toThrow(ValidationError);
    const utf16 = join(dir, 'utf16.csv');
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('to\n+1\n', 'utf16le')]));
    await expect(collect(utf16)).rejects.toThrow(/UTF-8/);
  });

  it('a consumer may stop early', async () => {
    const path = join(dir, 'early.csv');
    writeFileSync(path, `to\n${'+1\n'.repeat(100_000)}`);
    let n = 0;
    for await (const _ of readRecipientFile(path)) {
      if (++n === 10) break;
    }
    expect(n).toBe(10);
  });

  it('a missing file rejects', async () => {
    await expect(collect(join(dir, 'missing.csv'))).rejects.toThrow();
  });
});
