// Reliability scenario 20: Redis over TLS, as a user limited to the scripts' commands and the key
// prefix. The whole store conformance suite runs through that connection; anything else is NOPERM,
// and the TLS port does not speak plain text. Real redis-server (Debian builds it with TLS), a
// throwaway self-signed certificate made by openssl for 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { storeConformance } from '../shared/store-conformance.js';
import { freePort, LOOPBACK } from '../support/free-port.js';
import { createReadmeAclUser } from '../support/readme-acl.js';
import { startRedis, type RedisHandle } from '../support/redis-server.js';

let dir: string;
let server: RedisHandle;
let tlsPort: number;
let admin: Redis;
let limited: Redis;
let fresh = 0;

function selfSignedCertificate(into: string): { cert: string; key: string } {
  const cert = path.join(into, 'cert.pem');
  const key = path.join(into, 'key.pem');
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${LOOPBACK}`, '-addext', `subjectAltName=IP:${LOOPBACK}`], { stdio: 'ignore' });
  } catch (cause) {
    throw new Error('openssl is needed for the TLS test: install it with `apt-get install -y openssl`', { cause });
  }
  return { cert, key };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-tls-'));
  const { cert, key } = selfSignedCertificate(dir);
  tlsPort = await freePort();
  // The plain port stays for the harness's readiness checks and the admin; the store uses TLS.
  server = await startRedis({ args: ['--tls-port', String(tlsPort), '--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', cert, '--tls-auth-clients', 'no'] });
  admin = new Redis({ host: server.host, port: server.port });
  await createReadmeAclUser(admin, 'sluice', 'tls-s3cret');
  limited = new Redis({ host: LOOPBACK, port: tlsPort, username: 'sluice', password: 'tls-s3cret', tls: { ca: readFileSync(cert) } });
  await limited.ping();
});
afterAll(async () => {
  limited?.disconnect();
  admin?.disconnect();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

storeConformance('Redis store over TLS as a least-privilege ACL user', (policy) => RedisStore.connect(policy, limited, { prefix: `sluice:tls${fresh++}:` }));

describe('Redis over TLS with the README ACL', () => {
  it('the connection is TLS, and the user is the limited one', async () => {
    // Every connection of the limited user came in on the TLS port (laddr is the server's side).
    const mine = String(await admin.call('CLIENT', 'LIST')).split('\n').filter((l) => / user=sluice /.test(l));
    expect(mine.length).toBeGreaterThan(0);
    for (const line of mine) expect(line).toMatch(new RegExp(` laddr=[^ ]+:${tlsPort} `));
    expect(String(await limited.call('ACL', 'WHOAMI').catch((e: Error) => e.message))).toMatch(/NOPERM/);
    // The TLS port does not answer plain text.
    const plain = new Redis({ host: LOOPBACK, port: tlsPort, lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
    plain.on('error', () => {});
    await expect(plain.connect().then(() => plain.ping())).rejects.toThrow();
    plain.disconnect();
  });

  it('anything outside the prefix or the command list is NOPERM', async () => {
    await expect(limited.set('other:key', '1')).rejects.toThrow(/NOPERM/);
    await expect(limited.flushall()).rejects.toThrow(/NOPERM/);
    await expect(limited.keys('*')).rejects.toThrow(/NOPERM/);
  });
});
