import { Piscina } from 'piscina';
import type { CountryCode } from 'libphonenumber-js/max';
import { RecipientScreener, type KnownNumber } from './screen.js';
import type { ScreenOptions } from './screen-options.js';
import type { RecipientOutcome, RecipientRow } from './types.js';
import { workerExecArgv, workerScriptPath } from '../worker-path.js';

export interface ParallelScreenOptions {
  /** Worker threads (default 2). */
  readonly threads?: number;
  /** Rows per task (default 2,000): large enough that passing it to a worker and back is a small part of it. */
  readonly batchRows?: number;
  /**
   * The worker script (default: `screen-worker.js` beside the bundle that holds this function,
   * as built into `dist/`). Only needed when running from the TypeScript sources.
   */
  readonly workerFile?: string | URL;
}

/**
 * `screenRecipientsAsync` with its costly part on a Piscina pool: the same outcomes, in the same
 * order. Workers canonicalise the numbers and look up their zones (libphonenumber-js: nearly
 * all of screening's cost); everything else, the field checks and the duplicate checks that
 * depend on every earlier row, runs here in row order with the workers' answers, through the
 * same screener as the sequential path. Rows are read and screened in batches, a few batches
 * per thread in flight, so memory stays bounded for any file size.
 */
export async function* screenRecipientsParallel(
  rows: AsyncIterable<RecipientRow> | Iterable<RecipientRow>,
  options: ScreenOptions,
  parallel: ParallelScreenOptions = {},
): AsyncGenerator<RecipientOutcome, void, undefined> {
  const threads = parallel.threads ?? 2;
  if (!Number.isSafeInteger(threads) || threads < 1 || threads > 256) throw new RangeError(`Expected \`threads\` to be an integer from 1 to 256, got ${String(threads)}`);
  const batchRows = parallel.batchRows ?? 2_000;
  if (!Number.isSafeInteger(batchRows) || batchRows < 1) throw new RangeError(`Expected \`batchRows\` to be a positive integer, got ${String(batchRows)}`);
  // Validates the options here, before any worker starts (typed errors on the calling thread).
  const screener = new RecipientScreener(options);
  const pool = new Piscina({ filename: workerScriptPath(parallel.workerFile, 'screen-worker.js', 'screening'), minThreads: threads, maxThreads: threads, idleTimeout: 1_000, workerData: { defaultCountry: options.defaultCountry }, execArgv: workerExecArgv() });
  const zonesOf = new ZoneLists();
  const inFlight: { rows: RecipientRow[]; answer: Promise<string> }[] = [];
  const maxInFlight = 2 * threads;
  const send = (batch: RecipientRow[]): void => {
    const entries = batch.map((r) => (r.kind === 'fields' ? [r.fields['to'] ?? '', (r.fields['tz'] ?? '').trim() === '' ? 1 : 0] : ['', 0]));
    inFlight.push({ rows: batch, answer: pool.run(JSON.stringify(entries), { name: 'canonical' }) as Promise<string> });
  };
  const settle = async function* (): AsyncGenerator<RecipientOutcome> {
    const { rows: batch, answer } = inFlight.shift()!;
    const answers = JSON.parse(await answer) as ([string] | [string, string] | [string, string, string[]])[];
    for (let k = 0; k < batch.length; k++) yield screener.screen(batch[k]!, known(answers[k]!, zonesOf));
  };
  try {
    let batch: RecipientRow[] = [];
    for await (const row of rows) {
      batch.push(row);
      if (batch.length < batchRows) continue;
      send(batch);
      batch = [];
      if (inFlight.length >= maxInFlight) yield* settle();
    }
    if (batch.length > 0) send(batch);
    while (inFlight.length > 0) yield* settle();
  } finally {
    // Leaving early (the consumer stopped, or a worker failed): nothing is left running.
    await Promise.allSettled(inFlight.map((f) => f.answer));
    await pool.destroy();
  }
}

const INVALID: KnownNumber = { number: { ok: false, reason: 'invalid-number' } };
const MISSING: KnownNumber = { number: { ok: false, reason: 'missing-number' } };

function known(a: [string] | [string, string] | [string, string, string[]], zonesOf: ZoneLists): KnownNumber {
  if (a.length === 1) return a[0] === 'missing-number' ? MISSING : INVALID;
  const number = { ok: true as const, e164: a[0], country: a[1] === '' ? undefined : (a[1] as CountryCode) };
  return a.length === 3 ? { number, zones: zonesOf.intern(a[2]) } : { number };
}

/** One frozen array per distinct zone list, as zonesForNumber shares them, not one per row. */
class ZoneLists {
  readonly #lists = new Map<string, readonly string[]>();
  intern(zones: string[]): readonly string[] {
    const key = zones.join('\n');
    let list = this.#lists.get(key);
    if (list === undefined) {
      list = Object.freeze(zones);
      this.#lists.set(key, list);
    }
    return list;
  }
}
