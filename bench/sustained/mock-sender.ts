/**
 * The mock sender: a local HTTP server standing in for the messaging API. It answers every
 * `POST /send/<run>` at once and records, per run, each request's arrival instant (epoch ms with
 * sub-millisecond resolution) and body. What it recorded is the truth a run is judged by.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a sender posts: the message's fields, and for sluice the slot it was given. */
export interface SendRequest {
  readonly id: string;
  readonly to: string;
  readonly from: string;
  readonly category: string;
  readonly timeZone: string;
  /** The admitted slot (epoch ms); null for peers, which have none. */
  readonly sendAt: number | null;
}

export interface Arrival extends SendRequest {
  readonly arrivedAt: number;
}

/** Longest body accepted: a send request is a few hundred bytes. */
const MAX_BODY = 4_096;

export class MockSender {
  readonly #server: http.Server;
  readonly #arrivals = new Map<string, Arrival[]>();
  /** Epoch-anchored monotonic clock, as the stores anchor theirs. */
  readonly #anchor = Date.now() - performance.now();
  #rejected = 0;

  private constructor(server: http.Server) {
    this.#server = server;
  }

  static async start(): Promise<MockSender> {
    const server = http.createServer();
    server.keepAliveTimeout = 60_000;
    const sender = new MockSender(server);
    server.on('request', (req, res) => sender.#handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return sender;
  }

  get url(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Requests that were not well-formed sends (must be 0: a bench bug otherwise). */
  get rejected(): number {
    return this.#rejected;
  }

  arrivals(run: string): readonly Arrival[] {
    return this.#arrivals.get(run) ?? [];
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const arrivedAt = this.#anchor + performance.now();
    const run = /^\/send\/([\w.-]+)$/.exec(req.url ?? '')?.[1];
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      const body = size <= MAX_BODY ? parse(Buffer.concat(chunks).toString('utf8')) : null;
      if (req.method !== 'POST' || run === undefined || body === null) {
        this.#rejected++;
        res.writeHead(400).end();
        return;
      }
      let list = this.#arrivals.get(run);
      if (list === undefined) this.#arrivals.set(run, (list = []));
      list.push({ ...body, arrivedAt });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  }
}

function parse(text: string): SendRequest | null {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    const strings = ['id', 'to', 'from', 'category', 'timeZone'] as const;
    if (!strings.every((k) => typeof v[k] === 'string')) return null;
    if (!(v['sendAt'] === null || typeof v['sendAt'] === 'number')) return null;
    return { id: v['id'] as string, to: v['to'] as string, from: v['from'] as string, category: v['category'] as string, timeZone: v['timeZone'] as string, sendAt: v['sendAt'] as number | null };
  } catch {
    return null;
  }
}
