// A minimal RESP2 client over a raw socket, for the harness itself.
//
// The harness must tell "the server is up" apart from "the client library recovered": a library
// with reconnects, offline queues and resends (ioredis) would hide exactly the faults the suites
// inject. So readiness checks and cluster set-up talk to Redis through this one-shot client: one
// connection, the given commands, the replies, close. Not for use in code under test.
import net from 'node:net';

/** An error reply (`-ERR ...`) from Redis, kept apart from transport errors. */
export class RespError extends Error {
  override readonly name = 'RespError';
}

export type RespValue = string | number | null | RespError | RespValue[];

export interface RespTarget {
  readonly host: string;
  readonly port: number;
}

export interface RespOptions {
  /** Whole exchange, connect included. Default 2,000 ms. */
  readonly timeoutMs?: number;
  /** Sent as `AUTH password` before the commands; its reply is not returned. */
  readonly password?: string;
}

/**
 * Sends the commands pipelined on one fresh connection and returns one reply per command, error
 * replies included as RespError values (not thrown) so callers can treat `-LOADING` as "not yet".
 * Rejects on connect errors, a closed connection, or the timeout.
 */
export function redisCommands(
  target: RespTarget,
  commands: readonly (readonly string[])[],
  options: RespOptions = {},
): Promise<RespValue[]> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const all = options.password === undefined ? commands : [['AUTH', options.password], ...commands];
  const skip = all.length - commands.length;
  return new Promise<RespValue[]>((resolve, reject) => {
    const socket = net.connect({ host: target.host, port: target.port });
    let buffer: Buffer = Buffer.alloc(0);
    let settled = false;
    const finish = (error: Error | undefined, replies?: RespValue[]): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error !== undefined) reject(error);
      else resolve(replies ?? []);
    };
    const timer = setTimeout(
      () => finish(new Error(`no reply from ${target.host}:${target.port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.setNoDelay(true);
    socket.on('connect', () => socket.write(all.map(encodeCommand).join('')));
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      const replies: RespValue[] = [];
      let offset = 0;
      try {
        while (replies.length < all.length) {
          const parsed = parseReply(buffer, offset);
          if (parsed === undefined) return; // incomplete: wait for more bytes
          replies.push(parsed.value);
          offset = parsed.next;
        }
      } catch (error) {
        // A throw inside an event handler would be an uncaught exception; reject instead.
        finish(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      const auth = replies[0];
      if (skip === 1 && auth instanceof RespError) {
        finish(auth);
        return;
      }
      finish(undefined, replies.slice(skip));
    });
    socket.on('error', (error) => finish(error));
    socket.on('close', () =>
      finish(new Error(`connection to ${target.host}:${target.port} closed before all replies arrived`)),
    );
  });
}

/** One command; an error reply is thrown. */
export async function redisCommand(
  target: RespTarget,
  args: readonly string[],
  options: RespOptions = {},
): Promise<RespValue> {
  const [reply] = await redisCommands(target, [args], options);
  if (reply instanceof RespError) throw reply;
  return reply ?? null;
}

/** Parses an `INFO`/`CLUSTER INFO` style text reply into field → value. */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0 || line.startsWith('#')) continue;
    fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

function encodeCommand(args: readonly string[]): string {
  // Bulk lengths are byte lengths, not UTF-16 code unit counts.
  return `*${args.length}\r\n` + args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('');
}

/** Parses one reply at `offset`; undefined when the buffer does not hold all of it yet. */
function parseReply(buffer: Buffer, offset: number): { value: RespValue; next: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd === -1) return undefined;
  const type = String.fromCharCode(buffer[offset] ?? 0);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const afterLine = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, next: afterLine };
    case '-':
      return { value: new RespError(line), next: afterLine };
    case ':':
      return { value: Number(line), next: afterLine };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next: afterLine };
      const end = afterLine + length;
      if (buffer.length < end + 2) return undefined;
      return { value: buffer.toString('utf8', afterLine, end), next: end + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: afterLine };
      const items: RespValue[] = [];
      let next = afterLine;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, next);
        if (item === undefined) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      // Not RESP2 (or a desynchronised stream): fail loudly rather than guess.
      throw new Error(`unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}
