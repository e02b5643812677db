// Free loopback ports for test servers.
//
// The kernel picks an unused port when we bind to port 0; we read it back and release it. That
// leaves a small window in which another process can take the port before our server binds it,
// so callers must still be ready to retry on "address in use" (startRedis does).
import net from 'node:net';

export const LOOPBACK = '127.0.0.1';

/** One port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  // Binding port 0 rarely fails, but on a busy CI machine EADDRINUSE can still surface here;
  // a few quick retries keep that from failing a whole suite.
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await bindAndRelease();
    } catch (error) {
      lastError = error;
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
  throw new Error(`could not find a free port on ${LOOPBACK}`, { cause: lastError });
}

/** `count` distinct free ports (held together while picking so they cannot repeat). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      ports.push(await listen(server));
    }
    return ports;
  } finally {
    await Promise.all(servers.map(closeServer));
  }
}

async function bindAndRelease(): Promise<number> {
  const server = net.createServer();
  try {
    return await listen(server);
  } finally {
    await closeServer(server);
  }
}

function listen(server: net.Server): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    // exclusive: do not share a handle with cluster workers; we want a port nobody else holds.
    server.listen({ host: LOOPBACK, port: 0, exclusive: true }, () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error('listening socket has no TCP address'));
        return;
      }
      resolve(address.port);
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}
