// A TCP proxy in front of Redis that injects network faults on command.
//
// The point is to reproduce what a real network does to a client between a command and its reply:
// latency (delay), a silent peer (blackhole), and above all "the command ran on the server but the
// reply never arrived and the connection was reset" (dropNextReply). A client library that
// reconnects and resends in-flight commands (ioredis does by default) will then run the command
// twice; tests use this proxy to prove the store survives that.
//
// Deliberately simple: bytes are forwarded chunk by chunk with no RESP parsing, so "the next
// reply" means "the next chunk Redis sends toward the client", which for one small command on an
// idle connection is exactly its reply. Backpressure is ignored: test traffic is tiny.
import net from 'node:net';
import { LOOPBACK } from './free-port.js';

export interface FaultProxyTarget {
  readonly host?: string | undefined;
  readonly port: number;
}

export interface FaultProxy {
  readonly host: typeof LOOPBACK;
  /** Where clients connect. */
  readonly port: number;
  /** Client connections currently open. */
  readonly openConnections: number;
  /** Client connections accepted since start (a reconnect shows up as +1). */
  readonly acceptedConnections: number;
  /** Every chunk, in both directions, is delivered `ms` after it arrived (order kept). 0 = off. */
  delay(ms: number): void;
  /**
   * While on, connections are still accepted and kept open, but every byte in either direction is
   * discarded (not buffered): the client sees a peer that never answers, like a dead route.
   */
  blackhole(on: boolean): void;
  /**
   * Arms a one-shot fault: the next chunk from the server toward any client is swallowed, and that
   * client's socket is then reset (RST) and its upstream connection closed. The command therefore
   * executed on the server but the client never sees the reply, only a connection reset. Resolves
   * once the fault has fired; calling again while armed returns the same promise.
   */
  dropNextReply(): Promise<void>;
  /** Resets every open connection (client side RST, upstream closed). New connections still work. */
  resetAll(): void;
  /** Stops listening and resets every connection. Idempotent. */
  close(): Promise<void>;
}

/** One chunk waiting for its delivery time. */
interface Pending {
  readonly chunk: Buffer;
  readonly dueAt: number;
}

/** One direction of one connection: an ordered queue so that delays never reorder bytes. */
class Pipe {
  private readonly queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly to: net.Socket) {}

  push(chunk: Buffer, delayMs: number): void {
    if (delayMs <= 0 && this.queue.length === 0) {
      this.to.write(chunk);
      return;
    }
    // Even with delay now 0, chunks behind delayed ones must wait their turn.
    this.queue.push({ chunk, dueAt: Date.now() + delayMs });
    this.pump();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private pump(): void {
    if (this.timer !== undefined) return;
    const now = Date.now();
    while (this.queue.length > 0 && (this.queue[0]?.dueAt ?? Infinity) <= now) {
      const head = this.queue.shift();
      if (head !== undefined && !this.to.destroyed) this.to.write(head.chunk);
    }
    const next = this.queue[0];
    if (next !== undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, Math.max(0, next.dueAt - now));
    }
  }
}

interface Connection {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  readonly toServer: Pipe;
  readonly toClient: Pipe;
}

export async function startFaultProxy(target: FaultProxyTarget): Promise<FaultProxy> {
  const targetHost = target.host ?? LOOPBACK;
  const connections = new Set<Connection>();
  let accepted = 0;
  let delayMs = 0;
  let blackholed = false;
  // The armed drop, if any: the promise handed to callers and its resolver.
  let drop: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } | undefined;

  const reset = (connection: Connection): void => {
    connection.toServer.stop();
    connection.toClient.stop();
    // resetAndDestroy sends RST (ECONNRESET at the client), like a middlebox or a crashed peer,
    // rather than a polite FIN.
    if (!connection.client.destroyed) connection.client.resetAndDestroy();
    connection.upstream.destroy();
    connections.delete(connection);
  };

  const server = net.createServer((client) => {
    accepted++;
    client.setNoDelay(true);
    // Writes issued before the upstream connects are buffered by Node, so no explicit wait.
    const upstream = net.connect({ host: targetHost, port: target.port });
    upstream.setNoDelay(true);
    const connection: Connection = {
      client,
      upstream,
      toServer: new Pipe(upstream),
      toClient: new Pipe(client),
    };
    connections.add(connection);

    client.on('data', (chunk: Buffer) => {
      if (blackholed) return;
      connection.toServer.push(chunk, delayMs);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (blackholed) return;
      if (drop !== undefined) {
        // The server has answered, so the command has run; swallow the answer and cut the line.
        const fired = drop;
        drop = undefined;
        reset(connection);
        fired.resolve();
        return;
      }
      connection.toClient.push(chunk, delayMs);
    });

    // One side closing closes the other: the proxy must not keep half-dead pairs around.
    const teardown = (): void => {
      connection.toServer.stop();
      connection.toClient.stop();
      client.destroy();
      upstream.destroy();
      connections.delete(connection);
    };
    client.on('close', teardown);
    upstream.on('close', teardown);
    // Errors (ECONNRESET, ECONNREFUSED when Redis is down) are expected here; without listeners
    // they would crash the test process. 'close' follows and tears the pair down.
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Port 0 on the proxy's own socket: the kernel's choice is ours alone, no race.
    server.listen({ host: LOOPBACK, port: 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');

  let closing: Promise<void> | undefined;
  return {
    host: LOOPBACK,
    port: address.port,
    get openConnections(): number {
      return connections.size;
    },
    get acceptedConnections(): number {
      return accepted;
    },
    delay(ms: number): void {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`delay must be a finite ms >= 0, got ${ms}`);
      delayMs = ms;
    },
    blackhole(on: boolean): void {
      blackholed = on;
    },
    dropNextReply(): Promise<void> {
      if (drop === undefined) {
        let resolve!: () => void;
        let reject!: (error: Error) => void;
        const promise = new Promise<void>((res, rej) => {
          resolve = res;
          reject = rej;
        });
        // A test that arms a drop and never awaits it must not fail on an unhandled rejection
        // when the proxy closes; callers that await still see the rejection.
        promise.catch(() => undefined);
        drop = { promise, resolve, reject };
      }
      return drop.promise;
    },
    resetAll(): void {
      for (const connection of [...connections]) reset(connection);
    },
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        drop?.reject(new Error('fault proxy closed before a reply was dropped'));
        drop = undefined;
        server.close(() => resolve());
        for (const connection of [...connections]) reset(connection);
      });
      return closing;
    },
  };
}
