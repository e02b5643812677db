/**
 * The sending side's HTTP client: posts one message to the mock sender over a keep-alive pool.
 * A failed post is reported to the caller (counted as a send error), never retried here: a
 * retry after an unknown outcome is how messages get sent twice.
 */
import http from 'node:http';
import type { Message } from '../../src/index.js';
import type { SendRequest } from './mock-sender.js';

export class Poster {
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  readonly #url: URL;

  constructor(baseUrl: string, run: string) {
    this.#url = new URL(`/send/${run}`, baseUrl);
  }

  post(message: Message, sendAt: number | null): Promise<void> {
    const body: SendRequest = { id: message.id, to: message.to, from: message.from, category: message.category, timeZone: message.timeZone ?? 'UTC', sendAt };
    const text = JSON.stringify(body);
    return new Promise<void>((resolve, reject) => {
      const req = http.request(this.#url, { method: 'POST', agent: this.#agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`mock sender answered ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(text);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
